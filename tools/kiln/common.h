#pragma once
/// Helpers shared by the kiln subcommands: loading and optimising a model, pass options from
/// flags, file-safety checks (never overwrite an input), atomic text output, timing.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "args.h"
#include "kiln/ir/graph.h"
#include "kiln/passes/pass.h"

namespace kiln::cli {

/// Imports an ONNX model (with shape inference). Errors name the file.
std::unique_ptr<Graph> loadModel(const std::string& path);

/// Declares the pass flags (--no-fold-bn, --pytorch-running-var) on a parser.
void addPassFlags(ArgParser& parser);
/// PassOptions from those flags.
PassOptions passOptionsFrom(const ParsedArgs& args);

/// A copy of `original` run through the pass pipeline, with what the passes reported.
struct OptimisedGraph {
  std::unique_ptr<Graph> graph;
  PassReport report;
};
OptimisedGraph optimise(const Graph& original, const PassOptions& options);

/// True when `a` and `b` name the same file (by identity when both exist, else by their
/// normalised absolute paths).
bool samePath(const std::string& a, const std::string& b);
/// Throws Error(Io) when `output` is one of `inputs` (kiln never overwrites its inputs).
void refuseOverwrite(const std::string& output, const std::vector<std::string>& inputs,
                     const char* outputFlag);
/// Throws Error(Io) naming `path` when its folder does not exist (checked before doing work).
void checkOutputFolder(const std::string& path);
/// Writes `text` to `path` atomically (temp file in the same folder, then rename); on failure
/// nothing is left behind. Throws Error(Io) naming the path.
void writeTextFileAtomic(const std::string& path, const std::string& text);

bool endsWith(const std::string& s, const std::string& suffix);
/// "12.3 ms", "1.52 s".
std::string formatDuration(double seconds);

/// Wall-clock time since construction.
class Stopwatch {
 public:
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace kiln::cli
