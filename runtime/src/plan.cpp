#include "plan.h"

#include "error.h"
#include "shape.h"

namespace kiln::rt::impl {

std::string artifactMessage(char* buffer) {
  buffer[kArtifactErrorCapacity - 1] = '\0';
  return buffer[0] ? std::string(buffer) : std::string("(the artifact gave no message)");
}

CallPlan planCall(const kiln_model& model, Binding& binding) {
  std::vector<int64_t> symbols = binding.values();
  CallPlan plan;
  plan.outputDims.resize(model.outputs.size());
  std::vector<int64_t*> dimPtrs;
  for (size_t o = 0; o < model.outputs.size(); ++o) {
    plan.outputDims[o].assign(model.outputs[o].rank(), -1);
    dimPtrs.push_back(plan.outputDims[o].data());
  }
  uint64_t workspace = 0;
  char error[kArtifactErrorCapacity] = "";
  int32_t status = model.desc.plan(symbols.data(), dimPtrs.data(), &workspace, error, sizeof error);
  std::string who = "model '" + model.name + "'";
  if (status == KILN_STATUS_INVALID_INPUT)
    fail(KILN_STATUS_INVALID_INPUT, who + " rejected the input shapes: " + artifactMessage(error));
  if (status != KILN_STATUS_OK)
    fail(KILN_STATUS_INTERNAL, who + ": plan failed (status " + std::to_string(status) + "): " + artifactMessage(error));

  auto broken = [&](const std::string& what) { fail(KILN_STATUS_INTERNAL, who + ": artifact bug: plan " + what); };
  const std::vector<int64_t>& bound = binding.values();
  for (size_t k = 0; k < symbols.size(); ++k) {
    if (bound[k] >= 0 && symbols[k] != bound[k]) broken("changed bound symbol '" + model.symbols[k] + "'");
    if (symbols[k] < 0) broken("left symbol '" + model.symbols[k] + "' without a value");
  }
  for (size_t o = 0; o < model.outputs.size(); ++o) {
    const TensorSig& sig = model.outputs[o];
    for (size_t d = 0; d < sig.rank(); ++d) {
      int64_t declared = sig.declared[d];
      int64_t expected = KILN_DIM_IS_SYMBOL(declared) ? symbols[static_cast<size_t>(KILN_DIM_SYMBOL_INDEX(declared))]
                                                      : declared;
      if (plan.outputDims[o][d] != expected)
        broken("gave output '" + sig.name + "' dims " + formatDims(plan.outputDims[o].data(), sig.rank()) +
               ", which do not fit its signature " + formatDeclared(sig.declared, model.symbols));
    }
    plan.outputBytes.push_back(tensorBytes("output", sig, plan.outputDims[o].data()));
  }
  if (workspace > SIZE_MAX / 2) fail(KILN_STATUS_OUT_OF_MEMORY, who + " needs a workspace of " + std::to_string(workspace) + " bytes");
  plan.workspaceBytes = static_cast<size_t>(workspace);
  binding.values() = std::move(symbols);
  return plan;
}

}  // namespace kiln::rt::impl
