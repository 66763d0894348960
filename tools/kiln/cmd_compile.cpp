// kiln compile: run the pass pipeline and emit the result. Today the only emitter is standard
// ONNX; the kinds the LLVM CPU backend will produce are listed and refused as not yet supported.
#include <iostream>

#include "commands.h"
#include "common.h"
#include "graph_summary.h"
#include "kiln/frontend/onnx_export.h"
#include "kiln/support/error.h"

namespace kiln::cli {

namespace {

/// Output kinds planned for the LLVM CPU backend.
constexpr const char* kFutureEmitKinds[] = {"llvm", "asm", "obj", "so"};

ArgParser makeParser() {
  ArgParser p("kiln compile", "MODEL.onnx [--emit onnx] -o OUT.onnx [options]",
              "Runs the pass pipeline (BatchNorm folding, ...) and writes the result.");
  p.positional("MODEL.onnx", "the ONNX model")
      .option("--emit", "KIND",
              "what to write: onnx = standard ONNX (opset 17) that any ONNX runtime\n"
              "runs (default); llvm, asm, obj, so: not yet supported")
      .option("--output", "FILE", "the output file (never the input model)", false, "-o");
  addPassFlags(p);
  p.epilog("exit codes: 0 success, 1 error (bad model, unsupported --emit, unwritable output),\n"
           "2 usage error");
  return p;
}

void checkEmitKind(const std::string& kind) {
  if (kind == "onnx") return;
  for (const char* future : kFutureEmitKinds)
    if (kind == future)
      throw Error(ErrorCode::Unsupported, "--emit " + kind +
                                              " is not yet supported (needs the LLVM CPU "
                                              "backend); use --emit onnx");
  throw UsageError("unknown --emit kind '" + kind + "' (known: onnx, llvm, asm, obj, so)");
}

}  // namespace

int runCompile(const Args& argv) {
  ArgParser parser = makeParser();
  ParsedArgs args = parser.parse(argv);
  if (args.helpRequested) {
    std::cout << parser.usage();
    return kExitOk;
  }
  const std::string modelPath = args.positionals[0];
  const std::string outPath = args.get("--output");
  if (outPath.empty()) throw UsageError("kiln compile: missing -o OUT");
  checkEmitKind(args.get("--emit", "onnx"));
  refuseOverwrite(outPath, {modelPath}, "-o");
  checkOutputFolder(outPath);

  std::unique_ptr<Graph> original = loadModel(modelPath);
  OptimisedGraph opt = optimise(*original, passOptionsFrom(args));
  exportOnnxFile(*opt.graph, outPath);

  std::cout << "wrote " << outPath << ": " << opt.graph->nodes().size() << " nodes (was "
            << original->nodes().size() << "), " << parameterCount(*opt.graph)
            << " parameters (was " << parameterCount(*original) << ")\n";
  return kExitOk;
}

}  // namespace kiln::cli
