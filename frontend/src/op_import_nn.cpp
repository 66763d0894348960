// Importers for Conv/ConvTranspose, Gemm, BatchNormalization, the activations with
// parameters (LeakyRelu, Elu, Selu, HardSigmoid), PRelu's legacy channel slope and pooling.
#include <algorithm>

#include "kiln/support/error.h"
#include "op_import.h"

namespace kiln::fe {

namespace {

// kernel/strides/dilations must be >= 1, pads >= 0.
std::vector<int64_t> readDims(NodeImport& n, const char* name, int64_t min) {
  std::vector<int64_t> v = n.attrs.getInts(name);
  for (int64_t x : v)
    if (x < min)
      n.attrs.fail(name, "has value " + std::to_string(x) + ", must be >= " + std::to_string(min));
  return v;
}

NodeAttrs importConvLike(NodeImport& n, bool transpose) {
  ConvAttrs a;
  a.kernelShape = readDims(n, "kernel_shape", 1);
  a.strides = readDims(n, "strides", 1);
  a.dilations = readDims(n, "dilations", 1);
  a.pads = readDims(n, "pads", 0);
  a.group = n.attrs.getInt("group", 1);
  if (a.group < 1) n.attrs.fail("group", "must be >= 1, got " + std::to_string(a.group));
  a.autoPad = parseAutoPad(n);
  if (transpose) {
    a.outputPadding = readDims(n, "output_padding", 0);
    a.outputShape = readDims(n, "output_shape", 0);
  }
  return a;
}

NodeAttrs importConv(NodeImport& n) { return importConvLike(n, false); }
NodeAttrs importConvTranspose(NodeImport& n) { return importConvLike(n, true); }

NodeAttrs importGemm(NodeImport& n) {
  GemmAttrs a;
  a.alpha = n.attrs.getFloat("alpha", 1.0f);
  a.beta = n.attrs.getFloat("beta", 1.0f);
  a.transA = n.attrs.getBool("transA", false);
  a.transB = n.attrs.getBool("transB", false);
  return a;
}

// Training mode: opset >= 14 says so with training_mode; before that, asking for the
// running statistics (more than one output) means training.
NodeAttrs importBatchNorm(NodeImport& n) {
  BatchNormAttrs a;
  // ONNX attributes are floats: the defaults are float(1e-5) and float(0.9).
  a.epsilon = n.attrs.getFloat("epsilon", 1e-5f);
  a.momentum = n.attrs.getFloat("momentum", 0.9f);
  if (n.opset < 9) {
    int64_t spatial = n.attrs.getInt("spatial", 1);
    if (spatial != 1)
      n.fail(ErrorCode::Unsupported,
             "attribute 'spatial'=" + std::to_string(spatial) +
                 " (per-activation statistics) is not supported; only spatial=1");
  }
  if (n.opset >= 14) {
    a.trainingMode = n.attrs.getBool("training_mode", false);
  } else {
    a.trainingMode = std::any_of(n.outputs.begin() + std::min<size_t>(1, n.outputs.size()),
                                 n.outputs.end(), [](Value* v) { return v != nullptr; });
  }
  // saved_mean / saved_var (opset < 14) have no kiln equivalent.
  n.dropUnusedOutputs(3, true, "the saved mean/variance outputs are not supported");
  if (!a.trainingMode)
    n.dropUnusedOutputs(1, false, "running statistics outputs exist only in training mode");
  return a;
}

NodeAttrs importInstanceNorm(NodeImport& n) {
  return InstanceNormAttrs{n.attrs.getFloat("epsilon", 1e-5f)};  // a float attribute, like BN's
}

NodeAttrs importLrn(NodeImport& n) {
  LrnAttrs a;
  a.size = n.attrs.requireInt("size");
  if (a.size < 1) n.attrs.fail("size", "must be >= 1, got " + std::to_string(a.size));
  a.alpha = n.attrs.getFloat("alpha", 1e-4f);
  a.beta = n.attrs.getFloat("beta", 0.75f);
  a.bias = n.attrs.getFloat("bias", 1.0f);
  return a;
}

NodeAttrs importLeakyRelu(NodeImport& n) {
  AlphaAttrs a;
  a.alpha = n.attrs.getFloat("alpha", 0.01f);
  return a;
}

NodeAttrs importElu(NodeImport& n) {
  if (n.opset < 6) n.attrs.ignore("consumed_inputs");
  return AlphaAttrs{n.attrs.getFloat("alpha", 1.0f)};
}

NodeAttrs importSelu(NodeImport& n) {
  if (n.opset < 6) n.attrs.ignore("consumed_inputs");
  SeluAttrs a;
  a.alpha = n.attrs.getFloat("alpha", a.alpha);
  a.gamma = n.attrs.getFloat("gamma", a.gamma);
  return a;
}

NodeAttrs importHardSigmoid(NodeImport& n) {
  if (n.opset < 6) n.attrs.ignore("consumed_inputs");
  AlphaBetaAttrs a;
  a.alpha = n.attrs.getFloat("alpha", 0.2f);
  a.beta = n.attrs.getFloat("beta", 0.5f);
  return a;
}

// PRelu before opset 7 applied a 1-D slope of length C per channel (axis 1). ONNX's version
// converter, which upgrades such models to opset 7, keeps that slope, where opset 7 would
// broadcast it against the last axis: a constant 1-D slope of length C > 1 that matches axis
// 1 but not the last axis (so it could not broadcast numpy-style) becomes [C, 1, ..., 1].
NodeAttrs importPRelu(NodeImport& n) {
  if (n.opset < 6) n.attrs.ignore("consumed_inputs");
  const Value* x = n.input(0);
  const Value* slope = n.input(1);
  if (!x || !slope || !slope->isConstant() || !x->hasShape || x->shape.size() < 3 || slope->constant->rank() != 1)
    return NoAttrs{};
  const int64_t c = slope->constant->dims[0];
  const Dim& ch = x->shape[1];
  const Dim& last = x->shape.back();
  if (c > 1 && ch.isKnown() && ch.value == c && last.isKnown() && last.value != c) {
    Tensor t = *slope->constant;
    t.dims.assign(x->shape.size() - 1, 1);
    t.dims[0] = c;
    n.inputs[1] = n.addConstant(slope->name + "_per_channel", std::move(t));
  }
  return NoAttrs{};
}

NodeAttrs importPool(NodeImport& n, bool isMax) {
  PoolAttrs a;
  a.kernelShape = readDims(n, "kernel_shape", 1);
  if (a.kernelShape.empty()) n.attrs.fail("kernel_shape", "is required");
  a.strides = readDims(n, "strides", 1);
  a.dilations = readDims(n, "dilations", 1);
  a.pads = readDims(n, "pads", 0);
  a.autoPad = parseAutoPad(n);
  a.ceilMode = n.attrs.getBool("ceil_mode", false);
  if (isMax) {
    n.attrs.optInt("storage_order");  // only affects the Indices output
    if (n.outputs.size() > 1 && n.outputs[1])
      n.fail(ErrorCode::Unsupported,
             "output 'Indices' ('" + n.outputs[1]->name + "') is not supported");
  } else {
    a.countIncludePad = n.attrs.getBool("count_include_pad", false);
  }
  return a;
}

NodeAttrs importMaxPool(NodeImport& n) { return importPool(n, true); }
NodeAttrs importAveragePool(NodeImport& n) { return importPool(n, false); }

}  // namespace

AutoPad parseAutoPad(NodeImport& n) {
  std::optional<std::string> s = n.attrs.optString("auto_pad");
  if (!s || s->empty() || *s == "NOTSET") return AutoPad::NotSet;
  if (*s == "SAME_UPPER") return AutoPad::SameUpper;
  if (*s == "SAME_LOWER") return AutoPad::SameLower;
  if (*s == "VALID") return AutoPad::Valid;
  n.attrs.fail("auto_pad", "has unknown value '" + *s + "'");
}

std::vector<OpImporterEntry> nnOpImporters() {
  return {
      {OpKind::Conv, importConv},
      {OpKind::ConvTranspose, importConvTranspose},
      {OpKind::Gemm, importGemm},
      {OpKind::BatchNormalization, importBatchNorm},
      {OpKind::LeakyRelu, importLeakyRelu},
      {OpKind::InstanceNormalization, importInstanceNorm},
      {OpKind::LRN, importLrn},
      {OpKind::Elu, importElu},
      {OpKind::Selu, importSelu},
      {OpKind::HardSigmoid, importHardSigmoid},
      {OpKind::PRelu, importPRelu},
      {OpKind::MaxPool, importMaxPool},
      {OpKind::AveragePool, importAveragePool},
  };
}

}  // namespace kiln::fe
