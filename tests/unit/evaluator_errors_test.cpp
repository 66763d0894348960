// Reference evaluator: input checking and run-time shape errors must throw kiln::Error with
// a message naming the input or node, never crash.
#include <gtest/gtest.h>

#include "eval_test_util.h"
#include "graph_builder.h"
#include "kiln/eval/evaluator.h"

namespace kiln {
namespace {

using test::dims;
using test::errorMessage;
using test::GraphBuilder;
using test::sym;
using test::contains;

/// input [N,1,28,28] and a second input [N,3] -> Relu each.
struct TwoInputs : GraphBuilder {
  TwoInputs() {
    output(op(OpKind::Relu, "r1", {input("input", dims({sym("N"), 1, 28, 28}))}));
    output(op(OpKind::Relu, "r2", {input("aux", dims({sym("N"), 3}))}));
  }
};

TEST(CheckInputs, AcceptsConsistentBinding) {
  TwoInputs b;
  EXPECT_NO_THROW(checkInputs(b.g, {{"input", Tensor(DType::F32, {2, 1, 28, 28})},
                                    {"aux", Tensor(DType::F32, {2, 3})}}));
}

TEST(CheckInputs, WrongDimNamesExpectedAndActual) {
  TwoInputs b;
  const std::string msg = errorMessage(
      [&] {
        checkInputs(b.g, {{"input", Tensor(DType::F32, {2, 3, 28, 28})},
                          {"aux", Tensor(DType::F32, {2, 3})}});
      },
      ErrorCode::InvalidInput);
  EXPECT_TRUE(contains(msg, "input 'input': expected float32 [N,1,28,28], got float32 [2,3,28,28]"));
}

TEST(CheckInputs, WrongDtypeAndRank) {
  TwoInputs b;
  EXPECT_TRUE(contains(errorMessage([&] {
                checkInputs(b.g, {{"input", Tensor(DType::F64, {2, 1, 28, 28})},
                                  {"aux", Tensor(DType::F32, {2, 3})}});
              }, ErrorCode::InvalidInput), "input 'input': expected float32 [N,1,28,28], got float64 [2,1,28,28]"));
  EXPECT_TRUE(contains(errorMessage([&] {
                checkInputs(b.g, {{"input", Tensor(DType::F32, {2, 1, 28, 28})},
                                  {"aux", Tensor(DType::F32, {2, 3, 1})}});
              }, ErrorCode::InvalidInput), "input 'aux': expected float32 [N,3], got float32 [2,3,1]"));
}

TEST(CheckInputs, InconsistentSymbolNamesBothInputs) {
  TwoInputs b;
  const std::string msg = errorMessage(
      [&] {
        checkInputs(b.g, {{"input", Tensor(DType::F32, {2, 1, 28, 28})},
                          {"aux", Tensor(DType::F32, {5, 3})}});
      },
      ErrorCode::InvalidInput);
  EXPECT_TRUE(contains(msg, "input 'aux'"));
  EXPECT_TRUE(contains(msg, "input 'input' set N=2"));
}

TEST(CheckInputs, MissingExtraAndConstant) {
  TwoInputs b;
  b.constant("w", Tensor(DType::F32, {3}));
  EXPECT_TRUE(contains(errorMessage([&] { checkInputs(b.g, {{"input", Tensor(DType::F32, {2, 1, 28, 28})}}); },
                           ErrorCode::InvalidInput), "missing input 'aux': expected float32 [N,3]"));
  TensorMap extra{{"input", Tensor(DType::F32, {2, 1, 28, 28})},
                  {"aux", Tensor(DType::F32, {2, 3})},
                  {"bogus", Tensor(DType::F32, {1})}};
  EXPECT_TRUE(contains(errorMessage([&] { checkInputs(b.g, extra); }, ErrorCode::InvalidInput), "unknown input 'bogus' (graph inputs: 'input', 'aux')"));
  extra.erase("bogus");
  extra["w"] = Tensor(DType::F32, {3});
  EXPECT_TRUE(contains(errorMessage([&] { checkInputs(b.g, extra); }, ErrorCode::InvalidInput), "input 'w' is a constant"));
}

TEST(CheckInputs, MalformedTensorIsRejected) {
  TwoInputs b;
  Tensor bad(DType::F32, {2, 3});
  bad.bytes.resize(5);
  EXPECT_TRUE(contains(errorMessage([&] {
                checkInputs(b.g, {{"input", Tensor(DType::F32, {2, 1, 28, 28})}, {"aux", bad}});
              }, ErrorCode::InvalidInput), "input 'aux'"));
}

TEST(CheckInputs, EvaluateChecksFirst) {
  TwoInputs b;
  EXPECT_THROW(evaluate(b.g, {}, Precision::F32), Error);
}

// ---- run-time shape errors inside nodes

/// Graph: one node of `kind` on inputs in0.. (all fed); returns the error message.
std::string runError(OpKind kind, NodeAttrs attrs, const std::vector<Tensor>& inputs,
                     ErrorCode code) {
  GraphBuilder b;
  TensorMap fed;
  std::vector<Value*> ins;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const std::string name = "in" + std::to_string(i);
    Value* v = b.g.addValue(name, inputs[i].dtype);  // no declared shape: only run time checks
    b.g.inputs.push_back(v);
    ins.push_back(v);
    fed[name] = inputs[i];
  }
  b.output(b.op(kind, "bad_node", ins, std::move(attrs)));
  return errorMessage([&] { evaluate(b.g, fed, Precision::F32); }, code);
}

Tensor ints(const std::vector<int64_t>& v) { return Tensor::fromInts(v, {static_cast<int64_t>(v.size())}); }

TEST(EvalErrors, ReshapeToIncompatibleSize) {
  const std::string msg = runError(OpKind::Reshape, ReshapeAttrs{},
                                   {Tensor(DType::F32, {2, 3}), ints({4, 2})}, ErrorCode::InvalidInput);
  EXPECT_TRUE(contains(msg, "Reshape node 'bad_node'"));
  EXPECT_TRUE(contains(msg, "cannot reshape input [2,3] (6 elements) to [4,2]"));
  EXPECT_TRUE(contains(runError(OpKind::Reshape, ReshapeAttrs{}, {Tensor(DType::F32, {2, 3}), ints({-1, -1})},
                       ErrorCode::InvalidInput), "more than one -1"));
}

TEST(EvalErrors, GatherIndexOutOfRange) {
  const std::string msg = runError(OpKind::Gather, AxisAttrs{1},
                                   {Tensor(DType::F32, {2, 3}), ints({0, 3})}, ErrorCode::InvalidInput);
  EXPECT_TRUE(contains(msg, "Gather node 'bad_node': index 3 is out of range for axis 1 of extent 3"));
}

TEST(EvalErrors, ConvChannelMismatch) {
  const std::string msg = runError(OpKind::Conv, ConvAttrs{},
                                   {Tensor(DType::F32, {1, 3, 5, 5}), Tensor(DType::F32, {4, 2, 3, 3})},
                                   ErrorCode::InvalidModel);
  EXPECT_TRUE(contains(msg, "Conv node 'bad_node': input channels 3 do not match weight [4,2,3,3]"));
  EXPECT_TRUE(contains(runError(OpKind::Conv, ConvAttrs{},
                       {Tensor(DType::F32, {1, 2, 2, 2}), Tensor(DType::F32, {4, 2, 3, 3})},
                       ErrorCode::InvalidModel), "smaller than the dilated kernel"));
}

TEST(EvalErrors, BroadcastAndMatMulMismatch) {
  EXPECT_TRUE(contains(runError(OpKind::Add, NoAttrs{}, {Tensor(DType::F32, {2, 3}), Tensor(DType::F32, {4})},
                       ErrorCode::InvalidModel), "Add node 'bad_node': shapes [2,3] and [4] cannot be broadcast together"));
  EXPECT_TRUE(contains(runError(OpKind::MatMul, NoAttrs{}, {Tensor(DType::F32, {2, 3}), Tensor(DType::F32, {4, 2})},
                       ErrorCode::InvalidModel), "inner dimensions differ"));
  EXPECT_TRUE(contains(runError(OpKind::Concat, AxisAttrs{0}, {Tensor(DType::F32, {2, 3}), Tensor(DType::F32, {2, 4})},
                       ErrorCode::InvalidModel), "does not match input"));
}

TEST(EvalErrors, IntegerDivisionByZero) {
  EXPECT_TRUE(contains(runError(OpKind::Div, NoAttrs{},
                       {Tensor::fromInts({1, 2}, {2}, DType::I32), Tensor::fromInts({1, 0}, {2}, DType::I32)},
                       ErrorCode::InvalidInput), "integer division by zero"));
}

TEST(EvalErrors, UnsupportedDtypeAndAbsurdSizes) {
  EXPECT_TRUE(contains(runError(OpKind::Sigmoid, NoAttrs{}, {Tensor(DType::I32, {2})}, ErrorCode::Unsupported), "Sigmoid node 'bad_node': input 'in0' has dtype int32"));
  EXPECT_TRUE(contains(runError(OpKind::Pad, PadAttrs{}, {Tensor(DType::F32, {2}), ints({0, int64_t{1} << 50})},
                       ErrorCode::InvalidInput), "too large"));
  EXPECT_TRUE(contains(runError(OpKind::Transpose, TransposeAttrs{{0, 0}}, {Tensor(DType::F32, {2, 2})},
                       ErrorCode::InvalidModel), "not a permutation"));
  EXPECT_TRUE(contains(runError(OpKind::Unsqueeze, NoAttrs{}, {Tensor(DType::F32, {2}), ints({0, -3})},
                       ErrorCode::InvalidModel), "listed twice"));
}

TEST(EvalErrors, DanglingValueNamesNode) {
  GraphBuilder b;
  Value* ghost = b.g.addValue("ghost");
  b.output(b.op(OpKind::Relu, "r", {ghost}));
  EXPECT_TRUE(contains(errorMessage([&] { evaluate(b.g, {}, Precision::F32); }), "value 'ghost' used by Relu node 'r'"));
}

}  // namespace
}  // namespace kiln
