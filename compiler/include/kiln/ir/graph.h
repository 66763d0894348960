#pragma once
/// The kiln IR: a Graph owns Values (SSA tensors) and Nodes (op applications).
/// Nodes are kept in a topologically sorted list; passes edit through the Graph API so
/// that invariants (one producer per value, users up to date) hold.
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "kiln/ir/op.h"
#include "kiln/ir/tensor.h"

namespace kiln {

struct Node;

/// A tensor flowing through the graph. Graph inputs and constants have no producer.
struct Value {
  std::string name;
  DType dtype = DType::F32;
  Shape shape;               ///< valid when hasShape
  bool hasShape = false;     ///< rank (and maybe dims) known
  Node* producer = nullptr;  ///< null for graph inputs and constants
  int producerOutput = 0;    ///< which output of producer
  std::shared_ptr<const Tensor> constant;  ///< set for initializers / folded constants
  /// For small 1-D integer tensors computed from shapes (Shape->Gather->Concat...): the
  /// element values as dims, known or symbolic, when shape inference could track them.
  /// Lets Reshape see "[batch, -1]" even though the batch size is unknown. An element with
  /// an empty symbol is the literal `value` (which may be -1 here); one with a symbol is
  /// that symbolic extent. Set only when every element is one of the two.
  std::optional<std::vector<Dim>> symbolicContent;

  bool isConstant() const { return constant != nullptr; }
};

/// One op application. Absent optional inputs are nullptr.
struct Node {
  OpKind kind;
  std::string name;  ///< ONNX node name (or a generated one); used in every message
  NodeAttrs attrs;
  std::vector<Value*> inputs;
  std::vector<Value*> outputs;

  template <typename A> A& as() { return std::get<A>(attrs); }
  template <typename A> const A& as() const { return std::get<A>(attrs); }
  Value* input(size_t i) const { return i < inputs.size() ? inputs[i] : nullptr; }
  /// "Conv node 'conv1'" — the prefix every message about this node starts with.
  std::string describe() const;
};

class Graph {
 public:
  Graph() = default;
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;

  /// Deep copy (constants are shared, they are immutable).
  std::unique_ptr<Graph> clone() const;

  std::string name;
  /// Files the importer read weights from (external data), as resolved paths: what a tool
  /// writing outputs must never replace.
  std::vector<std::string> externalDataFiles;
  std::vector<Value*> inputs;   ///< graph inputs that are fed at run time (not constants)
  std::vector<Value*> outputs;

  /// New value with a unique name derived from `hint`.
  Value* addValue(const std::string& hint, DType t = DType::F32);
  /// New constant value holding `t`.
  Value* addConstant(const std::string& hint, Tensor t);
  /// Appends a node (creating `numOutputs` fresh output values unless `outputs` given).
  Node* addNode(OpKind kind, const std::string& name, std::vector<Value*> inputs,
                std::vector<Value*> outputs, NodeAttrs attrs);
  /// Like addNode but inserts right before `pos` in the node order.
  Node* insertNodeBefore(Node* pos, OpKind kind, const std::string& name,
                         std::vector<Value*> inputs, std::vector<Value*> outputs,
                         NodeAttrs attrs);
  /// Removes a node (its outputs stay as values without producer until DCE or reuse).
  void removeNode(Node* n);
  /// Replaces every use of `from` (node inputs and graph outputs) with `to`.
  void replaceAllUses(Value* from, Value* to);
  /// Nodes that read `v` (each once, in no particular order); O(number of uses), from a use
  /// index that addNode/insertNodeBefore/removeNode/replaceAllUses/setInput keep. Change an
  /// input of a node in the graph through setInput, so users() sees a new use.
  std::vector<Node*> users(const Value* v) const;
  /// Sets input i of `n` (a node of this graph), growing its inputs with nullptr as needed.
  void setInput(Node* n, size_t i, Value* v);
  /// True if `n` is a node of this graph (O(1)).
  bool contains(const Node* n) const { return where_.count(n) != 0; }
  /// True if `v` is a graph output.
  bool isOutput(const Value* v) const;
  /// Value by name, or nullptr.
  Value* findValue(const std::string& name) const;
  /// Drops values no node or graph input/output refers to.
  void pruneValues();
  /// Re-sorts nodes topologically; throws Error(InvalidModel) naming a node on a cycle.
  void topoSort();

  const std::list<std::unique_ptr<Node>>& nodes() const { return nodes_; }
  const std::vector<std::unique_ptr<Value>>& values() const { return values_; }
  /// Snapshot of node pointers (safe to iterate while editing the graph).
  std::vector<Node*> nodeList() const;
  /// Unique name from a hint ("bn1_scale", "bn1_scale_1", ...).
  std::string uniqueName(const std::string& hint);

 private:
  std::list<std::unique_ptr<Node>> nodes_;
  std::vector<std::unique_ptr<Value>> values_;
  std::unordered_map<std::string, Value*> byName_;
  std::unordered_map<std::string, int> nameCounter_;
  /// Position of every node in nodes_ (O(1) removal, insertion and membership).
  std::unordered_map<const Node*, std::list<std::unique_ptr<Node>>::iterator> where_;
  /// Nodes reading each value, with the number of their inputs that are it. Edits of a graph
  /// node's inputs go through setInput / replaceAllUses (a direct edit that drops a use
  /// leaves an entry users() filters out, but removeNode then cannot clear it).
  std::unordered_map<const Value*, std::unordered_map<Node*, int>> uses_;  ///< reader -> count
  void addUses(Node* n);
  void dropUse(const Value* v, Node* n);
  Node* makeNode(OpKind kind, const std::string& name, std::vector<Value*> inputs,
                 std::vector<Value*> outputs, NodeAttrs attrs);
};

}  // namespace kiln
