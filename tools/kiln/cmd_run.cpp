// kiln run: bind .npy/.npz inputs, run an ONNX model (after the pass pipeline, on a target) or
// a compiled .so artifact (through the runtime library), write the outputs.
#include <iostream>

#include "artifact.h"
#include "bindings.h"
#include "commands.h"
#include "common.h"
#include "kiln/support/error.h"
#include "targets.h"

namespace kiln::cli {

namespace {

/// The model ready to run: an artifact as it is, an ONNX model optimised and prepared.
/// Sets `runsOn` to what runs it, and `threads` to 1 for a target without threads.
std::unique_ptr<PreparedModel> prepareModel(const std::string& path, const ParsedArgs& args,
                                            std::string& runsOn, int& threads) {
  if (detectModelFile(path) == ModelFileKind::Artifact) {
    for (const char* onnxOnly : {"--target", "--no-fold-bn", "--pytorch-running-var"})
      if (args.has(onnxOnly))
        throw UsageError(std::string(onnxOnly) + " applies to ONNX models, but '" + path +
                         "' is a compiled artifact (give it to kiln compile instead)");
    runsOn = "artifact, kiln runtime";
    return std::make_unique<ArtifactModel>(path);
  }
  const TargetInfo& target = findTarget(args.get("--target", defaultTargetName()));
  runsOn = std::string("target ") + target.name;
  if (!target.usesThreads && threads != 1) {
    std::cerr << "kiln: note: target " << target.name << " runs on one thread; ignoring --threads\n";
    threads = 1;
  }
  std::unique_ptr<Graph> original = loadModel(path);
  return target.prepare(optimise(*original, passOptionsFrom(args)).graph);
}

std::string describeSources(const std::map<std::string, std::string>& sources) {
  std::string from;
  for (const auto& [name, file] : sources)
    from += (from.empty() ? "" : ", ") + name + " <- '" + file + "'";
  return from;
}

}  // namespace

ArgParser runParser() {
  ArgParser p("kiln run", "MODEL --input FILE... [--output FILE.npy|FILE.npz] [options]",
              "Runs a model on the given inputs and prints the output names, shapes and the\n"
              "run time. MODEL is an ONNX model (run after the pass pipeline on --target) or a\n"
              "shared library written by 'kiln compile -o X.so' (run by the kiln runtime\n"
              "library; names, dtypes and shapes come from the artifact). The kind is told\n"
              "from the file's content, not its name.");
  p.positional("MODEL", "MODEL.onnx or an artifact MODEL.so")
      .option("--input", "FILE",
              "FILE.npy (the model's single input), NAME=FILE.npy, or FILE.npz\n"
              "(members bound to the inputs of the same name)",
              /*repeatable=*/true, "-i")
      .option("--output", "FILE",
              "write the outputs: FILE.npy for a single-output model, FILE.npz for\n"
              "all outputs by name (written only on success)",
              false, "-o")
      .option("--target", "NAME", targetHelp() + "\n(ONNX models only)")
      .option("--threads", "N", "threads for the cpu target and artifacts (default 1)");
  addPassFlags(p);
  p.epilog("The pass flags and --target apply to ONNX models; an artifact was optimised when\n"
           "it was compiled.\n"
           "exit codes: 0 success, 1 error (bad model, input or output file, wrong input\n"
           "shape or dtype), 2 usage error");
  return p;
}

int runRun(const ParsedArgs& args) {
  const std::string modelPath = args.positionals[0];
  if (args.has("--target")) findTarget(args.get("--target"));  // usage errors first
  int threads = static_cast<int>(args.getInt("--threads", 1, 1));
  std::vector<InputSpec> specs;
  std::vector<std::string> readFiles = {modelPath};
  for (const std::string& a : args.getAll("--input")) {
    specs.push_back(parseInputSpec(a));
    readFiles.push_back(specs.back().file);
  }
  if (specs.empty()) throw UsageError("kiln run: no --input given");
  const std::string outPath = args.get("--output");
  if (!outPath.empty()) refuseOverwrite(outPath, readFiles, "--output");

  std::string runsOn;
  std::unique_ptr<PreparedModel> model = prepareModel(modelPath, args, runsOn, threads);
  const Graph& g = model->graph();
  if (!outPath.empty()) {
    refuseOverwrite(outPath, g.externalDataFiles, "--output");
    checkOutputPath(g, outPath);
  }
  std::map<std::string, std::string> inputFiles;
  TensorMap inputs = bindInputs(g, specs, &inputFiles);

  Stopwatch clock;
  TensorMap outputs;
  try {
    outputs = model->run(inputs, threads);
  } catch (const Error& e) {
    if (e.code() != ErrorCode::InvalidInput) throw;
    throw Error(e.code(), std::string(e.what()) + " (inputs: " + describeSources(inputFiles) + ")");
  }
  double seconds = clock.seconds();
  if (!outPath.empty()) writeOutputs(g, outputs, outPath);

  for (const Value* v : g.outputs) {
    auto it = outputs.find(v->name);
    std::cout << "output '" << v->name
              << "': " << (it == outputs.end() ? "(missing)" : describeTensor(it->second))
              << "\n";
  }
  std::cout << "time: " << formatDuration(seconds) << " (" << runsOn << ", " << threads
            << (threads == 1 ? " thread)\n" : " threads)\n");
  if (!outPath.empty()) std::cout << "wrote " << outPath << "\n";
  return kExitOk;
}

}  // namespace kiln::cli
