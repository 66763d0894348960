#pragma once
/// Binding `--input` files to graph inputs and writing outputs as .npy / .npz.
#include <map>
#include <string>
#include <vector>

#include "kiln/eval/evaluator.h"
#include "kiln/ir/graph.h"

namespace kiln::cli {

/// One `--input` argument: FILE.npy (the single graph input), NAME=FILE.npy, or FILE.npz
/// (members bound by name).
struct InputSpec {
  std::string name;  ///< empty when unnamed
  std::string file;
};
/// Splits "NAME=FILE" (unless the whole argument is an existing file).
InputSpec parseInputSpec(const std::string& arg);

/// Reads every spec and binds it to an input of `g`. Throws Error(InvalidInput) for an
/// unknown input name, an input bound twice, an unnamed .npy when the model has several
/// inputs, or a graph input left without data; npz members that are not model inputs are
/// skipped with a note on stderr. `sources`, if given, receives the file of each input.
TensorMap bindInputs(const Graph& g, const std::vector<InputSpec>& specs,
                     std::map<std::string, std::string>* sources = nullptr);

/// Validates `path` as the destination for the outputs of `g` before running: .npz takes all
/// outputs, anything else is written as .npy and needs a single-output model.
void checkOutputPath(const Graph& g, const std::string& path);
/// Writes the outputs (atomically, by writeNpy / writeNpz).
void writeOutputs(const Graph& g, const TensorMap& outputs, const std::string& path);

/// "float32 [1,10]".
std::string describeTensor(const Tensor& t);

}  // namespace kiln::cli
