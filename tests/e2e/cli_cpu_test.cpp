// The kiln CLI on the LLVM CPU backend: `kiln compile -o X.so` then `kiln run X.so` (the
// runtime library), `kiln run model.onnx` on the default (cpu) target, the other --emit
// kinds, `kiln bench --json` and `kiln compare` with the default target. Every demo model
// (tests/models/demos/*.onnx with a .ref.npz) is checked against PyTorch's fp64 output.
// Skipped when kiln was built without the CPU backend (KILN_WITH_LLVM=OFF).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "cli_test_util.h"
#include "kiln/support/npy.h"

namespace kiln::test::cli {
namespace {

/// One demo graph and the PyTorch reference for it.
struct DemoModel {
  std::string name;       ///< file stem, e.g. "lenet_bn.train"
  std::string onnx, ref;  ///< paths of the model and of its .ref.npz
  std::string refOutput;  ///< "output_fp64" (eval graph) or "train_output_fp64"
};

std::vector<DemoModel> demoModels() {
  std::vector<DemoModel> out;
  const fs::path dir = sourcePath("tests/models/demos");
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string stem = e.path().stem().string();
    if (e.path().extension() != ".onnx") continue;
    const bool training = stem.ends_with(".train");
    const fs::path ref = dir / (stem.substr(0, training ? stem.size() - 6 : stem.size()) + ".ref.npz");
    if (fs::exists(ref))
      out.push_back({stem, e.path().string(), ref.string(),
                     training ? "train_output_fp64" : "output_fp64"});
  }
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.name < b.name; });
  return out;
}

/// True when `kiln run --help` lists the cpu target (kiln built with the LLVM backend).
bool haveCpuBackend() {
  static const bool have = runKiln({"run", "--help"}).out.find("cpu = ") != std::string::npos;
  return have;
}

#define KILN_REQUIRE_CPU_AND_DEMOS(list)                                           \
  if (!haveCpuBackend()) GTEST_SKIP() << "kiln built without the LLVM CPU backend"; \
  if ((list).empty()) GTEST_SKIP() << "no demo models with .ref.npz"

/// max |y - ref| / max |ref|.
double relativeError(const Tensor& y, const Tensor& ref) {
  const std::vector<double> a = y.toDoubles(), b = ref.toDoubles();
  if (a.size() != b.size()) return INFINITY;
  double dev = 0, scale = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    dev = std::max(dev, std::abs(a[i] - b[i]));
    scale = std::max(scale, std::abs(b[i]));
  }
  return std::isnan(dev) ? INFINITY : dev / std::max(scale, 1e-30);
}

/// `kiln run MODEL --input REF.npz -o out.npy` (the npz member "input" binds to the models'
/// input of that name) and the output checked against PyTorch within 1e-4 of its scale.
void expectRunMatches(const DemoModel& d, const std::string& model,
                      const std::vector<std::string>& flags, const std::string& expectInSummary) {
  SCOPED_TRACE(model);
  ScratchDir dir;
  std::vector<std::string> args = {"run", model, "--input", d.ref, "-o", dir.file("out.npy")};
  args.insert(args.end(), flags.begin(), flags.end());
  CliResult r = runKiln(args);
  ASSERT_EQ(r.exitCode, 0) << describe(r);
  EXPECT_NE(r.out.find(expectInSummary), std::string::npos) << r.out;
  const Tensor want = readNpz(d.ref).at(d.refOutput);
  const Tensor y = readNpy(dir.file("out.npy"));
  EXPECT_EQ(y.dtype, DType::F32);
  EXPECT_EQ(y.dims, want.dims);
  EXPECT_LE(relativeError(y, want), 1e-4);
}

/// `kiln compile MODEL -o X.so [flags]`, then `kiln run X.so`.
void expectSharedLibraryMatches(const DemoModel& d, const std::vector<std::string>& flags) {
  ScratchDir dir;
  const std::string lib = dir.file(d.name + ".so");
  std::vector<std::string> args = {"compile", d.onnx, "-o", lib};
  args.insert(args.end(), flags.begin(), flags.end());
  CliResult c = runKiln(args);
  ASSERT_EQ(c.exitCode, 0) << describe(c);
  EXPECT_NE(c.out.find("compiled " + d.onnx + " in "), std::string::npos) << c.out;
  ASSERT_EQ(readFile(lib).substr(0, 4), "\x7f" "ELF");
  expectRunMatches(d, lib, {}, "artifact");
}

template <typename F> void forEach(const std::vector<DemoModel>& list, F&& fn) {
  for (const DemoModel& d : list) {
    SCOPED_TRACE(d.name);
    try {
      fn(d);
    } catch (const std::exception& e) {
      ADD_FAILURE() << d.name << ": " << e.what();
    }
  }
}

