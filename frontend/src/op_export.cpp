// Export of standard ops. Most ops map 1:1 and only need their attribute struct written;
// Softmax (legacy 2-D), Reduce* (axes input -> attribute), Pad (axes input) and
// AveragePool (dilations) need care to stay valid at opset 17.
#include "op_export.h"

#include <array>

#include "kiln/ir/slice_plan.h"
#include "kiln/support/error.h"
#include "tensor_codec.h"

namespace kiln::fe {

namespace {

const char* autoPadName(AutoPad p) {
  switch (p) {
    case AutoPad::NotSet:
      return "NOTSET";
    case AutoPad::SameUpper:
      return "SAME_UPPER";
    case AutoPad::SameLower:
      return "SAME_LOWER";
    case AutoPad::Valid:
      return "VALID";
  }
  return "NOTSET";
}

const char* padModeName(PadMode m) {
  switch (m) {
    case PadMode::Constant:
      return "constant";
    case PadMode::Reflect:
      return "reflect";
    case PadMode::Edge:
      return "edge";
    case PadMode::Wrap:
      return "wrap";
  }
  return "constant";
}

void setIfAny(onnx::NodeProto& p, const char* name, const std::vector<int64_t>& v) {
  if (!v.empty()) setAttr(p, name, v);
}

[[noreturn]] void unsupported(const Node& n, const std::string& what) {
  throw Error(ErrorCode::Unsupported, n.describe() + ": " + what + " (exporting to opset 17)");
}

// Attribute struct -> ONNX attributes of the same op.
struct AttrWriter {
  onnx::NodeProto& p;
  const Node& n;

