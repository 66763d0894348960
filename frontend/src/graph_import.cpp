#include "graph_import.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "attr_reader.h"
#include "kiln/support/checked_math.h"
#include "kiln/support/error.h"
#include "op_import.h"
#include "tensor_codec.h"

namespace kiln::fe {

namespace {

// "Conv node 'conv1'" before the op kind is known (unknown ops included).
std::string describeProto(const onnx::NodeProto& p, const std::string& name) {
  return p.op_type() + " node '" + name + "'";
}

bool isDefaultDomain(const std::string& d) { return d.empty() || d == "ai.onnx"; }

std::string nodeName(const onnx::NodeProto& p, int index) {
  return p.name().empty() ? p.op_type() + "_" + std::to_string(index) : p.name();
}

// Every node kiln cannot import (an unknown op, or an op of another domain), so one error
// lists them all: a user porting a model sees the whole gap at once, not one op per try.
void refuseUnsupportedOps(const onnx::GraphProto& gp) {
  struct Gap {
    std::string first;  // "Slice node 'Slice_3'"
    int64_t count = 0;
  };
  std::vector<std::pair<std::string, Gap>> gaps;  // in order of first appearance
  int64_t nodes = 0;
  for (int i = 0; i < gp.node_size(); ++i) {
    const onnx::NodeProto& p = gp.node(i);
    std::string what;
    if (!isDefaultDomain(p.domain())) what = "op '" + p.op_type() + "' of domain '" + p.domain() + "'";
    else if (p.op_type() != "Constant" && !opFromOnnxName(p.op_type())) what = "op '" + p.op_type() + "'";
    if (what.empty()) continue;
    ++nodes;
    auto it = std::find_if(gaps.begin(), gaps.end(), [&](const auto& g) { return g.first == what; });
    if (it == gaps.end()) it = gaps.insert(gaps.end(), {what, Gap{describeProto(p, nodeName(p, i)), 0}});
    ++it->second.count;
  }
  if (gaps.empty()) return;
  if (nodes == 1) {
    const std::string& what = gaps[0].first;
    const bool domain = what.find("' of domain '") != std::string::npos;
    throw Error(ErrorCode::Unsupported, gaps[0].second.first + ": " + what + " is not supported" +
                                            (domain ? " (only the default ONNX domain is)" : ""));
  }
  std::string msg = std::to_string(nodes) + " nodes use ops kiln does not support (only the default ONNX domain is):";
  for (const auto& [what, gap] : gaps)
    msg += "\n  " + what + ": " + std::to_string(gap.count) + (gap.count == 1 ? " node (" : " nodes (first: ") +
           gap.first + ")";
  throw Error(ErrorCode::Unsupported, msg);
}

template <typename T>
void trimTrailingNulls(std::vector<T*>& v) {
  while (!v.empty() && !v.back()) v.pop_back();
}

class GraphImporter {
 public:
  GraphImporter(Graph& g, int64_t opset, std::string baseDir)
      : g_(g), opset_(opset), baseDir_(std::move(baseDir)) {}

  void run(const onnx::GraphProto& gp) {
    g_.name = gp.name();
    if (gp.sparse_initializer_size() > 0)
      throw Error(
          ErrorCode::Unsupported,
          "sparse initializer '" + gp.sparse_initializer(0).values().name() + "' is not supported");
    refuseUnsupportedOps(gp);
    collectNames(gp);
    for (const onnx::TensorProto& t : gp.initializer()) addInitializer(t);
    for (const onnx::ValueInfoProto& vi : gp.input()) addInput(vi);
    for (int i = 0; i < gp.node_size(); ++i) declareNode(gp.node(i), i);
    for (const onnx::ValueInfoProto& vi : gp.value_info()) annotate(vi, "value");
    for (const onnx::ValueInfoProto& vi : gp.output()) annotate(vi, "graph output");
    for (Pending& p : pending_) buildNode(p);
    for (const onnx::ValueInfoProto& vi : gp.output()) addOutput(vi);
    g_.topoSort();
    g_.pruneValues();
  }

 private:
  // A non-Constant node whose outputs exist but whose attributes are not parsed yet.
  struct Pending {
    const onnx::NodeProto* proto;
    OpKind kind;
    std::string name;
    std::vector<Value*> outputs;
  };

  void collectNames(const onnx::GraphProto& gp) {
    auto dims = [&](const onnx::ValueInfoProto& vi) {
      if (!vi.type().has_tensor_type()) return;
      for (const auto& d : vi.type().tensor_type().shape().dim())
        if (d.has_dim_param()) dimParams_.insert(d.dim_param());
    };
    for (const auto& vi : gp.input()) dims(vi);
    for (const auto& vi : gp.output()) dims(vi);
    for (const auto& vi : gp.value_info()) dims(vi);
    for (const auto& n : gp.node())
      for (const std::string& in : n.input()) used_.insert(in);
    for (const auto& vi : gp.output()) used_.insert(vi.name());
  }

