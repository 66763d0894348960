// The host side of a CUDA run against a fake driver (tests/cuda/fake_driver): the backend loads
// it through $KILN_CUDA_DRIVER, falls back from the refused cubin to the PTX, looks up every
// kernel, uploads inputs and constants, launches the plan in order with the parameter count
// each PTX entry declares, reads the error word and copies the outputs back, balancing contexts
// and freeing what it allocated. Kernels do not run, so no numbers are checked here. The
// driver is loaded once per process: the parent test runs the CudaFakeDriverChild tests in a
// child process with the variable set.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "graph_builder.h"
#include "kiln/backends/cuda/cuda_backend.h"
#include "kiln/ir/shape_inference.h"

namespace kiln::test {
namespace {

const Dim N = Dim::symbolic("N");

bool underFakeDriver() {
  const char* p = std::getenv("KILN_CUDA_DRIVER");
  return p && std::string(p) == KILN_FAKE_CUDA_DRIVER;
}

template <typename F> F fake(const char* symbol) {
  void* lib = dlopen(KILN_FAKE_CUDA_DRIVER, RTLD_NOW | RTLD_NOLOAD);
  return lib ? reinterpret_cast<F>(dlsym(lib, symbol)) : nullptr;
}

std::string fakeLog() { return fake<const char* (*)()>("kiln_fake_cuda_log")(); }
size_t liveAllocations() { return fake<size_t (*)()>("kiln_fake_cuda_live_allocations")(); }
int contextDepth() { return fake<int (*)()>("kiln_fake_cuda_context_depth")(); }

TEST(CudaFakeDriverChild, RunsThePlanThroughTheDriver) {
  if (!underFakeDriver()) GTEST_SKIP() << "runs in a child process (CudaFakeDriver.HostRunPath)";
  ASSERT_EQ(cuda::cudaUnavailableReason(), "");
  GraphBuilder b;
  ConvAttrs c;
  c.strides = {1, 1};
  c.pads = {1, 1, 1, 1};
  c.dilations = {1, 1};
  Value* y = b.op(OpKind::Conv, "conv", {b.input("x", dims({N, 3, 6, 6})), b.weights("w", {4, 3, 3, 3}, 1)}, c);
  b.output(b.op(OpKind::Relu, "relu", {y}));
  b.output(b.op(OpKind::Softmax, "sm", {b.input("z", dims({N, 5}))}, SoftmaxAttrs{-1, false}));
  BatchNormAttrs bn;
  bn.trainingMode = true;  // statistics partials and their Finalize kernel
  Value* y2 = b.op(OpKind::Conv, "conv2", {b.g.inputs[0], b.weights("w2", {4, 3, 3, 3}, 6)}, c);
  Node* n = b.node(OpKind::BatchNormalization, "bn",
                   {y2, b.weights("s", {4}, 2), b.weights("t", {4}, 3), b.weights("m", {4}, 4),
                    b.constant("v", randomTensor({4}, 5, 0.5f, 2.0f))}, bn, 3);
  for (Value* v : n->outputs) b.output(v);
  inferShapes(b.g);
  const cuda::CudaSource src = cuda::generateSource(b.g);
  {
    auto exe = cuda::compileCuda(b.g);
    TensorMap in{{"x", randomTensor({3, 3, 6, 6}, 1)}, {"z", randomTensor({3, 5}, 2)}};
    const TensorMap out = exe->run(in);
    EXPECT_EQ(out.at("relu_out").dims, (std::vector<int64_t>{3, 4, 6, 6}));
    EXPECT_EQ(out.at("sm_out").dims, (std::vector<int64_t>{3, 5}));
    EXPECT_EQ(contextDepth(), 0) << "every context push is popped";
    const size_t weights = liveAllocations();
    EXPECT_GE(weights, 6u) << "after a run only the uploaded weights stay";
    const std::string log = fakeLog();
    EXPECT_NE(log.find("refused cubin\nloaded PTX with " + std::to_string(src.kernels.size()) + " entries"),
              std::string::npos) << log;
    size_t at = 0;
    for (const std::string& k : src.kernels) {  // every kernel, in the plan's order
      at = log.find("launch " + k + " ", at);
      EXPECT_NE(at, std::string::npos) << k << "\n" << log;
    }
    EXPECT_NE(log.find("_sums grid"), std::string::npos) << "the statistics of the conv's output\n" << log;
    exe->run(in);  // a second run reuses the loaded module
    EXPECT_EQ(liveAllocations(), weights);
  }
  EXPECT_EQ(liveAllocations(), 0u) << "the executable frees its constants";
}

TEST(CudaFakeDriverChild, FailedRangeCheckReportsItsMessage) {
  if (!underFakeDriver()) GTEST_SKIP() << "runs in a child process (CudaFakeDriver.HostRunPath)";
  GraphBuilder b;
  b.output(b.op(OpKind::Gather, "g", {b.input("x", dims({N, 5})), b.input("i", dims({2}), DType::I64)}, AxisAttrs{1}));
  inferShapes(b.g);
  auto exe = cuda::compileCuda(b.g);
  TensorMap in{{"x", randomTensor({2, 5}, 1)}, {"i", Tensor::fromInts({7, 0}, {2})}};
  setenv("FAKE_CUDA_FAIL_CHECKS", "1", 1);
  const std::string m = errorMessage([&] { exe->run(in); }, ErrorCode::InvalidInput);
  unsetenv("FAKE_CUDA_FAIL_CHECKS");
  EXPECT_TRUE(mentions(m, "is out of range")) << m;
  EXPECT_TRUE(mentions(m, "'i'")) << m;
  EXPECT_EQ(contextDepth(), 0);
}

TEST(CudaFakeDriver, HostRunPath) {
  const std::string log = (std::filesystem::temp_directory_path() / ("kiln-fake-cuda-" + std::to_string(::getpid()))).string();
  const std::string cmd = std::string("KILN_CUDA_DRIVER='") + KILN_FAKE_CUDA_DRIVER +
                          "' '" + std::filesystem::read_symlink("/proc/self/exe").string() + "' --gtest_filter='CudaFakeDriverChild.*' > '" + log + "' 2>&1";
  const int rc = std::system(cmd.c_str());
  std::ifstream f(log);
  const std::string out((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  std::filesystem::remove(log);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("[  PASSED  ] 2 tests."), std::string::npos) << out;
}

}  // namespace
}  // namespace kiln::test
