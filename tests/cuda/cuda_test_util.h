#pragma once
/// Helpers of the CUDA backend tests: importing a model through the pass pipeline and
/// assembling PTX with ptxas (the model list is model_cases.h).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>
#include <vector>

#include "kiln/frontend/onnx_import.h"
#include "kiln/passes/pipeline.h"
#include "test_util.h"

namespace kiln::test {

/// The model imported and run through the pass pipeline, BatchNorm folded or not.
inline std::unique_ptr<Graph> importModel(const std::string& rel, bool fold) {
  auto g = importOnnxFile(sourcePath(rel));
  PassOptions opts;
  opts.foldBatchNorm = fold;
  PassReport report;
  runPipeline(*g, opts, report);
  return g;
}

/// ptxas found by CMake ("" when the toolkit has none).
inline std::string ptxasPath() { return KILN_PTXAS; }

/// Assembles `ptx` with ptxas for `arch`; returns "" on success, else ptxas' output.
inline std::string assemblePtx(const std::string& ptx, const std::string& arch) {
  const std::string base = std::filesystem::temp_directory_path() / ("kiln-cuda-test-" + std::to_string(::getpid()));
  const std::string in = base + ".ptx", log = base + ".log";
  std::ofstream(in, std::ios::binary) << ptx;
  const std::string cmd = "'" + ptxasPath() + "' -arch=" + arch + " '" + in + "' -o /dev/null > '" + log + "' 2>&1";
  const int rc = std::system(cmd.c_str());
  std::ifstream l(log);
  std::string out((std::istreambuf_iterator<char>(l)), std::istreambuf_iterator<char>());
  std::filesystem::remove(in);
  std::filesystem::remove(log);
  return rc == 0 ? "" : "ptxas exit " + std::to_string(rc) + ": " + out;
}

}  // namespace kiln::test