TEST(CliCpu, SharedLibraryMatchesPyTorchFolded) {
  auto list = demoModels();
  KILN_REQUIRE_CPU_AND_DEMOS(list);
  forEach(list, [](const DemoModel& d) { expectSharedLibraryMatches(d, {}); });
}

TEST(CliCpu, SharedLibraryMatchesPyTorchUnfolded) {
  auto list = demoModels();
  KILN_REQUIRE_CPU_AND_DEMOS(list);
  forEach(list, [](const DemoModel& d) { expectSharedLibraryMatches(d, {"--no-fold-bn"}); });
}

TEST(CliCpu, OnnxOnDefaultTargetMatchesPyTorch) {
  auto list = demoModels();
  KILN_REQUIRE_CPU_AND_DEMOS(list);
  forEach(list, [](const DemoModel& d) {
    expectRunMatches(d, d.onnx, {}, "target cpu");
    expectRunMatches(d, d.onnx, {"--no-fold-bn", "--threads", "2"}, "target cpu, 2 threads");
  });
}

TEST(CliCpu, OptimisationLevelAndCpuOptionsStillMatch) {
  auto list = demoModels();
  KILN_REQUIRE_CPU_AND_DEMOS(list);
  forEach(list, [](const DemoModel& d) {
    if (d.name != "lenet_bn") return;
    expectSharedLibraryMatches(d, {"-O0", "--mcpu", "x86-64"});
    expectSharedLibraryMatches(d, {"-O1"});
  });
}

/// ELF e_type (little-endian half word at offset 16): 1 = relocatable, 3 = shared object.
int elfType(const std::string& bytes) {
  if (bytes.size() < 18 || bytes.compare(0, 4, "\x7f" "ELF") != 0) return -1;
  return static_cast<unsigned char>(bytes[16]) | static_cast<unsigned char>(bytes[17]) << 8;
}

TEST(CliCpu, EmitKindsFromFlagAndExtension) {
  auto list = demoModels();
  KILN_REQUIRE_CPU_AND_DEMOS(list);
  const std::string model = list.front().onnx;
  ScratchDir dir;
  struct Case {
    std::vector<std::string> args;
    std::string file;
  };
  const std::vector<Case> cases = {
      {{"--emit", "llvm"}, "a.txt"}, {{}, "b.ll"},   {{"--emit", "asm"}, "c.txt"},
      {{}, "d.s"},                   {{"--emit", "obj"}, "e.bin"}, {{}, "f.o"},
      {{}, "g.so"},                  {{}, "h.artifact"},           {{}, "i.onnx"}};
  for (const Case& c : cases) {
    std::vector<std::string> args = {"compile", model, "-o", dir.file(c.file)};
    args.insert(args.end(), c.args.begin(), c.args.end());
    CliResult r = runKiln(args);
    ASSERT_EQ(r.exitCode, 0) << c.file << "\n" << describe(r);
  }
  // The artifact's one exported symbol appears in the IR and the assembly.
  for (const char* f : {"a.txt", "b.ll"}) {
    const std::string ir = readFile(dir.file(f));
    EXPECT_EQ(ir.rfind("; ModuleID", 0), 0u) << f;
    EXPECT_NE(ir.find("@kiln_artifact_get"), std::string::npos) << f;
  }
  for (const char* f : {"c.txt", "d.s"}) {
    const std::string s = readFile(dir.file(f));
    EXPECT_NE(s.find(".text"), std::string::npos) << f;
    EXPECT_NE(s.find("kiln_artifact_get:"), std::string::npos) << f;
    EXPECT_EQ(s.find('\0'), std::string::npos) << f << " is text";
  }
  EXPECT_EQ(elfType(readFile(dir.file("e.bin"))), 1);
  EXPECT_EQ(elfType(readFile(dir.file("f.o"))), 1);
  EXPECT_EQ(elfType(readFile(dir.file("g.so"))), 3);
  EXPECT_EQ(elfType(readFile(dir.file("h.artifact"))), 3) << "unknown extension: so";
  EXPECT_EQ(readFile(dir.file("i.onnx"))[0], '\x08') << "ONNX starts with ir_version";
}

TEST(CliCpu, ArtifactIsDetectedByContentNotName) {
  auto list = demoModels();
  KILN_REQUIRE_CPU_AND_DEMOS(list);
  const DemoModel& d = list.front();
  ScratchDir dir;
  const std::string lib = dir.file("model.onnx.bin");  // neither .so nor .onnx
  ASSERT_EQ(runKiln({"compile", d.onnx, "--emit", "so", "-o", lib}).exitCode, 0);
  expectRunMatches(d, lib, {}, "artifact");
}

