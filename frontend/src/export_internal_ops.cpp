// Export of kiln-internal ops as standard ONNX (opset 17).
//
// ScaleShift(x, s, b; axis a):  y = x * s[c] + b[c]  ->  Mul(x, s') + b'  with s', b' shaped
// [C,1,...,1] (rank-1-a trailing ones) so they broadcast along axis a.
//
// BatchNormTraining: when ONNX BatchNormalization(training_mode=1) computes exactly the same
// thing (channel axis 1, population variance for normalisation and for the running variance),
// emit it plus the activation. Otherwise spell the statistics out:
//   mean = ReduceMean(x, R, keepdims)             R = all axes but `axis` (or all axes)
//   d    = x - mean;  var = ReduceMean(d*d, R, keepdims)
//   var_u = var * n/(n-1)                         n = number of reduced elements (a constant,
//                                                 or Shape->Gather->ReduceProd->Cast when a
//                                                 reduced dim is symbolic)
//   y    = act(scale * d / sqrt(var' + eps) + bias)      var' = var_u if unbiasedVar else var
//   running_mean' = running_mean*momentum + mean*(1-momentum)   (mean flattened to [C] or [1])
//   running_var'  = running_var *momentum + v   *(1-momentum)   v = var_u or var
#include <numeric>

#include "kiln/support/error.h"
#include "op_export.h"
#include "tensor_codec.h"

namespace kiln::fe {

namespace {

[[noreturn]] void unsupported(const Node& n, const std::string& what) {
  throw Error(ErrorCode::Unsupported, n.describe() + ": " + what + " (exporting to opset 17)");
}

int64_t requireRank(const Node& n, const Value* v) {
  std::optional<int64_t> r = rankOf(v);
  if (!r) unsupported(n, "the rank of input '" + v->name + "' is unknown");
  return *r;
}

int64_t normaliseAxis(const Node& n, int64_t axis, int64_t rank) {
  int64_t a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank)
    throw Error(ErrorCode::InvalidModel, n.describe() + ": axis " + std::to_string(axis) +
                                             " is out of range for rank " + std::to_string(rank));
  return a;
}

// Length of a 1-D per-channel parameter, when known.
std::optional<int64_t> channelCount(const Value* v) {
  if (v && v->hasShape && v->shape.size() == 1 && v->shape[0].isKnown()) return v->shape[0].value;
  return std::nullopt;
}

void exportScaleShift(OnnxWriter& w, const Node& n) {
  int64_t rank = requireRank(n, n.input(0));
  int64_t axis = normaliseAxis(n, n.as<ScaleShiftAttrs>().axis, rank);
  std::string scale = w.broadcastChannel(n.input(1), rank - 1 - axis, n.name);
  std::string shift = w.broadcastChannel(n.input(2), rank - 1 - axis, n.name);
  std::string scaled = w.fresh(n.name + "_scaled");
  w.addNode("Mul", n.name + "_mul", {OnnxWriter::name(n.input(0)), scale}, {scaled});
  w.addNode("Add", n.name + "_add", {scaled, shift}, {OnnxWriter::name(n.outputs[0])});
}

// act(in) -> out; with no activation the producer writes `out` directly (see preActivation).
void emitActivation(OnnxWriter& w, const Node& n, const std::string& in, const std::string& out) {
  const ActivationAttrs& act = n.as<BatchNormTrainingAttrs>().activation;
  std::string node = n.name + "_act";
  switch (act.kind) {
    case Activation::None:
      return;
    case Activation::Relu:
      w.addNode("Relu", node, {in}, {out});
      return;
    case Activation::Sigmoid:
      w.addNode("Sigmoid", node, {in}, {out});
      return;
    case Activation::Tanh:
      w.addNode("Tanh", node, {in}, {out});
      return;
    case Activation::LeakyRelu:
      setAttr(w.addNode("LeakyRelu", node, {in}, {out}), "alpha", act.alpha);
      return;
    case Activation::Clip: {
      DType t = n.input(0)->dtype;
      w.addNode("Clip", node,
                {in, w.addScalar(n.name + "_clip_min", act.alpha, t),
                 w.addScalar(n.name + "_clip_max", act.beta, t)},
                {out});
      return;
    }
  }
}

std::string preActivation(OnnxWriter& w, const Node& n) {
  std::string y = OnnxWriter::name(n.outputs[0]);
  if (n.as<BatchNormTrainingAttrs>().activation.kind == Activation::None) return y;
  return w.fresh(y + "_preact");
}

bool fitsOnnxBatchNorm(const Node& n) {
  const auto& a = n.as<BatchNormTrainingAttrs>();
  bool runningVarOut = n.outputs.size() > 2 && n.outputs[2];
  return !a.wholeTensor && a.axis == 1 && !a.unbiasedVar &&
         !(a.unbiasedRunningVar && runningVarOut);
}

void exportAsOnnxBatchNorm(OnnxWriter& w, const Node& n) {
  const auto& a = n.as<BatchNormTrainingAttrs>();
  const Value* scale = n.input(1);
  auto stat = [&](size_t index, double fill, const char* hint) {
    if (const Value* v = n.input(index)) return OnnxWriter::name(v);
    std::optional<int64_t> c = channelCount(scale);
    if (!c) unsupported(n, "the channel count of scale '" + scale->name + "' is unknown");
    std::vector<double> values(static_cast<size_t>(*c), fill);
    return w.addInitializer(n.name + hint, Tensor::fromDoubles(values, {*c}, scale->dtype));
  };
  std::string pre = preActivation(w, n);
  std::vector<Value*> outputs = n.outputs;
  outputs.resize(3, nullptr);
  std::vector<std::string> outs = w.batchNormTrainingOutputs(pre, outputs[1], outputs[2], n.name);
  onnx::NodeProto& bn = w.addNode(
      "BatchNormalization", n.name,
      {OnnxWriter::name(n.input(0)), OnnxWriter::name(scale), OnnxWriter::name(n.input(2)),
       stat(3, 0.0, "_running_mean"), stat(4, 1.0, "_running_var")},
      outs);
  setAttr(bn, "epsilon", static_cast<float>(a.epsilon));
  setAttr(bn, "momentum", static_cast<float>(a.momentum));
  setAttr(bn, "training_mode", int64_t{1});
  emitActivation(w, n, pre, OnnxWriter::name(n.outputs[0]));
}

class Decomposer {
 public:
  Decomposer(OnnxWriter& w, const Node& n)
      : w_(w), n_(n), a_(n.as<BatchNormTrainingAttrs>()), x_(n.input(0)) {}

