// NumPy .npy / .npz reading and writing. Every length read from a file is bounds-checked;
// malformed input throws Error naming the file, never crashes.
#include "kiln/support/npy.h"

#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

#include <unistd.h>

#include "kiln/support/error.h"
#include "kiln/support/file_io.h"

namespace kiln {

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicLen = 6;

[[noreturn]] void malformed(const std::string& file, const std::string& why) {
  throw Error(ErrorCode::InvalidInput, "'" + file + "' is not a valid .npy/.npz file: " + why);
}

struct DescrEntry {
  const char* descr;
  DType dtype;
};
constexpr DescrEntry kDescrs[] = {
    {"<f4", DType::F32}, {"<f8", DType::F64}, {"<i8", DType::I64}, {"<i4", DType::I32},
    {"|i1", DType::I8},  {"|u1", DType::U8},  {"|b1", DType::Bool},
};

const char* descrOf(DType t) {
  for (const DescrEntry& e : kDescrs)
    if (e.dtype == t) return e.descr;
  return "?";
}

// A tiny parser for the header dict, e.g.
//   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
class HeaderParser {
 public:
  HeaderParser(const std::string& text, const std::string& file) : s_(text), file_(file) {}

  void parse(std::string& descr, bool& fortran, std::vector<int64_t>& shape) {
    bool haveDescr = false, haveFortran = false, haveShape = false;
    expect('{');
    while (!peek('}')) {
      const std::string key = str();
      expect(':');
      if (key == "descr") descr = str(), haveDescr = true;
      else if (key == "fortran_order") fortran = boolean(), haveFortran = true;
      else if (key == "shape") shape = tuple(), haveShape = true;
      else fail("unknown header key '" + key + "'");
      if (!peek(',')) break;
      expect(',');
    }
    expect('}');
    if (!haveDescr || !haveFortran || !haveShape)
      fail("header lacks 'descr', 'fortran_order' or 'shape'");
  }

 private:
  const std::string& s_;
  const std::string& file_;
  size_t pos_ = 0;

  [[noreturn]] void fail(const std::string& why) { malformed(file_, "bad header: " + why); }
  void skipSpace() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n')) ++pos_;
  }
  bool peek(char ch) {
    skipSpace();
    return pos_ < s_.size() && s_[pos_] == ch;
  }
  void expect(char ch) {
    if (!peek(ch)) fail(std::string("expected '") + ch + "' at offset " + std::to_string(pos_));
    ++pos_;
  }
  std::string str() {
    skipSpace();
    if (pos_ >= s_.size() || (s_[pos_] != '\'' && s_[pos_] != '"')) fail("expected a string");
    const char quote = s_[pos_++];
    const size_t end = s_.find(quote, pos_);
    if (end == std::string::npos) fail("unterminated string");
    std::string out = s_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return out;
  }
  bool boolean() {
    skipSpace();
    for (auto [word, value] : {std::pair{"True", true}, std::pair{"False", false}})
      if (s_.compare(pos_, std::strlen(word), word) == 0) {
        pos_ += std::strlen(word);
        return value;
      }
    fail("expected True or False");
  }
  std::vector<int64_t> tuple() {
    std::vector<int64_t> dims;
    expect('(');
    while (!peek(')')) {
      skipSpace();
      int64_t v = 0;
      size_t digits = 0;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') {
        if (v > (std::numeric_limits<int64_t>::max() - 9) / 10) fail("dimension too large");
        v = v * 10 + (s_[pos_++] - '0');
        ++digits;
      }
      if (!digits) fail("expected a dimension");
      if (peek('L')) ++pos_;  // Python 2 long suffix
      dims.push_back(v);
      if (!peek(',')) break;
      expect(',');
    }
    expect(')');
    return dims;
  }
};

uint32_t le16(const std::string& b, size_t at) {
  return static_cast<uint8_t>(b[at]) | static_cast<uint8_t>(b[at + 1]) << 8;
}
uint32_t le32(const std::string& b, size_t at) {
  return le16(b, at) | le16(b, at + 2) << 16;
}
void put16(std::string& b, uint32_t v) {
  b.push_back(static_cast<char>(v & 0xff));
  b.push_back(static_cast<char>((v >> 8) & 0xff));
}
void put32(std::string& b, uint32_t v) {
  put16(b, v & 0xffff);
  put16(b, v >> 16);
}

