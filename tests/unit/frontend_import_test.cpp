// Import of typed attributes across opsets. Expected defaults and normalisations come from
// the ONNX operator specification (onnx.defs schemas), not from the importer.
#include <gtest/gtest.h>

#include "frontend_onnx_builder.h"
#include "kiln/frontend/onnx_import.h"
#include "kiln/support/error.h"

namespace kiln {
namespace {

using test::attrFloat;
using test::attrInt;
using test::attrInts;
using test::attrString;
using test::OnnxBuilder;

std::unique_ptr<Graph> load(const OnnxBuilder& b) {
  return importOnnxBytes(b.bytes(), "", "model.onnx", ImportOptions{.inferShapes = false});
}

const Node& nodeNamed(const Graph& g, const std::string& name) {
  for (const auto& n : g.nodes())
    if (n->name == name) return *n;
  ADD_FAILURE() << "no node " << name;
  throw std::runtime_error("missing node " + name);
}

std::vector<double> constValues(const Value* v) {
  EXPECT_NE(v, nullptr);
  if (!v) return {};
  EXPECT_TRUE(v->isConstant()) << v->name;
  return v->isConstant() ? v->constant->toDoubles() : std::vector<double>{};
}

// A model with input x of the given dims and one node `op` named "n" reading x + extras.
OnnxBuilder oneNode(int64_t opset, const std::string& op, std::vector<std::string> extraInputs = {},
                    int outputs = 1, const std::vector<std::string>& xDims = {"1", "4", "8", "8"}) {
  OnnxBuilder b(opset);
  b.input("x", xDims);
  std::vector<std::string> ins{"x"};
  ins.insert(ins.end(), extraInputs.begin(), extraInputs.end());
  std::vector<std::string> outs;
  for (int i = 0; i < outputs; ++i) outs.push_back("y" + std::to_string(i));
  b.node(op, ins, outs, "n");
  b.output("y0");
  return b;
}

TEST(FrontendImport, ConvAttributes) {
  OnnxBuilder b = oneNode(11, "Conv", {"w"});
  b.initializer("w", std::vector<float>(6 * 2 * 3 * 3, 0.5f), {6, 2, 3, 3});
  auto& n = *b.graph().mutable_node(0);
  attrInts(n, "kernel_shape", {3, 3});
  attrInts(n, "strides", {2, 1});
  attrInts(n, "pads", {1, 1, 0, 0});
  attrInts(n, "dilations", {1, 2});
  attrInt(n, "group", 2);
  attrString(n, "auto_pad", "NOTSET");
  auto g = load(b);
  const auto& a = nodeNamed(*g, "n").as<ConvAttrs>();
  EXPECT_EQ(a.kernelShape, (std::vector<int64_t>{3, 3}));
  EXPECT_EQ(a.strides, (std::vector<int64_t>{2, 1}));
  EXPECT_EQ(a.pads, (std::vector<int64_t>{1, 1, 0, 0}));
  EXPECT_EQ(a.dilations, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(a.group, 2);
  EXPECT_EQ(a.autoPad, AutoPad::NotSet);
}

TEST(FrontendImport, ConvAutoPadAndTransposeOutputs) {
  for (auto [text, expected] :
       {std::pair{"SAME_UPPER", AutoPad::SameUpper}, std::pair{"SAME_LOWER", AutoPad::SameLower},
        std::pair{"VALID", AutoPad::Valid}}) {
    OnnxBuilder b = oneNode(17, "ConvTranspose", {"w"});
    b.initializer("w", std::vector<float>(4 * 2 * 3 * 3, 1.0f), {4, 2, 3, 3});
    auto& n = *b.graph().mutable_node(0);
    attrString(n, "auto_pad", text);
    attrInts(n, "output_padding", {1, 0});
    attrInts(n, "output_shape", {16, 15});
    auto g = load(b);
    const auto& a = nodeNamed(*g, "n").as<ConvAttrs>();
    EXPECT_EQ(a.autoPad, expected) << text;
    EXPECT_EQ(a.outputPadding, (std::vector<int64_t>{1, 0}));
    EXPECT_EQ(a.outputShape, (std::vector<int64_t>{16, 15}));
    EXPECT_EQ(a.group, 1);  // ONNX default
  }
}

TEST(FrontendImport, GemmAttributesAndOptionalC) {
  OnnxBuilder b = oneNode(13, "Gemm", {"w"}, 1, {"2", "3"});
  b.initializer("w", std::vector<float>(12, 1.0f), {4, 3});
  auto& n = *b.graph().mutable_node(0);
  attrFloat(n, "alpha", 0.5f);
  attrInt(n, "transB", 1);
  auto g = load(b);
  const Node& gemm = nodeNamed(*g, "n");
  const auto& a = gemm.as<GemmAttrs>();
  EXPECT_EQ(a.alpha, 0.5f);
  EXPECT_EQ(a.beta, 1.0f);  // default
  EXPECT_FALSE(a.transA);
  EXPECT_TRUE(a.transB);
  EXPECT_EQ(gemm.inputs.size(), 2u);
}

TEST(FrontendImport, ClipOpset10AttributesBecomeConstantInputs) {
  OnnxBuilder b(10);
  b.input("x", {"2", "3"});
  b.input("d", {"2"}, onnx::TensorProto::DOUBLE);
  auto& both = b.node("Clip", {"x"}, {"a"}, "both");
  attrFloat(both, "min", 0.0f);
  attrFloat(both, "max", 6.0f);
  attrFloat(b.node("Clip", {"x"}, {"b"}, "maxonly"), "max", 1.0f);
  b.node("Clip", {"x"}, {"c"}, "none");
  attrFloat(b.node("Clip", {"d"}, {"e"}, "double"), "min", -2.0f);
  for (auto o : {"a", "b", "c", "e"}) b.output(o);
  auto g = load(b);

  const Node& n1 = nodeNamed(*g, "both");
  ASSERT_EQ(n1.inputs.size(), 3u);
  EXPECT_EQ(constValues(n1.inputs[1]), std::vector<double>{0.0});
  EXPECT_EQ(constValues(n1.inputs[2]), std::vector<double>{6.0});
  EXPECT_EQ(n1.inputs[1]->dtype, DType::F32);
  EXPECT_TRUE(n1.inputs[1]->constant->dims.empty());  // scalar like Clip-11's min

  const Node& n2 = nodeNamed(*g, "maxonly");
  ASSERT_EQ(n2.inputs.size(), 3u);
  EXPECT_EQ(n2.inputs[1], nullptr);
  EXPECT_EQ(constValues(n2.inputs[2]), std::vector<double>{1.0});

  EXPECT_EQ(nodeNamed(*g, "none").inputs.size(), 1u);

  const Node& n4 = nodeNamed(*g, "double");
  ASSERT_EQ(n4.inputs.size(), 2u);
  EXPECT_EQ(n4.inputs[1]->dtype, DType::F64);
  EXPECT_EQ(constValues(n4.inputs[1]), std::vector<double>{-2.0});
}

TEST(FrontendImport, ClipOpset13KeepsInputs) {
  OnnxBuilder b(13);
  b.input("x", {"2", "3"});
  b.initializer("lo", {-1.0f}, {});
  b.initializer("hi", {2.5f}, {});
  b.node("Clip", {"x", "lo", "hi"}, {"a"}, "both");
  b.node("Clip", {"x", "", "hi"}, {"b"}, "maxonly");
  b.output("a");
  b.output("b");
  auto g = load(b);
  const Node& n1 = nodeNamed(*g, "both");
  ASSERT_EQ(n1.inputs.size(), 3u);
  EXPECT_EQ(constValues(n1.inputs[1]), std::vector<double>{-1.0});
  EXPECT_EQ(constValues(n1.inputs[2]), std::vector<double>{2.5});
  const Node& n2 = nodeNamed(*g, "maxonly");
  ASSERT_EQ(n2.inputs.size(), 3u);
  EXPECT_EQ(n2.inputs[1], nullptr);
  EXPECT_EQ(n2.inputs[2]->name, "hi");
}

TEST(FrontendImport, SoftmaxAxisDefaultsPerOpset) {
  // Softmax-1/11: axis defaults to 1 and the input is coerced to 2-D; Softmax-13: axis -1.
  auto g11 = load(oneNode(11, "Softmax"));
  EXPECT_EQ(nodeNamed(*g11, "n").as<SoftmaxAttrs>(), (SoftmaxAttrs{1, true}));
  auto g13 = load(oneNode(13, "Softmax"));
  EXPECT_EQ(nodeNamed(*g13, "n").as<SoftmaxAttrs>(), (SoftmaxAttrs{-1, false}));
  OnnxBuilder b = oneNode(11, "Softmax");
  attrInt(*b.graph().mutable_node(0), "axis", 2);
  EXPECT_EQ(nodeNamed(*load(b), "n").as<SoftmaxAttrs>(), (SoftmaxAttrs{2, true}));
}

TEST(FrontendImport, ReduceMeanAxesAttributeVsInput) {
  OnnxBuilder b13 = oneNode(13, "ReduceMean");
  attrInts(*b13.graph().mutable_node(0), "axes", {2, 3});
  attrInt(*b13.graph().mutable_node(0), "keepdims", 0);
  auto g13 = load(b13);
  const Node& n13 = nodeNamed(*g13, "n");
  ASSERT_EQ(n13.inputs.size(), 2u);
  EXPECT_EQ(n13.inputs[1]->dtype, DType::I64);
  EXPECT_EQ(constValues(n13.inputs[1]), (std::vector<double>{2, 3}));
  EXPECT_FALSE(n13.as<ReduceAttrs>().keepDims);
  EXPECT_FALSE(n13.as<ReduceAttrs>().noopWithEmptyAxes);

  EXPECT_EQ(nodeNamed(*load(oneNode(13, "ReduceMean")), "n").inputs.size(), 1u);

  OnnxBuilder b18 = oneNode(18, "ReduceMean", {"axes"});
  b18.initializerI64("axes", {1}, {1});
  attrInt(*b18.graph().mutable_node(0), "noop_with_empty_axes", 1);
  auto g18 = load(b18);
  const Node& n18 = nodeNamed(*g18, "n");
  ASSERT_EQ(n18.inputs.size(), 2u);
  EXPECT_EQ(n18.inputs[1]->name, "axes");
  EXPECT_TRUE(n18.as<ReduceAttrs>().keepDims);  // default 1
  EXPECT_TRUE(n18.as<ReduceAttrs>().noopWithEmptyAxes);
}

TEST(FrontendImport, UnsqueezeSqueezeAxesAttributeVsInput) {
  OnnxBuilder b11 = oneNode(11, "Unsqueeze");
  attrInts(*b11.graph().mutable_node(0), "axes", {0, 4});
  auto g11 = load(b11);
  const Node& u11 = nodeNamed(*g11, "n");
  ASSERT_EQ(u11.inputs.size(), 2u);
  EXPECT_EQ(constValues(u11.inputs[1]), (std::vector<double>{0, 4}));

  OnnxBuilder b13 = oneNode(13, "Unsqueeze", {"axes"});
  b13.initializerI64("axes", {-1}, {1});
  auto g13 = load(b13);
  const Node& u13 = nodeNamed(*g13, "n");
  ASSERT_EQ(u13.inputs.size(), 2u);
  EXPECT_EQ(constValues(u13.inputs[1]), std::vector<double>{-1});

  EXPECT_EQ(nodeNamed(*load(oneNode(11, "Squeeze")), "n").inputs.size(), 1u);
  OnnxBuilder s11 = oneNode(11, "Squeeze");
  attrInts(*s11.graph().mutable_node(0), "axes", {0});
  EXPECT_EQ(constValues(nodeNamed(*load(s11), "n").input(1)), std::vector<double>{0});
}

TEST(FrontendImport, PadAttributesVsInputs) {
  OnnxBuilder b2 = oneNode(10, "Pad");
  auto& n = *b2.graph().mutable_node(0);
  attrInts(n, "pads", {0, 0, 1, 2, 0, 0, 3, 4});
  attrFloat(n, "value", 1.5f);
  attrString(n, "mode", "reflect");
  auto g2 = load(b2);
  const Node& p2 = nodeNamed(*g2, "n");
  ASSERT_EQ(p2.inputs.size(), 3u);
  EXPECT_EQ(p2.inputs[1]->dtype, DType::I64);
  EXPECT_EQ(constValues(p2.inputs[1]), (std::vector<double>{0, 0, 1, 2, 0, 0, 3, 4}));
  EXPECT_EQ(constValues(p2.inputs[2]), std::vector<double>{1.5});
  EXPECT_EQ(p2.as<PadAttrs>().mode, PadMode::Reflect);

  OnnxBuilder b13 = oneNode(13, "Pad", {"pads"});
  b13.initializerI64("pads", {0, 0, 1, 1, 0, 0, 1, 1}, {8});
  attrString(*b13.graph().mutable_node(0), "mode", "edge");
  auto g13 = load(b13);
  const Node& p13 = nodeNamed(*g13, "n");
  EXPECT_EQ(p13.inputs.size(), 2u);
  EXPECT_EQ(p13.as<PadAttrs>().mode, PadMode::Edge);
  OnnxBuilder c13 = oneNode(13, "Pad", {"pads"});
  c13.initializerI64("pads", {0, 0, 0, 0, 0, 0, 0, 0}, {8});
  EXPECT_EQ(nodeNamed(*load(c13), "n").as<PadAttrs>().mode, PadMode::Constant);
}

// BatchNormalization with scale/bias/mean/var initializers of length 4.
OnnxBuilder batchNorm(int64_t opset, int outputs) {
  OnnxBuilder b = oneNode(opset, "BatchNormalization", {"s", "bias", "m", "v"}, outputs);
  for (auto name : {"s", "bias", "m", "v"}) b.initializer(name, {1, 1, 1, 1}, {4});
  return b;
}

TEST(FrontendImport, BatchNormTrainingModeAcrossOpsets) {
  auto g9 = load(batchNorm(9, 1));
  const auto& a9 = nodeNamed(*g9, "n").as<BatchNormAttrs>();
  EXPECT_FALSE(a9.trainingMode);
  EXPECT_DOUBLE_EQ(a9.epsilon, static_cast<double>(1e-5f));
  EXPECT_DOUBLE_EQ(a9.momentum, static_cast<double>(0.9f));

  // Before opset 14, asking for the running statistics means training mode.
  OnnxBuilder b9t = batchNorm(9, 3);
  b9t.output("y1");
  auto g9t = load(b9t);
  EXPECT_TRUE(nodeNamed(*g9t, "n").as<BatchNormAttrs>().trainingMode);
  EXPECT_EQ(nodeNamed(*g9t, "n").outputs.size(), 3u);

  OnnxBuilder b15 = batchNorm(15, 3);
  attrInt(*b15.graph().mutable_node(0), "training_mode", 1);
  attrFloat(*b15.graph().mutable_node(0), "epsilon", 1e-3f);
  auto g15 = load(b15);
  const auto& a15 = nodeNamed(*g15, "n").as<BatchNormAttrs>();
  EXPECT_TRUE(a15.trainingMode);
  EXPECT_DOUBLE_EQ(a15.epsilon, static_cast<double>(1e-3f));
  EXPECT_FALSE(nodeNamed(*load(batchNorm(15, 1)), "n").as<BatchNormAttrs>().trainingMode);

  // Opset 7 spatial=1 is the normal case.
  OnnxBuilder b7 = batchNorm(7, 1);
  attrInt(*b7.graph().mutable_node(0), "spatial", 1);
  EXPECT_FALSE(nodeNamed(*load(b7), "n").as<BatchNormAttrs>().trainingMode);
}

TEST(FrontendImport, BatchNormUnusedSavedStatisticsAreDropped) {
  auto g = load(batchNorm(9, 5));
  const Node& n = nodeNamed(*g, "n");
  EXPECT_TRUE(n.as<BatchNormAttrs>().trainingMode);
  EXPECT_EQ(n.outputs.size(), 3u);
}

TEST(FrontendImport, PoolingAttributes) {
  OnnxBuilder mb = oneNode(12, "MaxPool");
  auto& m = *mb.graph().mutable_node(0);
  attrInts(m, "kernel_shape", {2, 2});
  attrInts(m, "strides", {2, 2});
  attrInts(m, "dilations", {1, 1});
  attrInt(m, "ceil_mode", 1);
  attrInt(m, "storage_order", 1);  // only affects Indices: ignored
  auto mg = load(mb);
  const auto& mp = nodeNamed(*mg, "n").as<PoolAttrs>();
  EXPECT_EQ(mp.kernelShape, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(mp.strides, (std::vector<int64_t>{2, 2}));
  EXPECT_TRUE(mp.ceilMode);

  OnnxBuilder ab = oneNode(11, "AveragePool");
  auto& a = *ab.graph().mutable_node(0);
  attrInts(a, "kernel_shape", {3, 3});
  attrInts(a, "pads", {1, 1, 1, 1});
  attrInt(a, "count_include_pad", 1);
  auto ag = load(ab);
  const auto& ap = nodeNamed(*ag, "n").as<PoolAttrs>();
  EXPECT_EQ(ap.pads, (std::vector<int64_t>{1, 1, 1, 1}));
  EXPECT_TRUE(ap.countIncludePad);
  EXPECT_FALSE(ap.ceilMode);
}

TEST(FrontendImport, SmallAttributeStructs) {
  EXPECT_EQ(nodeNamed(*load(oneNode(16, "LeakyRelu")), "n").as<AlphaAttrs>().alpha, 0.01f);
  EXPECT_EQ(nodeNamed(*load(oneNode(13, "Flatten")), "n").as<AxisAttrs>().axis, 1);
  OnnxBuilder gb = oneNode(13, "Gather", {"idx"});
  gb.initializerI64("idx", {0}, {1});
  EXPECT_EQ(nodeNamed(*load(gb), "n").as<AxisAttrs>().axis, 0);

  OnnxBuilder cb = oneNode(13, "Concat", {"x"});
  attrInt(*cb.graph().mutable_node(0), "axis", -1);
  EXPECT_EQ(nodeNamed(*load(cb), "n").as<AxisAttrs>().axis, -1);

  OnnxBuilder tb = oneNode(13, "Transpose");
  attrInts(*tb.graph().mutable_node(0), "perm", {0, 2, 3, 1});
  EXPECT_EQ(nodeNamed(*load(tb), "n").as<TransposeAttrs>().perm,
            (std::vector<int64_t>{0, 2, 3, 1}));

  OnnxBuilder rb = oneNode(14, "Reshape", {"shape"});
  rb.initializerI64("shape", {1, -1}, {2});
  attrInt(*rb.graph().mutable_node(0), "allowzero", 1);
  EXPECT_TRUE(nodeNamed(*load(rb), "n").as<ReshapeAttrs>().allowZero);

  OnnxBuilder sb = oneNode(15, "Shape");
  attrInt(*sb.graph().mutable_node(0), "start", 1);
  attrInt(*sb.graph().mutable_node(0), "end", -1);
  EXPECT_EQ(nodeNamed(*load(sb), "n").as<ShapeAttrs>(), (ShapeAttrs{1, -1}));
  EXPECT_EQ(nodeNamed(*load(oneNode(13, "Shape")), "n").as<ShapeAttrs>(), (ShapeAttrs{0, {}}));

  OnnxBuilder castb = oneNode(13, "Cast");
  attrInt(*castb.graph().mutable_node(0), "to", onnx::TensorProto::INT64);
  EXPECT_EQ(nodeNamed(*load(castb), "n").as<CastAttrs>().to, DType::I64);
}

TEST(FrontendImport, DropoutAcrossOpsets) {
  OnnxBuilder b10 = oneNode(10, "Dropout", {}, 2);
  attrFloat(*b10.graph().mutable_node(0), "ratio", 0.3f);  // inference: identity, ignored
  auto g10 = load(b10);
  const Node& d10 = nodeNamed(*g10, "n");
  EXPECT_EQ(d10.inputs.size(), 1u);
  EXPECT_EQ(d10.outputs.size(), 2u);

  OnnxBuilder b13 = oneNode(13, "Dropout", {"ratio", "train"});
  b13.initializer("ratio", {0.5f}, {});
  onnx::TensorProto& t = *b13.graph().add_initializer();
  t.set_name("train");
  t.set_data_type(onnx::TensorProto::BOOL);
  t.add_int32_data(0);
  auto g13 = load(b13);
  const Node& d13 = nodeNamed(*g13, "n");
  EXPECT_EQ(d13.inputs.size(), 3u);
  EXPECT_EQ(d13.inputs[2]->dtype, DType::Bool);
}

// Every standard op of the op table is known to the importer: a bare node (minimum inputs,
// no attributes) imports, or fails only because the ONNX spec requires an attribute.
TEST(FrontendImport, EveryStandardOpHasAnImporter) {
  for (int k = 0; k < kNumOps; ++k) {
    const OpInfo& info = opInfo(static_cast<OpKind>(k));
    if (!info.domain.empty()) continue;
    OnnxBuilder b(17);
    b.input("x", {"1", "2", "4", "4"});
    b.node(std::string(info.name), std::vector<std::string>(info.minInputs, "x"), {"y"}, "n");
    b.output("y");
    try {
      load(b);
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::InvalidModel) << e.what();
      EXPECT_NE(std::string(e.what()).find("is required"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace kiln
