// Importers for Clip, Softmax/LogSoftmax, axis ops, ConstantOfShape, Slice, Split, Reshape, Transpose, Pad, Reduce*,
// Unsqueeze/Squeeze, Shape, Cast and Dropout, including the opset normalisations that turn
// older attributes into the constant inputs newer opsets use.
#include "kiln/support/error.h"
#include "op_import.h"
#include "tensor_codec.h"

namespace kiln::fe {

namespace {

Tensor int64Vector(const std::vector<int64_t>& v) {
  return Tensor::fromInts(v, {static_cast<int64_t>(v.size())});
}

Tensor scalarOf(double v, DType t) { return Tensor::fromDoubles({v}, {}, t); }

// Clip-6: min/max attributes -> inputs 1 and 2 (absent bound stays an absent input).
NodeAttrs importClip(NodeImport& n) {
  if (n.opset < 11) {
    DType t = n.dtypeOf(n.input(0));
    if (auto lo = n.attrs.optFloat("min")) n.setConstantInput(1, "min", scalarOf(*lo, t));
    if (auto hi = n.attrs.optFloat("max")) n.setConstantInput(2, "max", scalarOf(*hi, t));
  }
  return NoAttrs{};
}

NodeAttrs importSoftmax(NodeImport& n) {
  SoftmaxAttrs a;
  a.legacy2D = n.opset < 13;
  a.axis = n.attrs.getInt("axis", a.legacy2D ? 1 : -1);
  return a;
}

NodeAttrs importFlatten(NodeImport& n) { return AxisAttrs{n.attrs.getInt("axis", 1)}; }
NodeAttrs importGather(NodeImport& n) { return AxisAttrs{n.attrs.getInt("axis", 0)}; }
NodeAttrs importConcat(NodeImport& n) { return AxisAttrs{n.attrs.requireInt("axis")}; }

NodeAttrs importReshape(NodeImport& n) { return ReshapeAttrs{n.attrs.getBool("allowzero", false)}; }

NodeAttrs importTranspose(NodeImport& n) { return TransposeAttrs{n.attrs.getInts("perm")}; }

// Pad-2: pads/value attributes -> inputs 1 and 2.
NodeAttrs importPad(NodeImport& n) {
  PadAttrs a;
  std::string mode = n.attrs.optString("mode").value_or("constant");
  if (mode == "constant")
    a.mode = PadMode::Constant;
  else if (mode == "reflect")
    a.mode = PadMode::Reflect;
  else if (mode == "edge")
    a.mode = PadMode::Edge;
  else if (mode == "wrap")
    a.mode = PadMode::Wrap;
  else
    n.attrs.fail("mode", "has unknown value '" + mode + "'");
  if (n.opset < 11) {
    n.setConstantInput(1, "pads", int64Vector(n.attrs.requireInts("pads")));
    if (auto value = n.attrs.optFloat("value"))
      n.setConstantInput(2, "value", scalarOf(*value, n.dtypeOf(n.input(0))));
  }
  return a;
}

// Unsqueeze/Squeeze-1..11: axes attribute -> input 1.
NodeAttrs importUnsqueeze(NodeImport& n) {
  if (n.opset < 13) n.setConstantInput(1, "axes", int64Vector(n.attrs.requireInts("axes")));
  return NoAttrs{};
}

NodeAttrs importSqueeze(NodeImport& n) {
  if (n.opset < 13)
    if (auto axes = n.attrs.optInts("axes")) n.setConstantInput(1, "axes", int64Vector(*axes));
  return NoAttrs{};
}

NodeAttrs importShape(NodeImport& n) {
  ShapeAttrs a;
  a.start = n.attrs.getInt("start", 0);
  a.end = n.attrs.optInt("end");
  return a;
}

NodeAttrs importCast(NodeImport& n) {
  int64_t to = n.attrs.requireInt("to");
  n.attrs.optInt("saturate");  // only affects float8 targets
  std::optional<DType> t = dtypeFromOnnx(static_cast<int32_t>(to));
  if (!t || to != static_cast<int32_t>(to))
    n.fail(ErrorCode::Unsupported,
           "cast to " + onnxTypeName(static_cast<int32_t>(to)) + " is not supported");
  return CastAttrs{*t};
}

// Dropout is the identity at inference. Before opset 12 `ratio` (and opset-6 `is_test`) are
// attributes that change nothing here; from 12 on, ratio and training_mode are inputs, and a
// training_mode that is constant true would really drop values.
NodeAttrs importDropout(NodeImport& n) {
  if (n.opset < 12) {
    n.attrs.optFloat("ratio");
    n.attrs.optInt("is_test");
  } else {
    n.attrs.optInt("seed");
    Value* training = n.inputs.size() > 2 ? n.inputs[2] : nullptr;
    if (training && training->isConstant() && training->constant->size() > 0 &&
        training->constant->getInt(0) != 0)
      n.fail(ErrorCode::Unsupported, "training_mode input '" + training->name +
                                         "' is true; training-mode dropout "
                                         "is not supported");
  }
  return NoAttrs{};
}

// Reduce* attributes: before opset `axesInput` the axes are an attribute (moved to input 1),
// from it on they are input 1 and noop_with_empty_axes exists.
ReduceAttrs reduceAttrs(NodeImport& n, int64_t axesInput) {
  ReduceAttrs a;
  a.keepDims = n.attrs.getBool("keepdims", true);
  if (n.opset < axesInput) {
    if (auto axes = n.attrs.optInts("axes")) n.setConstantInput(1, "axes", int64Vector(*axes));
  } else {
    a.noopWithEmptyAxes = n.attrs.getBool("noop_with_empty_axes", false);
  }
  return a;
}

// ReduceSum-13 takes axes as input 1 five opsets before the other Reduce* ops.
NodeAttrs importReduceSum(NodeImport& n) { return reduceAttrs(n, 13); }

NodeAttrs importConstantOfShape(NodeImport& n) {
  ConstantOfShapeAttrs a;
  if (const onnx::TensorProto* tp = n.attrs.optTensor("value")) {
    Tensor t = decodeTensor(*tp, {n.where() + " attribute 'value'", "", nullptr});
    if (t.size() != 1) n.attrs.fail("value", "must hold exactly one element, has " + std::to_string(t.size()));
    a.dtype = t.dtype;
    if (isFloat(t.dtype)) a.value = t.getDouble(0);
    else a.intValue = t.getInt(0);
  }
  return a;
}

// Slice-1..9: starts/ends/axes attributes -> inputs 1, 2, 3.
NodeAttrs importSlice(NodeImport& n) {
  if (n.opset < 10) {
    n.setConstantInput(1, "starts", int64Vector(n.attrs.requireInts("starts")));
    n.setConstantInput(2, "ends", int64Vector(n.attrs.requireInts("ends")));
    if (auto axes = n.attrs.optInts("axes")) n.setConstantInput(3, "axes", int64Vector(*axes));
  }
  return NoAttrs{};
}

// Split-2..12: `split` attribute -> input 1; Split-18: num_outputs. Without sizes the axis
// splits into as many parts as the node has outputs.
NodeAttrs importSplit(NodeImport& n) {
  SplitAttrs a;
  a.axis = n.attrs.getInt("axis", 0);
  if (n.opset < 13)
    if (auto split = n.attrs.optInts("split")) n.setConstantInput(1, "split", int64Vector(*split));
  std::optional<int64_t> num = n.opset >= 18 ? n.attrs.optInt("num_outputs") : std::nullopt;
  const bool sized = n.input(1) != nullptr;
  if (num && sized) n.fail(ErrorCode::InvalidModel, "has both a split input and num_outputs");
  if (num && *num != static_cast<int64_t>(n.outputs.size()))
    n.attrs.fail("num_outputs", "is " + std::to_string(*num) + " but the node has " +
                                    std::to_string(n.outputs.size()) + " outputs");
  if (!sized) a.numOutputs = static_cast<int64_t>(n.outputs.size());
  return a;
}

}  // namespace

// Reduce*-1..17: axes attribute -> input 1.
NodeAttrs importReduce(NodeImport& n) { return reduceAttrs(n, 18); }

std::vector<OpImporterEntry> tensorOpImporters() {
  return {
      {OpKind::Clip, importClip},           {OpKind::Softmax, importSoftmax},
      {OpKind::Flatten, importFlatten},     {OpKind::Gather, importGather},
      {OpKind::Concat, importConcat},       {OpKind::Reshape, importReshape},
      {OpKind::Transpose, importTranspose}, {OpKind::Pad, importPad},
      {OpKind::Unsqueeze, importUnsqueeze}, {OpKind::Squeeze, importSqueeze},
      {OpKind::Shape, importShape},         {OpKind::Cast, importCast},
      {OpKind::Dropout, importDropout},     {OpKind::ReduceSum, importReduceSum},
      {OpKind::LogSoftmax, importSoftmax},  {OpKind::ConstantOfShape, importConstantOfShape},
      {OpKind::Slice, importSlice},         {OpKind::Split, importSplit},
  };
}

}  // namespace kiln::fe
