#include "model.h"

#include <algorithm>

namespace kiln::rt::impl {
namespace {

std::vector<TensorSig> unpack(const kiln_artifact_v1& desc, const kiln_artifact_tensor_v1* tensors, int32_t count) {
  std::vector<TensorSig> sigs(static_cast<size_t>(count));
  for (int32_t i = 0; i < count; ++i) {
    const kiln_artifact_tensor_v1& t = tensors[i];
    TensorSig& s = sigs[static_cast<size_t>(i)];
    s.name = t.name;
    s.dtype = t.dtype;
    for (int32_t d = 0; d < t.rank; ++d) {
      int64_t dim = t.dims[d];
      bool symbolic = KILN_DIM_IS_SYMBOL(dim);
      s.declared.push_back(dim);
      s.publicDims.push_back(symbolic ? -1 : dim);
      s.dimNames.push_back(symbolic ? desc.symbol_names[KILN_DIM_SYMBOL_INDEX(dim)] : nullptr);
    }
  }
  return sigs;
}

}  // namespace
}  // namespace kiln::rt::impl

kiln_model::kiln_model(std::unique_ptr<kiln::rt::impl::LibraryHandle> lib, const kiln_artifact_v1& descriptor)
    : library(std::move(lib)),
      desc(descriptor),
      name(descriptor.model_name),
      symbols(descriptor.symbol_names, descriptor.symbol_names + descriptor.num_symbols),
      inputs(kiln::rt::impl::unpack(descriptor, descriptor.inputs, descriptor.num_inputs)),
      outputs(kiln::rt::impl::unpack(descriptor, descriptor.outputs, descriptor.num_outputs)),
      requiredAlignment(descriptor.alignment),
      workspaces(std::max<size_t>(descriptor.alignment, 64)) {}
