// End-to-end runs of the kiln tool on the exported demo models (tests/models/demos), checked
// against the PyTorch outputs committed next to them (<name>.ref.npz: input, output_fp64,
// output_fp32, labels). Models without a .ref.npz are skipped.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "cli_test_util.h"
#include "kiln/support/npy.h"

namespace kiln::test::cli {
namespace {

struct Demo {
  std::string name;
  std::string model, ref;
  bool training = false;   ///< *.train.onnx: BN in training mode (batch statistics)
  std::string refOutput;  ///< PyTorch's fp64 output for this graph in the .ref.npz
};

std::vector<Demo> demos() {
  std::vector<Demo> out;
  fs::path dir = sourcePath("tests/models/demos");
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  for (const auto& e : fs::directory_iterator(dir)) {
    fs::path p = e.path();
    if (p.extension() != ".onnx") continue;
    // x.onnx and x.train.onnx share x.ref.npz: output_fp64 (eval), train_output_fp64.
    std::string stem = p.stem().string();
    bool training = stem.ends_with(".train");
    std::string base = training ? stem.substr(0, stem.size() - 6) : stem;
    fs::path ref = dir / (base + ".ref.npz");
    if (!fs::exists(ref)) continue;
    out.push_back({stem, p.string(), ref.string(), training,
                   training ? "train_output_fp64" : "output_fp64"});
  }
  std::sort(out.begin(), out.end(), [](const Demo& a, const Demo& b) { return a.name < b.name; });
  return out;
}

const Demo* firstEvalDemo(const std::vector<Demo>& list) {
  for (const Demo& d : list)
    if (!d.training) return &d;
  return nullptr;
}

/// Calls fn(demo) for each demo, so that one model's failure (an ASSERT, an exception such as
/// unparsable JSON after a crash) is reported under its name and the others still run.
template <typename F> void forEachDemo(const std::vector<Demo>& list, F&& fn) {
  for (const Demo& d : list) {
    SCOPED_TRACE(d.name);
    try {
      fn(d);
    } catch (const std::exception& e) {
      ADD_FAILURE() << d.name << ": " << e.what();
    }
  }
}

#define KILN_REQUIRE_DEMOS(list)                                                   \
  if ((list).empty()) GTEST_SKIP() << "no demo models with .ref.npz in tests/models/demos"

/// `kiln inspect --json MODEL [flags]` parsed.
Json inspectJson(const std::string& model, const std::vector<std::string>& flags = {}) {
  std::vector<std::string> args = {"inspect", model, "--json"};
  args.insert(args.end(), flags.begin(), flags.end());
  CliResult r = runKiln(args);
  if (r.exitCode != 0) throw std::runtime_error("kiln inspect --json failed: " + describe(r));
  return parseJson(r.out);
}

/// max |a - b| / max |b|, with a and b of the same element count.
double relativeDeviation(const Tensor& a, const Tensor& b) {
  EXPECT_EQ(a.size(), b.size());
  std::vector<double> x = a.toDoubles(), y = b.toDoubles();
  double dev = 0, scale = 0;
  for (size_t i = 0; i < std::min(x.size(), y.size()); ++i) {
    dev = std::max(dev, std::abs(x[i] - y[i]));
    scale = std::max(scale, std::abs(y[i]));
  }
  return std::isnan(dev) ? INFINITY : dev / std::max(scale, 1e-30);
}

std::vector<std::string> bnNodeNames(const Json& inspect) {
  std::vector<std::string> names;
  for (const Json& n : inspect["before"]["nodes"].arr())
    if (n["op"].str() == "BatchNormalization") names.push_back(n["name"].str());
  return names;
}

/// Runs MODEL on the demo's input with `flags`, writing all outputs to an .npz, and checks the
/// first output against PyTorch's fp64 output (eval or training mode, as the graph is) within
/// 1e-4 of its scale.
void expectRunMatchesPyTorch(const Demo& d, const std::string& model,
                             const std::vector<std::string>& flags) {
  SCOPED_TRACE(d.name + " (" + model + ")");
  ScratchDir dir;
  std::map<std::string, Tensor> ref = readNpz(d.ref);
  ASSERT_TRUE(ref.count("input") && ref.count(d.refOutput)) << d.ref;
  writeNpy(dir.file("input.npy"), ref.at("input"));

  Json info = inspectJson(model, flags);
  const std::string outName = info["outputs"].arr().at(0)["name"].str();
  std::vector<std::string> args = {"run", model, "--input", dir.file("input.npy"), "-o",
                                   dir.file("out.npz")};
  args.insert(args.end(), flags.begin(), flags.end());
  CliResult r = runKiln(args);
  ASSERT_EQ(r.exitCode, 0) << describe(r);
  EXPECT_NE(r.out.find(outName), std::string::npos) << "summary names the output\n" << r.out;

  std::map<std::string, Tensor> out = readNpz(dir.file("out.npz"));
  ASSERT_TRUE(out.count(outName)) << "output '" << outName << "' missing from the .npz";
  const Tensor& y = out.at(outName);
  EXPECT_EQ(y.dims, ref.at(d.refOutput).dims);
  EXPECT_LE(relativeDeviation(y, ref.at(d.refOutput)), 1e-4);
}

TEST(CliRun, DemoModelsMatchPyTorchFolded) {
  auto list = demos();
  KILN_REQUIRE_DEMOS(list);
  forEachDemo(list, [](const Demo& d) { expectRunMatchesPyTorch(d, d.model, {}); });
}

TEST(CliRun, DemoModelsMatchPyTorchUnfolded) {
  auto list = demos();
  KILN_REQUIRE_DEMOS(list);
  forEachDemo(list, [](const Demo& d) { expectRunMatchesPyTorch(d, d.model, {"--no-fold-bn"}); });
}

TEST(CliRun, SingleOutputAsNpyMatchesNpz) {
  auto list = demos();
  KILN_REQUIRE_DEMOS(list);
  if (!firstEvalDemo(list)) GTEST_SKIP() << "no eval-mode demo model";
  const Demo& d = *firstEvalDemo(list);
  ScratchDir dir;
  std::map<std::string, Tensor> ref = readNpz(d.ref);
  writeNpy(dir.file("input.npy"), ref.at("input"));
  // The .npz holding the inputs binds member names to input names: make one named properly.
  const std::string inName = inspectJson(d.model)["inputs"].arr().at(0)["name"].str();
  writeNpz(dir.file("inputs.npz"), {{inName, ref.at("input")}});
  CliResult a = runKiln({"run", d.model, "--input", dir.file("input.npy"), "-o", dir.file("a.npy")});
  CliResult b = runKiln({"run", d.model, "--input", dir.file("inputs.npz"), "-o", dir.file("b.npy")});
  CliResult c = runKiln({"run", d.model, "--input", inName + "=" + dir.file("input.npy"), "-o",
                         dir.file("c.npy")});
  for (const CliResult* r : {&a, &b, &c}) ASSERT_EQ(r->exitCode, 0) << describe(*r);
  Tensor ya = readNpy(dir.file("a.npy"));
  EXPECT_LE(relativeDeviation(ya, ref.at("output_fp64")), 1e-4);
  EXPECT_EQ(ya.bytes, readNpy(dir.file("b.npy")).bytes);
  EXPECT_EQ(ya.bytes, readNpy(dir.file("c.npy")).bytes);
}

TEST(CliRun, Ref64TargetComputesInDoublePrecision) {
  auto list = demos();
  if (!firstEvalDemo(list)) GTEST_SKIP() << "no eval-mode demo model";
  const Demo& d = *firstEvalDemo(list);
  ScratchDir dir;
  std::map<std::string, Tensor> ref = readNpz(d.ref);
  writeNpy(dir.file("input.npy"), ref.at("input"));
  // Unfolded, so the weights are exactly PyTorch's; only fp64 rounding differences remain.
  CliResult r = runKiln({"run", d.model, "--input", dir.file("input.npy"), "-o",
                         dir.file("y64.npy"), "--target", "ref64", "--no-fold-bn"});
  ASSERT_EQ(r.exitCode, 0) << describe(r);
  Tensor y = readNpy(dir.file("y64.npy"));
  EXPECT_EQ(y.dtype, DType::F64);
  EXPECT_LE(relativeDeviation(y, ref.at("output_fp64")), 1e-9);
}

TEST(CliCompile, EmittedOnnxHasNoEvalModeBatchNormAndMatchesPyTorch) {
  auto list = demos();
  KILN_REQUIRE_DEMOS(list);
  int checked = 0;
  forEachDemo(list, [&](const Demo& d) {
    if (d.training || bnNodeNames(inspectJson(d.model)).empty()) return;
    ScratchDir dir;
    const std::string out = dir.file(d.name + ".folded.onnx");
    CliResult r = runKiln({"compile", d.model, "--emit", "onnx", "-o", out});
    ASSERT_EQ(r.exitCode, 0) << describe(r);
    Json compiled = inspectJson(out);
    EXPECT_FALSE(compiled["before"]["op_counts"].has("BatchNormalization"))
        << "BatchNormalization left in " << out;
    expectRunMatchesPyTorch(d, out, {"--no-fold-bn"});
    ++checked;
  });
  if (checked == 0) GTEST_SKIP() << "no demo model with eval-mode BatchNormalization";
}

TEST(CliInspect, ExplainMentionsEveryBatchNorm) {
  auto list = demos();
  KILN_REQUIRE_DEMOS(list);
  int checked = 0;
  forEachDemo(list, [&](const Demo& d) {
    std::vector<std::string> bns = bnNodeNames(inspectJson(d.model));
    if (bns.empty()) return;
    CliResult r = runKiln({"inspect", d.model, "--explain"});
    ASSERT_EQ(r.exitCode, 0) << describe(r);
    for (const std::string& bn : bns)
      EXPECT_NE(r.out.find(bn), std::string::npos) << "--explain does not mention " << bn;
    ++checked;
  });
  if (checked == 0) GTEST_SKIP() << "no demo model with BatchNormalization";
}

TEST(CliInspect, DotFilesShowEveryNode) {
  auto list = demos();
  KILN_REQUIRE_DEMOS(list);
  const Demo& d = list.front();
  ScratchDir dir;
  CliResult r = runKiln({"inspect", d.model, "--dot-before", dir.file("before.dot"),
                         "--dot-after", dir.file("after.dot")});
  ASSERT_EQ(r.exitCode, 0) << describe(r);
  Json info = inspectJson(d.model);
  for (const char* stage : {"before", "after"}) {
    std::string dot = readFile(dir.file(std::string(stage) + ".dot"));
    EXPECT_EQ(dot.rfind("digraph", 0), 0u) << stage;
    for (const Json& n : info[stage]["nodes"].arr())
      EXPECT_NE(dot.find(n["name"].str()), std::string::npos) << stage << ": " << n["name"].str();
  }
}

void expectSaneComparison(const Json& j) {
  for (const char* v : {"folded", "unfolded", "fp64"}) {
    SCOPED_TRACE(v);
    double acc = j[v]["accuracy"].num();
    EXPECT_GE(acc, 0.0);
    EXPECT_LE(acc, 1.0);
  }
  for (const char* v : {"folded", "unfolded"}) {
    SCOPED_TRACE(v);
    EXPECT_LT(j[v]["max_abs_dev"].num(), 1e-3);
    EXPECT_LT(j[v]["max_rel_dev"].num(), 1e-3);
    EXPECT_TRUE(j[v]["within_tolerance"].boolean());
  }
  EXPECT_TRUE(j["passed"].boolean());
}

TEST(CliCompare, FashionMnistJson) {
  auto list = demos();
  const Demo* d = firstEvalDemo(list);
  if (!d) GTEST_SKIP() << "no eval-mode demo model";
  if (!fs::exists("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"))
    GTEST_SKIP() << "Fashion-MNIST (dataset-fashion-mnist) not installed";
  CliResult r = runKiln({"compare", d->model, "--limit", "200", "--json"});
  ASSERT_EQ(r.exitCode, 0) << describe(r);
  Json j = parseJson(r.out);
  EXPECT_EQ(j["images"].num(), 200);
  expectSaneComparison(j);
}

TEST(CliCompare, Fp64AccuracyMatchesPyTorchOnItsOwnData) {
  auto list = demos();
  const Demo* d = firstEvalDemo(list);
  if (!d) GTEST_SKIP() << "no eval-mode demo model";
  std::map<std::string, Tensor> ref = readNpz(d->ref);
  if (!ref.count("labels")) GTEST_SKIP() << d->ref << " has no labels";
  // PyTorch's own accuracy on these inputs, from its fp64 logits.
  const Tensor& logits = ref.at("output_fp64");
  std::vector<int64_t> labels = ref.at("labels").toInts();
  const int64_t n = logits.dims[0], classes = logits.size() / n;
  std::vector<double> v = logits.toDoubles();
  int64_t correct = 0;
  for (int64_t i = 0; i < n; ++i) {
    auto row = v.begin() + i * classes;
    correct += (std::max_element(row, row + classes) - row) == labels[static_cast<size_t>(i)];
  }
  CliResult r = runKiln({"compare", d->model, "--inputs", d->ref, "--batch", "7", "--json"});
  ASSERT_EQ(r.exitCode, 0) << describe(r);
  Json j = parseJson(r.out);
  EXPECT_EQ(j["images"].num(), static_cast<double>(n));
  // A near-tie between two logits may flip one image; allow that much.
  EXPECT_NEAR(j["fp64"]["accuracy"].num(), static_cast<double>(correct) / n, 1.0 / n + 1e-12);
  expectSaneComparison(j);
}

TEST(CliCompare, ExceededToleranceExitsWith3) {
  auto list = demos();
  const Demo* d = firstEvalDemo(list);
  if (!d) GTEST_SKIP() << "no eval-mode demo model";
  // fp32 against fp64 is never exact, so a zero tolerance must fail -- and say so.
  CliResult r = runKiln({"compare", d->model, "--inputs", d->ref, "--atol", "0", "--rtol", "0",
                         "--json"});
  Json j = parseJson(r.out);
  ASSERT_GT(j["folded"]["max_abs_dev"].num() + j["unfolded"]["max_abs_dev"].num(), 0.0);
  EXPECT_EQ(r.exitCode, 3) << describe(r);
  EXPECT_FALSE(j["passed"].boolean());
}

}  // namespace
}  // namespace kiln::test::cli
