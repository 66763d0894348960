// The CUDA backend's generated source, structurally: what fusion and the kernel forms make of
// a few graphs (one __global__ per fused kernel, the epilogue inside it, fp64 statistics, range
// checks on the device), and NVRTC failures reported with the model, the kernel and the log.
#include <gtest/gtest.h>

#include "graph_builder.h"
#include "kiln/backends/cuda/cuda_backend.h"
#include "kiln/ir/shape_inference.h"
#include "kiln/passes/pipeline.h"

namespace kiln::test {
namespace {

const Dim N = Dim::symbolic("N");

int count(const std::string& s, const std::string& part) {
  int n = 0;
  for (size_t at = s.find(part); at != std::string::npos; at = s.find(part, at + 1)) ++n;
  return n;
}

/// The kernels of a generated source (past the header comment and the helpers).
std::string kernelsOf(const cuda::CudaSource& s) {
  const size_t at = s.source.find("extern \"C\"");
  return at == std::string::npos ? "" : s.source.substr(at);
}

/// The source of `b`'s graph after the pass pipeline (BatchNorm folded), checked by NVRTC.
cuda::CudaSource generate(GraphBuilder& b, bool fold = true) {
  inferShapes(b.g);
  PassOptions opts;
  opts.foldBatchNorm = fold;
  PassReport report;
  runPipeline(b.g, opts, report);
  cuda::CudaSource s = cuda::generateSource(b.g);
  EXPECT_NO_THROW(cuda::nvrtcCompile(s.source, s.name, cuda::kPtxArch)) << s.source;
  return s;
}

ConvAttrs conv3x3() {
  ConvAttrs a;
  a.strides = {1, 1};
  a.pads = {1, 1, 1, 1};
  a.dilations = {1, 1};
  return a;
}

TEST(CudaSource, ConvBatchNormReluIsOneKernelWithMaxInItsEpilogue) {
  GraphBuilder b;
  Value* x = b.input("x", dims({N, 3, 8, 8}));
  Value* y = b.op(OpKind::Conv, "conv", {x, b.weights("w", {4, 3, 3, 3}, 1), b.weights("bias", {4}, 2)}, conv3x3());
  Value* z = b.op(OpKind::BatchNormalization, "bn",
                  {y, b.weights("s", {4}, 3), b.weights("t", {4}, 4), b.weights("m", {4}, 5),
                   b.constant("v", randomTensor({4}, 6, 0.5f, 2.0f))},
                  BatchNormAttrs{});
  b.output(b.op(OpKind::Relu, "relu", {z}));
  const cuda::CudaSource s = generate(b);
  ASSERT_EQ(s.kernels.size(), 1u) << s.source;
  const std::string k = kernelsOf(s);
  EXPECT_EQ(count(k, "__global__ void"), 1) << s.source;
  EXPECT_EQ(count(k, "kiln_maxf("), 1) << "the Relu, once, in the conv's epilogue\n" << s.source;
  EXPECT_GT(k.find("kiln_maxf("), k.find(" += ")) << "after the reduction\n" << s.source;
  EXPECT_EQ(k.find("double"), std::string::npos) << "no fp64 in an inference conv\n" << s.source;
}

TEST(CudaSource, ElementwiseChainIsOneKernel) {
  GraphBuilder b;
  Value* x = b.input("x", dims({N, 7}));
  Value* e = b.op(OpKind::Exp, "exp", {x});
  Value* n = b.op(OpKind::Neg, "neg", {e});
  Value* a = b.op(OpKind::Add, "add", {n, b.input("y", dims({N, 7}))});
  b.output(b.op(OpKind::Sigmoid, "sig", {a}));
  const cuda::CudaSource s = generate(b);
  ASSERT_EQ(s.kernels.size(), 1u) << s.source;
  for (const char* part : {"expf(", "kiln_sigmoid(", "kiln_i < "})
    EXPECT_NE(s.source.find(part), std::string::npos) << part << "\n" << s.source;
}

TEST(CudaSource, TrainingBatchNormSumsInDoublePerPartial) {
  GraphBuilder b;
  BatchNormAttrs a;
  a.trainingMode = true;
  Value* x = b.input("x", dims({N, 3, 4, 4}));
  Value* y = b.op(OpKind::Conv, "conv", {x, b.weights("w", {5, 3, 3, 3}, 1)}, conv3x3());
  Node* bn = b.node(OpKind::BatchNormalization, "bn",
                    {y, b.weights("s", {5}, 2), b.weights("t", {5}, 3), b.weights("m", {5}, 4),
                     b.constant("v", randomTensor({5}, 5, 0.5f, 2.0f))}, a, 3);
  for (Value* v : bn->outputs) b.output(v);
  const cuda::CudaSource s = generate(b, false);
  // The statistics partials: each clears and fills its own fp64 slots, no atomics.
  EXPECT_NE(s.source.find("double* const kiln_slot"), std::string::npos) << s.source;
  EXPECT_NE(s.source.find("const double x"), std::string::npos) << s.source;
  EXPECT_EQ(s.source.find("atomicAdd"), std::string::npos) << s.source;
  // Finalize: partials added in order, M2 = max(S2 - S1 * mean, 0) rounded step by step.
  EXPECT_NE(s.source.find("fmax(__dsub_rn(kiln_s2, __dmul_rn(kiln_s1, kiln_mean)), 0.0)"), std::string::npos) << s.source;
  EXPECT_NE(s.source.find("kiln_s1 / kiln_count"), std::string::npos) << s.source;
}

TEST(CudaSource, GatherIndicesAreCheckedOnTheDevice) {
  GraphBuilder b;
  Value* idx = b.input("i", dims({4}), DType::I64);
  b.output(b.op(OpKind::Gather, "g", {b.input("x", dims({N, 5, 3})), idx}, AxisAttrs{1}));
  const cuda::CudaSource s = generate(b);
  ASSERT_GE(s.kernels.size(), 2u) << s.source;
  EXPECT_NE(s.kernels.front().find("_check0"), std::string::npos) << "the check runs first\n" << s.source;
  EXPECT_NE(s.source.find("atomicCAS(kiln_err, 0u, 1u)"), std::string::npos) << s.source;
  EXPECT_NE(s.source.find("if (*kiln_err != 0u) return;"), std::string::npos) << s.source;
}

TEST(CudaSource, HeaderDescribesTheLaunchPlan) {
  GraphBuilder b;
  b.output(b.op(OpKind::Relu, "relu", {b.input("x", dims({N, 3}))}));
  const cuda::CudaSource s = generate(b);
  EXPECT_NE(s.source.find("// launch plan"), std::string::npos) << s.source;
  EXPECT_NE(s.source.find("s0=N"), std::string::npos) << s.source;
  EXPECT_NE(s.source.find(s.kernels.at(0) + ": threads"), std::string::npos) << s.source;
  EXPECT_NE(s.source.find("const i64 s0"), std::string::npos) << "symbols are kernel parameters\n" << s.source;
}

TEST(CudaSource, SeveralSymbolsThroughEveryKernelForm) {
  // Symbol parameters s0, s1 next to the kernels' own names (statistics, pools, reductions).
  const Dim L = Dim::symbolic("L");
  GraphBuilder b;
  BatchNormAttrs a;
  a.trainingMode = true;
  Value* x = b.input("x", dims({N, 3, L}));
  Node* bn = b.node(OpKind::BatchNormalization, "bn",
                    {b.op(OpKind::Relu, "relu", {x}), b.weights("s", {3}, 2), b.weights("t", {3}, 3),
                     b.weights("m", {3}, 4), b.constant("v", randomTensor({3}, 5, 0.5f, 2.0f))}, a, 3);
  for (Value* v : bn->outputs) b.output(v);
  ReduceAttrs r;
  r.keepDims = false;
  b.output(b.op(OpKind::ReduceMean, "rm", {x, b.ints("axes", {2})}, r));
  const cuda::CudaSource s = generate(b, false);
  EXPECT_NE(s.source.find("s0=N s1=L"), std::string::npos) << s.source;
  EXPECT_NE(s.source.find("const i64 s1"), std::string::npos) << s.source;
}

TEST(CudaSource, NoFastMathInThePtx) {
  GraphBuilder b;
  Value* x = b.input("x", dims({N, 3}));
  b.output(b.op(OpKind::Div, "div", {b.op(OpKind::Sqrt, "sqrt", {x}), b.input("y", dims({N, 3}))}));
  const cuda::CudaSource s = generate(b);
  const std::string ptx = cuda::nvrtcCompile(s.source, s.name, cuda::kPtxArch);
  EXPECT_NE(ptx.find("div.rn.f32"), std::string::npos) << "IEEE division\n" << ptx;
  EXPECT_NE(ptx.find("sqrt.rn.f32"), std::string::npos) << "IEEE square root\n" << ptx;
  EXPECT_EQ(ptx.find(".ftz"), std::string::npos) << "no flush-to-zero\n" << ptx;
  EXPECT_EQ(ptx.find(".approx"), std::string::npos) << ptx;
}

TEST(CudaSource, GemmKernelsAreSharedMemoryTilesUnlessDisabled) {
  GraphBuilder b;
  GemmAttrs a{1.0f, 1.0f, false, true};
  Value* g = b.op(OpKind::Gemm, "fc", {b.input("x", dims({N, 40})), b.weights("w", {24, 40}, 1), b.weights("c", {24}, 2)}, a);
  b.output(b.op(OpKind::Relu, "relu", {g}));
  inferShapes(b.g);
  const cuda::CudaSource tiled = cuda::generateSource(b.g);
  ASSERT_EQ(tiled.kernels.size(), 1u) << tiled.source;
  EXPECT_NE(tiled.source.find("(tiled GEMM 128x32x16)"), std::string::npos) << tiled.source;
  EXPECT_NE(tiled.source.find("__shared__ float kiln_as[16][128];"), std::string::npos) << tiled.source;
  EXPECT_NE(tiled.source.find("__syncthreads();"), std::string::npos) << tiled.source;
  const std::string k = kernelsOf(tiled);
  EXPECT_LT(k.find("(kiln_acc[i][j] + "), k.find("kiln_maxf(")) << "bias, then Relu, on the accumulators\n"
                                                                 << tiled.source;
  EXPECT_NO_THROW(cuda::nvrtcCompile(tiled.source, tiled.name, "sm_90"));
  cuda::CudaOptions o;
  o.tiledGemm = false;
  o.blockSize = 128;
  const cuda::CudaSource generic = cuda::generateSource(b.g, o);
  EXPECT_EQ(generic.source.find("__shared__"), std::string::npos) << generic.source;
  EXPECT_NE(generic.source.find("__launch_bounds__(128)"), std::string::npos) << generic.source;
  o.blockSize = 100;
  EXPECT_TRUE(mentions(errorMessage([&] { cuda::generateSource(b.g, o); }, ErrorCode::Unsupported), "multiple of 32"));
}

TEST(CudaSource, NvrtcErrorNamesModelKernelAndLog) {
  const std::string bad =
      "extern \"C\" __global__ void __launch_bounds__(256) k0_broken(float* b0) {\n  b0[0] = undefined_name;\n}\n";
  try {
    cuda::nvrtcCompile(bad, "my_model", cuda::kPtxArch);
    FAIL() << "NVRTC accepted a broken source";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Internal);
    const std::string m = e.what();
    EXPECT_TRUE(mentions(m, "model 'my_model'")) << m;
    EXPECT_TRUE(mentions(m, "compute_80")) << m;
    EXPECT_TRUE(mentions(m, "in kernel k0_broken")) << m;
    EXPECT_TRUE(mentions(m, "undefined_name")) << "the NVRTC log\n" << m;
  }
}

}  // namespace
}  // namespace kiln::test
