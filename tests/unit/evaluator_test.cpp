// Reference evaluator vs numpy float64 fixtures (tests/data/eval, generated and
// cross-checked against onnxruntime by tests/tools/gen_eval_fixtures.py).
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "eval_test_util.h"
#include "graph_builder.h"
#include "kiln/eval/evaluator.h"

namespace kiln {
namespace {

using test::expectClose;
using test::GraphBuilder;
using test::loadFixture;

// ---------------------------------------------------------------- float fixtures

/// How a fixture maps onto one node: its op, attributes (from the attr_* arrays), the npz
/// keys of its inputs in order ("" = absent input, "const:<attr>" = int64 constant input
/// taken from attr_<attr>) and its outputs (expect_<key>).
struct FixtureCase {
  std::string name;
  OpKind kind;
  std::function<NodeAttrs(const std::map<std::string, Tensor>&)> attrs;
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
};

std::vector<int64_t> ints(const std::map<std::string, Tensor>& f, const std::string& k) {
  auto it = f.find("attr_" + k);
  return it == f.end() ? std::vector<int64_t>{} : it->second.toInts();
}
double num(const std::map<std::string, Tensor>& f, const std::string& k) {
  return f.at("attr_" + k).getDouble(0);
}
bool flag(const std::map<std::string, Tensor>& f, const std::string& k) {
  return !ints(f, k).empty() && ints(f, k)[0] != 0;
}

NodeAttrs convAttrs(const std::map<std::string, Tensor>& f) {
  ConvAttrs a;
  a.strides = ints(f, "strides");
  a.pads = ints(f, "pads");
  a.dilations = ints(f, "dilations");
  a.outputPadding = ints(f, "output_padding");
  a.outputShape = ints(f, "output_shape");
  a.group = ints(f, "group").at(0);
  if (!ints(f, "auto_pad").empty()) a.autoPad = static_cast<AutoPad>(ints(f, "auto_pad")[0]);
  return a;  // kernel_shape left empty on purpose: the evaluator derives it from W
}

NodeAttrs poolAttrs(const std::map<std::string, Tensor>& f) {
  PoolAttrs a;
  a.kernelShape = ints(f, "kernel_shape");
  a.strides = ints(f, "strides");
  a.pads = ints(f, "pads");
  a.dilations = ints(f, "dilations");
  a.ceilMode = flag(f, "ceil_mode");
  a.countIncludePad = flag(f, "count_include_pad");
  return a;
}

NodeAttrs bntAttrs(const std::map<std::string, Tensor>& f) {
  BatchNormTrainingAttrs a;
  a.epsilon = num(f, "epsilon");
  a.momentum = num(f, "momentum");
  a.axis = ints(f, "axis").at(0);
  a.wholeTensor = flag(f, "whole");
  a.unbiasedVar = flag(f, "unbiased");
  a.unbiasedRunningVar = flag(f, "unbiased_running");
  if (flag(f, "relu")) a.activation.kind = Activation::Relu;
  return a;
}

NodeAttrs padAttrs(PadMode m) { return PadAttrs{m}; }

const std::vector<FixtureCase>& fixtureCases() {
  static const std::vector<FixtureCase> cases = {
      {"conv2d_group_dilate_stride", OpKind::Conv, convAttrs, {"x", "w", "b"}, {"y"}},
      {"conv1d_depthwise", OpKind::Conv, convAttrs, {"x", "w"}, {"y"}},
      {"conv3d_pads", OpKind::Conv, convAttrs, {"x", "w", "b"}, {"y"}},
      {"conv2d_autopad_same_lower", OpKind::Conv, convAttrs, {"x", "w"}, {"y"}},
      {"convtranspose_output_shape", OpKind::ConvTranspose, convAttrs, {"x", "w", "b"}, {"y"}},
      {"convtranspose2d_group_outpad", OpKind::ConvTranspose, convAttrs, {"x", "w", "b"}, {"y"}},
      {"convtranspose1d_stride_dilate", OpKind::ConvTranspose, convAttrs, {"x", "w", "b"}, {"y"}},
      {"avgpool_ceil_pads_exclude", OpKind::AveragePool, poolAttrs, {"x"}, {"y"}},
      {"avgpool_ceil_pads_include", OpKind::AveragePool, poolAttrs, {"x"}, {"y"}},
      {"avgpool_floor_pads_include", OpKind::AveragePool, poolAttrs, {"x"}, {"y"}},
      {"maxpool_dilate_ceil", OpKind::MaxPool, poolAttrs, {"x"}, {"y"}},
      {"bn_onnx_inference", OpKind::BatchNormalization,
       [](auto& f) -> NodeAttrs { return BatchNormAttrs{num(f, "epsilon"), 0.9, false}; },
       {"x", "scale", "bias", "mean", "var"}, {"y"}},
      {"bn_onnx_training", OpKind::BatchNormalization,
       [](auto& f) -> NodeAttrs { return BatchNormAttrs{num(f, "epsilon"), num(f, "momentum"), true}; },
       {"x", "scale", "bias", "mean", "var"}, {"y", "running_mean", "running_var"}},
      {"bnt_per_channel", OpKind::BatchNormTraining, bntAttrs,
       {"x", "scale", "bias", "mean", "var"}, {"y", "running_mean", "running_var"}},
      {"bnt_whole_unbiased_relu", OpKind::BatchNormTraining, bntAttrs,
       {"x", "scale", "bias", "mean", "var"}, {"y", "running_mean", "running_var"}},
      {"bnt_2d_pytorch_running_var", OpKind::BatchNormTraining, bntAttrs,
       {"x", "scale", "bias", "mean", "var"}, {"y", "running_mean", "running_var"}},
      {"scaleshift_nc", OpKind::ScaleShift,
       [](auto& f) -> NodeAttrs { return ScaleShiftAttrs{ints(f, "axis").at(0)}; },
       {"x", "scale", "shift"}, {"y"}},
      {"scaleshift_ncl", OpKind::ScaleShift,
       [](auto& f) -> NodeAttrs { return ScaleShiftAttrs{ints(f, "axis").at(0)}; },
       {"x", "scale", "shift"}, {"y"}},
      {"gemm_trans_bcast", OpKind::Gemm,
       [](auto& f) -> NodeAttrs {
         return GemmAttrs{static_cast<float>(num(f, "alpha")), static_cast<float>(num(f, "beta")),
                          flag(f, "transA"), flag(f, "transB")};
       },
       {"a", "b", "c"}, {"y"}},
      {"matmul_batch_bcast", OpKind::MatMul, [](auto&) -> NodeAttrs { return NoAttrs{}; }, {"a", "b"}, {"y"}},
      {"matmul_1d_lhs", OpKind::MatMul, [](auto&) -> NodeAttrs { return NoAttrs{}; }, {"a", "b"}, {"y"}},
      {"pad_crop_reflect", OpKind::Pad, [](auto&) { return padAttrs(PadMode::Reflect); }, {"x", "const:pads"}, {"y"}},
      {"pad_crop_edge", OpKind::Pad, [](auto&) { return padAttrs(PadMode::Edge); }, {"x", "const:pads"}, {"y"}},
      {"pad_crop_wrap", OpKind::Pad, [](auto&) { return padAttrs(PadMode::Wrap); }, {"x", "const:pads"}, {"y"}},
      {"softmax_axis1", OpKind::Softmax,
       [](auto& f) -> NodeAttrs { return SoftmaxAttrs{ints(f, "axis").at(0), flag(f, "legacy")}; }, {"x"}, {"y"}},
      {"softmax_legacy_axis1", OpKind::Softmax,
       [](auto& f) -> NodeAttrs { return SoftmaxAttrs{ints(f, "axis").at(0), flag(f, "legacy")}; }, {"x"}, {"y"}},
  };
  return cases;
}

/// Adds the fixture's node to `b` as a one-node graph whose float inputs have dtype `t`;
/// `fed` receives the run-time inputs. Returns the output value names.
std::vector<std::string> buildFixtureGraph(GraphBuilder& b, const FixtureCase& fc,
                                           const std::map<std::string, Tensor>& f, DType t,
                                           TensorMap& fed) {
  std::vector<Value*> ins;
  for (const std::string& key : fc.inputs) {
    if (key.empty()) {
      ins.push_back(nullptr);
    } else if (key.rfind("const:", 0) == 0) {
      ins.push_back(b.ints(key.substr(6), ints(f, key.substr(6))));
    } else {
      const Tensor& src = f.at(key);
      ins.push_back(b.input(key, shapeOf(src.dims), t));
      fed[key] = src.castTo(t);
    }
  }
  Node* n = b.node(fc.kind, "n", ins, fc.attrs(f), static_cast<int>(fc.outputs.size()));
  std::vector<std::string> names;
  for (Value* v : n->outputs) b.output(v), names.push_back(v->name);
  return names;
}

void PrintTo(const FixtureCase& c, std::ostream* os) { *os << c.name; }

class EvalFixture : public testing::TestWithParam<FixtureCase> {};

// float64 graph in F64: must match numpy's float64 almost exactly.
TEST_P(EvalFixture, Float64MatchesNumpy) {
  const FixtureCase& fc = GetParam();
  const auto f = loadFixture(fc.name);
  GraphBuilder b;
  TensorMap fed;
  const auto outs = buildFixtureGraph(b, fc, f, DType::F64, fed);
  const TensorMap got = evaluate(b.g, fed, Precision::F64);
  for (size_t i = 0; i < outs.size(); ++i) {
    EXPECT_EQ(got.at(outs[i]).dtype, DType::F64);
    expectClose(got.at(outs[i]), f.at("expect_" + fc.outputs[i]), 1e-10, 1e-12,
                fc.name + " output " + fc.outputs[i]);
  }
}

// float32 graph: F32 run within float tolerance; F64 run (inputs widened) closer still, and
// the two precisions agree.
TEST_P(EvalFixture, Float32AndFloat64PrecisionAgree) {
  const FixtureCase& fc = GetParam();
  const auto f = loadFixture(fc.name);
  GraphBuilder b;
  TensorMap fed;
  const auto outs = buildFixtureGraph(b, fc, f, DType::F32, fed);
  const TensorMap lo = evaluate(b.g, fed, Precision::F32);
  const TensorMap hi = evaluate(b.g, fed, Precision::F64);
  for (size_t i = 0; i < outs.size(); ++i) {
    const Tensor& want = f.at("expect_" + fc.outputs[i]);
    const std::string what = fc.name + " output " + fc.outputs[i];
    EXPECT_EQ(lo.at(outs[i]).dtype, DType::F32) << what;
    EXPECT_EQ(hi.at(outs[i]).dtype, DType::F64) << what;
    expectClose(lo.at(outs[i]), want, 1e-4, 1e-5, what + " (F32)");
    expectClose(hi.at(outs[i]), want, 1e-5, 1e-6, what + " (F64 from float32 inputs)");
    expectClose(lo.at(outs[i]), hi.at(outs[i]), 1e-4, 1e-5, what + " (F32 vs F64)");
  }
}

INSTANTIATE_TEST_SUITE_P(Numpy, EvalFixture, testing::ValuesIn(fixtureCases()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace kiln