// ---- zip (only what .npz needs: stored and deflated members, no zip64, no encryption)

constexpr uint32_t kLocalSig = 0x04034b50, kCentralSig = 0x02014b50, kEndSig = 0x06054b50;

// A deflated member of recorded size `usize`: all of it, or with `prefix` only its first
// `want` bytes (fewer when the stream ends sooner; the caller checks what it needs).
std::string inflateRaw(const std::string& file, const std::string& member, const char* data,
                       size_t csize, size_t usize, size_t want, bool prefix = false) {
  // Deflate cannot expand data by more than ~1032x; larger claims are corrupt, and checking
  // it first keeps a tiny file from requesting a huge buffer.
  if (usize / 1032 > csize + 1) malformed(file, "member '" + member + "' claims an impossible size");
  std::string out(want, '\0');
  z_stream zs{};
  if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) throw Error(ErrorCode::Internal, "zlib init failed");
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data));
  zs.avail_in = static_cast<uInt>(csize);
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(want);
  const int rc = inflate(&zs, prefix ? Z_SYNC_FLUSH : Z_FINISH);
  const size_t produced = zs.total_out;
  inflateEnd(&zs);
  if (prefix) {
    if (rc != Z_OK && rc != Z_BUF_ERROR && rc != Z_STREAM_END)
      malformed(file, "member '" + member + "' is not valid deflate data");
    out.resize(produced);
    return out;
  }
  if (rc != Z_STREAM_END || produced != usize)
    malformed(file, "member '" + member + "' does not inflate to its recorded size");
  return out;
}

}  // namespace

namespace {

// Parses the header in `bytes` and checks that a file of `totalSize` bytes is exactly that
// header plus the data its shape needs; `bytes` may be only a prefix of the file when
// `headerOnly` (an .npz member checked before it is inflated), else it is the whole file.
Tensor parseNpyBytes(const std::string& bytes, const std::string& name, uint64_t totalSize, bool headerOnly) {
  if (bytes.size() < kMagicLen + 4 || bytes.compare(0, kMagicLen, kMagic, kMagicLen) != 0)
    malformed(name, "bad magic (not a .npy file)");
  const int major = static_cast<uint8_t>(bytes[6]);
  if (major < 1 || major > 3) malformed(name, "unknown format version " + std::to_string(major));
  const size_t lenBytes = major == 1 ? 2 : 4;
  if (bytes.size() < 8 + lenBytes) malformed(name, "truncated header");
  const uint64_t hlen = major == 1 ? le16(bytes, 8) : le32(bytes, 8);
  const uint64_t dataStart = 8 + lenBytes + hlen;
  if (dataStart > bytes.size()) malformed(name, "truncated header");

  const std::string header = bytes.substr(8 + lenBytes, hlen);
  std::string descr;
  bool fortran = false;
  std::vector<int64_t> shape;
  HeaderParser(header, name).parse(descr, fortran, shape);

  const DescrEntry* entry = nullptr;
  for (const DescrEntry& e : kDescrs)
    if (descr == e.descr) entry = &e;
  if (!entry)
    throw Error(ErrorCode::Unsupported, "'" + name + "': unsupported dtype '" + descr +
                                            "' (supported: <f4 <f8 <i8 <i4 |i1 |u1 |b1)");
  if (fortran)
    throw Error(ErrorCode::Unsupported, "'" + name + "': fortran_order arrays are not supported");

  const uint64_t payload = totalSize - dataStart;
  const uint64_t esize = dtypeSize(entry->dtype);
  uint64_t count = 1;
  for (int64_t d : shape) {
    if (d != 0 && count > payload / static_cast<uint64_t>(d)) count = payload + 1;  // too big
    else count *= static_cast<uint64_t>(d);
  }
  for (int64_t d : shape)
    if (d == 0) count = 0;
  if (count > payload / esize || count * esize != payload)
    malformed(name, "data holds " + std::to_string(payload) + " bytes but shape " +
                        shapeToString(shapeOf(shape)) + " of " + descr + " needs " +
                        (count > payload ? "more" : std::to_string(count * esize)));
  if (headerOnly) return Tensor{};
  Tensor t(entry->dtype, shape);
  if (payload) std::memcpy(t.bytes.data(), bytes.data() + dataStart, payload);
  if (t.dtype == DType::Bool)
    for (uint8_t& b : t.bytes) b = b != 0;
  return t;
}

}  // namespace

