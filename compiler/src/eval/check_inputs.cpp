// checkInputs: run-time inputs against the graph's declared inputs.
#include <map>
#include <set>

#include "kiln/eval/evaluator.h"
#include "kiln/support/error.h"

namespace kiln {

namespace {

std::string declared(const Value& v) {
  return std::string(dtypeName(v.dtype)) + " " + (v.hasShape ? shapeToString(v.shape) : "(any shape)");
}

std::string actual(const Tensor& t) {
  return std::string(dtypeName(t.dtype)) + " " + shapeToString(shapeOf(t.dims));
}

[[noreturn]] void mismatch(const Value& v, const Tensor& t, const std::string& detail) {
  throw Error(ErrorCode::InvalidInput, "input '" + v.name + "': expected " + declared(v) +
                                           ", got " + actual(t) +
                                           (detail.empty() ? "" : " (" + detail + ")"));
}

// The tensor itself must be well formed: non-negative dims and bytes matching them.
void checkWellFormed(const Value& v, const Tensor& t) {
  uint64_t n = 1;
  bool overflow = false;
  for (int64_t d : t.dims) {
    if (d < 0) mismatch(v, t, "negative dimension");
    const uint64_t ud = static_cast<uint64_t>(d);
    if (ud != 0 && n > (uint64_t{1} << 48) / ud) overflow = true;
    else n *= ud;
  }
  for (int64_t d : t.dims)
    if (d == 0) n = 0, overflow = false;
  if (overflow || n * dtypeSize(t.dtype) != t.bytes.size())
    mismatch(v, t, "tensor holds " + std::to_string(t.bytes.size()) + " bytes");
}

}  // namespace

void checkInputs(const Graph& g, const TensorMap& inputs) {
  struct Binding {
    int64_t extent;
    std::string input;
  };
  std::map<std::string, Binding> symbols;
  std::set<std::string> expectedNames;

  for (const Value* v : g.inputs) {
    expectedNames.insert(v->name);
    auto it = inputs.find(v->name);
    if (it == inputs.end())
      throw Error(ErrorCode::InvalidInput,
                  "missing input '" + v->name + "': expected " + declared(*v));
    const Tensor& t = it->second;
    checkWellFormed(*v, t);
    if (t.dtype != v->dtype) mismatch(*v, t, "wrong dtype");
    if (!v->hasShape) continue;
    if (t.dims.size() != v->shape.size())
      mismatch(*v, t, "rank " + std::to_string(t.dims.size()) + " instead of " +
                          std::to_string(v->shape.size()));
    for (size_t i = 0; i < t.dims.size(); ++i) {
      const Dim& d = v->shape[i];
      if (d.isKnown()) {
        if (d.value != t.dims[i]) mismatch(*v, t, "dim " + std::to_string(i) + " differs");
        continue;
      }
      if (d.symbol.empty()) continue;
      auto [b, fresh] = symbols.try_emplace(d.symbol, Binding{t.dims[i], v->name});
      if (!fresh && b->second.extent != t.dims[i])
        mismatch(*v, t, "dim " + std::to_string(i) + " '" + d.symbol + "' is " +
                            std::to_string(t.dims[i]) + " but " +
                            (b->second.input == v->name ? "an earlier dim of this input"
                                                        : "input '" + b->second.input + "'") +
                            " set " + d.symbol + "=" + std::to_string(b->second.extent));
    }
  }

  for (const auto& [name, t] : inputs) {
    if (expectedNames.count(name)) continue;
    const Value* v = g.findValue(name);
    if (v && v->isConstant())
      throw Error(ErrorCode::InvalidInput,
                  "input '" + name + "' is a constant of the graph and cannot be fed");
    std::string list;
    for (const Value* in : g.inputs) list += (list.empty() ? "'" : ", '") + in->name + "'";
    throw Error(ErrorCode::InvalidInput, "unknown input '" + name + "' (graph inputs: " +
                                             (list.empty() ? "none" : list) + ")");
  }
}

}  // namespace kiln
