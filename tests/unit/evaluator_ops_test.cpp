// Reference evaluator: integer dtypes (vs numpy, tests/data/eval/int_ops.npz) and the
// shape/data-movement ops whose expected results follow from their definition.
#include <gtest/gtest.h>

#include "eval_test_util.h"
#include "graph_builder.h"
#include "kiln/eval/evaluator.h"

namespace kiln {
namespace {

using test::expectEqualTensor;
using test::GraphBuilder;

/// Runs a one-node graph whose inputs are all run-time inputs ("in0", "in1", ...; nullptr =
/// absent) and returns output `which`.
Tensor runOp(OpKind kind, NodeAttrs attrs, const std::vector<const Tensor*>& inputs,
             Precision p = Precision::F32, int numOutputs = 1, int which = 0) {
  GraphBuilder b;
  TensorMap fed;
  std::vector<Value*> ins;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i]) {
      ins.push_back(nullptr);
      continue;
    }
    const std::string name = "in" + std::to_string(i);
    ins.push_back(b.input(name, shapeOf(inputs[i]->dims), inputs[i]->dtype));
    fed[name] = *inputs[i];
  }
  Node* n = b.node(kind, "n", ins, std::move(attrs), numOutputs);
  for (Value* v : n->outputs) b.output(v);
  return evaluate(b.g, fed, p).at(n->outputs[which]->name);
}

Tensor runOp(OpKind kind, const std::vector<const Tensor*>& inputs) {
  return runOp(kind, defaultAttrs(kind), inputs);
}

Tensor ints(const std::vector<int64_t>& v) {
  return Tensor::fromInts(v, {static_cast<int64_t>(v.size())});
}

/// 0, 1, 2, ... as float32 in `dims`.
Tensor iota(std::vector<int64_t> dims) {
  Tensor t(DType::F32, std::move(dims));
  for (int64_t i = 0; i < t.size(); ++i) t.data<float>()[i] = static_cast<float>(i);
  return t;
}

class IntOps : public testing::Test {
 protected:
  static void SetUpTestSuite() { f = new std::map<std::string, Tensor>(test::loadFixture("int_ops")); }
  static void TearDownTestSuite() { delete f; }
  static const Tensor& at(const std::string& k) { return f->at(k); }
  static std::map<std::string, Tensor>* f;
};
std::map<std::string, Tensor>* IntOps::f = nullptr;

TEST_F(IntOps, BroadcastArithmeticInt32) {
  expectEqualTensor(runOp(OpKind::Add, {&at("a"), &at("b")}), at("add"), "Add");
  expectEqualTensor(runOp(OpKind::Sub, {&at("a"), &at("b")}), at("sub"), "Sub");
  expectEqualTensor(runOp(OpKind::Mul, {&at("a"), &at("b")}), at("mul"), "Mul");
  expectEqualTensor(runOp(OpKind::Div, {&at("a"), &at("b")}), at("div"), "Div truncates");
}

TEST_F(IntOps, Int8WrapsLikeNumpy) {
  expectEqualTensor(runOp(OpKind::Add, {&at("a8"), &at("b8")}), at("add8"), "Add");
  expectEqualTensor(runOp(OpKind::Mul, {&at("a8"), &at("b8")}), at("mul8"), "Mul");
  expectEqualTensor(runOp(OpKind::Neg, {&at("a8")}), at("neg8"), "Neg");
  expectEqualTensor(runOp(OpKind::Abs, {&at("a8")}), at("abs8"), "Abs");
}

TEST_F(IntOps, PowKeepsBaseType) {
  expectEqualTensor(runOp(OpKind::Pow, {&at("pbase"), &at("pexp")}), at("pow"), "int64^int64");
  test::expectClose(runOp(OpKind::Pow, {&at("fbase"), &at("iexp")}), at("fpow"), 1e-6, 0,
                    "float^int32");
}

TEST_F(IntOps, CastTruncatesAndConverts) {
  const Tensor& x = at("fcast");
  expectEqualTensor(runOp(OpKind::Cast, CastAttrs{DType::I32}, {&x}), at("cast_i32"), "to int32");
  expectEqualTensor(runOp(OpKind::Cast, CastAttrs{DType::I8}, {&x}), at("cast_i8"), "to int8");
  expectEqualTensor(runOp(OpKind::Cast, CastAttrs{DType::Bool}, {&x}), at("cast_bool"), "to bool");
  expectEqualTensor(runOp(OpKind::Cast, CastAttrs{DType::F64}, {&x}), at("cast_f64"), "to float64");
}

