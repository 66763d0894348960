#include "codegen/jit_thread_pool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif
#if defined(__linux__)
#include <sched.h>
#endif

namespace kiln::cpu {

namespace {

// A worker that finished a loop polls for the next one this long before it blocks, and the
// caller polls this long for its helpers to finish: the kernels of one run are back-to-back
// loops of ~5-100 us, and a condition-variable wake-up takes ~10-50 us.
constexpr std::chrono::microseconds kSpin{50};

inline void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// Polls `ready` until it holds or `limit` has passed; returns its last value.
template <class Pred>
bool spinUntil(Pred ready, std::chrono::microseconds limit) {
  if (ready()) return true;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (unsigned i = 1;; ++i) {
    cpuRelax();
    if (ready()) return true;
    if (i % 64 == 0 && std::chrono::steady_clock::now() >= deadline) return ready();
  }
}

// The CPU the calling thread runs on, or -1 where unknown.
inline int currentCpu() {
#if defined(__linux__)
  return sched_getcpu();
#else
  return -1;
#endif
}

// Moves the calling thread off CPU `cpu` (which it shares with the thread it helps) by
// briefly leaving that CPU out of its affinity mask; the mask is restored at once, which does
// not move the thread back.
void moveOffCpu(int cpu) {
#if defined(__linux__) && defined(CPU_ISSET)
  cpu_set_t original;
  if (cpu < 0 || cpu >= CPU_SETSIZE || sched_getaffinity(0, sizeof original, &original) != 0) return;
  cpu_set_t others = original;
  CPU_CLR(cpu, &others);
  if (CPU_COUNT(&others) == 0 || sched_setaffinity(0, sizeof others, &others) != 0) return;
  sched_setaffinity(0, sizeof original, &original);
#else
  (void)cpu;
#endif
}

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
      callerCpu_.store(currentCpu(), std::memory_order_relaxed);
      generation_.fetch_add(1);
    }
    wake_.notify_all();  // no system call when every worker is spinning
    job.work();
    {
      std::lock_guard<std::mutex> lock(mu_);
      slots_ = 0;  // late workers must not join any more
      job_ = nullptr;
    }
    // active_ only falls from here on; a helper's last access to `job` precedes its decrement.
    if (spinUntil([&] { return active_.load() == 0; }, kSpin)) return;
    std::unique_lock<std::mutex> lock(mu_);
    idle_.wait(lock, [&] { return active_.load() == 0; });
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
      stop_.store(true);
    }
    wake_.notify_all();
    for (std::thread& t : threads_) t.join();
  }

  bool sharesCallerCpu() const {
    const int cpu = callerCpu_.load(std::memory_order_relaxed);
    return cpu >= 0 && cpu == currentCpu();
  }

  void loop() {
    uint64_t seen = 0;
    bool ranJob = false;
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      // Poll briefly for the run's next loop before blocking. A worker that shares the caller's
      // CPU can only run while the caller does not, and the scheduler leaves a thread that
      // never sleeps where it is for tens of milliseconds: move it first, and if it is still
      // there, block rather than take time from the caller.
      if (ranJob && sharesCallerCpu()) moveOffCpu(callerCpu_.load(std::memory_order_relaxed));
      if (ranJob && !sharesCallerCpu()) {
        lock.unlock();
        unsigned polls = 0;
        spinUntil([&] {
          return generation_.load(std::memory_order_relaxed) != seen || stop_.load(std::memory_order_relaxed) ||
                 (++polls % 128 == 0 && sharesCallerCpu());
        }, kSpin);
        lock.lock();
      }
      wake_.wait(lock, [&] { return stop_.load() || (generation_.load() != seen && slots_ > 0); });
      if (stop_.load()) return;
      seen = generation_.load();
      --slots_;
      active_.fetch_add(1);
      Job* job = job_;
      lock.unlock();
      job->work();
      lock.lock();
      if (active_.fetch_sub(1) == 1) idle_.notify_all();
      ranJob = true;
    }
  }

  std::mutex mu_;
  std::condition_variable wake_, idle_;
  std::vector<std::thread> threads_;
  Job* job_ = nullptr;              // guarded by mu_
  int slots_ = 0;                   // guarded by mu_
  std::atomic<int> active_{0};      // helpers inside job_->work(); changed under mu_
  std::atomic<uint64_t> generation_{0};  // changed under mu_, polled without it
  std::atomic<bool> stop_{false};   // changed under mu_, polled without it
  std::atomic<int> callerCpu_{-1};  // CPU of the latest loop's caller, -1 if unknown
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