Tensor parseNpy(const std::string& bytes, const std::string& name) {
  return parseNpyBytes(bytes, name, bytes.size(), false);
}

std::string serializeNpy(const Tensor& t) {
  std::string dict = std::string("{'descr': '") + descrOf(t.dtype) +
                     "', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < t.dims.size(); ++i)
    dict += (i ? ", " : "") + std::to_string(t.dims[i]);
  dict += t.dims.size() == 1 ? ",), }" : "), }";
  // Pad with spaces so the data starts on a 64-byte boundary; the header ends with '\n'.
  const bool v2 = dict.size() + 1 + 10 > 65535;
  const size_t prefix = v2 ? 12 : 10;
  const size_t total = (prefix + dict.size() + 1 + 63) / 64 * 64;
  dict.append(total - prefix - dict.size() - 1, ' ');
  dict += '\n';
  std::string out(kMagic, kMagicLen);
  out.push_back(static_cast<char>(v2 ? 2 : 1));
  out.push_back(0);
  if (v2) put32(out, static_cast<uint32_t>(dict.size()));
  else put16(out, static_cast<uint32_t>(dict.size()));
  out += dict;
  out.append(reinterpret_cast<const char*>(t.bytes.data()), t.bytes.size());
  return out;
}

Tensor readNpy(const std::string& path) { return parseNpy(readRegularFile(path), path); }

void writeNpy(const std::string& path, const Tensor& t) { writeFileAtomic(path, serializeNpy(t)); }

std::map<std::string, Tensor> readNpz(const std::string& path) {
  const std::string b = readRegularFile(path);
  // End of central directory: 22 bytes plus a comment of up to 64 KiB at the end.
  if (b.size() < 22) malformed(path, "too short for a zip archive");
  size_t eocd = std::string::npos;
  for (size_t at = b.size() - 22 + 1; at-- > 0 && b.size() - at <= 22 + 65535;)
    if (le32(b, at) == kEndSig) {
      eocd = at;
      break;
    }
  if (eocd == std::string::npos) malformed(path, "no zip end-of-central-directory record");
  const uint32_t entries = le16(b, eocd + 10), cdSize = le32(b, eocd + 12),
                 cdOffset = le32(b, eocd + 16);
  if (entries == 0xffff || cdSize == 0xffffffffu || cdOffset == 0xffffffffu)
    throw Error(ErrorCode::Unsupported, "'" + path + "': zip64 archives are not supported");
  if (uint64_t{cdOffset} + cdSize > eocd) malformed(path, "central directory out of bounds");

  std::map<std::string, Tensor> out;
  size_t at = cdOffset;
  for (uint32_t e = 0; e < entries; ++e) {
    if (at + 46 > eocd || le32(b, at) != kCentralSig) malformed(path, "bad central directory entry");
    const uint32_t flags = le16(b, at + 8), method = le16(b, at + 10), crc = le32(b, at + 16),
                   csize = le32(b, at + 20), usize = le32(b, at + 24), nameLen = le16(b, at + 28),
                   extraLen = le16(b, at + 30), commentLen = le16(b, at + 32),
                   local = le32(b, at + 42);
    if (at + 46 + nameLen > eocd) malformed(path, "entry name out of bounds");
    const std::string member = b.substr(at + 46, nameLen);
    at += 46 + uint64_t{nameLen} + extraLen + commentLen;
    if (csize == 0xffffffffu || usize == 0xffffffffu || local == 0xffffffffu)
      throw Error(ErrorCode::Unsupported, "'" + path + "': zip64 member '" + member + "' not supported");
    if (flags & 1) throw Error(ErrorCode::Unsupported, "'" + path + "': member '" + member + "' is encrypted");

    if (uint64_t{local} + 30 > b.size() || le32(b, local) != kLocalSig)
      malformed(path, "bad local header for member '" + member + "'");
    const uint64_t dataAt = uint64_t{local} + 30 + le16(b, local + 26) + le16(b, local + 28);
    if (dataAt + csize > b.size()) malformed(path, "member '" + member + "' is truncated");
    std::string data;
    if (method == 0) {
      if (csize != usize) malformed(path, "stored member '" + member + "' has inconsistent sizes");
      data = b.substr(dataAt, csize);
    } else if (method == 8) {
      // The .npy header first: a member whose recorded size is not what its shape needs is
      // refused before anything large is allocated.
      parseNpyBytes(inflateRaw(path, member, b.data() + dataAt, csize, usize, std::min<size_t>(usize, 1 << 16), true),
                    path + ":" + member, usize, /*headerOnly=*/true);
      data = inflateRaw(path, member, b.data() + dataAt, csize, usize, usize);
    } else {
      throw Error(ErrorCode::Unsupported, "'" + path + "': member '" + member +
                                              "' uses compression method " + std::to_string(method));
    }
    const uint32_t actualCrc = static_cast<uint32_t>(
        crc32(0L, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())));
    if (actualCrc != crc) malformed(path, "CRC mismatch in member '" + member + "'");
    std::string key = member;
    if (key.size() > 4 && key.compare(key.size() - 4, 4, ".npy") == 0) key.resize(key.size() - 4);
    out[key] = parseNpy(data, path + ":" + member);
  }
  return out;
}

