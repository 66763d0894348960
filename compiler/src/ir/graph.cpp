#include "kiln/ir/graph.h"

#include <algorithm>
#include <map>
#include <unordered_set>

#include "kiln/support/error.h"

namespace kiln {

std::string Node::describe() const {
  return std::string(opName(kind)) + " node '" + name + "'";
}

std::string Graph::uniqueName(const std::string& hint) {
  std::string base = hint.empty() ? "v" : hint;
  if (!byName_.count(base)) return base;
  int& n = nameCounter_[base];
  std::string candidate;
  do candidate = base + "_" + std::to_string(++n);
  while (byName_.count(candidate));
  return candidate;
}

Value* Graph::addValue(const std::string& hint, DType t) {
  auto v = std::make_unique<Value>();
  v->name = uniqueName(hint);
  v->dtype = t;
  Value* raw = v.get();
  byName_[raw->name] = raw;
  values_.push_back(std::move(v));
  return raw;
}

Value* Graph::addConstant(const std::string& hint, Tensor t) {
  Value* v = addValue(hint, t.dtype);
  v->shape = shapeOf(t.dims);
  v->hasShape = true;
  v->constant = std::make_shared<const Tensor>(std::move(t));
  return v;
}

Node* Graph::makeNode(OpKind kind, const std::string& name, std::vector<Value*> inputs,
                      std::vector<Value*> outputs, NodeAttrs attrs) {
  auto n = std::make_unique<Node>();
  n->kind = kind;
  n->name = name;
  n->attrs = std::move(attrs);
  n->inputs = std::move(inputs);
  n->outputs = std::move(outputs);
  for (size_t i = 0; i < n->outputs.size(); ++i) {
    if (!n->outputs[i]) continue;
    n->outputs[i]->producer = n.get();
    n->outputs[i]->producerOutput = static_cast<int>(i);
  }
  return n.release();
}

void Graph::addUses(Node* n) {
  for (Value* in : n->inputs)
    if (in) ++uses_[in][n];
}

void Graph::dropUse(const Value* v, Node* n) {
  auto u = uses_.find(v);
  if (u == uses_.end()) return;
  auto r = u->second.find(n);
  if (r == u->second.end()) return;
  if (--r->second <= 0) u->second.erase(r);
  if (u->second.empty()) uses_.erase(u);
}

Node* Graph::addNode(OpKind kind, const std::string& name, std::vector<Value*> inputs,
                     std::vector<Value*> outputs, NodeAttrs attrs) {
  Node* n = makeNode(kind, name, std::move(inputs), std::move(outputs), std::move(attrs));
  nodes_.emplace_back(n);
  where_[n] = std::prev(nodes_.end());
  addUses(n);
  return n;
}

Node* Graph::insertNodeBefore(Node* pos, OpKind kind, const std::string& name,
                              std::vector<Value*> inputs, std::vector<Value*> outputs,
                              NodeAttrs attrs) {
  Node* n = makeNode(kind, name, std::move(inputs), std::move(outputs), std::move(attrs));
  auto it = where_.find(pos);
  where_[n] = nodes_.emplace(it == where_.end() ? nodes_.end() : it->second, n);
  addUses(n);
  return n;
}

void Graph::removeNode(Node* n) {
  auto it = where_.find(n);
  if (it == where_.end()) return;
  for (Value* out : n->outputs)
    if (out && out->producer == n) out->producer = nullptr;
  for (Value* in : n->inputs)
    if (in) dropUse(in, n);
  nodes_.erase(it->second);
  where_.erase(it);
}

void Graph::setInput(Node* n, size_t i, Value* v) {
  if (n->inputs.size() <= i) n->inputs.resize(i + 1, nullptr);
  Value* old = n->inputs[i];
  n->inputs[i] = v;
  if (!contains(n) || old == v) return;
  if (old) dropUse(old, n);
  if (v) ++uses_[v][n];
}

void Graph::replaceAllUses(Value* from, Value* to) {
  std::vector<Node*> readers = users(from);
  for (Node* n : readers)
    for (Value*& in : n->inputs)
      if (in == from) in = to;
  if (auto moved = uses_.extract(from)) {  // extracted first: uses_[to] may rehash
    if (to)
      for (const auto& [n, count] : moved.mapped()) uses_[to][n] += count;
  }
  for (Value*& out : outputs)
    if (out == from) out = to;
}

std::vector<Node*> Graph::users(const Value* v) const {
  auto it = uses_.find(v);
  if (it == uses_.end()) return {};
  std::vector<Node*> result;
  for (const auto& [n, count] : it->second)  // skipping what a direct edit of inputs dropped
    if (std::find(n->inputs.begin(), n->inputs.end(), v) != n->inputs.end()) result.push_back(n);
  return result;
}

bool Graph::isOutput(const Value* v) const {
  return std::find(outputs.begin(), outputs.end(), v) != outputs.end();
}

Value* Graph::findValue(const std::string& name) const {
  auto it = byName_.find(name);
  return it == byName_.end() ? nullptr : it->second;
}

std::vector<Node*> Graph::nodeList() const {
  std::vector<Node*> list;
  for (auto& n : nodes_) list.push_back(n.get());
  return list;
}

void Graph::pruneValues() {
  std::unordered_set<const Value*> live(inputs.begin(), inputs.end());
  live.insert(outputs.begin(), outputs.end());
  for (auto& n : nodes_) {
    live.insert(n->inputs.begin(), n->inputs.end());
    live.insert(n->outputs.begin(), n->outputs.end());
  }
  std::vector<std::unique_ptr<Value>> kept;
  for (auto& v : values_) {
    if (live.count(v.get())) kept.push_back(std::move(v));
    else byName_.erase(v->name);
  }
  values_ = std::move(kept);
}

void Graph::topoSort() {
  // Kahn's algorithm, stable with respect to the current order.
  std::map<const Node*, int> pending;
  std::unordered_map<const Value*, std::vector<Node*>> readers;
  for (auto& n : nodes_) {
    int deps = 0;
    for (Value* in : n->inputs) {
      if (in && in->producer) {
        ++deps;
        readers[in].push_back(n.get());
      }
    }
    pending[n.get()] = deps;
  }
  std::vector<Node*> ready, order;
  for (auto& n : nodes_)
    if (pending[n.get()] == 0) ready.push_back(n.get());
  std::reverse(ready.begin(), ready.end());
  while (!ready.empty()) {
    Node* n = ready.back();
    ready.pop_back();
    order.push_back(n);
    std::vector<Node*> newlyReady;
    for (Value* out : n->outputs) {
      if (!out) continue;
      for (Node* r : readers[out])
        if (--pending[r] == 0) newlyReady.push_back(r);
    }
    std::reverse(newlyReady.begin(), newlyReady.end());
    ready.insert(ready.end(), newlyReady.begin(), newlyReady.end());
  }
  if (order.size() != nodes_.size()) {
    for (auto& n : nodes_)
      if (pending[n.get()] > 0)
        throw Error(ErrorCode::InvalidModel,
                    "graph has a cycle through " + n->describe());
  }
  std::unordered_map<Node*, std::unique_ptr<Node>> owned;
  for (auto& n : nodes_) owned[n.get()] = std::move(n);
  nodes_.clear();
  for (Node* n : order) {
    nodes_.push_back(std::move(owned[n]));
    where_[n] = std::prev(nodes_.end());
  }
}

std::unique_ptr<Graph> Graph::clone() const {
  auto g = std::make_unique<Graph>();
  g->name = name;
  g->externalDataFiles = externalDataFiles;
  std::unordered_map<const Value*, Value*> map;
  for (auto& v : values_) {
    auto copy = std::make_unique<Value>(*v);
    copy->producer = nullptr;
    map[v.get()] = copy.get();
    g->byName_[copy->name] = copy.get();
    g->values_.push_back(std::move(copy));
  }
  g->nameCounter_ = nameCounter_;
  auto mapped = [&](const std::vector<Value*>& vs) {
    std::vector<Value*> out;
    for (Value* v : vs) out.push_back(v ? map.at(v) : nullptr);
    return out;
  };
  for (auto& n : nodes_) g->addNode(n->kind, n->name, mapped(n->inputs), mapped(n->outputs), n->attrs);
  g->inputs = mapped(inputs);
  g->outputs = mapped(outputs);
  return g;
}

}  // namespace kiln
