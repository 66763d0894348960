#include "thread_pool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <system_error>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif
#if defined(__linux__)
#include <sched.h>
#endif

namespace kiln::rt::impl {
namespace {

// How long a worker keeps looking for the next loop after helping with one, and how long a
// caller waits for its helpers' last chunks, before blocking on a condition variable. The
// kernels of one run are back-to-back parallel loops of ~5-100 us; a blocked thread takes
// ~10-50 us to wake up, longer than many of those loops.
constexpr std::chrono::microseconds kSpinAfterTask{50};
constexpr std::chrono::microseconds kSpinForHelpers{50};

inline void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// Polls `ready` (with a pause between polls) until it holds or `limit` has passed; returns
// its last value.
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
// not move the thread back. Returns false where that is not possible.
bool moveOffCpu(int cpu) {
#if defined(__linux__) && defined(CPU_ISSET)
  cpu_set_t original;
  if (cpu < 0 || cpu >= CPU_SETSIZE || sched_getaffinity(0, sizeof original, &original) != 0) return false;
  cpu_set_t others = original;
  CPU_CLR(cpu, &others);
  if (CPU_COUNT(&others) == 0 || sched_setaffinity(0, sizeof others, &others) != 0) return false;
  sched_setaffinity(0, sizeof original, &original);
  return true;
#else
  (void)cpu;
  return false;
#endif
}

// True while the current thread is executing a parallel-for body.
thread_local bool tlInsideBody = false;

// One parallel loop, on the caller's stack: tryRun returns only after every helper left it.
struct Job {
  kiln_parallel_body_fn body;
  void* bodyCtx;
  int64_t n;
  int64_t chunk;
  int64_t numChunks;
  std::atomic<int64_t> next{0};

  static void work(void* self) {
    Job& job = *static_cast<Job*>(self);
    const bool outer = tlInsideBody;
    tlInsideBody = true;
    for (int64_t i; (i = job.next.fetch_add(1)) < job.numChunks;)
      job.body(job.bodyCtx, i * job.chunk, std::min(job.n, (i + 1) * job.chunk));
    tlInsideBody = outer;
  }
};

}  // namespace

ThreadPool& ThreadPool::instance() {
  static ThreadPool pool(static_cast<int>(std::max(std::thread::hardware_concurrency(), 4u)) - 1);
  return pool;
}

ThreadPool::ThreadPool(int workers) {
  slots_.reserve(static_cast<size_t>(std::max(workers, 0)));
  for (int i = 0; i < workers; ++i) slots_.push_back(std::make_unique<Worker>());
  threads_.reserve(static_cast<size_t>(std::max(workers, 0)));
  for (int i = 0; i < workers; ++i) {
    try {
      threads_.emplace_back([this, i] { workerLoop(i); });
    } catch (const std::system_error&) {
      break;  // the system refused another thread: run with the ones we have
    }
  }
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard lock(mu_);
    stopping_.store(true);
  }
  for (auto& w : slots_) w->wake.notify_all();
  for (std::thread& t : threads_) t.join();
}

bool ThreadPool::tryRun(void (*fn)(void*), void* arg, int helpers) {
  std::unique_lock busy(busy_, std::try_to_lock);
  if (!busy.owns_lock()) return false;
  helpers = std::clamp(helpers, 0, workers());
  {
    std::lock_guard lock(mu_);
    fn_ = fn;
    arg_ = arg;
    helpers_ = helpers;
    callerCpu_.store(currentCpu(), std::memory_order_relaxed);
    generation_.fetch_add(1);
    // Workers still polling after the previous loop see the new generation themselves; only
    // blocked ones need a (futex) wake-up, which costs this thread microseconds.
    for (int i = 0; i < helpers; ++i)
      if (slots_[static_cast<size_t>(i)]->sleeping) slots_[static_cast<size_t>(i)]->wake.notify_one();
  }
  fn(arg);
  {
    std::lock_guard lock(mu_);
    helpers_ = 0;  // late workers must not join any more
    fn_ = nullptr;
    arg_ = nullptr;
  }
  // active_ only falls from here on; a helper's last access to `arg` precedes its decrement.
  // Poll for the helpers' last chunks, unless one of them shares this thread's CPU: it can only
  // finish while this thread blocks.
  const int cpu = currentCpu();
  auto helperOnThisCpu = [&] {
    for (int i = 0; i < helpers; ++i)
      if (cpu >= 0 && slots_[static_cast<size_t>(i)]->cpu.load(std::memory_order_relaxed) == cpu) return true;
    return false;
  };
  unsigned polls = 0;
  bool blockNow = false;
  if (spinUntil([&] {
        if (active_.load() == 0) return true;
        if (++polls % 128 == 0 && helperOnThisCpu()) blockNow = true;
        return blockNow;
      }, kSpinForHelpers) && !blockNow)
    return true;
  std::unique_lock lock(mu_);
  idle_.wait(lock, [&] { return active_.load() == 0; });
  return true;
}

