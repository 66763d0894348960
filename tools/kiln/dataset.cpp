#include "dataset.h"

#include <zlib.h>

#include <algorithm>
#include <climits>
#include <filesystem>
#include <memory>

#include "kiln/support/error.h"
#include "kiln/support/npy.h"

namespace kiln::cli {

namespace {

/// A gzip (or plain: gzread passes uncompressed files through) stream with checked reads.
class GzFile {
 public:
  explicit GzFile(std::string path) : path_(std::move(path)) {
    file_ = gzopen(path_.c_str(), "rb");
    if (!file_) throw Error(ErrorCode::Io, "cannot open '" + path_ + "'");
  }
  ~GzFile() { gzclose(file_); }
  GzFile(const GzFile&) = delete;
  GzFile& operator=(const GzFile&) = delete;

  void read(void* dst, size_t n) {
    auto* out = static_cast<uint8_t*>(dst);
    while (n > 0) {
      unsigned chunk = static_cast<unsigned>(std::min<size_t>(n, 1u << 30));
      int got = gzread(file_, out, chunk);
      if (got <= 0) {
        int err = 0;
        const char* msg = gzerror(file_, &err);
        throw Error(ErrorCode::InvalidInput,
                    "'" + path_ + "' is truncated or corrupt" +
                        (err != Z_OK && err != Z_STREAM_END && msg ? std::string(": ") + msg : ""));
      }
      out += got;
      n -= static_cast<size_t>(got);
    }
  }
  uint32_t readBigEndian32() {
    uint8_t b[4];
    read(b, 4);
    return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  gzFile file_ = nullptr;
};

/// `dir/name.gz`, or `dir/name` when only the uncompressed file exists.
std::string findIdxFile(const std::string& dir, const std::string& name) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw Error(ErrorCode::Io, "data folder '" + dir + "' does not exist");
  fs::path gz = fs::path(dir) / (name + ".gz"), plain = fs::path(dir) / name;
  if (fs::exists(gz, ec)) return gz.string();
  if (fs::exists(plain, ec)) return plain.string();
  throw Error(ErrorCode::Io, "missing data file '" + gz.string() + "' (or '" + plain.string() +
                                 "')");
}

/// Reads an IDX header: magic 0x0000 08 <rank> (unsigned bytes), then `rank` big-endian dims.
std::vector<int64_t> readIdxHeader(GzFile& f, int rank) {
  uint32_t magic = f.readBigEndian32();
  if (magic != (0x0800u | static_cast<uint32_t>(rank)))
    throw Error(ErrorCode::InvalidInput, "'" + f.path() + "' is not an IDX file of rank " +
                                             std::to_string(rank) + " unsigned bytes");
  std::vector<int64_t> dims;
  for (int i = 0; i < rank; ++i) dims.push_back(f.readBigEndian32());
  return dims;
}

int64_t capped(int64_t n, int64_t limit) { return limit > 0 ? std::min(n, limit) : n; }

/// All labels of a 1-D integer array (`what` names it in messages).
std::vector<int64_t> labelsFrom(const Tensor& t, const std::string& what) {
  if (isFloat(t.dtype) || t.rank() != 1)
    throw Error(ErrorCode::InvalidInput, what + " must be a 1-D integer array, got " +
                                             std::string(dtypeName(t.dtype)) + " " +
                                             shapeToString(shapeOf(t.dims)));
  return t.toInts();
}

}  // namespace

Dataset loadIdxTestSet(const std::string& dir, int64_t limit) {
  std::string imagesPath = findIdxFile(dir, "t10k-images-idx3-ubyte");
  std::string labelsPath = findIdxFile(dir, "t10k-labels-idx1-ubyte");
  GzFile images(imagesPath), labels(labelsPath);
  std::vector<int64_t> idims = readIdxHeader(images, 3);
  std::vector<int64_t> ldims = readIdxHeader(labels, 1);
  if (idims[0] != ldims[0])
    throw Error(ErrorCode::InvalidInput, "'" + imagesPath + "' holds " +
                                             std::to_string(idims[0]) + " images but '" +
                                             labelsPath + "' holds " + std::to_string(ldims[0]) +
                                             " labels");
  if (idims[1] <= 0 || idims[2] <= 0 || idims[1] * idims[2] > (1 << 24))
    throw Error(ErrorCode::InvalidInput, "'" + imagesPath + "' has implausible image size " +
                                             std::to_string(idims[1]) + "x" +
                                             std::to_string(idims[2]));
  const int64_t n = capped(idims[0], limit);
  const size_t pixels = static_cast<size_t>(n * idims[1] * idims[2]);
  std::vector<uint8_t> bytes(pixels), labelBytes(static_cast<size_t>(n));
  images.read(bytes.data(), bytes.size());
  labels.read(labelBytes.data(), labelBytes.size());

  Dataset d;
  d.images = Tensor(DType::F32, {n, 1, idims[1], idims[2]});
  auto px = d.images.data<float>();
  for (size_t i = 0; i < pixels; ++i) px[i] = static_cast<float>(bytes[i]) / 255.0f;
  d.labels.assign(labelBytes.begin(), labelBytes.end());
  d.description = "Fashion-MNIST test set (" + dir + ")";
  return d;
}

Dataset loadArrayDataset(const std::string& inputsPath, const std::string& labelsPath,
                         const std::string& inputName, int64_t limit) {
  Dataset d;
  bool haveImages = false;
  if (inputsPath.size() >= 4 && inputsPath.compare(inputsPath.size() - 4, 4, ".npz") == 0) {
    std::map<std::string, Tensor> members = readNpz(inputsPath);
    auto pick = [&]() -> std::map<std::string, Tensor>::iterator {
      for (const std::string& name : {inputName, std::string("input")})
        if (auto it = members.find(name); it != members.end()) return it;
      auto only = members.end();
      for (auto it = members.begin(); it != members.end(); ++it) {
        if (it->first == "labels") continue;
        if (only != members.end()) return members.end();  // ambiguous
        only = it;
      }
      return only;
    };
    auto it = pick();
    if (it == members.end())
      throw Error(ErrorCode::InvalidInput, "'" + inputsPath + "' has no member named '" +
                                               inputName + "' or 'input'");
    d.images = std::move(it->second);
    haveImages = true;
    if (labelsPath.empty())
      if (auto lab = members.find("labels"); lab != members.end())
        d.labels = labelsFrom(lab->second, "member 'labels' of '" + inputsPath + "'");
  }
  if (!haveImages) d.images = readNpy(inputsPath);
  if (d.images.dtype == DType::F64) d.images = d.images.castTo(DType::F32);
  if (d.images.dtype != DType::F32 || d.images.rank() < 1 || d.images.dims[0] == 0)
    throw Error(ErrorCode::InvalidInput, "inputs '" + inputsPath +
                                             "' must be a non-empty float32 array, got " +
                                             std::string(dtypeName(d.images.dtype)) + " " +
                                             shapeToString(shapeOf(d.images.dims)));
  const int64_t available = d.images.dims[0];
  if (!labelsPath.empty()) d.labels = labelsFrom(readNpy(labelsPath), "labels '" + labelsPath + "'");
  if (!d.labels.empty() && static_cast<int64_t>(d.labels.size()) != available)
    throw Error(ErrorCode::InvalidInput,
                "'" + inputsPath + "' holds " + std::to_string(available) + " inputs but '" +
                    (labelsPath.empty() ? inputsPath : labelsPath) + "' holds " +
                    std::to_string(d.labels.size()) + " labels");
  const int64_t n = capped(available, limit);
  if (!d.labels.empty()) d.labels.resize(static_cast<size_t>(n));
  if (n < available) d.images = sliceRows(d.images, 0, n);
  d.description = "'" + inputsPath + "'";
  return d;
}

Tensor sliceRows(const Tensor& t, int64_t begin, int64_t end, int64_t padTo) {
  std::vector<int64_t> dims = t.dims;
  dims[0] = std::max(end - begin, padTo);
  Tensor out(t.dtype, dims);  // zero-filled
  const size_t rowBytes = t.bytes.size() / static_cast<size_t>(t.dims[0]);
  std::copy(t.bytes.begin() + static_cast<std::ptrdiff_t>(begin * rowBytes),
            t.bytes.begin() + static_cast<std::ptrdiff_t>(end * rowBytes), out.bytes.begin());
  return out;
}

}  // namespace kiln::cli
