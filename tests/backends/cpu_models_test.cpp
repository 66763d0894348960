// Every demo and variant model, imported, run through the pass pipeline (BatchNorm folded and
// not), JIT-compiled by the CPU backend and run on the reference input, compared with
// PyTorch's float64 output. Training graphs (*.train.onnx) are compared with the training
// reference output.
#include <gtest/gtest.h>

#include <filesystem>

#include "cpu_test_util.h"
#include "kiln/backends/cpu/cpu_backend.h"
#include "kiln/frontend/onnx_import.h"
#include "kiln/passes/pipeline.h"
#include "kiln/support/npy.h"
#include "test_util.h"

namespace kiln::test {
namespace {

struct ModelCase {
  std::string path;  ///< relative to the source tree
  bool fold;
};

void PrintTo(const ModelCase& c, std::ostream* os) { *os << c.path << (c.fold ? " folded" : " unfolded"); }

std::vector<ModelCase> modelCases() {
  std::vector<ModelCase> cases;
  for (const char* dir : {"tests/models/demos", "tests/models/variants"}) {
    std::vector<std::string> files;
    for (const auto& e : std::filesystem::directory_iterator(sourcePath(dir)))
      if (e.path().extension() == ".onnx") files.push_back(std::string(dir) + "/" + e.path().filename().string());
    std::sort(files.begin(), files.end());
    for (const std::string& f : files)
      for (bool fold : {true, false}) cases.push_back({f, fold});
  }
  return cases;
}

std::string caseName(const testing::TestParamInfo<ModelCase>& info) {
  std::string n = std::filesystem::path(info.param.path).filename().string();
  n = n.substr(0, n.size() - 5);
  for (char& c : n)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return n + (info.param.fold ? "_folded" : "_unfolded");
}

class CpuModels : public testing::TestWithParam<ModelCase> {};

TEST_P(CpuModels, MatchesPyTorchFloat64) {
  const ModelCase& mc = GetParam();
  std::string stem = mc.path.substr(0, mc.path.size() - 5);
  const bool train = stem.size() > 6 && stem.substr(stem.size() - 6) == ".train";
  if (train) stem = stem.substr(0, stem.size() - 6);
  const auto ref = readNpz(sourcePath(stem + ".ref.npz"));
  const std::string inKey = train && ref.count("train_input") ? "train_input" : "input";
  const std::string outKey = train ? "train_output_fp64" : "output_fp64";
  ASSERT_TRUE(ref.count(inKey) && ref.count(outKey)) << stem;

  auto g = importOnnxFile(sourcePath(mc.path));
  PassOptions opts;
  opts.foldBatchNorm = mc.fold;
  PassReport report;
  runPipeline(*g, opts, report);
  auto model = cpu::compileCpuJit(*g);
  TensorMap in{{g->inputs.at(0)->name, ref.at(inKey).castTo(g->inputs.at(0)->dtype)}};
  TensorMap out = model->run(in, 2);
  const Tensor& got = out.at(g->outputs.at(0)->name);
  expectClose(got, ref.at(outKey), 1e-4, mc.path);
}

INSTANTIATE_TEST_SUITE_P(All, CpuModels, testing::ValuesIn(modelCases()), caseName);

}  // namespace
}  // namespace kiln::test