bool ThreadPool::sharesCallerCpu() const {
  const int cpu = callerCpu_.load(std::memory_order_relaxed);
  return cpu >= 0 && cpu == currentCpu();
}

void ThreadPool::workerLoop(int index) {
  Worker& self = *slots_[static_cast<size_t>(index)];
  uint64_t seen = 0;
  bool helped = false;
  std::unique_lock lock(mu_);
  for (;;) {
    // Poll briefly for the run's next loop before blocking. A worker that shares the caller's
    // CPU (new threads often start on their creator's) can only run while the caller does not,
    // and the scheduler leaves a thread that never sleeps where it is for tens of
    // milliseconds: move it first, and if it is still there, block rather than take time from
    // the caller.
    if (helped && sharesCallerCpu()) moveOffCpu(callerCpu_.load(std::memory_order_relaxed));
    if (helped && !sharesCallerCpu()) {
      lock.unlock();
      unsigned polls = 0;
      spinUntil([&] {
        return generation_.load(std::memory_order_relaxed) != seen || stopping_.load(std::memory_order_relaxed) ||
               (++polls % 128 == 0 && sharesCallerCpu());
      }, kSpinAfterTask);
      lock.lock();
    }
    self.sleeping = true;
    self.wake.wait(lock, [&] { return stopping_.load() || (generation_.load() != seen && index < helpers_); });
    self.sleeping = false;
    if (stopping_.load()) return;
    seen = generation_.load();
    active_.fetch_add(1);
    self.cpu.store(currentCpu(), std::memory_order_relaxed);
    void (*fn)(void*) = fn_;
    void* arg = arg_;
    lock.unlock();
    fn(arg);
    lock.lock();
    if (active_.fetch_sub(1) == 1) idle_.notify_all();
    helped = true;
  }
}

int effectiveThreads(int32_t requested) {
  int cap = ThreadPool::instance().workers() + 1;
  int wanted = requested > 0 ? requested : static_cast<int>(std::max(std::thread::hardware_concurrency(), 1u));
  return std::clamp(wanted, 1, cap);
}

namespace {
void runSerially(kiln_parallel_body_fn body, void* body_ctx, int64_t n) {
  bool outer = tlInsideBody;
  tlInsideBody = true;
  body(body_ctx, 0, n);
  tlInsideBody = outer;
}
}  // namespace

void parallelFor(void* pool_ctx, int64_t n, int64_t grain, kiln_parallel_body_fn body, void* body_ctx) {
  if (n <= 0) return;
  grain = std::max<int64_t>(grain, 1);
  int threads = pool_ctx ? static_cast<const ParallelContext*>(pool_ctx)->threads : 1;
  int64_t maxChunks = (n + grain - 1) / grain;
  if (threads <= 1 || maxChunks <= 1 || tlInsideBody) return runSerially(body, body_ctx, n);
  // A few chunks per thread balance uneven bodies without making chunks tiny.
  int64_t targetChunks = std::min<int64_t>(maxChunks, int64_t{threads} * 4);
  Job job;
  job.body = body;
  job.bodyCtx = body_ctx;
  job.n = n;
  job.chunk = (n + targetChunks - 1) / targetChunks;
  job.numChunks = (n + job.chunk - 1) / job.chunk;
  int helpers = static_cast<int>(std::min<int64_t>(threads - 1, job.numChunks - 1));
  bool ran = false;
  try {
    ran = ThreadPool::instance().tryRun(&Job::work, &job, helpers);
  } catch (...) {  // this function is called from C code: nothing may escape
  }
  // Pool busy with another thread's loop (or failing): claim every remaining chunk here.
  if (!ran) Job::work(&job);
}

}  // namespace kiln::rt::impl
