#pragma once
/// Aligned heap buffers and the per-model pool of workspaces that run calls borrow.
#include <cstddef>
#include <mutex>
#include <vector>

namespace kiln::rt::impl {

/// Owning, move-only pointer to memory from std::aligned_alloc (released with std::free).
class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  /// Allocates `bytes` (rounded up to a multiple of `alignment`, a power of two >= sizeof(void*)).
  /// Zero bytes gives an empty buffer (data() == nullptr). Throws std::bad_alloc on failure.
  AlignedBuffer(size_t bytes, size_t alignment);
  AlignedBuffer(AlignedBuffer&& other) noexcept;
  AlignedBuffer& operator=(AlignedBuffer&& other) noexcept;
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
  ~AlignedBuffer();

  void* data() const { return data_; }
  size_t size() const { return size_; }
  /// Gives up ownership; the caller frees the pointer with std::free.
  void* release() noexcept;

 private:
  void* data_ = nullptr;
  size_t size_ = 0;
};

/// A few workspaces kept for reuse, so that repeated runs do not hit the allocator each time.
/// Thread-safe; every buffer has the pool's alignment.
class WorkspacePool {
 public:
  explicit WorkspacePool(size_t alignment);
  /// A buffer of at least `bytes`, reused when one is free, else newly allocated.
  AlignedBuffer acquire(size_t bytes);
  /// Returns a buffer for reuse (or frees it when the pool is full). Never throws.
  void release(AlignedBuffer buffer) noexcept;
  size_t alignment() const { return alignment_; }

 private:
  static constexpr size_t kMaxPooled = 4;
  size_t alignment_;
  std::mutex mutex_;
  std::vector<AlignedBuffer> free_;  // capacity reserved up front: release never allocates
};

/// Borrows a workspace from a pool for one scope.
class WorkspaceLease {
 public:
  WorkspaceLease(WorkspacePool& pool, size_t bytes) : pool_(pool), buffer_(pool.acquire(bytes)) {}
  ~WorkspaceLease() { pool_.release(std::move(buffer_)); }
  WorkspaceLease(const WorkspaceLease&) = delete;
  WorkspaceLease& operator=(const WorkspaceLease&) = delete;
  void* data() const { return buffer_.data(); }
  size_t size() const { return buffer_.size(); }

 private:
  WorkspacePool& pool_;
  AlignedBuffer buffer_;
};

}  // namespace kiln::rt::impl
