#include "run_plan.h"

#include "kiln/plan/schedule.h"
#include "kiln/support/error.h"
#include "symbol_eval.h"

namespace kiln::cuda {

namespace {

// Allocations of one run, released however the run ends.
class RunMemory {
 public:
  explicit RunMemory(RunDevice& d) : d_(d) {}
  ~RunMemory() {
    for (DeviceAddress a : owned_) d_.release(a);
  }
  RunMemory(const RunMemory&) = delete;
  RunMemory& operator=(const RunMemory&) = delete;
  DeviceAddress allocate(size_t bytes, const std::string& what) {
    owned_.reserve(owned_.size() + 1);
    owned_.push_back(d_.allocate(bytes, what));
    return owned_.back();
  }

 private:
  RunDevice& d_;
  std::vector<DeviceAddress> owned_;
};

}  // namespace

std::vector<int64_t> bindSymbols(const Program& p, const TensorMap& inputs) {
  std::vector<int64_t> s(p.symbols.size(), -1);
  for (const plan::Signature& sig : p.inputs) {
    const Tensor& t = inputs.at(sig.name);
    for (size_t d = 0; d < sig.dims.size() && d < t.dims.size(); ++d) {
      const Poly& dim = sig.dims[d];
      if (dim.isConst() || dim.terms().size() != 1) continue;
      const auto& [mono, coef] = *dim.terms().begin();
      if (coef == 1 && mono.size() == 1) s[static_cast<size_t>(mono[0])] = t.dims[d];
    }
  }
  for (size_t i = 0; i < s.size(); ++i)
    if (s[i] < 0) throw Error(ErrorCode::Internal, "cuda backend: symbol '" + p.symbols[i] + "' is not bound by an input");
  return s;
}

TensorMap runPlan(const CompiledModel& m, RunDevice& dev, const TensorMap& inputs, const std::vector<int64_t>& s) {
  const Program& p = m.program;
  const LaunchPlan& lp = m.module.plan;
  RunMemory mem(dev);
  std::vector<DeviceAddress> at(p.buffers.size(), 0);
  DeviceAddress workspace = 0;
  auto place = [&](int b) {
    if (at[static_cast<size_t>(b)]) return;
    const Buffer& buf = p.buffers[static_cast<size_t>(b)];
    DeviceAddress& a = at[static_cast<size_t>(b)];
    switch (buf.kind) {
      case BufferKind::Input: {
        const Tensor& t = inputs.at(p.inputs[static_cast<size_t>(buf.index)].name);
        a = mem.allocate(t.bytes.size(), "input '" + buf.name + "'");
        if (!t.bytes.empty()) dev.upload(a, t.bytes.data(), t.bytes.size(), "input '" + buf.name + "'");
        break;
      }
      case BufferKind::Output:
        a = mem.allocate(static_cast<size_t>(plan::bufferBytes(buf).evaluate(s)), "output '" + buf.name + "'");
        break;
      case BufferKind::Constant: a = dev.constant(b); break;
      case BufferKind::Temp:
        if (!workspace) {
          const int64_t bytes = p.workspaceBytes ? evaluateSymbolic(p.workspaceBytes, s) : 0;
          workspace = mem.allocate(static_cast<size_t>(bytes), "the workspace");
        }
        a = workspace + static_cast<DeviceAddress>(evaluateSymbolic(buf.offset, s));
        break;
      case BufferKind::Alias: throw Error(ErrorCode::Internal, "cuda backend: a launch argument is an alias");
    }
  };
  for (int b : lp.roots) place(b);
  for (int b : p.outputBuffers) place(p.root(b));
  DeviceAddress errorWord = 0;
  if (lp.usesErrorWord) {
    errorWord = mem.allocate(sizeof(uint32_t), "the error word");
    dev.clearWords(errorWord, 1);
  }

  for (size_t i = 0; i < lp.launches.size(); ++i) {
    const Launch& l = lp.launches[i];
    const unsigned grid = gridFor(evaluateSymbolic(l.threads, s), l.block);
    if (grid == 0) continue;
    std::vector<uint64_t> values;  // device addresses and int64 symbols, 8 bytes each
    for (const KernelArg& a : l.args) {
      switch (a.kind) {
        case KernelArg::Kind::Buffer: values.push_back(at[static_cast<size_t>(a.index)]); break;
        case KernelArg::Kind::Symbol: values.push_back(static_cast<uint64_t>(s[static_cast<size_t>(a.index)])); break;
        case KernelArg::Kind::ErrorWord: values.push_back(errorWord); break;
      }
    }
    std::vector<void*> params;
    for (uint64_t& v : values) params.push_back(&v);
    dev.launch(i, grid, params.data());
  }
  dev.synchronize("running model '" + p.name + "'");
  if (errorWord) {
    uint32_t word = 0;
    dev.download(&word, errorWord, sizeof word, "the error word");
    if (word > 0 && word <= lp.checkMessages.size()) throw Error(ErrorCode::InvalidInput, lp.checkMessages[word - 1]);
    if (word) throw Error(ErrorCode::Internal, "cuda backend: bad error word " + std::to_string(word));
  }

  TensorMap out;
  for (size_t o = 0; o < p.outputs.size(); ++o) {
    const plan::Signature& sig = p.outputs[o];
    std::vector<int64_t> dims;
    for (const Poly& dim : sig.dims) dims.push_back(dim.evaluate(s));
    Tensor t(sig.dtype, dims);
    if (!t.bytes.empty())
      dev.download(t.bytes.data(), at[static_cast<size_t>(p.root(p.outputBuffers[o]))], t.bytes.size(),
                   "output '" + sig.name + "'");
    out[sig.name] = std::move(t);
  }
  return out;
}

}  // namespace kiln::cuda
