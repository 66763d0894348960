// The numbers of the generated kernels, without a GPU: every demo and variant model (BatchNorm
// folded and not) and a set of op graphs run through the host emulation (host_emulation.h) of
// the CUDA source and the backend's launch plan, compared with PyTorch's float64 outputs and
// with the float64 evaluator. It checks the emitter's semantics (indexing, padding guards,
// casts, integer ops, reductions, moments, tiles), not the device's arithmetic.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "cuda_test_util.h"
#include "graph_builder.h"
#include "host_emulation.h"
#include "model_cases.h"
#include "kiln/ir/shape_inference.h"
#include "kiln/support/npy.h"

namespace kiln::test {
namespace {

const Dim N = Dim::symbolic("N");

/// max|got - want| <= tol * max(max|want|, 1e-6); exact for integer outputs.
void expectClose(const Tensor& got, const Tensor& want, double tol, const std::string& what) {
  ASSERT_EQ(got.dims, want.dims) << what;
  double scale = 1e-6, worst = 0;
  int64_t at = 0;
  for (int64_t i = 0; i < want.size(); ++i) scale = std::max(scale, std::abs(want.getDouble(i)));
  for (int64_t i = 0; i < want.size(); ++i) {
    const double e = std::abs(got.getDouble(i) - want.getDouble(i));
    if (!(e <= worst)) worst = e, at = i;
  }
  if (!isFloat(want.dtype)) tol = 0;
  EXPECT_LE(worst, tol * scale) << what << ": worst at " << at << " got " << got.getDouble(at) << " want "
                                << want.getDouble(at);
}

class CudaEmulatedModels : public testing::TestWithParam<ModelCase> {};

TEST_P(CudaEmulatedModels, MatchPyTorchFloat64) {
  const ModelCase& mc = GetParam();
  const ModelReference ref = modelReference(mc.path);
  ASSERT_TRUE(ref.found) << ref.archive;
  auto g = importModel(mc.path, mc.fold);
  const TensorMap in{{g->inputs.at(0)->name, ref.input.castTo(g->inputs.at(0)->dtype)}};
  const TensorMap out = EmulatedModel(*g).run(in);
  ASSERT_TRUE(out.count(g->outputs.at(0)->name)) << mc.path;
  expectClose(out.at(g->outputs.at(0)->name), ref.output, 1e-4, mc.path);
}

INSTANTIATE_TEST_SUITE_P(All, CudaEmulatedModels, testing::ValuesIn(modelCases()), modelCaseName);

// ---- op graphs against the fp64 evaluator

struct OpGraph {
  std::string name;
  std::function<void(GraphBuilder&)> build;
  float lo = -1, hi = 1;
};

PoolAttrs pool(std::vector<int64_t> k, std::vector<int64_t> s, std::vector<int64_t> p, bool ceil, bool includePad) {
  PoolAttrs a;
  a.kernelShape = std::move(k);
  a.strides = std::move(s);
  a.pads = std::move(p);
  a.ceilMode = ceil;
  a.countIncludePad = includePad;
  return a;
}

ConvAttrs conv(std::vector<int64_t> s, std::vector<int64_t> p, std::vector<int64_t> d, int64_t group) {
  ConvAttrs a;
  a.strides = std::move(s);
  a.pads = std::move(p);
  a.dilations = std::move(d);
  a.group = group;
  return a;
}

std::vector<OpGraph> opGraphs() {
  std::vector<OpGraph> v;
  v.push_back({"conv_stride_pad_dil_relu", [](GraphBuilder& b) {
                 Value* y = b.op(OpKind::Conv, "c", {b.input("x", dims({N, 3, 9, 8})), b.weights("w", {5, 3, 3, 2}, 1),
                                                     b.weights("b", {5}, 2)}, conv({2, 1}, {1, 0, 2, 1}, {2, 1}, 1));
                 b.output(b.op(OpKind::Relu, "r", {y}));
               }});
  v.push_back({"conv_groups", [](GraphBuilder& b) {
                 b.output(b.op(OpKind::Conv, "c", {b.input("x", dims({N, 4, 6, 6})), b.weights("w", {6, 2, 3, 3}, 1)},
                               conv({1, 1}, {1, 1, 1, 1}, {1, 1}, 2)));
               }});
  v.push_back({"convT_outpad", [](GraphBuilder& b) {
                 ConvAttrs a = conv({2, 2}, {1, 1, 1, 1}, {1, 1}, 1);
                 a.outputPadding = {1, 1};
                 b.output(b.op(OpKind::ConvTranspose, "c", {b.input("x", dims({N, 3, 4, 4})), b.weights("w", {3, 2, 3, 3}, 1),
                                                            b.weights("b", {2}, 2)}, a));
               }});
  v.push_back({"gemm_transA_beta", [](GraphBuilder& b) {
                 GemmAttrs a{0.5f, 2.0f, true, false};
                 b.output(b.op(OpKind::Gemm, "g", {b.input("x", dims({70, N})), b.weights("w", {70, 37}, 1),
                                                   b.weights("c", {1, 37}, 2)}, a));
               }});
  v.push_back({"matmul_batched", [](GraphBuilder& b) {
                 b.output(b.op(OpKind::MatMul, "mm", {b.input("x", dims({N, 3, 4, 6})), b.weights("w", {3, 6, 5}, 1)}));
               }});
  v.push_back({"maxpool_ceil_avgpool_pad", [](GraphBuilder& b) {
                 Value* x = b.input("x", dims({N, 2, 7, 6}));
                 b.output(b.op(OpKind::MaxPool, "mp", {x}, pool({3, 3}, {2, 2}, {1, 1, 1, 1}, true, false)));
                 b.output(b.op(OpKind::AveragePool, "ap", {x}, pool({3, 2}, {2, 2}, {1, 0, 1, 1}, true, false)));
                 b.output(b.op(OpKind::GlobalAveragePool, "gap", {x}));
               }});
  v.push_back({"softmax_reducemean", [](GraphBuilder& b) {
                 Value* x = b.input("x", dims({N, 3, 5}));
                 b.output(b.op(OpKind::Softmax, "sm", {x}, SoftmaxAttrs{1, false}));
                 ReduceAttrs r;
                 b.output(b.op(OpKind::ReduceMean, "rm", {x, b.ints("axes", {0, 2})}, r));
               }, -3, 3});
  v.push_back({"bn_training_whole_and_axis", [](GraphBuilder& b) {
                 BatchNormTrainingAttrs a;
                 a.axis = 2;
                 a.unbiasedVar = true;
                 a.activation.kind = Activation::Sigmoid;
                 Node* n = b.node(OpKind::BatchNormTraining, "bnt", {b.input("x", dims({N, 3, 4})), b.weights("s", {4}, 2),
                                                                      b.weights("t", {4}, 3), b.weights("m", {4}, 4),
                                                                      b.constant("v", randomTensor({4}, 5, 0.5f, 1.5f))}, a, 3);
                 for (Value* o : n->outputs) b.output(o);
                 BatchNormAttrs t;
                 t.trainingMode = true;
                 Value* c = b.op(OpKind::Conv, "conv", {b.input("y", dims({N, 2, 5, 5})), b.weights("w", {3, 2, 3, 3}, 6)},
                                 conv({1, 1}, {1, 1, 1, 1}, {1, 1}, 1));
                 Node* bn = b.node(OpKind::BatchNormalization, "bn", {c, b.weights("s2", {3}, 7), b.weights("t2", {3}, 8),
                                                                      b.weights("m2", {3}, 9),
                                                                      b.constant("v2", randomTensor({3}, 10, 0.5f, 1.5f))}, t, 3);
                 for (Value* o : bn->outputs) b.output(o);
               }});
  v.push_back({"pads_concat_gather", [](GraphBuilder& b) {
                 Value* x = b.input("x", dims({N, 2, 4, 5}));
                 b.output(b.op(OpKind::Pad, "reflect", {x, b.ints("p1", {0, 0, 1, 2, 0, 1, 2, -1})}, PadAttrs{PadMode::Reflect}));
                 b.output(b.op(OpKind::Pad, "wrap", {x, b.ints("p2", {0, 0, 2, 1, 0, 0, 1, 3})}, PadAttrs{PadMode::Wrap}));
                 b.output(b.op(OpKind::Concat, "cat", {x, b.op(OpKind::Neg, "neg", {x})}, AxisAttrs{1}));
                 b.output(b.op(OpKind::Gather, "g", {x, b.ints("i", {4, -1, 0, 2, -5})}, AxisAttrs{3}));
               }});
  v.push_back({"casts_and_integers", [](GraphBuilder& b) {
                 Value* x = b.input("x", dims({N, 7}));
                 Value* k = b.op(OpKind::Mul, "scale", {x, b.constant("k", Tensor::fromFloats({10.f}, {}))});
                 Value* i = b.op(OpKind::Cast, "toint", {k}, CastAttrs{DType::I64});
                 b.output(i);
                 b.output(b.op(OpKind::Div, "idiv", {i, b.constant("d", Tensor::fromInts({3}, {}))}));
                 b.output(b.op(OpKind::Pow, "ipow", {i, b.constant("e", Tensor::fromInts({3}, {}))}));
                 b.output(b.op(OpKind::Cast, "tobool", {i}, CastAttrs{DType::Bool}));
                 b.output(b.op(OpKind::Cast, "tofloat", {i}, CastAttrs{DType::F32}));
                 b.output(b.op(OpKind::Shape, "shape", {x}, ShapeAttrs{}));
               }});
  v.push_back({"clip_leaky_tanh_chain", [](GraphBuilder& b) {
                 Value* x = b.input("x", dims({N, 3, 5}));
                 Value* c = b.op(OpKind::Clip, "clip", {x, b.constant("lo", Tensor::fromFloats({-0.3f}, {})),
                                                        b.constant("hi", Tensor::fromFloats({0.4f}, {}))});
                 Value* l = b.op(OpKind::LeakyRelu, "leaky", {b.op(OpKind::Exp, "exp", {c})}, AlphaAttrs{0.2f});
                 b.output(b.op(OpKind::Tanh, "tanh", {b.op(OpKind::Sub, "sub", {l, b.input("y", dims({3, 1}))})}));
                 b.output(b.op(OpKind::Sqrt, "sqrt", {b.op(OpKind::Abs, "abs", {x})}));
                 b.output(b.op(OpKind::Reciprocal, "rec", {b.op(OpKind::Log, "log", {b.op(OpKind::Exp, "e2", {x})})}));
               }, -2, 2});
  return v;
}

void PrintTo(const OpGraph& g, std::ostream* os) { *os << g.name; }

class CudaEmulatedOps : public testing::TestWithParam<OpGraph> {};

TEST_P(CudaEmulatedOps, MatchFloat64Evaluator) {
  const OpGraph& og = GetParam();
  GraphBuilder b;
  og.build(b);
  inferShapes(b.g);
  for (bool fuse : {true, false})
    for (bool tiled : {true, false}) {
      cuda::CudaOptions o;
      o.fuse = fuse;
      o.tiledGemm = tiled;
      EmulatedModel model(b.g, o);
      for (int64_t n : {1, 3}) {
        TensorMap in;
        uint32_t seed = 11;
        for (const Value* v : b.g.inputs) {
          std::vector<int64_t> d;
          for (const Dim& x : v->shape) d.push_back(x.isKnown() ? x.value : n);
          in[v->name] = randomTensor(d, seed++, og.lo, og.hi);
        }
        const TensorMap want = evaluate(b.g, in, Precision::F64);
        const TensorMap got = model.run(in);
        for (const Value* v : b.g.outputs) {
          const std::string what = og.name + (fuse ? " fused" : " unfused") + (tiled ? " tiled" : "") + " N=" +
                                   std::to_string(n) + " output " + v->name;
          ASSERT_TRUE(got.count(v->name)) << what;
          expectClose(got.at(v->name), want.at(v->name), 2e-5, what);
        }
      }
    }
}

INSTANTIATE_TEST_SUITE_P(All, CudaEmulatedOps, testing::ValuesIn(opGraphs()),
                         [](const testing::TestParamInfo<OpGraph>& info) { return info.param.name; });

}  // namespace
}  // namespace kiln::test
