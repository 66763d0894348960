// Running on the CUDA backend: without a driver or device, run() reports exactly what is
// missing (Unsupported) after checking the inputs; with one, a few graphs must match the fp64
// evaluator (skipped here with the reason when no GPU is present).
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <functional>

#include "graph_builder.h"
#include "kiln/backends/cuda/cuda_backend.h"
#include "kiln/eval/evaluator.h"
#include "kiln/ir/shape_inference.h"

namespace kiln::test {
namespace {

const Dim N = Dim::symbolic("N");

/// x [N,3,6,6] -> conv 3x3 pad 1 -> relu, and a second output max-pooled.
void convGraph(GraphBuilder& b) {
  ConvAttrs c;
  c.strides = {1, 1};
  c.pads = {1, 1, 1, 1};
  c.dilations = {1, 1};
  Value* y = b.op(OpKind::Relu, "relu",
                  {b.op(OpKind::Conv, "conv", {b.input("x", dims({N, 3, 6, 6})), b.weights("w", {4, 3, 3, 3}, 1),
                                               b.weights("b", {4}, 2)}, c)});
  b.output(y);
  PoolAttrs p;
  p.kernelShape = {2, 2};
  p.strides = {2, 2};
  p.pads = {0, 0, 0, 0};
  b.output(b.op(OpKind::MaxPool, "pool", {y}, p));
}

TensorMap inputsFor(const Graph& g, int64_t n) {
  TensorMap in;
  uint32_t seed = 3;
  for (const Value* v : g.inputs) {
    std::vector<int64_t> d;
    for (const Dim& x : v->shape) d.push_back(x.isKnown() ? x.value : n);
    in[v->name] = randomTensor(d, seed++);
  }
  return in;
}

TEST(CudaRun, RegisteredBackendAnswersTheSameReason) {
  const backend::Backend* be = nullptr;
  for (const backend::Backend* b : backend::registeredBackends())
    if (b->name() == "cuda") be = b;
  ASSERT_NE(be, nullptr) << "KILN_WITH_CUDA registers the cuda backend";
  EXPECT_EQ(be->unavailableReason(), cuda::cudaUnavailableReason());
}

TEST(CudaRun, WithoutDriverRunSaysWhatIsMissing) {
  const std::string reason = cuda::cudaUnavailableReason();
  if (reason.empty()) GTEST_SKIP() << "a CUDA driver and device are present";
  GraphBuilder b;
  convGraph(b);
  inferShapes(b.g);
  auto exe = cuda::compileCuda(b.g);  // compiles (NVRTC) without a driver
  try {
    exe->run(inputsFor(b.g, 2));
    FAIL() << "run succeeded without a usable driver";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Unsupported);
    EXPECT_EQ(std::string(e.what()), reason);
  }
  EXPECT_EQ(reason.rfind("cuda backend: ", 0), 0u) << reason;
  // Where the driver library itself is missing, the message is the dlopen failure, word for word.
  const char* env = std::getenv("KILN_CUDA_DRIVER");
  const std::string path = env && *env ? env : "libcuda.so.1";
  dlerror();
  if (void* lib = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL)) {
    dlclose(lib);
  } else {
    const char* why = dlerror();
    EXPECT_EQ(reason, "cuda backend: no CUDA driver (dlopen " + path + ": " + (why ? why : "") + ")");
  }
}

TEST(CudaRun, InputsAreCheckedBeforeTheDevice) {
  GraphBuilder b;
  convGraph(b);
  inferShapes(b.g);
  auto exe = cuda::compileCuda(b.g);
  TensorMap in = inputsFor(b.g, 2);
  in["y"] = in.at("x");
  const std::string m = errorMessage([&] { exe->run(in); }, ErrorCode::InvalidInput);
  EXPECT_TRUE(mentions(m, "'y'")) << m;
  in.erase("y");
  in["x"] = randomTensor({2, 4, 6, 6}, 1);
  EXPECT_TRUE(mentions(errorMessage([&] { exe->run(in); }, ErrorCode::InvalidInput), "'x'"));
}

/// max|got - want| <= tol * max(max|want|, 1e-6).
void expectClose(const Tensor& got, const Tensor& want, double tol, const std::string& what) {
  ASSERT_EQ(got.dims, want.dims) << what;
  double scale = 1e-6, worst = 0;
  for (int64_t i = 0; i < want.size(); ++i) scale = std::max(scale, std::abs(want.getDouble(i)));
  for (int64_t i = 0; i < want.size(); ++i) {
    const double e = std::abs(got.getDouble(i) - want.getDouble(i));
    if (!(e <= worst)) worst = e;
  }
  EXPECT_LE(worst, tol * scale) << what;
}

TEST(CudaRun, GpuMatchesFloat64Evaluator) {
  if (const std::string why = cuda::cudaUnavailableReason(); !why.empty()) GTEST_SKIP() << why;
  const std::vector<std::pair<std::string, std::function<void(GraphBuilder&)>>> graphs = {
      {"conv_relu_pool", convGraph},
      {"bn_training",
       [](GraphBuilder& b) {
         BatchNormAttrs a;
         a.trainingMode = true;
         Node* n = b.node(OpKind::BatchNormalization, "bn",
                          {b.input("x", dims({N, 3, 5, 5})), b.weights("s", {3}, 1), b.weights("t", {3}, 2),
                           b.weights("m", {3}, 3), b.constant("v", randomTensor({3}, 4, 0.5f, 2.0f))}, a, 3);
         for (Value* v : n->outputs) b.output(v);
       }},
      {"softmax",
       [](GraphBuilder& b) {
         b.output(b.op(OpKind::Softmax, "sm", {b.input("x", dims({N, 3, 7}))}, SoftmaxAttrs{-1, false}));
       }},
  };
  for (const auto& [name, build] : graphs)
    for (bool fuse : {true, false}) {
      GraphBuilder b;
      build(b);
      inferShapes(b.g);
      cuda::CudaOptions o;
      o.fuse = fuse;
      auto exe = cuda::compileCuda(b.g, o);
      for (int64_t n : {1, 3}) {
        const TensorMap in = inputsFor(b.g, n);
        const TensorMap want = evaluate(b.g, in, Precision::F64);
        const TensorMap got = exe->run(in);
        for (const Value* v : b.g.outputs)
          expectClose(got.at(v->name), want.at(v->name), 2e-5,
                      name + (fuse ? " fused" : " unfused") + " N=" + std::to_string(n) + " output " + v->name);
      }
    }
}

}  // namespace
}  // namespace kiln::test
