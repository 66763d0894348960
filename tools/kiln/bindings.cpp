#include "bindings.h"

#include <filesystem>
#include <iostream>

#include "common.h"
#include "graph_summary.h"
#include "kiln/support/error.h"
#include "kiln/support/npy.h"

namespace kiln::cli {

namespace {

std::string inputNames(const Graph& g) {
  std::string names;
  for (const Value* v : g.inputs) names += (names.empty() ? "'" : ", '") + v->name + "'";
  return names.empty() ? "none" : names;
}

const Value* findInput(const Graph& g, const std::string& name) {
  for (const Value* v : g.inputs)
    if (v->name == name) return v;
  return nullptr;
}

/// Collects tensors for the inputs of `g`, remembering which file each came from.
struct Binder {
  const Graph& g;
  TensorMap tensors;
  std::map<std::string, std::string> files;

  void bind(const std::string& name, Tensor t, const std::string& file) {
    if (!findInput(g, name))
      throw Error(ErrorCode::InvalidInput, "unknown input name '" + name + "' (from '" + file +
                                               "'); the model's inputs are " + inputNames(g));
    if (auto it = files.find(name); it != files.end())
      throw Error(ErrorCode::InvalidInput, "input '" + name + "' is given twice ('" +
                                               it->second + "' and '" + file + "')");
    tensors.emplace(name, std::move(t));
    files.emplace(name, file);
  }
};

}  // namespace

InputSpec parseInputSpec(const std::string& arg) {
  size_t eq = arg.find('=');
  std::error_code ec;
  if (eq == std::string::npos || eq == 0 || std::filesystem::exists(arg, ec)) return {"", arg};
  return {arg.substr(0, eq), arg.substr(eq + 1)};
}

TensorMap bindInputs(const Graph& g, const std::vector<InputSpec>& specs,
                     std::map<std::string, std::string>* sources) {
  Binder binder{g, {}, {}};
  for (const InputSpec& spec : specs) {
    if (!spec.name.empty()) {
      binder.bind(spec.name, readNpy(spec.file), spec.file);
    } else if (endsWith(spec.file, ".npz")) {
      size_t bound = 0;
      std::string skipped;
      for (auto& [member, tensor] : readNpz(spec.file)) {
        if (!findInput(g, member)) {
          skipped += (skipped.empty() ? "" : ", ") + member;
          continue;
        }
        binder.bind(member, std::move(tensor), spec.file);
        ++bound;
      }
      if (bound > 0 && !skipped.empty())
        std::cerr << "kiln: note: '" << spec.file
                  << "': ignoring members that are not model inputs: " << skipped << "\n";
      if (bound == 0)
        throw Error(ErrorCode::InvalidInput, "'" + spec.file +
                                                 "' has no member named like a model input (" +
                                                 inputNames(g) + ")");
    } else {
      if (g.inputs.size() != 1)
        throw Error(ErrorCode::InvalidInput,
                    "'" + spec.file + "' has no input name but the model has " +
                        std::to_string(g.inputs.size()) + " inputs (" + inputNames(g) +
                        "); use --input NAME=" + spec.file);
      binder.bind(g.inputs[0]->name, readNpy(spec.file), spec.file);
    }
  }
  for (const Value* v : g.inputs)
    if (!binder.tensors.count(v->name))
      throw Error(ErrorCode::InvalidInput, "no data for model input '" + v->name + "' (" +
                                               typeText(*v) + "); give --input " + v->name +
                                               "=FILE.npy");
  if (sources) *sources = binder.files;
  return std::move(binder.tensors);
}

void checkOutputPath(const Graph& g, const std::string& path) {
  checkOutputFolder(path);
  if (!endsWith(path, ".npz") && g.outputs.size() != 1)
    throw Error(ErrorCode::InvalidInput,
                "the model has " + std::to_string(g.outputs.size()) +
                    " outputs; write them with --output FILE.npz instead of '" + path + "'");
}

void writeOutputs(const Graph& g, const TensorMap& outputs, const std::string& path) {
  if (endsWith(path, ".npz")) {
    writeNpz(path, outputs);
    return;
  }
  auto it = outputs.find(g.outputs.at(0)->name);
  if (it == outputs.end())
    throw Error(ErrorCode::Internal, "output '" + g.outputs[0]->name + "' was not computed");
  writeNpy(path, it->second);
}

std::string describeTensor(const Tensor& t) {
  return std::string(dtypeName(t.dtype)) + " " + shapeToString(shapeOf(t.dims));
}

}  // namespace kiln::cli