  void run() {
    chooseAxes();
    std::string x = OnnxWriter::name(x_);
    std::string mean = reduceMean(x, "mean");
    std::string d = binary("Sub", x, mean, "centered");
    std::string var = reduceMean(binary("Mul", d, d, "squared"), "var");
    bool runningVarOut = n_.outputs.size() > 2 && n_.outputs[2];
    std::string varU;
    if (a_.unbiasedVar || (a_.unbiasedRunningVar && runningVarOut)) {
      varU = binary("Mul", var, besselFactor(), "var_unbiased");
    }
    std::string normVar = a_.unbiasedVar ? varU : var;
    std::string denom = unary(
        "Sqrt", binary("Add", normVar, scalar("eps", a_.epsilon, x_->dtype), "var_eps"), "std");
    std::string norm = binary("Div", d, denom, "normalized");
    std::string scaled = binary("Mul", norm, channelParam(n_.input(1)), "scaled");
    std::string pre = preActivation(w_, n_);
    w_.addNode("Add", n_.name + "_bias", {scaled, channelParam(n_.input(2))}, {pre});
    emitActivation(w_, n_, pre, OnnxWriter::name(n_.outputs[0]));
    if (n_.outputs.size() > 1 && n_.outputs[1]) updateRunning(1, 3, mean, 0.0);
    if (runningVarOut) updateRunning(2, 4, a_.unbiasedRunningVar ? varU : var, 1.0);
  }

 private:
  void chooseAxes() {
    if (a_.wholeTensor) {
      // ReduceMean without axes reduces everything; the axis only places scale and bias.
      std::optional<int64_t> r = rankOf(x_);
      if (r && a_.axis >= -*r && a_.axis < *r) {
        rank_ = *r;
        axis_ = normaliseAxis(n_, a_.axis, rank_);
      }
      return;
    }
    rank_ = requireRank(n_, x_);
    axis_ = normaliseAxis(n_, a_.axis, rank_);
    for (int64_t i = 0; i < rank_; ++i)
      if (i != axis_) axes_.push_back(i);
  }

