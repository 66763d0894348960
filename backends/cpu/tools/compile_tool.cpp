// kiln_cpu_compile_tool: MODEL.onnx -> artifact shared library, for tools/bench until the
// `kiln compile --emit so` CLI path exists.
//   kiln_cpu_compile_tool MODEL.onnx OUT.so [--no-fold-bn] [--no-microkernels] [--emit so|ll|asm]
// Prints the compile time (import + passes + codegen) in milliseconds on stdout.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include "kiln/backends/cpu/cpu_backend.h"
#include "kiln/frontend/onnx_import.h"
#include "kiln/passes/pipeline.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s MODEL.onnx OUT [--no-fold-bn] [--no-microkernels] [--emit so|ll|asm]\n", argv[0]);
    return 2;
  }
  kiln::PassOptions passes;
  kiln::cpu::CpuOptions cpu;
  kiln::cpu::EmitKind kind = kiln::cpu::EmitKind::SharedLibrary;
  for (int i = 3; i < argc; ++i) {
    if (std::strcmp(argv[i], "--no-fold-bn") == 0) {
      passes.foldBatchNorm = false;
    } else if (std::strcmp(argv[i], "--no-microkernels") == 0) {
      cpu.microKernels = false;
    } else if (std::strcmp(argv[i], "--emit") == 0 && i + 1 < argc) {
      const std::string k = argv[++i];
      kind = k == "ll" ? kiln::cpu::EmitKind::LLVMIR
             : k == "asm" ? kiln::cpu::EmitKind::Asm
                          : kiln::cpu::EmitKind::SharedLibrary;
    } else {
      std::fprintf(stderr, "unknown option '%s'\n", argv[i]);
      return 2;
    }
  }
  try {
    const auto t0 = std::chrono::steady_clock::now();
    auto g = kiln::importOnnxFile(argv[1]);
    kiln::PassReport report;
    kiln::runPipeline(*g, passes, report);
    kiln::cpu::compileCpuToFile(*g, cpu, kind, argv[2]);
    const auto t1 = std::chrono::steady_clock::now();
    std::printf("%.1f\n", std::chrono::duration<double, std::milli>(t1 - t0).count());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
