// The C entry points of kiln.h. Each is a thin shell: argument checks, then guard() around the
// C++ implementation, so that no exception crosses the C boundary.
#include <cstdlib>

#include "dtype.h"
#include "error.h"
#include "kiln/kiln.h"
#include "model.h"
#include "run.h"
#include "shape.h"

using namespace kiln::rt::impl;

namespace {

kiln_status tensorInfo(const kiln_model* model, size_t index, kiln_tensor_info* info, bool input) {
  return guard([&] {
    const char* kind = input ? "input" : "output";
    if (!model) fail(KILN_STATUS_INVALID_ARGUMENT, "model is NULL");
    if (!info) fail(KILN_STATUS_INVALID_ARGUMENT, "info is NULL");
    const auto& sigs = input ? model->inputs : model->outputs;
    if (index >= sigs.size())
      fail(KILN_STATUS_INVALID_ARGUMENT, std::string(kind) + " index " + std::to_string(index) + " is out of range: model '" +
                                             model->name + "' has " + std::to_string(sigs.size()) + " " + kind + "s");
    const TensorSig& sig = sigs[index];
    info->name = sig.name.c_str();
    info->dtype = sig.dtype;
    info->rank = sig.rank();
    info->dims = sig.publicDims.data();
    info->dim_names = sig.dimNames.data();
  });
}

}  // namespace

extern "C" {

const char* kiln_last_error(void) { return lastError(); }

const char* kiln_status_string(kiln_status status) {
  switch (status) {
    case KILN_STATUS_OK: return "ok";
    case KILN_STATUS_INVALID_ARGUMENT: return "invalid argument";
    case KILN_STATUS_INVALID_INPUT: return "invalid input";
    case KILN_STATUS_NOT_AN_ARTIFACT: return "not an artifact";
    case KILN_STATUS_ABI_MISMATCH: return "ABI mismatch";
    case KILN_STATUS_IO_ERROR: return "I/O error";
    case KILN_STATUS_OUT_OF_MEMORY: return "out of memory";
    case KILN_STATUS_INTERNAL: return "internal error";
    case KILN_STATUS_UNSUPPORTED: return "unsupported";
  }
  return "unknown status";
}

const char* kiln_dtype_name(int32_t dtype) { return dtypeName(dtype); }

size_t kiln_dtype_size(int32_t dtype) { return dtypeSize(dtype); }

const char* kiln_version(void) { return KILN_VERSION; }

uint32_t kiln_abi_version(void) { return KILN_ARTIFACT_ABI_VERSION; }

int64_t kiln_tensor_num_elements(const kiln_tensor* t) {
  if (!t || t->rank > KILN_MAX_RANK) return -1;
  for (size_t d = 0; d < t->rank; ++d)
    if (t->dims[d] < 0) return -1;
  auto bytes = denseBytes(t->dims, t->rank, 1);
  return bytes && *bytes <= static_cast<size_t>(INT64_MAX) ? static_cast<int64_t>(*bytes) : -1;
}

void kiln_tensor_free_data(kiln_tensor* t) {
  if (!t) return;
  std::free(t->data);
  t->data = nullptr;
  t->bytes = 0;
}

kiln_status kiln_model_load(const char* path, kiln_model** out) {
  if (out) *out = nullptr;
  return guard([&] {
    if (!path) fail(KILN_STATUS_INVALID_ARGUMENT, "path is NULL");
    if (!out) fail(KILN_STATUS_INVALID_ARGUMENT, "out is NULL");
    *out = loadModel(path).release();
  });
}

kiln_status kiln_model_from_artifact(const kiln_artifact_header* header, const char* display_name, kiln_model** out) {
  if (out) *out = nullptr;
  return guard([&] {
    if (!header) fail(KILN_STATUS_INVALID_ARGUMENT, "header is NULL");
    if (!out) fail(KILN_STATUS_INVALID_ARGUMENT, "out is NULL");
    *out = modelFromHeader(header, display_name ? display_name : "<in-memory artifact>", nullptr).release();
  });
}

void kiln_model_free(kiln_model* model) { delete model; }

const char* kiln_model_name(const kiln_model* model) { return model ? model->name.c_str() : ""; }

size_t kiln_model_num_inputs(const kiln_model* model) { return model ? model->inputs.size() : 0; }

size_t kiln_model_num_outputs(const kiln_model* model) { return model ? model->outputs.size() : 0; }

kiln_status kiln_model_input_info(const kiln_model* model, size_t index, kiln_tensor_info* info) {
  return tensorInfo(model, index, info, true);
}

kiln_status kiln_model_output_info(const kiln_model* model, size_t index, kiln_tensor_info* info) {
  return tensorInfo(model, index, info, false);
}

void kiln_run_options_init(kiln_run_options* options) {
  if (!options) return;
  *options = kiln_run_options{};
  options->struct_size = sizeof(kiln_run_options);
  options->num_threads = 0;
}

kiln_status kiln_run(const kiln_model* model, const kiln_tensor* inputs, size_t n_in, kiln_tensor* outputs,
                     size_t n_out, const kiln_run_options* options) {
  return guard([&] { runModel(model, inputs, n_in, outputs, n_out, options, OutputMode::Caller); });
}

kiln_status kiln_run_alloc(const kiln_model* model, const kiln_tensor* inputs, size_t n_in, kiln_tensor* outputs,
                           size_t n_out, const kiln_run_options* options) {
  return guard([&] { runModel(model, inputs, n_in, outputs, n_out, options, OutputMode::Runtime); });
}

kiln_status kiln_infer_outputs(const kiln_model* model, const kiln_tensor* inputs, size_t n_in,
                               kiln_tensor* outputs, size_t n_out) {
  return guard([&] { inferOutputs(model, inputs, n_in, outputs, n_out); });
}

}  // extern "C"