  // n/(n-1) for n reduced elements: a constant when the reduced dims are known, otherwise
  // computed from the run-time shape.
  std::string besselFactor() {
    if (!x_->hasShape) unsupported(n_, "unbiased variance needs the rank of '" + x_->name + "'");
    std::vector<int64_t> reduced;
    int64_t count = 1;
    bool known = true;
    for (int64_t i = 0; i < static_cast<int64_t>(x_->shape.size()); ++i) {
      if (!a_.wholeTensor && i == axis_) continue;
      reduced.push_back(i);
      known = known && x_->shape[i].isKnown();
      if (known) count *= x_->shape[i].value;
    }
    if (known) {
      if (count < 2) unsupported(n_, "unbiased variance of fewer than 2 elements");
      return scalar("bessel", static_cast<double>(count) / (count - 1.0), x_->dtype);
    }
    std::string shape = unary("Shape", OnnxWriter::name(x_), "shape");
    std::string dims = binary("Gather", shape, w_.addInt64s(n_.name + "_reduced_axes", reduced),
                              "reduced_dims");
    std::string prod = w_.fresh(n_.name + "_count_i64");
    setAttr(w_.addNode("ReduceProd", n_.name + "_count_i64", {dims}, {prod}), "keepdims",
            int64_t{0});
    std::string n = w_.fresh(n_.name + "_count");
    setAttr(w_.addNode("Cast", n_.name + "_count", {prod}, {n}), "to",
            static_cast<int64_t>(dtypeToOnnx(x_->dtype)));
    std::string nMinus1 = binary("Sub", n, scalar("one", 1.0, x_->dtype), "count_minus_1");
    return binary("Div", n, nMinus1, "bessel");
  }

  std::string reduceMean(const std::string& in, const char* hint) {
    std::string out = w_.fresh(n_.name + "_" + hint);
    onnx::NodeProto& p = w_.addNode("ReduceMean", n_.name + "_" + hint, {in}, {out});
    if (!axes_.empty()) setAttr(p, "axes", axes_);
    setAttr(p, "keepdims", int64_t{1});
    return out;
  }

  std::string binary(const char* op, const std::string& l, const std::string& r, const char* hint) {
    std::string out = w_.fresh(n_.name + "_" + hint);
    w_.addNode(op, n_.name + "_" + hint, {l, r}, {out});
    return out;
  }

  std::string unary(const char* op, const std::string& in, const char* hint) {
    std::string out = w_.fresh(n_.name + "_" + hint);
    w_.addNode(op, n_.name + "_" + hint, {in}, {out});
    return out;
  }

  std::string scalar(const char* hint, double v, DType t) {
    return w_.addScalar(n_.name + "_" + hint, v, t);
  }

  // A 1-D [C] parameter broadcast along the channel axis; other shapes (scalars, [1], or
  // already broadcastable) are used as they are.
  std::string channelParam(const Value* v) {
    bool perChannel = v->hasShape && v->shape.size() == 1 && !(v->shape[0] == Dim::known(1));
    if (!perChannel || rank_ < 0) return OnnxWriter::name(v);
    return w_.broadcastChannel(v, rank_ - 1 - axis_, n_.name);
  }

  // out = running*momentum + flat(batchStat)*(1-momentum). The flattened statistic is [C]
  // (or [1] for the whole tensor, broadcast over a [C] running statistic). An absent running
  // statistic counts as the scalar `absentValue` (0 for the mean, 1 for the variance).
  void updateRunning(size_t output, size_t input, const std::string& batchStat,
                     double absentValue) {
    const Value* running = n_.input(input);
    DType t = running ? running->dtype : x_->dtype;
    std::string stat = binary("Reshape", batchStat, w_.addInt64s(n_.name + "_flat", {-1}), "stat");
    std::string part =
        binary("Mul", stat, scalar("one_minus_momentum", 1.0 - a_.momentum, t), "stat_part");
    std::string old = running ? binary("Mul", OnnxWriter::name(running),
                                       scalar("momentum", a_.momentum, t), "running_part")
                              : scalar("running_part", absentValue * a_.momentum, t);
    w_.addNode("Add", n_.name + "_running_" + std::to_string(output), {old, part},
               {OnnxWriter::name(n_.outputs[output])});
  }

  OnnxWriter& w_;
  const Node& n_;
  const BatchNormTrainingAttrs& a_;
  const Value* x_;
  int64_t rank_ = -1, axis_ = -1;
  std::vector<int64_t> axes_;
};

void exportBatchNormTraining(OnnxWriter& w, const Node& n) {
  if (fitsOnnxBatchNorm(n)) return exportAsOnnxBatchNorm(w, n);
  Decomposer(w, n).run();
}

}  // namespace

std::vector<OpExporterEntry> internalOpExporters() {
  return {
      {OpKind::ScaleShift, exportScaleShift},
      {OpKind::BatchNormTraining, exportBatchNormTraining},
  };
}

}  // namespace kiln::fe
