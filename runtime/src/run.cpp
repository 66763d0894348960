// Orchestration of one call: validate, plan, place buffers, call the artifact, publish shapes.
#include "run.h"

#include <algorithm>
#include <cstring>
#include <optional>

#include "binding.h"
#include "dtype.h"
#include "error.h"
#include "plan.h"
#include "shape.h"
#include "thread_pool.h"

namespace kiln::rt::impl {
namespace {

// The checks every call shares before planning: handles, counts, names, inputs.
CallPlan prepare(const kiln_model* model, const kiln_tensor* inputs, size_t nIn, kiln_tensor* outputs,
                 size_t nOut, bool requireData, Binding& binding) {
  auto count = [&](const char* kind, size_t expected, size_t got, const void* array) {
    if (got != expected)
      fail(KILN_STATUS_INVALID_ARGUMENT, "model '" + model->name + "' has " + std::to_string(expected) + " " +
                                             kind + "s, got " + std::to_string(got));
    if (got > 0 && !array) fail(KILN_STATUS_INVALID_ARGUMENT, std::string(kind) + "s is NULL");
  };
  count("input", model->inputs.size(), nIn, inputs);
  count("output", model->outputs.size(), nOut, outputs);
  for (size_t o = 0; o < nOut; ++o) checkName("output", o, outputs[o].name, model->outputs);
  binding.bindInputs(inputs, requireData);
  return planCall(*model, binding);
}

void publishShape(kiln_tensor& t, const TensorSig& sig, const std::vector<int64_t>& dims) {
  t.dtype = sig.dtype;
  t.rank = sig.rank();
  std::fill(std::begin(t.dims), std::end(t.dims), 0);
  std::copy(dims.begin(), dims.end(), t.dims);
}

struct Span {
  const char* kind;
  const std::string* name;
  uintptr_t begin;
  size_t bytes;
};

bool overlaps(const Span& a, const Span& b) {
  return a.bytes && b.bytes && a.begin < b.begin + b.bytes && b.begin < a.begin + a.bytes;
}

// Output buffers must not alias inputs or each other: the artifact writes them while reading.
void checkNoOverlap(const std::vector<Span>& inputs, const std::vector<Span>& outputs) {
  for (size_t o = 0; o < outputs.size(); ++o) {
    auto clash = [&](const Span& other) {
      if (overlaps(outputs[o], other))
        fail(KILN_STATUS_INVALID_ARGUMENT, "output '" + *outputs[o].name + "' overlaps " + other.kind + " '" +
                                               *other.name + "'");
    };
    for (const Span& in : inputs) clash(in);
    for (size_t p = 0; p < o; ++p) clash(outputs[p]);
  }
}

// The pointers handed to the artifact: each caller buffer in place when it is aligned as the
// artifact requires, else a staging slot in the workspace lease after the artifact's own part.
class StagedBuffers {
 public:
  StagedBuffers(const kiln_model& model, const std::vector<Span>& inputs, const std::vector<Span>& outputs,
                size_t workspaceBytes) {
    size_t alignment = model.requiredAlignment;
    size_t total = alignUp(workspaceBytes, alignment);
    std::vector<size_t> offsets;  // per buffer: staging offset, or SIZE_MAX when used in place
    for (const std::vector<Span>* group : {&inputs, &outputs})
      for (const Span& b : *group) {
        bool inPlace = b.bytes == 0 || b.begin % alignment == 0;
        offsets.push_back(inPlace ? SIZE_MAX : total);
        if (!inPlace) total += alignUp(b.bytes, alignment);
      }
    lease_.emplace(model.workspaces, total);
    auto at = [&](const Span& b, size_t index) {
      return offsets[index] == SIZE_MAX ? reinterpret_cast<void*>(b.begin)
                                        : static_cast<char*>(lease_->data()) + offsets[index];
    };
    for (size_t i = 0; i < inputs.size(); ++i) {
      void* p = at(inputs[i], i);
      if (offsets[i] != SIZE_MAX && inputs[i].bytes) std::memcpy(p, reinterpret_cast<const void*>(inputs[i].begin), inputs[i].bytes);
      in_.push_back(p);
    }
    for (size_t o = 0; o < outputs.size(); ++o) out_.push_back(at(outputs[o], inputs.size() + o));
  }

  const std::vector<const void*>& in() const { return in_; }
  const std::vector<void*>& out() const { return out_; }
  void* workspace() const { return lease_->data(); }

  /// Copies staged outputs back to the caller's buffers.
  void publishOutputs(const std::vector<Span>& outputs) const {
    for (size_t o = 0; o < outputs.size(); ++o)
      if (out_[o] != reinterpret_cast<void*>(outputs[o].begin) && outputs[o].bytes)
        std::memcpy(reinterpret_cast<void*>(outputs[o].begin), out_[o], outputs[o].bytes);
  }

