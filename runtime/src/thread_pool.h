#pragma once
/// The runtime's one process-wide worker pool, and the parallel-for it offers artifacts
/// through kiln_run_context_v1::parallel_for.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "kiln/kiln_artifact.h"

namespace kiln::rt::impl {

/// Fixed set of worker threads draining one task queue. Started on first use, joined at exit.
class ThreadPool {
 public:
  /// The shared pool: max(hardware threads, 4) - 1 workers, so that parallel code paths
  /// are exercised even on small machines.
  static ThreadPool& instance();

  explicit ThreadPool(int workers);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int workers() const { return static_cast<int>(threads_.size()); }
  /// Queues `copies` invocations of `task`. Tasks must not throw.
  void submit(const std::function<void()>& task, int copies);

 private:
  void workerLoop();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

/// Threads a run call may use; the `parallel_ctx` handed to artifacts points at one of these.
struct ParallelContext {
  int threads = 1;  ///< including the calling thread
};

/// Threads a call gets for a requested count (0 = default: hardware threads), capped by the pool.
int effectiveThreads(int32_t requested);

/// Implements kiln_parallel_for_fn: splits [0, n) into chunks, runs them on the calling thread
/// plus up to threads-1 pool workers, returns when all are done. Nested calls (from inside a
/// body) run serially on the calling thread.
void parallelFor(void* pool_ctx, int64_t n, int64_t grain, kiln_parallel_body_fn body,
                 void* body_ctx);

}  // namespace kiln::rt::impl
