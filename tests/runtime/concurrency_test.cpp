// One loaded model, many threads running it at once with different inputs and batch sizes.
#include <thread>

#include "runtime_test_util.h"

namespace kiln::rt::test {
namespace {

TEST_F(FakeModelTest, EightThreadsTimesTwoHundredRunsAllCorrect) {
  constexpr int kThreads = 8;
  constexpr int kRuns = 200;
  std::vector<int> failures(kThreads, 0);
  std::vector<std::string> firstError(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int r = 0; r < kRuns; ++r) {
        int seed = t * kRuns + r;
        int64_t n = 1 + seed % 37;
        FakeInputs in(n, seed);
        kiln_tensor inputs[] = {in.xTensor(), in.kTensor()};
        kiln_run_options options;
        kiln_run_options_init(&options);
        options.num_threads = 1 + r % 3;  // mix serial runs with runs that use the pool
        bool ok;
        if (r % 2 == 0) {
          FakeOutputs out(n);
          std::vector<kiln_tensor> outputs = out.tensors();
          ok = kiln_run(model_, inputs, 2, outputs.data(), 3, &options) == KILN_STATUS_OK &&
               matches(FakeExpected(in), out.y.data(), out.s.data(), out.flat.data());
        } else {
          kiln_tensor outputs[3] = {};
          ok = kiln_run_alloc(model_, inputs, 2, outputs, 3, &options) == KILN_STATUS_OK &&
               outputs[2].dims[0] == 4 * n &&
               matches(FakeExpected(in), static_cast<float*>(outputs[0].data), static_cast<double*>(outputs[1].data),
                       static_cast<float*>(outputs[2].data));
          for (kiln_tensor& o : outputs) kiln_tensor_free_data(&o);
        }
        if (!ok && failures[t]++ == 0) firstError[t] = "run " + std::to_string(r) + ": " + kiln_last_error();
      }
    });
  }
  for (std::thread& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(failures[t], 0) << "thread " << t << ", first failure " << firstError[t];
}

TEST_F(FakeModelTest, ErrorTextIsPerThread) {
  // A failure on one thread must not show up in another thread's kiln_last_error.
  FakeInputs in(2, 0);
  kiln_tensor bad[] = {in.xTensor(), in.kTensor()};
  bad[0].dtype = KILN_DTYPE_INT8;
  kiln_tensor outputs[3] = {};
  ASSERT_EQ(kiln_run_alloc(model_, bad, 2, outputs, 3, nullptr), KILN_STATUS_INVALID_INPUT);
  std::string other = "unset";
  std::thread([&] { other = kiln_last_error(); }).join();
  EXPECT_EQ(other, "");
  EXPECT_STRNE(kiln_last_error(), "");
}

}  // namespace
}  // namespace kiln::rt::test
