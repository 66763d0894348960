// The AOT path: the same module written as a shared library, object, LLVM IR and assembly;
// the shared library is loaded by the kiln runtime (kiln.h) and must agree with the reference.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>
#include <vector>

#include "cpu_test_util.h"
#include "graph_builder.h"
#include "kiln/backends/cpu/cpu_backend.h"
#include "kiln/frontend/onnx_import.h"
#include "kiln/ir/shape_inference.h"
#include "kiln/kiln.h"
#include "kiln/kiln_artifact.h"
#include "kiln/passes/pipeline.h"
#include "kiln/support/npy.h"
#include "test_util.h"

namespace kiln::test {
namespace {

namespace fs = std::filesystem;

fs::path tempDir() {
  fs::path d = fs::temp_directory_path() / ("kiln_cpu_aot_" + std::to_string(::getpid()));
  fs::create_directories(d);
  return d;
}

std::string readFile(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// Runs a shared-library artifact through the runtime's C API (one float32 input).
Tensor runWithRuntime(const std::string& lib, const Tensor& input, int threads) {
  kiln_model* m = nullptr;
  EXPECT_EQ(kiln_model_load(lib.c_str(), &m), KILN_STATUS_OK) << kiln_last_error();
  if (!m) return {};
  kiln_tensor in{};
  in.data = const_cast<uint8_t*>(input.bytes.data());
  in.bytes = input.bytes.size();
  in.dtype = KILN_DTYPE_FLOAT32;
  in.rank = input.dims.size();
  for (size_t i = 0; i < in.rank; ++i) in.dims[i] = input.dims[i];
  kiln_tensor out{};
  kiln_run_options opts;
  kiln_run_options_init(&opts);
  opts.num_threads = threads;
  EXPECT_EQ(kiln_run_alloc(m, &in, 1, &out, 1, &opts), KILN_STATUS_OK) << kiln_last_error();
  Tensor t(DType::F32, std::vector<int64_t>(out.dims, out.dims + out.rank));
  if (out.data) std::memcpy(t.bytes.data(), out.data, t.bytes.size());
  kiln_tensor_free_data(&out);
  kiln_model_free(m);
  return t;
}

// A demo model after the pass pipeline (into g), compiled to a shared library in a temp folder.
fs::path compileDemo(const std::string& name, std::unique_ptr<Graph>& g) {
  g = importOnnxFile(sourcePath("tests/models/demos/" + name + ".onnx"));
  PassReport report;
  runPipeline(*g, PassOptions{}, report);
  const fs::path lib = tempDir() / (name + ".so");
  cpu::compileCpuToFile(*g, cpu::CpuOptions{}, cpu::EmitKind::SharedLibrary, lib.string());
  return lib;
}

TEST(CpuAot, SharedLibraryRunsInTheRuntime) {
  std::unique_ptr<Graph> g;
  const fs::path lib = compileDemo("lenet_bn", g);
  ASSERT_TRUE(fs::exists(lib));
  for (int64_t n : {1, 4}) {
    const Tensor x = randomTensor({n, 1, 28, 28}, 3);
    const TensorMap want = evaluate(*g, {{g->inputs[0]->name, x}}, Precision::F64);
    expectClose(runWithRuntime(lib.string(), x, 2), want.at(g->outputs[0]->name), 1e-5,
                "lenet_bn.so N=" + std::to_string(n));
  }
  fs::remove_all(lib.parent_path());
}

// The artifact declares only element alignment for its inputs and outputs, so caller buffers
// at any 8-byte offset are used in place and others are staged by the runtime; both must give
// the reference result, including the vector loops and the micro-kernel's masked loads.
TEST(CpuAot, CallerBuffersAtAnyOffset) {
  std::unique_ptr<Graph> g;
  const fs::path lib = compileDemo("conv_relu_bn_pool", g);
  kiln_model* m = nullptr;
  ASSERT_EQ(kiln_model_load(lib.string().c_str(), &m), KILN_STATUS_OK) << kiln_last_error();
  const Tensor x = randomTensor({3, 1, 28, 28}, 11);
  const Tensor want = evaluate(*g, {{g->inputs[0]->name, x}}, Precision::F64).at(g->outputs[0]->name);
  for (size_t offset : {0, 4, 8, 16, 36}) {
    std::vector<uint8_t> inMem(x.bytes.size() + 64), outMem(want.bytes.size() + 64);
    kiln_tensor in{}, out{};
    in.data = inMem.data() + offset;
    std::memcpy(in.data, x.bytes.data(), x.bytes.size());
    in.bytes = x.bytes.size();
    in.dtype = out.dtype = KILN_DTYPE_FLOAT32;
    in.rank = x.dims.size();
    for (size_t i = 0; i < in.rank; ++i) in.dims[i] = x.dims[i];
    out.data = outMem.data() + (offset + 4) % 64;
    out.bytes = want.bytes.size();
    out.rank = want.dims.size();
    for (size_t i = 0; i < out.rank; ++i) out.dims[i] = want.dims[i];
    for (int threads : {1, 2}) {
      kiln_run_options opts;
      kiln_run_options_init(&opts);
      opts.num_threads = threads;
      ASSERT_EQ(kiln_run(m, &in, 1, &out, 1, &opts), KILN_STATUS_OK) << kiln_last_error();
      Tensor got(DType::F32, want.dims);
      std::memcpy(got.bytes.data(), out.data, got.bytes.size());
      expectClose(got, want, 1e-5, "offset " + std::to_string(offset) + ", threads " + std::to_string(threads));
    }
  }
  kiln_model_free(m);
  fs::remove_all(lib.parent_path());
}

TEST(CpuAot, EmitsObjectIrAndAssembly) {
  GraphBuilder b;
  Value* x = b.input("x", dims({sym("N"), 8}));
  b.output(b.op(OpKind::Relu, "relu", {b.op(OpKind::Gemm, "fc", {x, b.weights("w", {8, 4}, 1)}, GemmAttrs{})}));
  inferShapes(b.g);
  const fs::path dir = tempDir();
  cpu::CpuOptions o;
  o.mcpu = "x86-64-v3";
  cpu::compileCpuToFile(b.g, o, cpu::EmitKind::Object, (dir / "m.o").string());
  cpu::compileCpuToFile(b.g, o, cpu::EmitKind::LLVMIR, (dir / "m.ll").string());
  cpu::compileCpuToFile(b.g, o, cpu::EmitKind::Asm, (dir / "m.s").string());
  EXPECT_EQ(readFile(dir / "m.o").substr(0, 4), "\x7f" "ELF");
  EXPECT_NE(readFile(dir / "m.ll").find("@kiln_artifact_get()"), std::string::npos);
  const std::string s = readFile(dir / "m.s");
  EXPECT_NE(s.find("kiln_artifact_get"), std::string::npos);
  EXPECT_NE(s.find("ymm"), std::string::npos) << "expected AVX2 vector code for x86-64-v3";
  for (const auto& e : fs::directory_iterator(dir))
    EXPECT_EQ(e.path().string().find(".tmp."), std::string::npos) << "temp file left: " << e.path();
  fs::remove_all(dir);
}

// The checksum of the constant data: an artifact loads as written, and one byte of a weight
// changed in the file afterwards is refused at load, before any of its code runs.
TEST(CpuAot, DamagedWeightsAreRefusedAtLoad) {
  GraphBuilder b;
  std::vector<float> c(1000);
  for (size_t i = 0; i < c.size(); ++i) c[i] = 0.5f + 0.001f * static_cast<float>(i);
  Value* x = b.input("x", dims({sym("N"), 1000}));
  b.output(b.op(OpKind::Add, "add", {x, b.constant("c", Tensor::fromFloats(c, {1000}))}));
  inferShapes(b.g);
  const fs::path dir = tempDir();
  const std::string lib = (dir / "m.so").string();
  cpu::compileCpuToFile(b.g, {}, cpu::EmitKind::SharedLibrary, lib);
  kiln_model* m = nullptr;
  ASSERT_EQ(kiln_model_load(lib.c_str(), &m), KILN_STATUS_OK) << kiln_last_error();
  kiln_model_free(m);

  std::string bytes = readFile(lib);
  const std::string pattern(reinterpret_cast<const char*>(c.data() + 400), 64);
  const size_t at = bytes.find(pattern);
  ASSERT_NE(at, std::string::npos) << "the weight's bytes are not in the artifact";
  bytes[at + 10] = static_cast<char>(bytes[at + 10] ^ 0x40);
  const std::string damaged = (dir / "damaged.so").string();
  std::ofstream(damaged, std::ios::binary) << bytes;
  m = nullptr;
  EXPECT_EQ(kiln_model_load(damaged.c_str(), &m), KILN_STATUS_NOT_AN_ARTIFACT);
  EXPECT_EQ(m, nullptr);
  const std::string msg = kiln_last_error();
  EXPECT_NE(msg.find("damaged"), std::string::npos) << msg;
  EXPECT_NE(msg.find("checksum"), std::string::npos) << msg;
  EXPECT_NE(msg.find(damaged), std::string::npos) << msg;
  fs::remove_all(dir);
}

TEST(CpuAot, MissingCompilerIsAClearError) {
  GraphBuilder b;
  b.output(b.op(OpKind::Relu, "relu", {b.input("x", dims({2, 3}))}));
  inferShapes(b.g);
  const char* old = std::getenv("CC");
  const std::string saved = old ? old : "";
  ::setenv("CC", "/nonexistent/cc", 1);
  const fs::path dir = tempDir();
  const std::string msg = errorMessage(
      [&] { cpu::compileCpuToFile(b.g, {}, cpu::EmitKind::SharedLibrary, (dir / "x.so").string()); },
      ErrorCode::Io);
  if (old) ::setenv("CC", saved.c_str(), 1);
  else ::unsetenv("CC");
  EXPECT_NE(msg.find("/nonexistent/cc"), std::string::npos) << msg;
  EXPECT_FALSE(fs::exists(dir / "x.so"));
  fs::remove_all(dir);
}

// Issue 9/10: an artifact built with --mcpu skylake-avx512 died of SIGILL on an AVX2 machine.
// Artifacts record the CPU features their target enables; one for this machine loads, one for
// a CPU with features this host lacks is refused at load with the features named.
TEST(CpuAot, ArtifactsRecordAndCheckTheirCpuFeatures) {
  GraphBuilder b;
  b.output(b.op(OpKind::Relu, "relu", {b.input("x", dims({2, 3}))}));
  inferShapes(b.g);
  const fs::path dir = tempDir();
  auto build = [&](const std::string& cpu, const std::string& features) {
    cpu::CpuOptions o;
    o.mcpu = cpu;
    o.mattr = features;
    const std::string lib = (dir / (cpu + features + ".so")).string();
    cpu::compileCpuToFile(b.g, o, cpu::EmitKind::SharedLibrary, lib);
    return lib;
  };
  kiln_model* m = nullptr;
  for (const char* cpu : {"native", "x86-64"}) {
    ASSERT_EQ(kiln_model_load(build(cpu, "").c_str(), &m), KILN_STATUS_OK) << cpu << ": " << kiln_last_error();
    kiln_model_free(m);
  }
  // An AVX-512 artifact on a CPU without AVX-512: this host's, or one the loader is told to
  // assume (KILN_ASSUME_CPU_LACKS), so the refusal is checked on every machine.
  const std::string avx512 = build("skylake-avx512", "");
  for (bool assume : {false, true}) {
    __builtin_cpu_init();
    if (!assume && __builtin_cpu_supports("avx512f")) continue;
    if (assume) ::setenv("KILN_ASSUME_CPU_LACKS", "avx512f,avx512bw", 1);
    EXPECT_EQ(kiln_model_load(avx512.c_str(), &m), KILN_STATUS_UNSUPPORTED);
    const std::string msg = kiln_last_error();
    ::unsetenv("KILN_ASSUME_CPU_LACKS");
    EXPECT_NE(msg.find("was compiled for CPU features this CPU lacks: "), std::string::npos) << msg;
    EXPECT_NE(msg.find("avx512f"), std::string::npos) << msg;
    EXPECT_EQ(msg.find("avx2"), std::string::npos) << "names only what is missing: " << msg;
  }
  ASSERT_EQ(kiln_model_load(avx512.c_str(), &m) == KILN_STATUS_OK, __builtin_cpu_supports("avx512f") != 0);
  if (m) kiln_model_free(m);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace kiln::test