  Value* define(const std::string& name, const std::string& what) {
    if (name.empty()) throw Error(ErrorCode::InvalidModel, what + " has an empty name");
    if (scope_.count(name))
      throw Error(ErrorCode::InvalidModel,
                  what + ": value '" + name + "' is defined more than once");
    Value* v = g_.addValue(name);
    if (v->name != name)
      throw Error(ErrorCode::Internal, "value '" + name + "' was renamed to '" + v->name + "'");
    scope_[name] = v;
    return v;
  }

  void defineConstant(const std::string& name, Tensor t, const std::string& what) {
    Value* v = define(name, what);
    v->dtype = t.dtype;
    v->shape = shapeOf(t.dims);
    v->hasShape = true;
    v->constant = std::make_shared<const Tensor>(std::move(t));
    typed_.insert(v);
  }

  void addInitializer(const onnx::TensorProto& t) {
    std::string label = "initializer '" + t.name() + "'";
    defineConstant(t.name(), decodeTensor(t, {label, baseDir_, &g_.externalDataFiles}), label);
    initializers_.insert(t.name());
  }

  void addInput(const onnx::ValueInfoProto& vi) {
    // Inputs that are also initializers are constants with a default (IR < 4 style).
    if (initializers_.count(vi.name())) return;
    std::string label = "graph input '" + vi.name() + "'";
    Value* v = define(vi.name(), label);
    if (!vi.type().has_tensor_type())
      throw Error(vi.type().value_case() == onnx::TypeProto::VALUE_NOT_SET ? ErrorCode::InvalidModel
                                                                           : ErrorCode::Unsupported,
                  label + " has no tensor type");
    applyType(v, vi.type(), label);
    g_.inputs.push_back(v);
  }

  // Extra type/shape information on a value that exists (constants keep their own).
  void annotate(const onnx::ValueInfoProto& vi, const char* kind) {
    auto it = scope_.find(vi.name());
    if (it == scope_.end() || it->second->isConstant()) return;
    applyType(it->second, vi.type(), std::string(kind) + " '" + vi.name() + "'");
  }

  void applyType(Value* v, const onnx::TypeProto& type, const std::string& label) {
    if (!type.has_tensor_type()) {
      if (type.value_case() == onnx::TypeProto::VALUE_NOT_SET) return;
      throw Error(ErrorCode::Unsupported, label + " is not a tensor");
    }
    const auto& tt = type.tensor_type();
    if (tt.elem_type() != onnx::TensorProto::UNDEFINED) {
      std::optional<DType> dt = dtypeFromOnnx(tt.elem_type());
      if (!dt)
        throw Error(ErrorCode::Unsupported, label + " has element type " +
                                                onnxTypeName(tt.elem_type()) +
                                                ", which is not supported");
      v->dtype = *dt;
      typed_.insert(v);
    }
    if (!tt.has_shape()) return;
    Shape s;
    for (const auto& d : tt.shape().dim()) {
      if (d.has_dim_value()) {
        if (d.dim_value() < 0)
          throw Error(ErrorCode::InvalidModel,
                      label + " has negative dimension " + std::to_string(d.dim_value()));
        if (d.dim_value() > kMaxTensorElements)
          throw Error(ErrorCode::InvalidModel, label + " has dimension " + std::to_string(d.dim_value()) +
                                                   ", more than a tensor may hold (2^48 elements)");
        s.push_back(Dim::known(d.dim_value()));
      } else if (d.has_dim_param() && !d.dim_param().empty()) {
        s.push_back(Dim::symbolic(d.dim_param()));
      } else {
        s.push_back(Dim::symbolic(freshDimName()));
      }
    }
    v->shape = std::move(s);
    v->hasShape = true;
  }

  std::string freshDimName() {
    std::string name;
    do name = "unk_" + std::to_string(unkCounter_++);
    while (dimParams_.count(name));
    dimParams_.insert(name);
    return name;
  }

  void declareNode(const onnx::NodeProto& p, int index) {
    std::string name = nodeName(p, index);
    std::string where = describeProto(p, name);
    if (p.op_type() == "Constant") return declareConstant(p, where);
    const std::optional<OpKind> kind = opFromOnnxName(p.op_type());  // refuseUnsupportedOps checked
    if (!kind || !isDefaultDomain(p.domain()))
      throw Error(ErrorCode::Internal, where + ": op '" + p.op_type() + "' passed the supported-op check");
    Pending pending{&p, *kind, name, {}};
    for (int i = 0; i < p.output_size(); ++i) {
      const std::string& out = p.output(i);
      pending.outputs.push_back(out.empty() ? nullptr
                                            : define(out, where + " output " + std::to_string(i)));
    }
    trimTrailingNulls(pending.outputs);
    pending_.push_back(std::move(pending));
  }

