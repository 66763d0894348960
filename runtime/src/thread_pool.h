#pragma once
/// The runtime's one process-wide worker pool, and the parallel-for it offers artifacts
/// through kiln_run_context_v1::parallel_for.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "kiln/kiln_artifact.h"

namespace kiln::rt::impl {

/// Fixed set of worker threads that join one parallel loop at a time. Started on first use,
/// joined at exit. A loop that wants h helpers gets workers 0..h-1, always the same ones, so
/// the run's back-to-back loops find them where the previous loop left them: a worker that
/// just helped polls briefly (~50 us, with pause instructions) for the next loop before it
/// blocks on its own condition variable, and the caller polls as long for its helpers to
/// finish; an idle process stops polling after that window.
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

  /// Calls fn(arg) on the calling thread and on `helpers` workers (capped by workers()) and
  /// returns once every call has returned. fn must not throw and must tolerate helpers that
  /// arrive after the work is gone. Returns false, calling nothing, when another thread's
  /// loop holds the pool (the caller then runs its loop alone).
  bool tryRun(void (*fn)(void*), void* arg, int helpers);

 private:
  struct Worker {
    std::condition_variable wake;
    bool sleeping = false;  // blocked on `wake`; guarded by mu_
    std::atomic<int> cpu{-1};  // where it last joined a loop
  };
  void workerLoop(int index);
  bool sharesCallerCpu() const;

  std::mutex busy_;  // held by the thread whose loop owns the pool
  std::mutex mu_;
  std::condition_variable idle_;
  std::vector<std::unique_ptr<Worker>> slots_;
  void (*fn_)(void*) = nullptr;            // guarded by mu_
  void* arg_ = nullptr;                    // guarded by mu_
  int helpers_ = 0;                        // workers 0..helpers_-1 may join; guarded by mu_
  std::atomic<uint64_t> generation_{0};    // changed under mu_, polled without it
  std::atomic<int> active_{0};             // workers inside fn_; changed under mu_
  std::atomic<bool> stopping_{false};      // changed under mu_, polled without it
  std::atomic<int> callerCpu_{-1};         // CPU of the latest loop's caller, -1 if unknown
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
/// body), and calls while another thread's loop occupies the pool, run serially on the
/// calling thread.
void parallelFor(void* pool_ctx, int64_t n, int64_t grain, kiln_parallel_body_fn body,
                 void* body_ctx);

}  // namespace kiln::rt::impl
