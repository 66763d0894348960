#include "codegen/jit_thread_pool.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace kiln::cpu {

namespace {

thread_local bool tlInsideBody = false;

struct Job {
  kiln_parallel_body_fn body;
  void* ctx;
  int64_t n, chunk, numChunks;
  std::atomic<int64_t> next{0};

  void work() {
    tlInsideBody = true;
    for (int64_t c; (c = next.fetch_add(1)) < numChunks;)
      body(ctx, c * chunk, std::min(n, (c + 1) * chunk));
    tlInsideBody = false;
  }
};

class Pool {
 public:
  static Pool& instance() {
    static Pool pool;
    return pool;
  }

  int workers() const { return static_cast<int>(threads_.size()); }

  // Caller holds busy_. Helpers join `job`; returns when all chunks ran and no helper
  // still touches the job.
  void run(Job& job, int helpers) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      job_ = &job;
      slots_ = helpers;
      ++generation_;
    }
    wake_.notify_all();
    job.work();
    std::unique_lock<std::mutex> lock(mu_);
    slots_ = 0;  // late workers must not join any more
    idle_.wait(lock, [&] { return active_ == 0; });
    job_ = nullptr;
  }

  std::mutex busy_;

 private:
  Pool() {
    const int n = std::max(1u, std::thread::hardware_concurrency()) - 1;
    for (int i = 0; i < std::max(n, 1); ++i) threads_.emplace_back([this] { loop(); });
  }
  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    wake_.notify_all();
    for (std::thread& t : threads_) t.join();
  }

  void loop() {
    uint64_t seen = 0;
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      wake_.wait(lock, [&] { return stop_ || (generation_ != seen && slots_ > 0); });
      if (stop_) return;
      seen = generation_;
      --slots_;
      ++active_;
      Job* job = job_;
      lock.unlock();
      job->work();
      lock.lock();
      if (--active_ == 0) idle_.notify_all();
    }
  }

  std::mutex mu_;
  std::condition_variable wake_, idle_;
  std::vector<std::thread> threads_;
  Job* job_ = nullptr;
  int slots_ = 0, active_ = 0;
  uint64_t generation_ = 0;
  bool stop_ = false;
};

}  // namespace

void jitParallelFor(int threads, int64_t n, int64_t chunk, kiln_parallel_body_fn body, void* ctx) {
  if (n <= 0) return;
  chunk = std::max<int64_t>(chunk, 1);
  Job job{body, ctx, n, chunk, (n + chunk - 1) / chunk};
  if (threads <= 1 || job.numChunks <= 1 || tlInsideBody) return body(ctx, 0, n);
  Pool& pool = Pool::instance();
  std::unique_lock<std::mutex> busy(pool.busy_, std::try_to_lock);
  if (!busy.owns_lock()) return job.work();
  const int helpers = static_cast<int>(std::min<int64_t>({threads - 1, pool.workers(), job.numChunks - 1}));
  pool.run(job, helpers);
}

}  // namespace kiln::cpu