TEST_F(IntOps, DataMovementOnIntegers) {
  expectEqualTensor(runOp(OpKind::Gather, AxisAttrs{1}, {&at("data"), &at("gidx")}), at("gather1"),
                    "Gather axis 1, negative indices");
  const Tensor scalarIdx = Tensor::fromInts({-2}, {});
  expectEqualTensor(runOp(OpKind::Gather, AxisAttrs{0}, {&at("data"), &scalarIdx}),
                    at("gather_scalar"), "Gather scalar index drops the axis");
  expectEqualTensor(runOp(OpKind::Transpose, TransposeAttrs{{1, 0, 2}}, {&at("a")}), at("transpose"),
                    "Transpose");
  const Tensor pads = ints({0, 1, 0, 0, 2, 1});
  const Tensor seven = Tensor::fromInts({7}, {}, DType::I32);
  expectEqualTensor(runOp(OpKind::Pad, PadAttrs{PadMode::Constant}, {&at("a"), &pads, &seven}),
                    at("pad7"), "Pad constant 7");
  Tensor a8 = at("a8"), b8 = at("b8");
  a8.dims = b8.dims = {1, 5};
  expectEqualTensor(runOp(OpKind::Concat, AxisAttrs{0}, {&a8, &b8}), at("concat8"), "Concat");
}

TEST_F(IntOps, MaxPoolOnInt8) {
  PoolAttrs a;
  a.kernelShape = {2, 2};
  a.strides = {2, 2};
  a.ceilMode = true;
  expectEqualTensor(runOp(OpKind::MaxPool, a, {&at("pool8")}), at("maxpool8"), "MaxPool int8");
}

TEST(EvalOps, ShapeSlicesAndClamps) {
  const Tensor x(DType::F32, {2, 3, 4, 5});
  expectEqualTensor(runOp(OpKind::Shape, ShapeAttrs{}, {&x}), ints({2, 3, 4, 5}), "full");
  expectEqualTensor(runOp(OpKind::Shape, ShapeAttrs{1, -1}, {&x}), ints({3, 4}), "[1:-1]");
  expectEqualTensor(runOp(OpKind::Shape, ShapeAttrs{-10, 2}, {&x}), ints({2, 3}), "clamped start");
  expectEqualTensor(runOp(OpKind::Shape, ShapeAttrs{3, 1}, {&x}), ints({}), "empty");
}

TEST(EvalOps, ReshapeZeroCopiesMinusOneInfers) {
  const Tensor x = iota({2, 3, 4});
  const Tensor shape = ints({0, -1});
  Tensor y = runOp(OpKind::Reshape, ReshapeAttrs{}, {&x, &shape});
  EXPECT_EQ(y.dims, (std::vector<int64_t>{2, 12}));
  EXPECT_EQ(y.data<float>()[13], 13.0f);
  const Tensor empty(DType::F32, {0, 3});
  const Tensor zeroShape = ints({3, 0});
  EXPECT_EQ(runOp(OpKind::Reshape, ReshapeAttrs{true}, {&empty, &zeroShape}).dims,
            (std::vector<int64_t>{3, 0}))
      << "allowzero keeps a literal 0";
}

TEST(EvalOps, SqueezeUnsqueezeFlatten) {
  const Tensor x = iota({1, 3, 1, 2});
  const Tensor neg = ints({-2});
  EXPECT_EQ(runOp(OpKind::Squeeze, {&x, &neg}).dims, (std::vector<int64_t>{1, 3, 2}));
  EXPECT_EQ(runOp(OpKind::Squeeze, {&x}).dims, (std::vector<int64_t>{3, 2}));
  const Tensor axes = ints({-1, 0});
  EXPECT_EQ(runOp(OpKind::Unsqueeze, {&x, &axes}).dims, (std::vector<int64_t>{1, 1, 3, 1, 2, 1}));
  EXPECT_EQ(runOp(OpKind::Flatten, AxisAttrs{0}, {&x}).dims, (std::vector<int64_t>{1, 6}));
  EXPECT_EQ(runOp(OpKind::Flatten, AxisAttrs{-1}, {&x}).dims, (std::vector<int64_t>{3, 2}));
}