  void declareConstant(const onnx::NodeProto& p, const std::string& where) {
    if (p.output_size() != 1 || p.input_size() != 0)
      throw Error(ErrorCode::InvalidModel, where + ": Constant needs no inputs and one output");
    AttrReader attrs(p, where);
    std::vector<std::string> present = attrs.presentNames();
    if (present.size() != 1)
      throw Error(ErrorCode::InvalidModel,
                  where + ": Constant needs exactly one value attribute, got " +
                      std::to_string(present.size()));
    const std::string& attr = present[0];
    Tensor t;
    if (const onnx::TensorProto* tp = attrs.optTensor("value")) {
      t = decodeTensor(*tp, {where + " value", baseDir_, &g_.externalDataFiles});
    } else if (auto f = attrs.optFloat("value_float")) {
      t = Tensor::fromFloats({*f}, {});
    } else if (auto fs = attrs.optFloats("value_floats")) {
      t = Tensor::fromFloats(*fs, {static_cast<int64_t>(fs->size())});
    } else if (auto i = attrs.optInt("value_int")) {
      t = Tensor::fromInts({*i}, {});
    } else if (auto is = attrs.optInts("value_ints")) {
      t = Tensor::fromInts(*is, {static_cast<int64_t>(is->size())});
    } else if (attr == "sparse_value" || attr == "value_string" || attr == "value_strings") {
      throw Error(ErrorCode::Unsupported, where + ": attribute '" + attr + "' is not supported");
    }
    attrs.finish();
    defineConstant(p.output(0), std::move(t), where + " output 0");
  }

  std::vector<Value*> resolveInputs(const onnx::NodeProto& p, const std::string& where) {
    std::vector<Value*> inputs;
    for (const std::string& in : p.input()) {
      if (in.empty()) {
        inputs.push_back(nullptr);
        continue;
      }
      auto it = scope_.find(in);
      if (it == scope_.end())
        throw Error(
            ErrorCode::InvalidModel,
            where + ": input '" + in + "' is not produced by any node, initializer or graph input");
      inputs.push_back(it->second);
    }
    trimTrailingNulls(inputs);
    return inputs;
  }

  void buildNode(Pending& p) {
    std::string where = std::string(opName(p.kind)) + " node '" + p.name + "'";
    AttrReader attrs(*p.proto, where);
    NodeImport n{*p.proto,
                 opset_,
                 attrs,
                 resolveInputs(*p.proto, where),
                 p.outputs,
                 [&](const std::string& hint, Tensor t) {
                   Value* v = g_.addConstant(hint, std::move(t));
                   typed_.insert(v);
                   return v;
                 },
                 [&](const Value* v) { return v && typed_.count(v) ? v->dtype : DType::F32; },
                 [&](const Value* v) { return used_.count(v->name) > 0; }};
    NodeAttrs a = opImporter(p.kind)(n);
    attrs.finish();
    trimTrailingNulls(n.inputs);
    trimTrailingNulls(n.outputs);
    checkArity(n, p.kind);
    g_.addNode(p.kind, p.name, std::move(n.inputs), std::move(n.outputs), std::move(a));
  }

  static void checkArity(const NodeImport& n, OpKind kind) {
    const OpInfo& info = opInfo(kind);
    auto check = [&](const std::vector<Value*>& vs, int lo, int hi, const char* what) {
      int count = static_cast<int>(vs.size());
      if (count < lo || count > hi)
        n.fail(
            ErrorCode::InvalidModel,
            "has " + std::to_string(count) + " " + what + ", expected " +
                (lo == hi ? std::to_string(lo) : std::to_string(lo) + " to " + std::to_string(hi)));
      for (int i = 0; i < lo; ++i)
        if (!vs[i])
          n.fail(ErrorCode::InvalidModel,
                 std::string("required ") + what + " " + std::to_string(i) + " is missing");
    };
    check(n.inputs, info.minInputs, info.maxInputs, "inputs");
    check(n.outputs, info.minOutputs, info.maxOutputs, "outputs");
  }

  void addOutput(const onnx::ValueInfoProto& vi) {
    auto it = scope_.find(vi.name());
    if (it == scope_.end())
      throw Error(ErrorCode::InvalidModel,
                  "graph output '" + vi.name() +
                      "' is not produced by any node, initializer or graph input");
    g_.outputs.push_back(it->second);
  }

  Graph& g_;
  int64_t opset_;
  std::string baseDir_;
  std::unordered_map<std::string, Value*> scope_;
  std::unordered_set<std::string> initializers_;
  std::unordered_set<std::string> used_;
  std::unordered_set<std::string> dimParams_;
  std::unordered_set<const Value*> typed_;
  std::vector<Pending> pending_;
  int unkCounter_ = 0;
};

}  // namespace

std::unique_ptr<Graph> importGraph(const onnx::GraphProto& gp, int64_t opset,
                                   const std::string& baseDir) {
  auto g = std::make_unique<Graph>();
  GraphImporter(*g, opset, baseDir).run(gp);
  return g;
}

}  // namespace kiln::fe
