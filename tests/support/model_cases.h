#pragma once
/// The demo and variant models as test cases (every .onnx under tests/models/demos and
/// tests/models/variants, BatchNorm folded and not) and their PyTorch references: one list
/// for the CPU, CUDA and fuzz tests.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "kiln/support/npy.h"
#include "test_util.h"

namespace kiln::test {

/// Every .onnx under tests/models/demos and tests/models/variants (relative paths, sorted).
inline std::vector<std::string> demoAndVariantModels() {
  std::vector<std::string> files;
  for (const char* dir : {"tests/models/demos", "tests/models/variants"})
    for (const auto& e : std::filesystem::directory_iterator(sourcePath(dir)))
      if (e.path().extension() == ".onnx") files.push_back(std::string(dir) + "/" + e.path().filename().string());
  std::sort(files.begin(), files.end());
  return files;
}

struct ModelCase {
  std::string path;  ///< relative to the source tree
  bool fold;
};

inline void PrintTo(const ModelCase& c, std::ostream* os) { *os << c.path << (c.fold ? " folded" : " unfolded"); }

/// Every demo and variant model, folded and unfolded.
inline std::vector<ModelCase> modelCases() {
  std::vector<ModelCase> cases;
  for (const std::string& f : demoAndVariantModels())
    for (bool fold : {true, false}) cases.push_back({f, fold});
  return cases;
}

/// "lenet_bn_train_folded": the file stem, non-alphanumerics as '_', and the fold.
inline std::string modelCaseName(const testing::TestParamInfo<ModelCase>& info) {
  std::string n = std::filesystem::path(info.param.path).stem().string();
  for (char& c : n)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return n + (info.param.fold ? "_folded" : "_unfolded");
}

/// PyTorch's reference run of a model (<stem>.ref.npz next to it): input and fp64 output,
/// the training-mode pair for a *.train.onnx. `found` is false when the archive lacks them.
struct ModelReference {
  std::string archive;
  Tensor input, output;
  bool found = false;
};

inline ModelReference modelReference(const std::string& path) {
  std::string stem = path.substr(0, path.size() - 5);
  const bool train = stem.ends_with(".train");
  if (train) stem = stem.substr(0, stem.size() - 6);
  ModelReference r;
  r.archive = stem + ".ref.npz";
  const std::map<std::string, Tensor> ref = readNpz(sourcePath(r.archive));
  const std::string inKey = train && ref.count("train_input") ? "train_input" : "input";
  const std::string outKey = train ? "train_output_fp64" : "output_fp64";
  r.found = ref.count(inKey) && ref.count(outKey);
  if (r.found) r.input = ref.at(inKey), r.output = ref.at(outKey);
  return r;
}

}  // namespace kiln::test