// x[i, j, k] = 12i + 4j + k, so the mean over j is 12i + 4 + k.
TEST(EvalOps, ReduceMeanAxesAndFlags) {
  const Tensor x = iota({2, 3, 4});
  const Tensor axes = ints({-2});
  Tensor y = runOp(OpKind::ReduceMean, ReduceAttrs{false, false}, {&x, &axes});
  ASSERT_EQ(y.dims, (std::vector<int64_t>{2, 4}));
  for (int i = 0; i < 2; ++i)
    for (int k = 0; k < 4; ++k) EXPECT_FLOAT_EQ(y.data<float>()[i * 4 + k], 12 * i + 4 + k);
  EXPECT_EQ(runOp(OpKind::ReduceMean, ReduceAttrs{true, false}, {&x, &axes}).dims,
            (std::vector<int64_t>{2, 1, 4}));
  Tensor all = runOp(OpKind::ReduceMean, ReduceAttrs{true, false}, {&x});
  EXPECT_EQ(all.dims, (std::vector<int64_t>{1, 1, 1}));
  EXPECT_FLOAT_EQ(all.data<float>()[0], 11.5f);  // mean of 0..23
  EXPECT_EQ(runOp(OpKind::ReduceMean, ReduceAttrs{true, true}, {&x}).dims, x.dims)
      << "noop_with_empty_axes";
}

TEST(EvalOps, DropoutInferenceIsIdentityWithTrueMask) {
  const Tensor x = iota({2, 3});
  const Tensor ratio = Tensor::fromFloats({0.3f}, {});
  expectEqualTensor(runOp(OpKind::Dropout, NoAttrs{}, {&x, &ratio}, Precision::F32, 2, 0), x, "y");
  Tensor mask = runOp(OpKind::Dropout, NoAttrs{}, {&x, &ratio}, Precision::F32, 2, 1);
  EXPECT_EQ(mask.dtype, DType::Bool);
  EXPECT_EQ(mask.dims, x.dims);
  for (uint8_t m : mask.bytes) EXPECT_EQ(m, 1);
  const Tensor yes = Tensor::fromInts({1}, {}, DType::Bool);
  const Tensor zero = Tensor::fromFloats({0.0f}, {});
  expectEqualTensor(runOp(OpKind::Dropout, NoAttrs{}, {&x, &zero, &yes}), x, "training, ratio 0");
  EXPECT_THROW(runOp(OpKind::Dropout, NoAttrs{}, {&x, &ratio, &yes}), Error)
      << "random training dropout is unsupported";
}

TEST(EvalOps, ClipWithOptionalBounds) {
  const Tensor x = Tensor::fromFloats({-3, -1, 0, 2, 5}, {5});
  const Tensor lo = Tensor::fromFloats({-1.5f}, {});
  const Tensor hi = Tensor::fromFloats({1.0f}, {});
  expectEqualTensor(runOp(OpKind::Clip, {&x, &lo, &hi}), Tensor::fromFloats({-1.5f, -1, 0, 1, 1}, {5}), "both");
  expectEqualTensor(runOp(OpKind::Clip, {&x, nullptr, &hi}), Tensor::fromFloats({-3, -1, 0, 1, 1}, {5}), "max only");
  const Tensor xi = Tensor::fromInts({-100, 0, 100}, {3}, DType::I8);
  const Tensor loi = Tensor::fromInts({-5}, {}, DType::I8);
  expectEqualTensor(runOp(OpKind::Clip, {&xi, &loi}), Tensor::fromInts({-5, 0, 100}, {3}, DType::I8), "int8 min only");
}

// In F64 mode floats travel as double, but an explicit Cast to float32 still rounds.
TEST(EvalOps, CastToFloat32RoundsInF64Mode) {
  const Tensor x = Tensor::fromDoubles({0.1, 1.0 / 3.0}, {2});
  Tensor y = runOp(OpKind::Cast, CastAttrs{DType::F32}, {&x}, Precision::F64);
  EXPECT_EQ(y.dtype, DType::F64);
  EXPECT_EQ(y.data<double>()[0], static_cast<double>(0.1f));
  EXPECT_EQ(y.data<double>()[1], static_cast<double>(1.0f / 3.0f));
}

TEST(EvalOps, SoftmaxAndActivationsKeepNaN) {
  const Tensor x = Tensor::fromFloats({NAN, -1.0f}, {2});
  EXPECT_TRUE(std::isnan(runOp(OpKind::Relu, {&x}).data<float>()[0]));
  EXPECT_EQ(runOp(OpKind::Relu, {&x}).data<float>()[1], 0.0f);
  const Tensor big = Tensor::fromFloats({1000.0f, 1000.0f}, {1, 2});
  Tensor s = runOp(OpKind::Softmax, SoftmaxAttrs{-1, false}, {&big});
  EXPECT_FLOAT_EQ(s.data<float>()[0], 0.5f) << "max subtraction avoids overflow";
}

}  // namespace
}  // namespace kiln
