#pragma once
/// Per-op import: ONNX attributes -> typed attribute structs, and the input rewrites that
/// normalise opset differences (attributes that later opsets take as inputs become constant
/// inputs). One entry per OpKind, looked up by opImporter().
#include <functional>
#include <string>
#include <vector>

#include "attr_reader.h"
#include "kiln/ir/graph.h"
#include "kiln/support/error.h"

namespace kiln::fe {

/// Everything an op importer may read or change for one node.
struct NodeImport {
  const onnx::NodeProto& proto;
  int64_t opset;  ///< default-domain opset version of the model
  AttrReader& attrs;
  std::vector<Value*> inputs;   ///< resolved inputs; absent optional ones are nullptr
  std::vector<Value*> outputs;  ///< node outputs; absent ones are nullptr
  /// Adds a constant value (named after `hint`) and returns it.
  std::function<Value*(const std::string& hint, Tensor t)> addConstant;
  /// Declared element type of `v` (F32 when the model does not say or `v` is null).
  std::function<DType(const Value*)> dtypeOf;
  /// True when a node or a graph output reads `v`.
  std::function<bool(const Value*)> isUsed;

  const std::string& where() const { return attrs.where(); }
  /// Input `i`, or nullptr when absent.
  Value* input(size_t i) const { return i < inputs.size() ? inputs[i] : nullptr; }
  /// Error(code) "<where>: <what>".
  [[noreturn]] void fail(ErrorCode code, const std::string& what) const;
  /// Drops optional outputs from index `first` on; any of them that is read elsewhere is an
  /// error (Unsupported when `unsupported`, else InvalidModel) explaining `why`.
  void dropUnusedOutputs(size_t first, bool unsupported, const std::string& why);
  /// Adds a constant for an attribute that newer opsets take as input `index`.
  void setConstantInput(size_t index, const std::string& hint, Tensor t);
};

/// Parses attributes and normalises inputs/outputs of one node; the caller then checks
/// arity against ops.def and calls attrs.finish().
using OpImporter = NodeAttrs (*)(NodeImport&);

/// The importer for a standard ONNX op kind.
OpImporter opImporter(OpKind kind);

/// Reduce* ops (ReduceAttrs): keepdims, noop_with_empty_axes; before opset 18 the axes
/// attribute becomes constant input 1. (ReduceSum moved axes to an input at opset 13 already:
/// it would need its own entry.)
NodeAttrs importReduce(NodeImport& n);

/// Parses an auto_pad string (legacy spellings included); InvalidModel on others.
AutoPad parseAutoPad(NodeImport& n);

}  // namespace kiln::fe

namespace kiln::fe {

/// One row of an importer table.
struct OpImporterEntry {
  OpKind kind;
  OpImporter import;
};
/// Importers for convolution, matrix, normalisation, activation and pooling ops.
std::vector<OpImporterEntry> nnOpImporters();
/// Importers for elementwise-with-attributes, shape and data-movement ops.
std::vector<OpImporterEntry> tensorOpImporters();

}  // namespace kiln::fe
