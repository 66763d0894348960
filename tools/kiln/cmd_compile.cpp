// kiln compile: run the pass pipeline and write the result: a shared library the kiln runtime
// loads, an object file, LLVM IR or assembly (the LLVM CPU backend), or standard ONNX.
#include <iostream>

#include "commands.h"
#include "common.h"
#include "graph_summary.h"
#include "kiln/frontend/onnx_export.h"
#include "kiln/support/error.h"

#ifdef KILN_CLI_HAVE_CPU
#include "kiln/backends/cpu/cpu_backend.h"
#endif

namespace kiln::cli {

namespace {

/// One --emit kind: its name, the -o extension that selects it, what it is.
struct EmitInfo {
  const char* name;
  const char* extension;
  const char* description;
};
constexpr EmitInfo kEmitKinds[] = {
    {"so", ".so", "shared library for the kiln runtime (kiln run X.so, kiln.h)"},
    {"obj", ".o", "relocatable object file"},
    {"llvm", ".ll", "LLVM IR (text, after optimisation)"},
    {"asm", ".s", "assembly"},
    {"onnx", ".onnx", "standard ONNX (opset 17) that any ONNX runtime runs"},
};

std::string emitHelp() {
  std::string text = "what to write (default: from the -o extension, else so):";
  for (const EmitInfo& e : kEmitKinds)
    text += std::string("\n") + e.name + " (" + e.extension + ") = " + e.description;
  return text;
}

const EmitInfo& chooseEmit(const ParsedArgs& args, const std::string& outPath) {
  if (args.has("--emit")) {
    const std::string kind = args.get("--emit");
    for (const EmitInfo& e : kEmitKinds)
      if (kind == e.name) return e;
    throw UsageError("unknown --emit kind '" + kind + "' (known: so, obj, llvm, asm, onnx)");
  }
  for (const EmitInfo& e : kEmitKinds)
    if (endsWith(outPath, e.extension)) return e;
  return kEmitKinds[0];
}

#ifdef KILN_CLI_HAVE_CPU
cpu::EmitKind cpuEmitKind(const std::string& name) {
  if (name == "obj") return cpu::EmitKind::Object;
  if (name == "llvm") return cpu::EmitKind::LLVMIR;
  if (name == "asm") return cpu::EmitKind::Asm;
  return cpu::EmitKind::SharedLibrary;
}
#endif

/// Writes `g` as machine code / IR through the CPU backend.
void emitWithCpuBackend(const Graph& g, const EmitInfo& emit, const ParsedArgs& args,
                        const std::string& outPath) {
#ifdef KILN_CLI_HAVE_CPU
  cpu::CpuOptions o;
  o.optLevel = static_cast<int>(args.getInt("--opt-level", 3, 0));
  o.mcpu = args.get("--mcpu", "native");
  o.mattr = args.get("--mattr");
  cpu::compileCpuToFile(g, o, cpuEmitKind(emit.name), outPath);
#else
  throw Error(ErrorCode::Unsupported, std::string("--emit ") + emit.name +
                                          " needs the LLVM CPU backend, and this kiln was built "
                                          "without it (KILN_WITH_LLVM=OFF); use --emit onnx");
#endif
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
  const EmitInfo& emit = chooseEmit(args, outPath);
  if (args.getInt("--opt-level", 3, 0) > 3)
    throw UsageError("--opt-level expects 0..3, got '" + args.get("--opt-level") + "'");
  const bool isOnnx = std::string(emit.name) == "onnx";
  if (isOnnx)
    for (const char* codegenOnly : {"--opt-level", "--mcpu", "--mattr"})
      if (args.has(codegenOnly))
        throw UsageError(std::string(codegenOnly) + " does not apply to --emit onnx");
  refuseOverwrite(outPath, {modelPath}, "-o");
  checkOutputFolder(outPath);

  std::unique_ptr<Graph> original = loadModel(modelPath);
  OptimisedGraph opt = optimise(*original, passOptionsFrom(args));
  if (isOnnx)
    exportOnnxFile(*opt.graph, outPath);
  else
    emitWithCpuBackend(*opt.graph, emit, args, outPath);

  std::cout << "wrote " << outPath << " (" << emit.name << "): " << opt.graph->nodes().size()
            << " nodes (was " << original->nodes().size() << "), "
            << parameterCount(*opt.graph) << " parameters (was " << parameterCount(*original)
            << ")\n"
            << "compiled " << modelPath << " in " << formatDuration(clock.seconds()) << "\n";
  return kExitOk;
}

}  // namespace kiln::cli