 private:
  std::optional<WorkspaceLease> lease_;
  std::vector<const void*> in_;
  std::vector<void*> out_;
};

void callArtifact(const kiln_model& model, const CallPlan& plan, const std::vector<int64_t>& symbols,
                     const std::vector<const void*>& in, const std::vector<void*>& out, void* workspace,
                     int32_t requestedThreads) {
  ParallelContext parallel{effectiveThreads(requestedThreads)};
  char error[kArtifactErrorCapacity] = "";
  kiln_run_context_v1 ctx{};
  ctx.symbols = symbols.data();
  ctx.workspace = plan.workspaceBytes ? workspace : nullptr;
  ctx.workspace_bytes = plan.workspaceBytes;
  ctx.num_threads = parallel.threads;
  ctx.parallel_for = &parallelFor;
  ctx.parallel_ctx = &parallel;
  ctx.error = error;
  ctx.error_capacity = sizeof error;
  int32_t status = model.desc.run(&ctx, in.data(), out.data());
  if (status == KILN_STATUS_OK) return;
  std::string message = "model '" + model.name + "' failed: " + artifactMessage(error);
  if (status == KILN_STATUS_INVALID_INPUT || status == KILN_STATUS_OUT_OF_MEMORY)
    fail(static_cast<kiln_status>(status), message);
  fail(KILN_STATUS_INTERNAL, message + " (status " + std::to_string(status) + ")");
}

void checkOutputBuffer(const kiln_tensor& t, const TensorSig& sig, const std::vector<int64_t>& dims, size_t need) {
  std::string who = "output '" + sig.name + "'";
  if (!t.data && need > 0) fail(KILN_STATUS_INVALID_ARGUMENT, who + ": data is NULL");
  if (t.bytes < need)
    fail(KILN_STATUS_INVALID_ARGUMENT, who + ": buffer of " + std::to_string(t.bytes) + " bytes is smaller than " +
                                           dtypeText(sig.dtype) + " " + formatDims(dims.data(), dims.size()) +
                                           " needs (" + std::to_string(need) + " bytes)");
}

int32_t threadsOption(const kiln_run_options* options) {
  if (!options) return 0;
  if (options->struct_size < offsetof(kiln_run_options, num_threads) + sizeof(int32_t))
    fail(KILN_STATUS_INVALID_ARGUMENT, "run options are not initialized (call kiln_run_options_init)");
  if (options->num_threads < 0)
    fail(KILN_STATUS_INVALID_ARGUMENT, "run options: num_threads is negative (" +
                                           std::to_string(options->num_threads) + ")");
  return options->num_threads;
}

}  // namespace

void runModel(const kiln_model* model, const kiln_tensor* inputs, size_t nIn, kiln_tensor* outputs, size_t nOut,
              const kiln_run_options* options, OutputMode mode) {
  if (!model) fail(KILN_STATUS_INVALID_ARGUMENT, "model is NULL");
  if (mode == OutputMode::Runtime && outputs)
    for (size_t o = 0; o < nOut; ++o) outputs[o].data = nullptr, outputs[o].bytes = 0;
  int32_t threads = threadsOption(options);
  Binding binding(*model);
  CallPlan plan = prepare(model, inputs, nIn, outputs, nOut, true, binding);

  std::vector<AlignedBuffer> owned(nOut);
  std::vector<Span> inSpans, outSpans;
  for (size_t i = 0; i < nIn; ++i)
    inSpans.push_back({"input", &model->inputs[i].name, reinterpret_cast<uintptr_t>(inputs[i].data),
                       tensorBytes("input", model->inputs[i], inputs[i].dims)});
  for (size_t o = 0; o < nOut; ++o) {
    if (mode == OutputMode::Runtime)
      owned[o] = AlignedBuffer(std::max<size_t>(plan.outputBytes[o], 1), model->workspaces.alignment());
    else
      checkOutputBuffer(outputs[o], model->outputs[o], plan.outputDims[o], plan.outputBytes[o]);
    void* data = mode == OutputMode::Runtime ? owned[o].data() : outputs[o].data;
    outSpans.push_back({"output", &model->outputs[o].name, reinterpret_cast<uintptr_t>(data), plan.outputBytes[o]});
  }
  checkNoOverlap(inSpans, outSpans);

  StagedBuffers staged(*model, inSpans, outSpans, plan.workspaceBytes);
  callArtifact(*model, plan, binding.values(), staged.in(), staged.out(), staged.workspace(), threads);
  staged.publishOutputs(outSpans);
  for (size_t o = 0; o < nOut; ++o) {
    publishShape(outputs[o], model->outputs[o], plan.outputDims[o]);
    if (mode == OutputMode::Runtime) {
      outputs[o].bytes = plan.outputBytes[o];
      outputs[o].data = owned[o].release();
    }
  }
}

void inferOutputs(const kiln_model* model, const kiln_tensor* inputs, size_t nIn, kiln_tensor* outputs, size_t nOut) {
  if (!model) fail(KILN_STATUS_INVALID_ARGUMENT, "model is NULL");
  Binding binding(*model);
  CallPlan plan = prepare(model, inputs, nIn, outputs, nOut, false, binding);
  for (size_t o = 0; o < nOut; ++o) {
    publishShape(outputs[o], model->outputs[o], plan.outputDims[o]);
    outputs[o].bytes = plan.outputBytes[o];
  }
}

}  // namespace kiln::rt::impl