  void operator()(const NoAttrs&) {}
  void operator()(const ConvAttrs& a) {
    setIfAny(p, "kernel_shape", a.kernelShape);
    setIfAny(p, "strides", a.strides);
    setIfAny(p, "pads", a.pads);
    setIfAny(p, "dilations", a.dilations);
    setIfAny(p, "output_padding", a.outputPadding);
    setIfAny(p, "output_shape", a.outputShape);
    setAttr(p, "group", a.group);
    if (a.autoPad != AutoPad::NotSet) setAttr(p, "auto_pad", std::string(autoPadName(a.autoPad)));
  }
  void operator()(const GemmAttrs& a) {
    setAttr(p, "alpha", a.alpha);
    setAttr(p, "beta", a.beta);
    setAttr(p, "transA", int64_t{a.transA});
    setAttr(p, "transB", int64_t{a.transB});
  }
  void operator()(const BatchNormAttrs& a) {
    setAttr(p, "epsilon", static_cast<float>(a.epsilon));
    setAttr(p, "momentum", static_cast<float>(a.momentum));
    if (a.trainingMode) setAttr(p, "training_mode", int64_t{1});
  }
  void operator()(const InstanceNormAttrs& a) { setAttr(p, "epsilon", static_cast<float>(a.epsilon)); }
  void operator()(const LrnAttrs& a) {
    setAttr(p, "alpha", a.alpha);
    setAttr(p, "beta", a.beta);
    setAttr(p, "bias", a.bias);
    setAttr(p, "size", a.size);
  }
  void operator()(const PoolAttrs& a) {
    setAttr(p, "kernel_shape", a.kernelShape);
    setIfAny(p, "strides", a.strides);
    setIfAny(p, "pads", a.pads);
    if (a.autoPad != AutoPad::NotSet) setAttr(p, "auto_pad", std::string(autoPadName(a.autoPad)));
    setAttr(p, "ceil_mode", int64_t{a.ceilMode});
    if (n.kind == OpKind::MaxPool) {
      setIfAny(p, "dilations", a.dilations);
      return;
    }
    setAttr(p, "count_include_pad", int64_t{a.countIncludePad});
    for (int64_t d : a.dilations)
      if (d != 1) unsupported(n, "AveragePool dilations need opset 19");
  }
  void operator()(const AlphaAttrs& a) { setAttr(p, "alpha", a.alpha); }
  void operator()(const AlphaBetaAttrs& a) {
    setAttr(p, "alpha", a.alpha);
    setAttr(p, "beta", a.beta);
  }
  void operator()(const SeluAttrs& a) {
    setAttr(p, "alpha", a.alpha);
    setAttr(p, "gamma", a.gamma);
  }
  void operator()(const AxisAttrs& a) { setAttr(p, "axis", a.axis); }
  void operator()(const SoftmaxAttrs& a) { setAttr(p, "axis", a.axis); }
  void operator()(const ReshapeAttrs& a) {
    if (a.allowZero) setAttr(p, "allowzero", int64_t{1});
  }
  void operator()(const TransposeAttrs& a) { setIfAny(p, "perm", a.perm); }
  void operator()(const PadAttrs& a) {
    if (a.mode == PadMode::Wrap) unsupported(n, "Pad mode 'wrap' needs opset 19");
    setAttr(p, "mode", std::string(padModeName(a.mode)));
  }
  void operator()(const ReduceAttrs& a) { setAttr(p, "keepdims", int64_t{a.keepDims}); }
  void operator()(const ShapeAttrs& a) {
    if (a.start != 0) setAttr(p, "start", a.start);
    if (a.end) setAttr(p, "end", *a.end);
  }
  void operator()(const CastAttrs& a) { setAttr(p, "to", static_cast<int64_t>(dtypeToOnnx(a.to))); }
  void operator()(const ConstantOfShapeAttrs& a) {
    onnx::AttributeProto* at = p.add_attribute();
    at->set_name("value");
    at->set_type(onnx::AttributeProto::TENSOR);
    Tensor t = isFloat(a.dtype) ? Tensor::fromDoubles({a.value}, {1}, a.dtype) : Tensor::fromInts({a.intValue}, {1}, a.dtype);
    encodeTensor(t, "value", at->mutable_t());
  }
  void operator()(const SplitAttrs& a) { setAttr(p, "axis", a.axis); }
  void operator()(const ScaleShiftAttrs&) { internal(); }
  void operator()(const BatchNormTrainingAttrs&) { internal(); }
  [[noreturn]] void internal() {
    throw Error(ErrorCode::Internal, n.describe() + ": internal op reached the standard exporter");
  }
};

std::vector<std::string> names(const std::vector<Value*>& vs) {
  std::vector<std::string> out;
  for (const Value* v : vs) out.push_back(OnnxWriter::name(v));
  return out;
}

// Softmax before opset 13 flattens to 2-D at `axis`; that equals today's Softmax only when
// axis is the last one. Otherwise: Reshape(Softmax(Flatten(x, axis), axis=1), Shape(x)).
void exportSoftmax(OnnxWriter& w, const Node& n) {
  const auto& a = n.as<SoftmaxAttrs>();
  std::optional<int64_t> rank = rankOf(n.input(0));
  bool lastAxis = rank && (a.axis == *rank - 1 || a.axis == -1);
  if (!a.legacy2D || lastAxis) {
    onnx::NodeProto& p = w.addNode(std::string(opName(n.kind)), n.name, names(n.inputs), names(n.outputs));
    setAttr(p, "axis", a.axis);
    return;
  }
  std::string x = OnnxWriter::name(n.input(0));
  std::string shape = w.fresh(n.name + "_shape"), flat = w.fresh(n.name + "_flat"),
              soft = w.fresh(n.name + "_2d");
  w.addNode("Shape", n.name + "_shape", {x}, {shape});
  setAttr(w.addNode("Flatten", n.name + "_flatten", {x}, {flat}), "axis", a.axis);
  setAttr(w.addNode(std::string(opName(n.kind)), n.name, {flat}, {soft}), "axis", int64_t{1});
  w.addNode("Reshape", n.name + "_unflatten", {soft, shape}, {OnnxWriter::name(n.outputs[0])});
}

// Reduce*-13 take axes as an attribute and have no noop_with_empty_axes.
void exportReduce(OnnxWriter& w, const Node& n) {
  const auto& a = n.as<ReduceAttrs>();
  const Value* axesValue = n.input(1);
  std::vector<int64_t> axes;
  if (axesValue) {
    if (!axesValue->isConstant())
      unsupported(n, "axes input '" + axesValue->name + "' is not constant");
    axes = axesValue->constant->toInts();
  }
  std::string x = OnnxWriter::name(n.input(0)), y = OnnxWriter::name(n.outputs[0]);
  if (axes.empty() && a.noopWithEmptyAxes) {
    w.addNode("Identity", n.name, {x}, {y});
    return;
  }
  onnx::NodeProto& p = w.addNode(opName(n.kind), n.name, {x}, {y});
  setIfAny(p, "axes", axes);
  setAttr(p, "keepdims", int64_t{a.keepDims});
}

// ReduceSum-13 already takes axes as an input and has noop_with_empty_axes.
void exportReduceSum(OnnxWriter& w, const Node& n) {
  onnx::NodeProto& p = w.addNode("ReduceSum", n.name, names(n.inputs), names(n.outputs));
  const auto& a = n.as<ReduceAttrs>();
  setAttr(p, "keepdims", int64_t{a.keepDims});
  if (a.noopWithEmptyAxes) setAttr(p, "noop_with_empty_axes", int64_t{1});
}

// Split-13 has no num_outputs: unequal parts need the sizes as input 1.
void exportSplit(OnnxWriter& w, const Node& n) {
  const auto& a = n.as<SplitAttrs>();
  if (n.input(1)) return exportStandard(w, n);
  const Value* x = n.input(0);
  const int64_t axis = a.axis < 0 && rankOf(x) ? a.axis + *rankOf(x) : a.axis;
  std::optional<std::vector<int64_t>> sizes;
  if (x->hasShape && axis >= 0 && axis < static_cast<int64_t>(x->shape.size()) && x->shape[axis].isKnown())
    sizes = equalSplit(x->shape[axis].value, a.numOutputs);
  if (!sizes) unsupported(n, "splitting an axis of unknown extent into num_outputs parts needs opset 18");
  onnx::NodeProto& p = w.addNode("Split", n.name,
                                 {OnnxWriter::name(x), w.addInt64s(n.name + "_split", *sizes)}, names(n.outputs));
  setAttr(p, "axis", a.axis);
}

// Pad-13 has no axes input: spread the pads over all axes.
void exportPad(OnnxWriter& w, const Node& n) {
  const Value* axesValue = n.input(3);
  if (!axesValue) return exportStandard(w, n);
  const Value* padsValue = n.input(1);
  std::optional<int64_t> rank = rankOf(n.input(0));
  if (!axesValue->isConstant() || !padsValue || !padsValue->isConstant() || !rank)
    unsupported(n, "Pad with an axes input needs constant pads and axes and a known rank");
  std::vector<int64_t> axes = axesValue->constant->toInts(), pads = padsValue->constant->toInts();
  if (pads.size() != 2 * axes.size())
    throw Error(ErrorCode::InvalidModel, n.describe() + ": pads and axes lengths disagree");
  std::vector<int64_t> full(static_cast<size_t>(2 * *rank), 0);
  for (size_t i = 0; i < axes.size(); ++i) {
    int64_t ax = axes[i] < 0 ? axes[i] + *rank : axes[i];
    if (ax < 0 || ax >= *rank)
      throw Error(ErrorCode::InvalidModel,
                  n.describe() + ": axis " + std::to_string(axes[i]) + " is out of range");
    full[ax] = pads[i];
    full[ax + *rank] = pads[i + axes.size()];
  }
  onnx::NodeProto& p = w.addNode("Pad", n.name,
                                 {OnnxWriter::name(n.input(0)), w.addInt64s(n.name + "_pads", full),
                                  OnnxWriter::name(n.input(2))},
                                 names(n.outputs));
  AttrWriter{p, n}(n.as<PadAttrs>());
}

// BatchNormalization-15 in training mode must list all three outputs.
void exportBatchNorm(OnnxWriter& w, const Node& n) {
  if (!n.as<BatchNormAttrs>().trainingMode) return exportStandard(w, n);
  std::vector<Value*> outputs = n.outputs;
  outputs.resize(3, nullptr);
  onnx::NodeProto& p = w.addNode(
      "BatchNormalization", n.name, names(n.inputs),
      w.batchNormTrainingOutputs(OnnxWriter::name(outputs[0]), outputs[1], outputs[2], n.name));
  AttrWriter{p, n}(n.as<BatchNormAttrs>());
}

using ExporterTable = std::array<OpExporter, kNumOps>;

ExporterTable buildTable() {
  ExporterTable table;
  table.fill(exportStandard);
  // Every op with ReduceAttrs (ReduceMean and any Reduce* added to ops.def) shares one rule.
#define KILN_OP(Id, Domain, Name, Attrs, MinIn, MaxIn, MinOut, MaxOut) \
  if (std::is_same_v<Attrs, ReduceAttrs>) table[static_cast<size_t>(OpKind::Id)] = exportReduce;
#include "kiln/ir/ops.def"
#undef KILN_OP
  const OpExporterEntry special[] = {
      {OpKind::Softmax, exportSoftmax},
      {OpKind::LogSoftmax, exportSoftmax},
      {OpKind::ReduceSum, exportReduceSum},
      {OpKind::Split, exportSplit},
      {OpKind::Pad, exportPad},
      {OpKind::BatchNormalization, exportBatchNorm},
  };
  for (const OpExporterEntry& e : special) table[static_cast<size_t>(e.kind)] = e.exportNode;
  for (const OpExporterEntry& e : internalOpExporters())
    table[static_cast<size_t>(e.kind)] = e.exportNode;
  return table;
}

}  // namespace

void exportStandard(OnnxWriter& w, const Node& n) {
  onnx::NodeProto& p = w.addNode(opName(n.kind), n.name, names(n.inputs), names(n.outputs));
  std::visit(AttrWriter{p, n}, n.attrs);
}

std::optional<int64_t> rankOf(const Value* v) {
  if (!v || !v->hasShape) return std::nullopt;
  return static_cast<int64_t>(v->shape.size());
}

OpExporter opExporter(OpKind kind) {
  static const ExporterTable table = buildTable();
  return table[static_cast<size_t>(kind)];
}

}  // namespace kiln::fe
