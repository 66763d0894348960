#include "onnx_writer.h"

#include "tensor_codec.h"

namespace kiln::fe {

std::string OnnxWriter::fresh(const std::string& hint) {
  std::string base = hint.empty() ? "t" : hint;
  std::string candidate = base;
  for (int i = 1; g_.findValue(candidate) || taken_.count(candidate); ++i)
    candidate = base + "_" + std::to_string(i);
  taken_.insert(candidate);
  return candidate;
}

onnx::NodeProto& OnnxWriter::addNode(std::string_view opType, const std::string& nodeName,
                                     std::vector<std::string> inputs,
                                     std::vector<std::string> outputs) {
  while (!inputs.empty() && inputs.back().empty()) inputs.pop_back();
  while (!outputs.empty() && outputs.back().empty()) outputs.pop_back();
  onnx::NodeProto& n = *gp_.add_node();
  n.set_op_type(std::string(opType));
  // onnxruntime rejects duplicate node names; kiln does not require unique ones.
  std::string unique = nodeName;
  for (int i = 1; !nodeNames_.insert(unique).second; ++i)
    unique = nodeName + "_" + std::to_string(i);
  n.set_name(unique);
  for (auto& in : inputs) n.add_input(std::move(in));
  for (auto& out : outputs) n.add_output(std::move(out));
  return n;
}

std::string OnnxWriter::addInitializer(const std::string& hint, const Tensor& t) {
  std::string name = fresh(hint);
  encodeTensor(t, name, gp_.add_initializer());
  return name;
}

std::string OnnxWriter::addInt64s(const std::string& hint, const std::vector<int64_t>& values) {
  return addInitializer(hint, Tensor::fromInts(values, {static_cast<int64_t>(values.size())}));
}

std::string OnnxWriter::addScalar(const std::string& hint, double value, DType t) {
  return addInitializer(hint, Tensor::fromDoubles({value}, {}, t));
}

void OnnxWriter::writeConstant(const Value* v) {
  if (!v || !v->isConstant() || !written_.insert(v).second) return;
  encodeTensor(*v->constant, v->name, gp_.add_initializer());
}

std::vector<std::string> OnnxWriter::batchNormTrainingOutputs(const std::string& y,
                                                              const Value* mean, const Value* var,
                                                              const std::string& nodeName) {
  return {y, mean ? name(mean) : fresh(nodeName + "_running_mean_unused"),
          var ? name(var) : fresh(nodeName + "_running_var_unused")};
}

std::string OnnxWriter::broadcastChannel(const Value* v, int64_t trailingOnes,
                                         const std::string& nodeName) {
  if (trailingOnes <= 0) return name(v);
  std::vector<int64_t> shape(static_cast<size_t>(trailingOnes) + 1, 1);
  if (v->isConstant()) {
    Tensor t = *v->constant;
    shape[0] = t.size();
    t.dims = shape;
    return addInitializer(v->name + "_bcast", t);
  }
  shape[0] = -1;
  std::string out = fresh(v->name + "_bcast");
  addNode("Reshape", nodeName + "_" + v->name + "_reshape",
          {name(v), addInt64s(v->name + "_bcast_shape", shape)}, {out});
  return out;
}

namespace {
onnx::AttributeProto& newAttr(onnx::NodeProto& n, const std::string& name,
                              onnx::AttributeProto::AttributeType type) {
  onnx::AttributeProto& a = *n.add_attribute();
  a.set_name(name);
  a.set_type(type);
  return a;
}
}  // namespace

void setAttr(onnx::NodeProto& n, const std::string& name, int64_t v) {
  newAttr(n, name, onnx::AttributeProto::INT).set_i(v);
}
void setAttr(onnx::NodeProto& n, const std::string& name, float v) {
  newAttr(n, name, onnx::AttributeProto::FLOAT).set_f(v);
}
void setAttr(onnx::NodeProto& n, const std::string& name, const std::vector<int64_t>& v) {
  auto& a = newAttr(n, name, onnx::AttributeProto::INTS);
  for (int64_t x : v) a.add_ints(x);
}
void setAttr(onnx::NodeProto& n, const std::string& name, const std::string& v) {
  newAttr(n, name, onnx::AttributeProto::STRING).set_s(v);
}

}  // namespace kiln::fe
