#include "op_import.h"

#include <array>
#include <cassert>

#include "kiln/support/error.h"

namespace kiln::fe {

void NodeImport::fail(ErrorCode code, const std::string& what) const {
  throw Error(code, where() + ": " + what);
}

void NodeImport::dropUnusedOutputs(size_t first, bool unsupported, const std::string& why) {
  for (size_t i = first; i < outputs.size(); ++i)
    if (outputs[i] && isUsed(outputs[i]))
      fail(unsupported ? ErrorCode::Unsupported : ErrorCode::InvalidModel,
           "output " + std::to_string(i) + " ('" + outputs[i]->name + "') is read: " + why);
  if (outputs.size() > first) outputs.resize(first);
}

void NodeImport::setConstantInput(size_t index, const std::string& hint, Tensor t) {
  if (inputs.size() <= index) inputs.resize(index + 1, nullptr);
  std::string base = proto.name().empty() ? proto.op_type() : proto.name();
  inputs[index] = addConstant(base + "_" + hint, std::move(t));
}

namespace {

// Ops without attributes: finish() will reject whatever the node carries.
NodeAttrs importNoAttrs(NodeImport&) { return NoAttrs{}; }

// Importers shared by every op of an attribute struct, so that adding such an op to ops.def
// needs no change here (e.g. another Reduce* op with ReduceAttrs).
template <typename A>
constexpr OpImporter defaultImporter() {
  if constexpr (std::is_same_v<A, NoAttrs>) return importNoAttrs;
  if constexpr (std::is_same_v<A, ReduceAttrs>) return importReduce;
  return nullptr;
}

using ImporterTable = std::array<OpImporter, kNumOps>;

ImporterTable buildTable() {
  ImporterTable table{};
  // Defaults by attribute struct, then the per-op entries; every standard op must end up
  // with an importer (asserted); internal "kiln" ops never come from a file.
#define KILN_OP(Id, Domain, Name, Attrs, MinIn, MaxIn, MinOut, MaxOut) \
  if (std::string_view(Domain).empty())                                \
    table[static_cast<size_t>(OpKind::Id)] = defaultImporter<Attrs>();
#include "kiln/ir/ops.def"
#undef KILN_OP
  for (auto entries : {nnOpImporters(), tensorOpImporters()})
    for (const OpImporterEntry& e : entries) table[static_cast<size_t>(e.kind)] = e.import;
#define KILN_OP(Id, Domain, Name, Attrs, MinIn, MaxIn, MinOut, MaxOut) \
  assert(!std::string_view(Domain).empty() || table[static_cast<size_t>(OpKind::Id)]);
#include "kiln/ir/ops.def"
#undef KILN_OP
  return table;
}

}  // namespace

OpImporter opImporter(OpKind kind) {
  static const ImporterTable table = buildTable();
  OpImporter f = table[static_cast<size_t>(kind)];
  if (!f) throw Error(ErrorCode::Internal, "no ONNX importer for op " + std::string(opName(kind)));
  return f;
}

}  // namespace kiln::fe
