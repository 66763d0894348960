#include "thread_pool.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <system_error>

namespace kiln::rt::impl {
namespace {

// True while the current thread is executing a parallel-for body.
thread_local bool tlInsideBody = false;

// One parallel loop. Shared by the caller and the helper tasks; a helper that starts after
// every chunk was claimed just returns, so the job may outlive the caller's wait.
struct Job {
  kiln_parallel_body_fn body;
  void* bodyCtx;
  int64_t n;
  int64_t chunk;
  int64_t numChunks;
  std::atomic<int64_t> next{0};
  std::atomic<int64_t> done{0};
  std::mutex mutex;
  std::condition_variable finished;

  void work() {
    for (;;) {
      int64_t i = next.fetch_add(1);
      if (i >= numChunks) return;
      int64_t begin = i * chunk;
      int64_t end = std::min(n, begin + chunk);
      bool outer = tlInsideBody;
      tlInsideBody = true;
      body(bodyCtx, begin, end);
      tlInsideBody = outer;
      if (done.fetch_add(1) + 1 == numChunks) {
        std::lock_guard lock(mutex);
        finished.notify_all();
      }
    }
  }

  void wait() {
    std::unique_lock lock(mutex);
    finished.wait(lock, [&] { return done.load() == numChunks; });
  }
};

}  // namespace

ThreadPool& ThreadPool::instance() {
  static ThreadPool pool(static_cast<int>(std::max(std::thread::hardware_concurrency(), 4u)) - 1);
  return pool;
}

ThreadPool::ThreadPool(int workers) {
  threads_.reserve(static_cast<size_t>(workers));
  for (int i = 0; i < workers; ++i) {
    try {
      threads_.emplace_back([this] { workerLoop(); });
    } catch (const std::system_error&) {
      break;  // the system refused another thread: run with the ones we have
    }
  }
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread& t : threads_) t.join();
}

void ThreadPool::submit(const std::function<void()>& task, int copies) {
  {
    std::lock_guard lock(mutex_);
    for (int i = 0; i < copies; ++i) queue_.push_back(task);
  }
  if (copies == 1)
    wake_.notify_one();
  else
    wake_.notify_all();
}

void ThreadPool::workerLoop() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();
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
  std::shared_ptr<Job> job;
  try {
    job = std::make_shared<Job>();
  } catch (...) {  // this function is called from C code: nothing may escape
    return runSerially(body, body_ctx, n);
  }
  job->body = body;
  job->bodyCtx = body_ctx;
  job->n = n;
  job->chunk = (n + targetChunks - 1) / targetChunks;
  job->numChunks = (n + job->chunk - 1) / job->chunk;
  int helpers = static_cast<int>(std::min<int64_t>(threads - 1, job->numChunks - 1));
  try {
    ThreadPool::instance().submit([job] { job->work(); }, helpers);
  } catch (...) {
    // No helpers queued (or fewer): the caller's own work() below claims every remaining chunk.
  }
  job->work();
  job->wait();
}

}  // namespace kiln::rt::impl
