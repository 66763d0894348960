#include "bench_inputs.h"

#include <algorithm>
#include <cstdio>
#include <random>

#include "kiln/support/error.h"

namespace kiln::cli {

namespace {

/// The symbol of the batch dim of `v`, "" when its first dim is known; errors for other
/// symbolic dims.
std::string batchSymbol(const Value& v) {
  if (!v.hasShape)
    throw Error(ErrorCode::Unsupported, "input '" + v.name + "' has no known shape to bench");
  for (size_t d = 1; d < v.shape.size(); ++d)
    if (!v.shape[d].isKnown())
      throw Error(ErrorCode::Unsupported,
                  "input '" + v.name + "' " + shapeToString(v.shape) + ": dim " +
                      std::to_string(d) + " is symbolic; bench sets only the batch (first) dim");
  if (v.shape.empty() || v.shape[0].isKnown()) return "";
  if (v.shape[0].symbol.empty())
    throw Error(ErrorCode::Unsupported, "input '" + v.name + "' has an unknown batch dim");
  return v.shape[0].symbol;
}

}  // namespace

std::vector<int64_t> benchBatchSizes(const Graph& g, const std::vector<int64_t>& wanted) {
  int64_t fixed = -1;
  std::string symbol;
  for (const Value* v : g.inputs) {
    std::string s = batchSymbol(*v);
    if (!s.empty()) {
      if (!symbol.empty() && s != symbol)
        throw Error(ErrorCode::Unsupported, "inputs have different batch symbols ('" + symbol +
                                                "' and '" + s + "' of '" + v->name + "')");
      symbol = s;
    } else if (!v->shape.empty()) {
      fixed = v->shape[0].value;
    }
  }
  if (!symbol.empty() || fixed < 0) return wanted;
  if (wanted.size() != 1 || wanted[0] != fixed)
    std::fprintf(stderr, "kiln: note: the model has a fixed batch of %lld; using it\n",
                 static_cast<long long>(fixed));
  return {fixed};
}

TensorMap randomInputs(const Graph& g, int64_t batch, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> uniform(-1.0, 1.0);
  TensorMap out;
  for (const Value* v : g.inputs) {
    std::vector<int64_t> dims;
    for (const Dim& d : v->shape) dims.push_back(d.isKnown() ? d.value : batch);
    Tensor t(v->dtype, dims);  // zero-filled
    if (v->dtype == DType::F32)
      for (float& x : t.data<float>()) x = static_cast<float>(uniform(rng));
    else if (v->dtype == DType::F64)
      for (double& x : t.data<double>()) x = uniform(rng);
    out.emplace(v->name, std::move(t));
  }
  return out;
}

TimingStats summarise(std::vector<double> samples) {
  std::sort(samples.begin(), samples.end());
  auto at = [&](double q) {
    const double pos = q * static_cast<double>(samples.size() - 1);
    const size_t lo = static_cast<size_t>(pos);
    const size_t hi = std::min(lo + 1, samples.size() - 1);
    return samples[lo] + (pos - static_cast<double>(lo)) * (samples[hi] - samples[lo]);
  };
  return {at(0.5), at(0.1), at(0.9), samples.front(), samples.back()};
}

}  // namespace kiln::cli
