// kiln compile: run the pass pipeline and write the result: a shared library the kiln runtime
// loads, an object file, LLVM IR or assembly (the formats of the --target backend), or
// standard ONNX.
#include <iostream>

#include "commands.h"
#include "common.h"
#include "graph_summary.h"
#include "kiln/frontend/onnx_export.h"
#include "kiln/support/error.h"

#include "targets.h"

namespace kiln::cli {

namespace {

/// One --emit kind: the ONNX export, or a file format of the target's backend.
struct EmitInfo {
  std::string name;
  std::string extension;
  std::string description;
};

const EmitInfo kOnnx{"onnx", ".onnx", "standard ONNX (opset 17) that any ONNX runtime runs"};

/// The formats of backend `b`, then onnx.
std::vector<EmitInfo> emitKinds(const backend::Backend& b) {
  std::vector<EmitInfo> kinds;
  for (const backend::EmitFormat& f : b.emitFormats()) kinds.push_back({f.name, f.extension, f.description});
  kinds.push_back(kOnnx);
  return kinds;
}

std::string emitHelp() {
  std::string text = "what to write (default: from the -o extension, else the target's first\nformat):";
  for (const TargetInfo& t : targets())
    for (const backend::EmitFormat& f : t.backend->emitFormats())
      text += "\n" + f.name + " (" + f.extension + ", target " + t.name + ") = " + f.description;
  return text + "\n" + kOnnx.name + " (" + kOnnx.extension + ", any target) = " + kOnnx.description;
}

EmitInfo chooseEmit(const ParsedArgs& args, const TargetInfo& target, const std::string& outPath) {
  const std::vector<EmitInfo> kinds = emitKinds(*target.backend);
  if (args.has("--emit")) {
    const std::string kind = args.get("--emit");
    std::string known;
    for (const EmitInfo& e : kinds) {
      if (kind == e.name) return e;
      known += (known.empty() ? "" : ", ") + e.name;
    }
    throw UsageError("unknown --emit kind '" + kind + "' for target " + target.name + " (known: " + known + ")");
  }
  for (const EmitInfo& e : kinds)
    if (endsWith(outPath, e.extension)) return e;
  if (target.backend->emitFormats().empty())
    throw UsageError("target " + target.name + " writes no compiled files; use --emit onnx (or -o X.onnx)");
  return kinds.front();
}

}  // namespace

// Rewrites -O0..-O3 as --opt-level=N; any other -O... is a usage error.
Args expandOptLevel(const Args& argv) {
  Args out;
  bool positionalsOnly = false;
  for (const std::string& a : argv) {
    if (a == "--") positionalsOnly = true;
    if (positionalsOnly || a.rfind("-O", 0) != 0) {
      out.push_back(a);
      continue;
    }
    if (a.size() != 3 || a[2] < '0' || a[2] > '3')
      throw UsageError("unknown optimisation level '" + a + "' (use -O0, -O1, -O2 or -O3)");
    out.push_back("--opt-level=" + a.substr(2));
  }
  return out;
}

ArgParser compileParser() {
  ArgParser p("kiln compile", "MODEL.onnx -o OUT [--emit so|obj|llvm|asm|onnx] [-O0..-O3] [options]",
              "Runs the pass pipeline (BatchNorm folding, ...) and writes the result: machine\n"
              "code from the LLVM CPU backend, or the rewritten ONNX model. Prints how long it\n"
              "took.");
  p.positional("MODEL.onnx", "the ONNX model")
      .option("--output", "FILE", "the output file (never the input model)", false, "-o")
      .option("--target", "NAME", "the backend that writes the file; " + targetHelp())
      .option("--emit", "KIND", emitHelp())
      .option("--opt-level", "N",
              "LLVM optimisation level 0..3 (default 3); -O0, -O1, -O2, -O3 are\n"
              "short for it")
      .option("--mcpu", "CPU", "LLVM CPU to generate code for (default native = this machine),\n"
                               "e.g. x86-64, haswell, skylake-avx512")
      .option("--mattr", "FEATURES", "extra LLVM target features, e.g. +avx2,+fma");
  addPassFlags(p);
  p.epilog("exit codes: 0 success, 1 error (bad model, unsupported op, unwritable output),\n"
           "2 usage error");
  return p;
}

int runCompile(const ParsedArgs& args) {
  Stopwatch clock;
  const std::string modelPath = args.positionals[0];
  const std::string outPath = args.get("--output");
  if (outPath.empty()) throw UsageError("kiln compile: missing -o OUT");
  const TargetInfo& target = findTarget(args.get("--target", defaultTargetName()));
  const EmitInfo emit = chooseEmit(args, target, outPath);
  if (args.getInt("--opt-level", 3, 0) > 3)
    throw UsageError("--opt-level expects 0..3, got '" + args.get("--opt-level") + "'");
  const bool isOnnx = emit.name == kOnnx.name;
  if (isOnnx)
    for (const char* codegenOnly : {"--opt-level", "--mcpu", "--mattr"})
      if (args.has(codegenOnly))
        throw UsageError(std::string(codegenOnly) + " does not apply to --emit onnx");
  refuseOverwrite(outPath, {modelPath}, "-o");
  checkOutputFolder(outPath);

  std::unique_ptr<Graph> original = loadModel(modelPath);
  refuseOverwrite(outPath, original->externalDataFiles, "-o");  // the weights it was read from
  OptimisedGraph opt = optimise(*original, passOptionsFrom(args));
  if (isOnnx) {
    exportOnnxFile(*opt.graph, outPath);
  } else {
    backend::CompileOptions o;
    o.optLevel = static_cast<int>(args.getInt("--opt-level", 3, 0));
    o.cpu = args.get("--mcpu", "native");
    o.features = args.get("--mattr");
    try {
      target.backend->emit(*opt.graph, o, emit.name, outPath);
    } catch (const Error& e) {
      // What the model asks for that the backend refuses: name the model (I/O errors name
      // their own file).
      if (e.code() == ErrorCode::Io || std::string_view(e.what()).starts_with(modelPath)) throw;
      throw Error(e.code(), modelPath + ": " + e.what());
    }
  }

  std::cout << "wrote " << outPath << " (" << emit.name << "): " << opt.graph->nodes().size()
            << " nodes (was " << original->nodes().size() << "), "
            << parameterCount(*opt.graph) << " parameters (was " << parameterCount(*original)
            << ")\n"
            << "compiled " << modelPath << " in " << formatDuration(clock.seconds()) << "\n";
  return kExitOk;
}

}  // namespace kiln::cli
