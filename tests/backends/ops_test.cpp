// The op suite: every op of ops.def (and attribute variants) through every registered backend
// (kiln/backends/backend.h) but the fp64 evaluator itself, compared with the float64 reference
// evaluator on random inputs, at two batch sizes for the symbolic "N", unfused at O0 and fused
// at O3. Every case runs twice: as a float32 model, and as a float64 model (inputs and weights
// float64 with values float32 cannot hold) that must match the reference to float64 precision.
#include <gtest/gtest.h>

#include <functional>

#include "cpu_test_util.h"
#include "graph_builder.h"
#include "kiln/backends/backend.h"
#include "kiln/eval/evaluator.h"
#include "kiln/ir/shape_inference.h"
#include "kiln/support/error.h"

namespace kiln::test {
namespace {

struct OpCase {
  std::string name;
  std::function<void(GraphBuilder&)> build;
  float lo = -1.0f, hi = 1.0f;  ///< range of the random inputs
};

void PrintTo(const OpCase& c, std::ostream* os) { *os << c.name; }

const Dim N = Dim::symbolic("N");

// ---- small graph helpers
Value* unaryOp(GraphBuilder& b, OpKind k, NodeAttrs a = {}) {
  Value* x = b.input("x", dims({N, 3, 5, 4}));
  return b.op(k, "op", {x}, a.index() == 0 ? defaultAttrs(k) : a);
}

ConvAttrs conv(std::vector<int64_t> strides, std::vector<int64_t> pads, std::vector<int64_t> dil,
               int64_t group = 1) {
  ConvAttrs a;
  a.strides = std::move(strides);
  a.pads = std::move(pads);
  a.dilations = std::move(dil);
  a.group = group;
  return a;
}

OpCase convCase(const std::string& name, std::vector<int64_t> xs, std::vector<int64_t> ws, ConvAttrs a,
                bool bias = true, bool transpose = false) {
  return {name, [=](GraphBuilder& b) {
            Shape s{N};
            for (int64_t d : xs) s.push_back(Dim::known(d));
            std::vector<Value*> in{b.input("x", s), b.weights("w", ws, 7)};
            const int64_t m = transpose ? ws[1] * a.group : ws[0];
            if (bias) in.push_back(b.weights("b", {m}, 8));
            b.output(b.op(transpose ? OpKind::ConvTranspose : OpKind::Conv, "conv", in, a));
          }};
}

OpCase gemmCase(const std::string& name, bool ta, bool tb, float alpha, float beta,
                std::vector<int64_t> cShape) {
  return {name, [=](GraphBuilder& b) {
            GemmAttrs a{alpha, beta, ta, tb};
            Value* x = b.input("x", ta ? dims({6, N}) : dims({N, 6}));
            std::vector<Value*> in{x, b.weights("w", tb ? std::vector<int64_t>{5, 6} : std::vector<int64_t>{6, 5}, 3)};
            if (!cShape.empty()) in.push_back(b.weights("c", cShape, 4));
            b.output(b.op(OpKind::Gemm, "gemm", in, a));
          }};
}

OpCase poolCase(const std::string& name, OpKind k, std::vector<int64_t> xs, PoolAttrs a) {
  return {name, [=](GraphBuilder& b) {
            Shape s{N};
            for (int64_t d : xs) s.push_back(Dim::known(d));
            b.output(b.op(k, "pool", {b.input("x", s)}, a));
          }};
}

PoolAttrs pool(std::vector<int64_t> k, std::vector<int64_t> s, std::vector<int64_t> p, bool ceil = false,
               bool includePad = false) {
  PoolAttrs a;
  a.kernelShape = std::move(k);
  a.strides = std::move(s);
  a.pads = std::move(p);
  a.ceilMode = ceil;
  a.countIncludePad = includePad;
  return a;
}

OpCase unaryCase(const std::string& name, OpKind k, NodeAttrs a = {}, float lo = -1, float hi = 1) {
  return {name, [=](GraphBuilder& b) { b.output(unaryOp(b, k, a)); }, lo, hi};
}

OpCase binaryCase(const std::string& name, OpKind k, Shape bShape, float lo = -1, float hi = 1) {
  return {name, [=](GraphBuilder& b) {
            b.output(b.op(k, "op", {b.input("a", dims({N, 3, 4, 5})), b.input("b", bShape)}));
          }, lo, hi};
}

OpCase bnTrainingCase(const std::string& name, BatchNormTrainingAttrs a, Shape xs, bool running) {
  return {name, [=](GraphBuilder& b) {
            const int64_t c = a.wholeTensor ? 1 : xs[a.axis].value;
            std::vector<Value*> in{b.input("x", xs), b.weights("scale", {c}, 2), b.weights("bias", {c}, 3)};
            if (running) in.push_back(b.weights("rm", {c}, 4)), in.push_back(b.weights("rv", {c}, 5, 0.5, 1.5));
            Node* n = b.node(OpKind::BatchNormTraining, "bnt", in, a, running ? 3 : 1);
            for (Value* v : n->outputs) b.output(v);
          }};
}

std::vector<OpCase> cases() {
  std::vector<OpCase> c;
  // Conv: strides, pads, dilations, groups, 1-D and 2-D, with and without bias.
  c.push_back(convCase("conv2d", {3, 7, 6}, {4, 3, 3, 3}, conv({1, 1}, {0, 0, 0, 0}, {1, 1})));
  c.push_back(convCase("conv2d_stride_pad", {3, 8, 7}, {5, 3, 3, 3}, conv({2, 2}, {1, 1, 1, 1}, {1, 1})));
  c.push_back(convCase("conv2d_asym_pad_dil", {2, 9, 8}, {3, 2, 3, 2}, conv({1, 2}, {2, 0, 1, 1}, {2, 1}), false));
  c.push_back(convCase("conv2d_groups", {4, 6, 6}, {6, 2, 3, 3}, conv({1, 1}, {1, 1, 1, 1}, {1, 1}, 2)));
  c.push_back(convCase("conv2d_depthwise", {3, 6, 5}, {3, 1, 3, 3}, conv({1, 1}, {1, 1, 1, 1}, {1, 1}, 3)));
  c.push_back(convCase("conv1d", {3, 11}, {4, 3, 3}, conv({2}, {1, 2}, {2})));
  c.push_back(convCase("convT2d", {4, 4, 5}, {4, 3, 3, 3}, conv({2, 2}, {1, 1, 1, 1}, {1, 1}), true, true));
  c.push_back(convCase("convT2d_groups_dil", {4, 3, 4}, {4, 2, 2, 3}, conv({1, 2}, {0, 1, 0, 0}, {2, 1}, 2), true, true));
  c.push_back(convCase("convT1d_nobias", {2, 5}, {2, 3, 4}, conv({3}, {1, 1}, {1}), false, true));
  {
    ConvAttrs a = conv({2, 2}, {1, 1, 1, 1}, {1, 1});
    a.outputPadding = {1, 1};
    c.push_back(convCase("convT2d_outpad", {3, 4, 4}, {3, 2, 3, 3}, a, true, true));
  }
  // Gemm / MatMul.
  c.push_back(gemmCase("gemm", false, false, 1, 1, {5}));
  c.push_back(gemmCase("gemm_transA_transB", true, true, 0.5f, 2.0f, {1, 5}));
  c.push_back(gemmCase("gemm_transB_noC", false, true, 1.5f, 1, {}));
  c.push_back(gemmCase("gemm_C_scalar", false, false, 1, 0.25f, {1}));
  c.push_back({"matmul_2d", [](GraphBuilder& b) {
                 b.output(b.op(OpKind::MatMul, "mm", {b.input("x", dims({N, 7})), b.weights("w", {7, 4}, 1)}));
               }});
  c.push_back({"matmul_batched", [](GraphBuilder& b) {
                 b.output(b.op(OpKind::MatMul, "mm", {b.input("x", dims({N, 3, 4, 6})), b.weights("w", {3, 6, 5}, 1)}));
               }});
  c.push_back({"matmul_vec", [](GraphBuilder& b) {
                 b.output(b.op(OpKind::MatMul, "mm", {b.weights("v", {6}, 2), b.input("x", dims({N, 6, 3}))}));
               }});
  // Pools.
  c.push_back(poolCase("maxpool", OpKind::MaxPool, {3, 8, 8}, pool({2, 2}, {2, 2}, {0, 0, 0, 0})));
  c.push_back(poolCase("maxpool_pad_ceil", OpKind::MaxPool, {2, 7, 6}, pool({3, 3}, {2, 2}, {1, 1, 1, 1}, true)));
  c.push_back(poolCase("avgpool_pad", OpKind::AveragePool, {2, 7, 7}, pool({3, 3}, {2, 2}, {1, 1, 1, 1})));
  c.push_back(poolCase("avgpool_include_pad", OpKind::AveragePool, {2, 7, 7}, pool({3, 3}, {2, 2}, {1, 1, 1, 1}, false, true)));
  c.push_back(poolCase("avgpool_ceil", OpKind::AveragePool, {2, 6, 7}, pool({3, 2}, {2, 2}, {0, 1, 0, 0}, true)));
  c.push_back(poolCase("avgpool1d_ceil_include", OpKind::AveragePool, {2, 10}, pool({3}, {2}, {1, 1}, true, true)));
  c.push_back(unaryCase("globalavgpool", OpKind::GlobalAveragePool));
  // Normalisation.
  c.push_back({"batchnorm_eval", [](GraphBuilder& b) {
                 BatchNormAttrs a;
                 b.output(b.op(OpKind::BatchNormalization, "bn",
                               {b.input("x", dims({N, 3, 4, 4})), b.weights("s", {3}, 1), b.weights("b", {3}, 2),
                                b.weights("m", {3}, 3), b.weights("v", {3}, 4, 0.5, 2.0)}, a));
               }});
  c.push_back({"batchnorm_training", [](GraphBuilder& b) {
                 BatchNormAttrs a;
                 a.trainingMode = true;
                 Node* n = b.node(OpKind::BatchNormalization, "bn",
                                  {b.input("x", dims({N, 3, 4, 4})), b.weights("s", {3}, 1), b.weights("b", {3}, 2),
                                   b.weights("m", {3}, 3), b.weights("v", {3}, 4, 0.5, 2.0)}, a, 3);
                 for (Value* v : n->outputs) b.output(v);
               }});
  {
    BatchNormTrainingAttrs a;
    c.push_back(bnTrainingCase("bntraining", a, dims({N, 4, 3, 3}), true));
    a.unbiasedVar = a.unbiasedRunningVar = true;
    a.activation.kind = Activation::Relu;
    c.push_back(bnTrainingCase("bntraining_unbiased_relu", a, dims({N, 5}), true));
    a = {};
    a.wholeTensor = true;
    a.activation = {Activation::Clip, -0.5f, 0.7f};
    c.push_back(bnTrainingCase("bntraining_whole_clip", a, dims({N, 6}), false));
    a = {};
    a.axis = 2;
    a.activation.kind = Activation::Sigmoid;
    c.push_back(bnTrainingCase("bntraining_axis2_sigmoid", a, dims({N, 3, 4}), true));
  }
  c.push_back({"instancenorm", [](GraphBuilder& b) {
                 b.output(b.op(OpKind::InstanceNormalization, "in",
                               {b.input("x", dims({N, 3, 4, 5})), b.weights("s", {3}, 1), b.weights("b", {3}, 2)},
                               InstanceNormAttrs{1e-3}));
               }});
  c.push_back({"lrn", [](GraphBuilder& b) {
                 b.output(b.op(OpKind::LRN, "lrn", {b.input("x", dims({N, 5, 3, 2}))}, LrnAttrs{0.02f, 0.75f, 2.0f, 3}));
               }});
  c.push_back({"lrn_even_size", [](GraphBuilder& b) {
                 b.output(b.op(OpKind::LRN, "lrn", {b.input("x", dims({N, 6, 4}))}, LrnAttrs{0.1f, 0.5f, 1.0f, 4}));
               }});
  c.push_back({"scaleshift", [](GraphBuilder& b) {
                 ScaleShiftAttrs a;
                 b.output(b.op(OpKind::ScaleShift, "ss", {b.input("x", dims({N, 3, 2, 2})), b.weights("s", {3}, 1),
                                                           b.weights("t", {3}, 2)}, a));
               }});
  // Elementwise.
  c.push_back(binaryCase("add_bcast", OpKind::Add, dims({3, 1, 1})));
  c.push_back(binaryCase("sub_bcast", OpKind::Sub, dims({N, 1, 4, 1})));
  c.push_back(binaryCase("mul_bcast", OpKind::Mul, dims({5})));
  c.push_back(binaryCase("div", OpKind::Div, dims({N, 3, 4, 5}), 0.5f, 2.0f));
  c.push_back(binaryCase("pow", OpKind::Pow, dims({1, 3, 1, 1}), 0.5f, 2.0f));
  c.push_back(unaryCase("relu", OpKind::Relu));
  c.push_back(unaryCase("leakyrelu", OpKind::LeakyRelu, AlphaAttrs{0.2f}));
  c.push_back(unaryCase("sigmoid", OpKind::Sigmoid, {}, -6, 6));
  c.push_back(unaryCase("tanh", OpKind::Tanh, {}, -3, 3));
  c.push_back(unaryCase("sqrt", OpKind::Sqrt, {}, 0.1f, 4));
  c.push_back(unaryCase("neg", OpKind::Neg));
  c.push_back(unaryCase("exp", OpKind::Exp, {}, -3, 3));
  c.push_back(unaryCase("log", OpKind::Log, {}, 0.1f, 4));
  c.push_back(unaryCase("abs", OpKind::Abs));
  c.push_back(unaryCase("reciprocal", OpKind::Reciprocal, {}, 0.5f, 2));
  c.push_back(unaryCase("elu", OpKind::Elu, AlphaAttrs{0.7f}, -3, 3));
  c.push_back(unaryCase("selu", OpKind::Selu, SeluAttrs{}, -3, 3));
  c.push_back(unaryCase("softplus", OpKind::Softplus, {}, -5, 5));
  c.push_back(unaryCase("hardsigmoid", OpKind::HardSigmoid, AlphaBetaAttrs{0.3f, 0.4f}, -4, 4));
  c.push_back(unaryCase("hardswish", OpKind::HardSwish, {}, -5, 5));
  c.push_back(unaryCase("sign", OpKind::Sign, {}, -2, 2));
  c.push_back({"prelu_channel_slope", [](GraphBuilder& b) {
                 b.output(b.op(OpKind::PRelu, "prelu", {b.input("x", dims({N, 3, 4, 5})), b.weights("s", {3, 1, 1}, 5)}));
               }});
  for (OpKind k : {OpKind::Sum, OpKind::Max, OpKind::Min})
    c.push_back({std::string(opName(k)) + "_3_bcast", [k](GraphBuilder& b) {
                   b.output(b.op(k, "op", {b.input("a", dims({N, 1, 5})), b.input("b", dims({4, 1})),
                                           b.weights("w", {1, 4, 5}, 6)}));
                 }});
  c.push_back({"max_min_int64", [](GraphBuilder& b) {
                 Value* x = b.op(OpKind::Cast, "toint", {b.op(OpKind::Mul, "scale", {b.input("a", dims({N, 6})), b.scalar("k", 10)})},
                                 CastAttrs{DType::I64});
                 Value* y = b.ints("b", {-3, 0, 5, -8, 2, 1});
                 b.output(b.op(OpKind::Max, "max", {x, y}));
                 b.output(b.op(OpKind::Min, "min", {x, y, b.ints("c", {2})}));
               }});
  c.push_back({"clip_chain", [](GraphBuilder& b) {
                 Value* x = b.input("x", dims({N, 7}));
                 Value* y = b.op(OpKind::Clip, "clip", {x, b.scalar("lo", -0.3),
                                                          b.scalar("hi", 0.4)});
                 b.output(b.op(OpKind::Relu, "relu", {b.op(OpKind::Exp, "exp", {y})}));
               }});
  // Softmax, ReduceMean.
  c.push_back(unaryCase("softmax_last", OpKind::Softmax, SoftmaxAttrs{-1, false}, -3, 3));
  c.push_back(unaryCase("softmax_axis1", OpKind::Softmax, SoftmaxAttrs{1, false}, -3, 3));
  c.push_back(unaryCase("softmax_legacy", OpKind::Softmax, SoftmaxAttrs{1, true}, -3, 3));
  for (bool keep : {true, false})
    c.push_back({std::string("reducemean_hw") + (keep ? "_keep" : ""), [keep](GraphBuilder& b) {
                   ReduceAttrs a;
                   a.keepDims = keep;
                   b.output(b.op(OpKind::ReduceMean, "rm", {b.input("x", dims({N, 3, 4, 5})), b.ints("axes", {2, -1})}, a));
                 }});
  c.push_back({"reducemean_all", [](GraphBuilder& b) {
                 b.output(b.op(OpKind::ReduceMean, "rm", {b.input("x", dims({N, 3, 4}))}, ReduceAttrs{}));
               }});
  for (bool keep : {true, false})
    c.push_back({std::string("reducesum_c_w") + (keep ? "_keep" : ""), [keep](GraphBuilder& b) {
                   ReduceAttrs a;
                   a.keepDims = keep;
                   b.output(b.op(OpKind::ReduceSum, "rs", {b.input("x", dims({N, 3, 4, 5})), b.ints("axes", {1, -1})}, a));
                 }});
  c.push_back({"reducesum_all_int64", [](GraphBuilder& b) {
                 Value* x = b.op(OpKind::Cast, "toint", {b.op(OpKind::Mul, "scale", {b.input("x", dims({N, 3, 4})), b.scalar("k", 10)})},
                                 CastAttrs{DType::I64});
                 b.output(b.op(OpKind::ReduceSum, "rs", {x}, ReduceAttrs{}));
               }});
  c.push_back({"reducesum_noop_empty_axes", [](GraphBuilder& b) {
                 ReduceAttrs a;
                 a.noopWithEmptyAxes = true;
                 b.output(b.op(OpKind::ReduceSum, "rs", {b.input("x", dims({N, 3})), b.ints("axes", {})}, a));
               }});
  c.push_back(unaryCase("logsoftmax_last", OpKind::LogSoftmax, SoftmaxAttrs{-1, false}, -3, 3));
  c.push_back(unaryCase("logsoftmax_axis1", OpKind::LogSoftmax, SoftmaxAttrs{1, false}, -3, 3));
  c.push_back(unaryCase("logsoftmax_legacy", OpKind::LogSoftmax, SoftmaxAttrs{1, true}, -3, 3));
  // Data movement and shape ops.
  c.push_back({"expand", [](GraphBuilder& b) {
                 b.output(b.op(OpKind::Expand, "ex", {b.input("x", dims({N, 3, 1})), b.ints("shape", {2, 1, 1, 4})}));
               }});
  c.push_back({"expand_to_input_shape", [](GraphBuilder& b) {
                 Value* y = b.input("y", dims({N, 3, 4}));
                 Value* s = b.op(OpKind::Shape, "shape", {y}, ShapeAttrs{});
                 b.output(b.op(OpKind::Add, "add", {b.op(OpKind::Expand, "ex", {b.weights("w", {3, 1}, 2), s}), y}));
               }});
  c.push_back({"tile", [](GraphBuilder& b) {
                 b.output(b.op(OpKind::Tile, "tile", {b.input("x", dims({N, 2, 3})), b.ints("r", {1, 3, 2})}));
               }});
  c.push_back({"constantofshape_from_shape", [](GraphBuilder& b) {
                 Value* x = b.input("x", dims({N, 3}));
                 ConstantOfShapeAttrs a;
                 a.value = 0.25;
                 Value* k = b.op(OpKind::ConstantOfShape, "cos", {b.op(OpKind::Shape, "shape", {x}, ShapeAttrs{})}, a);
                 b.output(b.op(OpKind::Mul, "mul", {x, b.op(OpKind::Cast, "cast", {k}, CastAttrs{b.real})}));
               }});
  c.push_back({"slice_steps", [](GraphBuilder& b) {
                 Value* x = b.input("x", dims({N, 6, 7}));
                 b.output(b.op(OpKind::Slice, "sl", {x, b.ints("st", {5, 1}), b.ints("en", {-100, 100}), b.ints("ax", {1, -1}),
                                                     b.ints("sp", {-2, 3})}));
                 b.output(b.op(OpKind::Slice, "sl2", {x, b.ints("st2", {0, -3}), b.ints("en2", {INT64_MAX, -1})}));
               }});
  c.push_back({"split_sizes_and_equal", [](GraphBuilder& b) {
                 Value* x = b.input("x", dims({N, 5, 4}));
                 Node* s = b.node(OpKind::Split, "split", {x, b.ints("sizes", {2, 3})}, SplitAttrs{1, 0}, 2);
                 for (Value* v : s->outputs) b.output(v);
                 Node* e = b.node(OpKind::Split, "split2", {x}, SplitAttrs{-2, 3}, 3);
                 for (Value* v : e->outputs) b.output(v);
               }});
  c.push_back(unaryCase("transpose", OpKind::Transpose, TransposeAttrs{{0, 2, 3, 1}}));
  for (PadMode m : {PadMode::Constant, PadMode::Reflect, PadMode::Edge, PadMode::Wrap})
    c.push_back({"pad_mode" + std::to_string(static_cast<int>(m)), [m](GraphBuilder& b) {
                   std::vector<Value*> in{b.input("x", dims({N, 2, 4, 5})), b.ints("pads", {0, 0, 1, 2, 0, 1, 2, -1})};
                   if (m == PadMode::Constant) in.push_back(b.scalar("cv", 0.5));
                   b.output(b.op(OpKind::Pad, "pad", in, PadAttrs{m}));
                 }});
  c.push_back({"concat", [](GraphBuilder& b) {
                 b.output(b.op(OpKind::Concat, "cat", {b.input("x", dims({N, 2, 3})), b.input("y", dims({N, 4, 3}))}, AxisAttrs{1}));
               }});
  c.push_back({"concat_const_axis0", [](GraphBuilder& b) {
                 b.output(b.op(OpKind::Concat, "cat", {b.input("x", dims({N, 3})), b.weights("w", {2, 3}, 3)}, AxisAttrs{0}));
               }});
  c.push_back({"gather", [](GraphBuilder& b) {
                 b.output(b.op(OpKind::Gather, "g", {b.input("x", dims({N, 5, 3})), b.ints("i", {4, -1, 0, 2})}, AxisAttrs{1}));
               }});
  c.push_back({"flatten_reshape_squeeze", [](GraphBuilder& b) {
                 Value* x = b.input("x", dims({N, 3, 4, 2}));
                 Value* f = b.op(OpKind::Flatten, "flat", {x}, AxisAttrs{1});
                 Value* r = b.op(OpKind::Reshape, "resh", {f, b.ints("shape", {0, 4, -1})}, ReshapeAttrs{});
                 Value* u = b.op(OpKind::Unsqueeze, "unsq", {r, b.ints("axes", {1})});
                 Value* s = b.op(OpKind::Squeeze, "sq", {u, b.ints("axes2", {1})});
                 b.output(b.op(OpKind::Relu, "relu", {s}));
               }});
  c.push_back({"identity_dropout_output", [](GraphBuilder& b) {
                 Value* x = b.input("x", dims({N, 3}));
                 b.output(b.op(OpKind::Identity, "id", {x}));
                 b.output(b.op(OpKind::Dropout, "drop", {b.op(OpKind::Neg, "neg", {x})}));
               }});
  c.push_back({"shape_cast", [](GraphBuilder& b) {
                 Value* x = b.input("x", dims({N, 3, 2}));
                 b.output(b.op(OpKind::Shape, "shape", {x}, ShapeAttrs{}));
                 Value* i = b.op(OpKind::Cast, "toint", {b.op(OpKind::Mul, "scale", {x, b.scalar("k", 10)})},
                                 CastAttrs{DType::I64});
                 b.output(b.op(OpKind::Cast, "tofloat", {i}, CastAttrs{DType::F32}));
               }});
  // Fusion: conv -> scaleshift -> relu -> residual add, with a second consumer.
  c.push_back({"fused_conv_epilogue", [](GraphBuilder& b) {
                 Value* x = b.input("x", dims({N, 3, 6, 6}));
                 Value* y = b.op(OpKind::Conv, "conv", {x, b.weights("w", {3, 3, 3, 3}, 1), b.weights("b", {3}, 2)},
                                 conv({1, 1}, {1, 1, 1, 1}, {1, 1}));
                 Value* s = b.op(OpKind::ScaleShift, "ss", {y, b.weights("s", {3}, 3), b.weights("t", {3}, 4)}, ScaleShiftAttrs{});
                 Value* r = b.op(OpKind::Relu, "relu", {s});
                 b.output(b.op(OpKind::Add, "res", {r, x}));
                 b.output(b.op(OpKind::MaxPool, "pool", {r}, pool({2, 2}, {2, 2}, {0, 0, 0, 0})));
               }});
  return c;
}

/// Every registered backend but the fp64 reference the others are compared with.
std::vector<std::string> backendsUnderTest() {
  std::vector<std::string> names;
  for (const backend::Backend* be : backend::registeredBackends())
    if (be->name() != "ref64") names.emplace_back(be->name());
  return names;
}

class Ops : public testing::TestWithParam<std::tuple<OpCase, std::string, DType>> {};

TEST_P(Ops, MatchFloat64Reference) {
  const auto& [oc, backendName, real] = GetParam();
  const backend::Backend* be = backend::findBackend(backendName);
  ASSERT_NE(be, nullptr) << backendName;
  GraphBuilder b;
  b.real = real;
  oc.build(b);
  // float32 models: within float32 rounding of the reference; float64 models: within float64
  // rounding (float32 arithmetic anywhere would miss by ~1e-7).
  const double tolerance = real == DType::F64 ? 1e-12 : 2e-5;
  inferShapes(b.g);
  // A backend that cannot run here (CUDA without a driver or device) still compiles both plans.
  const std::string unavailable = be->unavailableReason();
  for (int opt : {0, 3}) {
    backend::CompileOptions options;
    options.optLevel = opt;
    options.fuse = opt != 0;  // O0 runs the unfused plan
    options.parallelGrainWork = 1;  // split every kernel so the 3-thread runs use the pool
    auto model = be->compile(b.g, options);
    if (!unavailable.empty()) continue;
    for (int64_t n : {2, 3}) {
      TensorMap in;
      uint32_t seed = 11;
      for (Value* v : b.g.inputs) {
        std::vector<int64_t> d;
        for (const Dim& x : v->shape) d.push_back(x.isKnown() ? x.value : n);
        in[v->name] = v->dtype == DType::F32 || v->dtype == DType::F64 ? randomReal(d, seed++, oc.lo, oc.hi, v->dtype)
                                                                       : randomTensor(d, seed++, oc.lo, oc.hi);
      }
      const TensorMap want = evaluate(b.g, in, Precision::F64);
      const TensorMap got = model->run(in, n == 3 ? 3 : 1);
      for (const Value* o : b.g.outputs)
        expectClose(got.at(o->name), want.at(o->name), tolerance,
                    oc.name + " (" + dtypeName(real) + ") on " + backendName + " O" + std::to_string(opt) + " N=" + std::to_string(n) +
                        " output " + o->name);
    }
  }
  if (!unavailable.empty()) GTEST_SKIP() << "compiled, not run: " << unavailable;
}

INSTANTIATE_TEST_SUITE_P(All, Ops,
                         testing::Combine(testing::ValuesIn(cases()), testing::ValuesIn(backendsUnderTest()),
                                          testing::Values(DType::F32, DType::F64)),
                         [](const auto& info) {
                           return std::get<1>(info.param) + (std::get<2>(info.param) == DType::F64 ? "_f64_" : "_") +
                                  std::get<0>(info.param).name;
                         });

}  // namespace
}  // namespace kiln::test
