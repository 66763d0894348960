#include "descriptor_codec.h"

#include <cstring>

namespace kiln::fuzz {
namespace {

int32_t stubPlan(int64_t*, int64_t* const*, uint64_t*, char* error, uint64_t capacity) {
  if (error && capacity) std::strncpy(error, "fuzz stub: plan is never run", capacity - 1);
  return KILN_STATUS_INTERNAL;
}

int32_t stubRun(const kiln_run_context_v1*, const void* const*, void* const*) { return KILN_STATUS_INTERNAL; }

// What the decoder reads for `count` entries: every entry of a plausible count, present or not.
size_t plausibleCount(int32_t count, int32_t limit) {
  return count >= 0 && count <= limit ? static_cast<size_t>(count) : 0;
}

class Reader {
 public:
  Reader(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  uint64_t bytes(int n) {
    uint64_t v = 0;
    for (int i = 0; i < n; ++i, ++at_)
      if (at_ < size_) v |= uint64_t{data_[at_]} << (8 * i);
    return v;
  }
  uint8_t u8() { return static_cast<uint8_t>(bytes(1)); }
  uint32_t u32() { return static_cast<uint32_t>(bytes(4)); }
  int32_t i32() { return static_cast<int32_t>(u32()); }
  int64_t i64() { return static_cast<int64_t>(bytes(8)); }
  bool exhausted() const { return at_ >= size_; }
  std::string str() {
    const size_t n = static_cast<size_t>(bytes(2));
    std::string s;
    if (at_ < size_) s.assign(reinterpret_cast<const char*>(data_ + at_), std::min(n, size_ - at_));
    at_ += n;
    return s;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t at_ = 0;
};

class Decoder {
 public:
  Decoder(const uint8_t* data, size_t size, DecodedArtifact& out) : in_(data, size), out_(out) {}

  void run() {
    kiln_artifact_v1& d = out_.desc;
    d.header.magic = in_.u32();
    d.header.abi_version = in_.u32();
    const uint8_t nulls = in_.u8();
    d.model_name = string(nulls & 1);
    d.producer = string(nulls & 2);
    d.alignment = in_.u32();
    d.num_symbols = in_.i32();
    auto names = std::make_unique<const char*[]>(plausibleCount(d.num_symbols, kMaxDecodedCount));
    for (size_t i = 0; i < plausibleCount(d.num_symbols, kMaxDecodedCount); ++i) names[i] = string(in_.u8() & 1);
    d.symbol_names = (nulls & 4) ? nullptr : names.get();
    out_.nameArrays.push_back(std::move(names));
    d.num_inputs = in_.i32();
    d.inputs = tensors(d.num_inputs, nulls & 8);
    d.num_outputs = in_.i32();
    d.outputs = tensors(d.num_outputs, nulls & 16);
    d.plan = (nulls & 32) ? nullptr : stubPlan;
    d.run = (nulls & 64) ? nullptr : stubRun;
    out_.hasCpuFeatures = (nulls & 128) != 0;
    if (out_.hasCpuFeatures) out_.cpuFeatures = in_.str();
  }

 private:
  Reader in_;
  DecodedArtifact& out_;

  const char* string(bool null) {
    if (in_.exhausted()) {  // zeros from here on: entries share one "" (no 10^5 allocations)
      in_.str();
      return null ? nullptr : out_.emptyString.c_str();
    }
    out_.strings.push_back(std::make_unique<std::string>(in_.str()));
    return null ? nullptr : out_.strings.back()->c_str();
  }

  const kiln_artifact_tensor_v1* tensors(int32_t count, bool null) {
    const size_t n = plausibleCount(count, kMaxDecodedCount);
    auto array = std::make_unique<kiln_artifact_tensor_v1[]>(n);
    for (size_t i = 0; i < n; ++i) {
      kiln_artifact_tensor_v1& t = array[i];
      const uint8_t flags = in_.u8();
      t.name = string(flags & 1);
      t.dtype = in_.i32();
      t.rank = in_.i32();
      const size_t rank = plausibleCount(t.rank, kMaxDecodedRank);
      if (rank == 0) {
        t.dims = (flags & 2) ? nullptr : out_.noDims.get();
        continue;
      }
      auto dims = std::make_unique<int64_t[]>(rank);
      for (size_t k = 0; k < rank; ++k) dims[k] = in_.i64();
      t.dims = (flags & 2) ? nullptr : dims.get();
      out_.dimArrays.push_back(std::move(dims));
    }
    const kiln_artifact_tensor_v1* p = null ? nullptr : array.get();
    out_.tensorArrays.push_back(std::move(array));
    return p;
  }
};

class Writer {
 public:
  void bytes(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
  }
  void str(const char* s) {
    const size_t n = s ? std::min<size_t>(std::strlen(s), 0xffff) : 0;
    bytes(n, 2);
    out.append(s ? s : "", n);
  }
  std::string out;
};

void encodeTensors(Writer& w, int32_t count, const kiln_artifact_tensor_v1* tensors) {
  w.bytes(static_cast<uint32_t>(count), 4);
  for (size_t i = 0; i < plausibleCount(count, kMaxDecodedCount); ++i) {
    const kiln_artifact_tensor_v1 t = tensors ? tensors[i] : kiln_artifact_tensor_v1{};
    w.bytes((t.name ? 0 : 1) | (t.dims ? 0 : 2), 1);
    w.str(t.name);
    w.bytes(static_cast<uint32_t>(t.dtype), 4);
    w.bytes(static_cast<uint32_t>(t.rank), 4);
    for (size_t k = 0; k < plausibleCount(t.rank, kMaxDecodedRank); ++k)
      w.bytes(t.dims ? static_cast<uint64_t>(t.dims[k]) : 0, 8);
  }
}

}  // namespace

std::unique_ptr<DecodedArtifact> decodeArtifact(const uint8_t* data, size_t size) {
  auto out = std::make_unique<DecodedArtifact>();
  Decoder(data, size, *out).run();
  return out;
}

std::string encodeArtifact(const kiln_artifact_v1& d, const char* cpuFeatures) {
  Writer w;
  w.bytes(d.header.magic, 4);
  w.bytes(d.header.abi_version, 4);
  w.bytes((d.model_name ? 0 : 1) | (d.producer ? 0 : 2) | (d.symbol_names ? 0 : 4) | (d.inputs ? 0 : 8) |
              (d.outputs ? 0 : 16) | (d.plan ? 0 : 32) | (d.run ? 0 : 64) | (cpuFeatures ? 128 : 0),
          1);
  w.str(d.model_name);
  w.str(d.producer);
  w.bytes(d.alignment, 4);
  w.bytes(static_cast<uint32_t>(d.num_symbols), 4);
  for (size_t i = 0; i < plausibleCount(d.num_symbols, kMaxDecodedCount); ++i) {
    const char* name = d.symbol_names ? d.symbol_names[i] : nullptr;
    w.bytes(name ? 0 : 1, 1);
    w.str(name);
  }
  encodeTensors(w, d.num_inputs, d.inputs);
  encodeTensors(w, d.num_outputs, d.outputs);
  if (cpuFeatures) w.str(cpuFeatures);
  return w.out;
}

}  // namespace kiln::fuzz