/// Checks `kiln bench MODEL --batch 1,4 --threads 1,2 --iters 3 --json`.
void expectBenchJson(const std::string& model) {
  SCOPED_TRACE(model);
  CliResult r = runKiln({"bench", model, "--batch", "1,4", "--threads", "1,2", "--iters", "3",
                         "--warmup", "1", "--json"});
  ASSERT_EQ(r.exitCode, 0) << describe(r);
  Json j = parseJson(r.out);
  EXPECT_EQ(j["iters"].num(), 3);
  const Json::Array& rows = j["results"].arr();
  ASSERT_EQ(rows.size(), 4u);
  const double expected[4][2] = {{1, 1}, {1, 2}, {4, 1}, {4, 2}};
  for (size_t i = 0; i < rows.size(); ++i) {
    const Json& row = rows[i];
    EXPECT_EQ(row["batch"].num(), expected[i][0]);
    EXPECT_EQ(row["threads"].num(), expected[i][1]);
    EXPECT_GT(row["median_s"].num(), 0);
    EXPECT_LE(row["min_s"].num(), row["p10_s"].num());
    EXPECT_LE(row["p10_s"].num(), row["median_s"].num());
    EXPECT_LE(row["median_s"].num(), row["p90_s"].num());
    EXPECT_LE(row["p90_s"].num(), row["max_s"].num());
    EXPECT_NEAR(row["images_per_s"].num(), row["batch"].num() / row["median_s"].num(),
                1e-6 * row["images_per_s"].num());
  }
}

TEST(CliCpu, BenchJsonOnOnnxAndArtifact) {
  auto list = demoModels();
  KILN_REQUIRE_CPU_AND_DEMOS(list);
  ScratchDir dir;
  const std::string lib = dir.file("model.so");
  ASSERT_EQ(runKiln({"compile", list.front().onnx, "-o", lib}).exitCode, 0);
  expectBenchJson(list.front().onnx);
  expectBenchJson(lib);
}

TEST(CliCpu, BenchTableNamesEveryRow) {
  auto list = demoModels();
  KILN_REQUIRE_CPU_AND_DEMOS(list);
  CliResult r = runKiln({"bench", list.front().onnx, "--batch", "2,3", "--iters", "2",
                         "--target", "ref"});
  ASSERT_EQ(r.exitCode, 0) << describe(r);
  EXPECT_NE(r.out.find("target ref"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("images/s"), std::string::npos) << r.out;
  for (const std::string row : {"\n      2        1 ", "\n      3        1 "}) {
    const size_t at = r.out.find(row);
    EXPECT_NE(at, std::string::npos) << r.out;
    EXPECT_EQ(at, r.out.rfind(row)) << "one row per (batch, threads)\n" << r.out;
  }
}

void expectComparisonPassed(const Json& j) {
  EXPECT_EQ(j["target"].str().rfind("cpu", 0), 0u) << "default target is cpu";
  for (const char* v : {"folded", "unfolded"}) {
    SCOPED_TRACE(v);
    EXPECT_LT(j[v]["max_rel_dev"].num(), 1e-4);
    EXPECT_TRUE(j[v]["within_tolerance"].boolean());
    EXPECT_GT(j[v]["agreement_fp64"].num(), 0.99);
  }
  EXPECT_TRUE(j["passed"].boolean());
}

TEST(CliCpu, CompareOnDefaultTarget) {
  auto list = demoModels();
  KILN_REQUIRE_CPU_AND_DEMOS(list);
  const DemoModel& d = list.front();
  CliResult r = runKiln({"compare", d.onnx, "--inputs", d.ref, "--batch", "16", "--json"});
  ASSERT_EQ(r.exitCode, 0) << describe(r);
  expectComparisonPassed(parseJson(r.out));
  if (!fs::exists("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"))
    GTEST_SKIP() << "Fashion-MNIST (dataset-fashion-mnist) not installed";
  r = runKiln({"compare", d.onnx, "--limit", "200", "--json"});
  ASSERT_EQ(r.exitCode, 0) << describe(r);
  Json j = parseJson(r.out);
  EXPECT_EQ(j["images"].num(), 200);
  expectComparisonPassed(j);
}

TEST(CliCpu, HelpDescribesTheNewOptions) {
  if (!haveCpuBackend()) GTEST_SKIP() << "kiln built without the LLVM CPU backend";
  CliResult bench = runKiln({"bench", "--help"});
  ASSERT_EQ(bench.exitCode, 0) << describe(bench);
  EXPECT_EQ(bench.out.rfind("usage: kiln bench", 0), 0u) << bench.out;
  CliResult compile = runKiln({"compile", "--help"});
  for (const char* word : {"-O0", "--mcpu", "so", "obj", "llvm", "asm", "onnx", ".ll"})
    EXPECT_NE(compile.out.find(word), std::string::npos) << word << "\n" << compile.out;
  for (const char* c : {"run", "compare"})
    EXPECT_NE(runKiln({c, "--help"}).out.find("(default cpu)"), std::string::npos) << c;
  EXPECT_NE(runKiln({"--help"}).out.find("  bench"), std::string::npos);
}

}  // namespace
}  // namespace kiln::test::cli
