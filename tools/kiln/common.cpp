#include "common.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "kiln/frontend/onnx_import.h"
#include "kiln/passes/pipeline.h"
#include "kiln/support/error.h"
#include "kiln/support/file_io.h"

namespace fs = std::filesystem;

namespace kiln::cli {

std::unique_ptr<Graph> loadModel(const std::string& path) { return importOnnxFile(path); }

void addPassFlags(ArgParser& parser) {
  parser.flag("--no-fold-bn", "do not fold or lower BatchNormalization (run BN as written)")
      .flag("--pytorch-running-var",
            "training-mode BN updates running_var with the unbiased batch variance\n"
            "(PyTorch) instead of ONNX's population variance");
}

PassOptions passOptionsFrom(const ParsedArgs& args) {
  PassOptions o;
  o.foldBatchNorm = !args.has("--no-fold-bn");
  o.pytorchRunningVar = args.has("--pytorch-running-var");
  return o;
}

OptimisedGraph optimise(const Graph& original, const PassOptions& options) {
  OptimisedGraph out;
  out.graph = original.clone();
  runPipeline(*out.graph, options, out.report);
  return out;
}

bool samePath(const std::string& a, const std::string& b) {
  std::error_code ec;
  if (fs::exists(a, ec) && fs::exists(b, ec)) return fs::equivalent(a, b, ec);
  return fs::weakly_canonical(fs::absolute(a, ec), ec) ==
         fs::weakly_canonical(fs::absolute(b, ec), ec);
}

void refuseOverwrite(const std::string& output, const std::vector<std::string>& inputs,
                     const char* outputFlag) {
  for (const std::string& in : inputs)
    if (samePath(output, in))
      throw Error(ErrorCode::Io, std::string("refusing to write ") + outputFlag + " '" + output +
                                     "': it is '" + in + "', which this command reads");
}

void checkOutputFolder(const std::string& path) {
  fs::path parent = fs::path(path).parent_path();
  if (parent.empty()) parent = ".";
  std::error_code ec;
  if (!fs::is_directory(parent, ec))
    throw Error(ErrorCode::Io, "cannot write '" + path + "': folder '" + parent.string() +
                                   "' does not exist");
  if (fs::is_directory(path, ec))
    throw Error(ErrorCode::Io, "cannot write '" + path + "': it is a folder");
}

void writeTextFileAtomic(const std::string& path, const std::string& text) {
  checkOutputFolder(path);
  writeFileAtomic(path, text);
}

bool endsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string formatDuration(double seconds) {
  char buf[32];
  if (seconds >= 1.0)
    std::snprintf(buf, sizeof buf, "%.2f s", seconds);
  else if (seconds >= 1e-3)
    std::snprintf(buf, sizeof buf, "%.2f ms", seconds * 1e3);
  else
    std::snprintf(buf, sizeof buf, "%.1f us", seconds * 1e6);
  return buf;
}

}  // namespace kiln::cli
