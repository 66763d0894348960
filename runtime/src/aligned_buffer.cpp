#include "aligned_buffer.h"

#include <cstdlib>
#include <new>
#include <utility>

namespace kiln::rt::impl {

AlignedBuffer::AlignedBuffer(size_t bytes, size_t alignment) {
  if (bytes == 0) return;
  size_t rounded = (bytes + alignment - 1) & ~(alignment - 1);
  if (rounded < bytes) throw std::bad_alloc();
  data_ = std::aligned_alloc(alignment, rounded);
  if (!data_) throw std::bad_alloc();
  size_ = rounded;
}

AlignedBuffer::AlignedBuffer(AlignedBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

AlignedBuffer& AlignedBuffer::operator=(AlignedBuffer&& other) noexcept {
  if (this != &other) {
    std::free(data_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

AlignedBuffer::~AlignedBuffer() { std::free(data_); }

void* AlignedBuffer::release() noexcept {
  size_ = 0;
  return std::exchange(data_, nullptr);
}

WorkspacePool::WorkspacePool(size_t alignment) : alignment_(alignment) { free_.reserve(kMaxPooled); }

AlignedBuffer WorkspacePool::acquire(size_t bytes) {
  if (bytes == 0) return {};
  {
    std::lock_guard lock(mutex_);
    size_t best = free_.size();
    for (size_t i = 0; i < free_.size(); ++i)
      if (free_[i].size() >= bytes && (best == free_.size() || free_[i].size() < free_[best].size()))
        best = i;
    if (best != free_.size()) {
      AlignedBuffer found = std::move(free_[best]);
      free_.erase(free_.begin() + static_cast<std::ptrdiff_t>(best));
      return found;
    }
  }
  return AlignedBuffer(bytes, alignment_);
}

void WorkspacePool::release(AlignedBuffer buffer) noexcept {
  if (!buffer.data()) return;
  std::lock_guard lock(mutex_);
  if (free_.size() < kMaxPooled) free_.push_back(std::move(buffer));
  // else: `buffer` is freed when it goes out of scope
}

}  // namespace kiln::rt::impl
