#include "graph_summary.h"

#include <sstream>
#include <unordered_map>
#include <unordered_set>

namespace kiln::cli {

std::string displayOpName(OpKind kind) {
  const OpInfo& info = opInfo(kind);
  return info.domain.empty() ? std::string(info.name)
                             : std::string(info.domain) + "." + std::string(info.name);
}

std::map<std::string, int64_t> opCounts(const Graph& g) {
  std::map<std::string, int64_t> counts;
  for (const auto& n : g.nodes()) ++counts[displayOpName(n->kind)];
  return counts;
}

int64_t parameterCount(const Graph& g) {
  std::unordered_set<const Value*> used;
  for (const auto& n : g.nodes())
    for (const Value* v : n->inputs)
      if (v && v->isConstant()) used.insert(v);
  for (const Value* v : g.outputs)
    if (v->isConstant()) used.insert(v);
  int64_t total = 0;
  for (const Value* v : used)
    if (isFloat(v->constant->dtype)) total += v->constant->size();
  return total;
}

std::string shapeText(const Value& v) { return v.hasShape ? shapeToString(v.shape) : "?"; }

std::string typeText(const Value& v) { return std::string(dtypeName(v.dtype)) + " " + shapeText(v); }

void writeValueJson(JsonWriter& w, const Value& v) {
  w.beginObject().field("name", v.name).field("dtype", dtypeName(v.dtype)).key("shape");
  if (!v.hasShape) {
    w.null();
  } else {
    w.beginArray(/*inlineItems=*/true);
    for (const Dim& d : v.shape) {
      if (d.isKnown())
        w.value(d.value);
      else
        w.value(d.symbol.empty() ? "?" : d.symbol);
    }
    w.endArray();
  }
  w.endObject();
}

void writeGraphJson(JsonWriter& w, const Graph& g) {
  w.beginObject().key("op_counts").beginObject();
  for (const auto& [op, count] : opCounts(g)) w.field(op, count);
  w.endObject().field("parameters", parameterCount(g)).key("nodes").beginArray();
  for (const auto& n : g.nodes()) {
    w.beginObject().field("name", n->name).field("op", displayOpName(n->kind));
    w.key("outputs").beginArray();
    for (const Value* out : n->outputs)
      if (out) writeValueJson(w, *out);
    w.endArray().endObject();
  }
  w.endArray().endObject();
}

namespace {

std::string dotQuote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\n') {
      out += "\\n";  // a line break inside a Graphviz label
      continue;
    }
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::string graphToDot(const Graph& g) {
  std::ostringstream os;
  os << "digraph " << dotQuote(g.name.empty() ? "kiln" : g.name) << " {\n"
     << "  rankdir=TB;\n  node [shape=box, fontname=\"Helvetica\"];\n"
     << "  edge [fontname=\"Helvetica\", fontsize=10];\n";
  // Where each non-constant value comes from: a graph input or a node.
  std::unordered_map<const Value*, std::string> source;
  for (size_t i = 0; i < g.inputs.size(); ++i) {
    const Value* v = g.inputs[i];
    std::string id = "in" + std::to_string(i);
    source[v] = id;
    os << "  " << id << " [shape=ellipse, label=" << dotQuote(v->name + "\n" + typeText(*v))
       << "];\n";
  }
  size_t index = 0;
  auto edge = [&](const Value* v, const std::string& to) {
    auto it = v ? source.find(v) : source.end();
    if (it != source.end())
      os << "  " << it->second << " -> " << to << " [label=" << dotQuote(shapeText(*v)) << "];\n";
  };
  for (const auto& n : g.nodes()) {
    std::string id = "n" + std::to_string(index++);
    os << "  " << id << " [label=" << dotQuote(displayOpName(n->kind) + "\n" + n->name)
       << "];\n";
    for (const Value* in : n->inputs) edge(in, id);
    for (const Value* out : n->outputs)
      if (out) source[out] = id;
  }
  for (size_t i = 0; i < g.outputs.size(); ++i) {
    const Value* v = g.outputs[i];
    std::string id = "out" + std::to_string(i);
    os << "  " << id << " [shape=ellipse, label=" << dotQuote(v->name + "\n" + typeText(*v))
       << "];\n";
    edge(v, id);
  }
  os << "}\n";
  return os.str();
}

}  // namespace kiln::cli
