// kiln run: bind .npy/.npz inputs, run the (optimised) model on a target, write the outputs.
#include <iostream>

#include "bindings.h"
#include "commands.h"
#include "common.h"
#include "targets.h"

namespace kiln::cli {

namespace {

ArgParser makeParser() {
  ArgParser p("kiln run", "MODEL.onnx --input FILE... [--output FILE.npy|FILE.npz] [options]",
              "Runs the model (after the pass pipeline) on the given inputs and prints the\n"
              "output names, shapes and the run time.");
  p.positional("MODEL.onnx", "the ONNX model")
      .option("--input", "FILE",
              "FILE.npy (the model's single input), NAME=FILE.npy, or FILE.npz\n"
              "(members bound to the inputs of the same name)",
              /*repeatable=*/true, "-i")
      .option("--output", "FILE",
              "write the outputs: FILE.npy for a single-output model, FILE.npz for\n"
              "all outputs by name (written only on success)",
              false, "-o")
      .option("--target", "NAME", targetHelp());
  addPassFlags(p);
  p.epilog("exit codes: 0 success, 1 error (bad model, input or output file), 2 usage error");
  return p;
}

}  // namespace

int runRun(const Args& argv) {
  ArgParser parser = makeParser();
  ParsedArgs args = parser.parse(argv);
  if (args.helpRequested) {
    std::cout << parser.usage();
    return kExitOk;
  }
  const std::string modelPath = args.positionals[0];
  const TargetInfo& target = findTarget(args.get("--target", defaultTargetName()));
  std::vector<InputSpec> specs;
  std::vector<std::string> readFiles = {modelPath};
  for (const std::string& a : args.getAll("--input")) {
    specs.push_back(parseInputSpec(a));
    readFiles.push_back(specs.back().file);
  }
  if (specs.empty()) throw UsageError("kiln run: no --input given");
  const std::string outPath = args.get("--output");
  if (!outPath.empty()) refuseOverwrite(outPath, readFiles, "--output");

  std::unique_ptr<Graph> original = loadModel(modelPath);
  OptimisedGraph opt = optimise(*original, passOptionsFrom(args));
  if (!outPath.empty()) checkOutputPath(*opt.graph, outPath);
  std::map<std::string, std::string> inputFiles;
  TensorMap inputs = bindInputs(*opt.graph, specs, &inputFiles);
  checkBoundInputs(*opt.graph, inputs, inputFiles);

  std::unique_ptr<PreparedModel> model = target.prepare(std::move(opt.graph));
  Stopwatch clock;
  TensorMap outputs = model->run(inputs);
  double seconds = clock.seconds();
  if (!outPath.empty()) writeOutputs(model->graph(), outputs, outPath);

  for (const Value* v : model->graph().outputs) {
    auto it = outputs.find(v->name);
    std::cout << "output '" << v->name
              << "': " << (it == outputs.end() ? "(missing)" : describeTensor(it->second))
              << "\n";
  }
  std::cout << "time: " << formatDuration(seconds) << " (target " << target.name << ")\n";
  if (!outPath.empty()) std::cout << "wrote " << outPath << "\n";
  return kExitOk;
}

}  // namespace kiln::cli