void writeNpz(const std::string& path, const std::map<std::string, Tensor>& arrays) {
  std::string zip, central;
  for (const auto& [key, tensor] : arrays) {
    const std::string name = key + ".npy";
    const std::string data = serializeNpy(tensor);
    if (data.size() >= 0xffffffffu || zip.size() >= 0xffffffffu || name.size() > 0xffff)
      throw Error(ErrorCode::Unsupported, "'" + path + "': array '" + key + "' is too large for a zip32 archive");
    const uint32_t crc = static_cast<uint32_t>(
        crc32(0L, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())));
    const uint32_t offset = static_cast<uint32_t>(zip.size());
    // Fields shared by the local header and the central directory entry, from "version
    // needed" to the extra-field length.
    std::string common;
    put16(common, 20);      // version needed
    put16(common, 0);       // flags
    put16(common, 0);       // stored
    put16(common, 0);       // mod time
    put16(common, 0x21);    // mod date: 1980-01-01
    put32(common, crc);
    put32(common, static_cast<uint32_t>(data.size()));
    put32(common, static_cast<uint32_t>(data.size()));
    put16(common, static_cast<uint32_t>(name.size()));
    put16(common, 0);       // extra length
    put32(zip, kLocalSig);
    zip += common + name + data;
    put32(central, kCentralSig);
    put16(central, 20);     // version made by
    central += common;
    put16(central, 0);      // comment length
    put16(central, 0);      // disk number
    put16(central, 0);      // internal attributes
    put32(central, 0);      // external attributes
    put32(central, offset);
    central += name;
  }
  if (arrays.size() >= 0xffff || zip.size() + central.size() >= 0xffffffffu)
    throw Error(ErrorCode::Unsupported, "'" + path + "': too large for a zip32 archive");
  const uint32_t cdOffset = static_cast<uint32_t>(zip.size());
  zip += central;
  put32(zip, kEndSig);
  put16(zip, 0);
  put16(zip, 0);
  put16(zip, static_cast<uint32_t>(arrays.size()));
  put16(zip, static_cast<uint32_t>(arrays.size()));
  put32(zip, static_cast<uint32_t>(central.size()));
  put32(zip, cdOffset);
  put16(zip, 0);
  writeFileAtomic(path, zip);
}

}  // namespace kiln
