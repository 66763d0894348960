// libFuzzer target fuzz_model (and, in builds without libFuzzer, the body of the replay
// driver): bytes -> ONNX ModelProto -> kiln Graph (importOnnxBytes: parse, opsets, typed
// attributes, initializers, shape inference, verifier) -> the pass pipeline with the options
// `kiln compile` uses by default (BatchNorm folding and lowering included) -> the shared
// kernel plan with the CPU backend's target parameters. A kiln::Error is the expected way to
// refuse an input; anything else (a crash, a sanitizer report, another exception - e.g.
// std::bad_alloc or std::length_error from a size taken on trust) ends the run as a finding.
// An Error the code calls Internal (a bug in kiln that was caught cleanly, e.g. the plan and
// shape inference disagreeing) is a finding too when KILN_FUZZ_INTERNAL=abort; with
// KILN_FUZZ_INTERNAL=log its first occurrence per message is printed; otherwise it counts as
// refused, so such a known bug does not stop every fuzzing run.
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>

#include "kiln/frontend/onnx_import.h"
#include "kiln/passes/pipeline.h"
#include "kiln/plan/plan.h"
#include "kiln/support/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    std::unique_ptr<kiln::Graph> g = kiln::importOnnxBytes(bytes, "", "fuzz.onnx");  // "": no external data
    kiln::PassReport report;
    kiln::runPipeline(*g, kiln::PassOptions{}, report);
    kiln::plan::TargetParams cpu;  // as backends/cpu/src/cpu_backend.cpp chooses them
    cpu.maxPartials = 64;
    cpu.gemmNeedsConstantB = true;
    cpu.fuse = true;
    kiln::plan::buildProgram(*g, cpu);
  } catch (const kiln::Error& e) {
    if (e.code() != kiln::ErrorCode::Internal) return 0;
    static const std::string mode = std::getenv("KILN_FUZZ_INTERNAL") ? std::getenv("KILN_FUZZ_INTERNAL") : "";
    static std::set<std::string> seen;
    if (mode == "abort" || (mode == "log" && seen.size() < 100 && seen.insert(e.what()).second))
      std::fprintf(stderr, "fuzz_model: internal error (a bug in kiln): %s\n", e.what());
    if (mode == "abort") std::abort();
  }
  return 0;
}
