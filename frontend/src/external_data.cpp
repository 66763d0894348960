#include "external_data.h"

#include <charconv>
#include <filesystem>
#include <fstream>
#include <optional>

#include "kiln/support/error.h"

namespace kiln::fe {

namespace fs = std::filesystem;

namespace {

struct ExternalRef {
  std::string location;
  std::optional<uint64_t> offset, length;
};

uint64_t parseSize(const std::string& key, const std::string& text, const std::string& label) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size())
    throw Error(ErrorCode::InvalidModel,
                label + ": external data " + key + " '" + text + "' is not a valid byte count");
  return v;
}

ExternalRef parseRef(const onnx::TensorProto& p, const std::string& label) {
  ExternalRef ref;
  for (const auto& kv : p.external_data()) {
    if (kv.key() == "location")
      ref.location = kv.value();
    else if (kv.key() == "offset")
      ref.offset = parseSize("offset", kv.value(), label);
    else if (kv.key() == "length")
      ref.length = parseSize("length", kv.value(), label);
    // "checksum" and unknown keys carry no layout information.
  }
  if (ref.location.empty())
    throw Error(ErrorCode::InvalidModel, label + ": external data has no 'location'");
  return ref;
}

// True when `p` is `base` or lies below it (both canonical), compared component-wise so that
// "/models/a" is not mistaken for a prefix of "/models/ab".
bool isWithin(const fs::path& p, const fs::path& base) {
  auto pi = p.begin();
  for (auto bi = base.begin(); bi != base.end(); ++bi) {
    if (bi->empty()) continue;
    if (pi == p.end() || *pi != *bi) return false;
    ++pi;
  }
  return true;
}

// Resolves `location` inside `baseDir`, refusing anything that ends up outside it.
fs::path resolveInside(const std::string& location, const std::string& baseDir,
                       const std::string& what) {
  fs::path rel(location);
  if (rel.is_absolute() || rel.has_root_name() || rel.has_root_directory())
    throw Error(ErrorCode::InvalidModel,
                what + " is absolute; external data must be relative to the model folder");
  std::error_code ec;
  fs::path base = fs::canonical(baseDir, ec);
  if (ec)
    throw Error(ErrorCode::Io,
                what + ": model folder '" + baseDir + "' is not accessible: " + ec.message());
  fs::path resolved = fs::weakly_canonical(base / rel, ec);
  if (ec) throw Error(ErrorCode::Io, what + " cannot be resolved: " + ec.message());
  if (!isWithin(resolved, base))
    throw Error(ErrorCode::InvalidModel, what + " leads outside the model folder '" +
                                             base.string() + "' (to '" + resolved.string() + "')");
  return resolved;
}

}  // namespace

std::string readExternalData(const onnx::TensorProto& p, const std::string& label,
                      const std::string& baseDir, uint64_t byteCount, TensorBytes& out) {
  ExternalRef ref = parseRef(p, label);
  std::string what = label + ": external data path '" + ref.location + "'";
  if (baseDir.empty())
    throw Error(ErrorCode::Unsupported,
                what + " cannot be read: the model was loaded from memory without a folder");
  fs::path path = resolveInside(ref.location, baseDir, what);

  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) throw Error(ErrorCode::Io, what + " is not a readable file");
  uint64_t fileSize = fs::file_size(path, ec);
  if (ec) throw Error(ErrorCode::Io, what + " cannot be read: " + ec.message());

  uint64_t offset = ref.offset.value_or(0);
  uint64_t length = ref.length.value_or(byteCount);
  if (offset > fileSize || length > fileSize - offset)
    throw Error(ErrorCode::InvalidModel, what + ": offset " + std::to_string(offset) +
                                             " + length " + std::to_string(length) +
                                             " is past the end of the file (" +
                                             std::to_string(fileSize) + " bytes)");
  if (length != byteCount)
    throw Error(ErrorCode::InvalidModel, what + ": length " + std::to_string(length) +
                                             " bytes does not match the tensor's " +
                                             std::to_string(byteCount) + " bytes");

  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorCode::Io, what + " cannot be opened");
  out.resize(length);
  in.seekg(static_cast<std::streamoff>(offset));
  if (length > 0)
    in.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(length));
  if (!in)
    throw Error(ErrorCode::Io, what + ": reading " + std::to_string(length) + " bytes at offset " +
                                   std::to_string(offset) + " failed");
  return path.string();
}

}  // namespace kiln::fe
