// The ONNX backend test suites shipped in the pip onnx package -- node, pytorch-converted,
// pytorch-operator and simple -- on every registered backend (kiln/backends/backend.h: the
// reference evaluator in fp32 and fp64, the CPU backend, ...). Models of opsets 1-6 (most of
// pytorch-converted) are upgraded to opset 7 by the frontend, as any user's model would be.
// Every case whose model uses only ops in ops.def is instantiated once per backend; a case the
// frontend or the backend refuses as Unsupported (float16, strings, opsets, symbolic spatial
// dims, ...) is skipped with the reason, everything else must import, compile, run and match
// the expected outputs (computed by the ONNX reference, independent of kiln) with the ONNX
// backend-test tolerances (rtol 1e-3, atol 1e-7). A per-backend, per-op summary is printed at
// the end, with each suite's counts (cases that use ops kiln lacks are counted, not run).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <map>
#include <optional>
#include <set>

#include "kiln/backends/backend.h"
#include "kiln/eval/evaluator.h"
#include "kiln/frontend/onnx_import.h"
#include "kiln/support/error.h"
#include "onnx_test_data.h"
#include "test_util.h"

namespace kiln {
namespace {

namespace fs = std::filesystem;

struct NodeCase {
  std::string suite;  ///< "node", "pytorch-converted", ...
  std::string name;   ///< test name: the case folder, prefixed for suites other than node
  std::string dir;
  std::vector<std::string> ops;  ///< distinct op types (Constant excluded), sorted
  test::OnnxModelInfo model;
};

void PrintTo(const NodeCase& c, std::ostream* os) { *os << c.name; }

struct SuiteInfo {
  const char* name;
  const char* prefix;  ///< of its test names
};
constexpr SuiteInfo kSuites[] = {{"node", ""},
                                 {"pytorch-converted", "pyconv_"},
                                 {"pytorch-operator", "pyop_"},
                                 {"simple", "simple_"}};

/// Per suite: case folders found, and those not instantiated because they use ops kiln lacks
/// (or another domain's).
std::map<std::string, std::pair<int, int>>& suiteCensus() {
  static std::map<std::string, std::pair<int, int>> census;
  return census;
}

std::optional<NodeCase> discoverCase(const SuiteInfo& suite, const fs::path& dir) {
  std::error_code ec;
  const fs::path model = dir / "model.onnx";
  if (!fs::exists(model, ec)) return std::nullopt;
  auto& [found, lacking] = suiteCensus()[suite.name];
  ++found;
  NodeCase c{suite.name, suite.prefix + dir.filename().string(), dir.string(), {}, {}};
  try {
    c.model = test::readOnnxModelInfo(model.string());
  } catch (const Error&) {
    ++lacking;
    return std::nullopt;
  }
  bool known = !c.model.opTypes.empty();
  std::set<std::string> ops;
  for (size_t i = 0; i < c.model.opTypes.size() && known; ++i) {
    const std::string& op = c.model.opTypes[i];
    known = (c.model.domains[i].empty() || c.model.domains[i] == "ai.onnx") &&
            (op == "Constant" || opFromOnnxName(op).has_value());
    if (op != "Constant") ops.insert(op);
  }
  if (!known) {
    ++lacking;
    return std::nullopt;
  }
  c.ops.assign(ops.begin(), ops.end());
  if (c.ops.empty()) c.ops.push_back("Constant");
  return c;
}

/// Cases whose nodes are all default-domain ops kiln declares (or Constant, which the
/// frontend turns into constants). $KILN_NODE_TEST_DIR overrides the node folder found at
/// configure time (e.g. to run another onnx release's node tests); the other suites are its
/// siblings in the onnx package.
std::vector<NodeCase> discoverCases() {
  std::vector<NodeCase> cases;
  const char* env = std::getenv("KILN_NODE_TEST_DIR");
  const std::string nodeRoot = env && *env ? env : test::onnxNodeTestDir();
  if (nodeRoot.empty()) return cases;
  for (const SuiteInfo& suite : kSuites) {
    const fs::path root = suite.prefix[0] ? fs::path(nodeRoot).parent_path() / suite.name : fs::path(nodeRoot);
    std::error_code ec;
    if (!fs::is_directory(root, ec)) continue;
    for (const auto& entry : fs::directory_iterator(root, ec)) {
      if (auto c = discoverCase(suite, entry.path())) cases.push_back(std::move(*c));
    }
  }
  std::sort(cases.begin(), cases.end(), [](auto& a, auto& b) { return a.name < b.name; });
  return cases;
}

// ---- outcome bookkeeping and the summary printed after all tests

enum class Outcome { Passed, Failed, Skipped };

struct OpStats {
  int run = 0, passed = 0, failed = 0, skipped = 0;
};

struct Summary {
  std::map<std::string, OpStats> byOp;
  std::vector<std::pair<std::string, std::string>> skips;  ///< case, reason
  std::vector<std::string> failures;
  std::map<Outcome, int> cases;
  std::map<std::string, std::map<Outcome, int>> bySuite;

  void record(const NodeCase& c, Outcome o, const std::string& reason) {
    ++bySuite[c.suite][o];
    for (const std::string& op : c.ops) {
      OpStats& s = byOp[op];
      if (o == Outcome::Skipped) ++s.skipped;
      else ++s.run, ++(o == Outcome::Passed ? s.passed : s.failed);
    }
    if (o == Outcome::Skipped) {
      // Drop the model path the frontend's message starts with; the case name says it.
      const std::string prefix = c.dir + "/model.onnx: ";
      skips.emplace_back(c.name, reason.rfind(prefix, 0) == 0 ? reason.substr(prefix.size()) : reason);
    }
    ++cases[o];
    if (o == Outcome::Failed) failures.push_back(c.name);
  }
};

Summary& summary(const std::string& backend) {
  static std::map<std::string, Summary> s;
  return s[backend];
}

std::vector<std::string> backendNames() {
  std::vector<std::string> names;
  for (const backend::Backend* b : backend::registeredBackends()) names.emplace_back(b->name());
  return names;
}

class SummaryPrinter : public testing::Environment {
 public:
  void TearDown() override {
    for (const std::string& b : backendNames()) print(b, summary(b));
  }

  static void print(const std::string& backend, const Summary& s) {
    if (s.byOp.empty()) return;
    std::cout << "\nONNX backend test suites on backend " << backend << "; a case counts for every op its\n"
              << "model uses\n"
              << std::left << std::setw(20) << "op" << std::right << std::setw(6) << "run"
              << std::setw(8) << "passed" << std::setw(8) << "failed" << std::setw(10)
              << "skipped" << "\n";
    for (const auto& [op, st] : s.byOp) {
      std::cout << std::left << std::setw(20) << op << std::right << std::setw(6) << st.run
                << std::setw(8) << st.passed << std::setw(8) << st.failed << std::setw(10)
                << st.skipped << "\n";
    }
    auto count = [&](Outcome o) { return s.cases.count(o) ? s.cases.at(o) : 0; };
    std::cout << "cases: " << count(Outcome::Passed) << " passed, " << count(Outcome::Failed)
              << " failed, " << count(Outcome::Skipped) << " skipped (unsupported)\n";
    for (const SuiteInfo& suite : kSuites) {
      const auto census = suiteCensus()[suite.name];
      const auto it = s.bySuite.find(suite.name);
      auto n = [&](Outcome o) { return it == s.bySuite.end() || !it->second.count(o) ? 0 : it->second.at(o); };
      std::cout << "suite " << std::left << std::setw(18) << suite.name << std::right << std::setw(5) << census.first
                << " cases, " << std::setw(4) << census.second << " use ops kiln lacks (not run); "
                << n(Outcome::Passed) << " passed, " << n(Outcome::Failed) << " failed, " << n(Outcome::Skipped)
                << " skipped\n";
    }
    for (const auto& [c, why] : s.skips) std::cout << "  skipped " << c << ": " << why << "\n";
    for (const auto& c : s.failures) std::cout << "  FAILED  " << c << "\n";
    std::cout << std::flush;
  }
};

[[maybe_unused]] testing::Environment* const kSummaryEnv =
    testing::AddGlobalTestEnvironment(new SummaryPrinter);

/// Records the case's outcome when the test body ends, however it ends.
class OutcomeRecorder {
 public:
  OutcomeRecorder(const NodeCase& c, std::string backend) : case_(c), backend_(std::move(backend)) {}
  ~OutcomeRecorder() {
    const Outcome o = skipReason_.empty()
                          ? (testing::Test::HasFailure() ? Outcome::Failed : Outcome::Passed)
                          : Outcome::Skipped;
    summary(backend_).record(case_, o, skipReason_);
  }
  void skip(std::string reason) { skipReason_ = std::move(reason); }

 private:
  const NodeCase& case_;
  std::string backend_;
  std::string skipReason_;
};

// ---- comparing outputs

/// numpy.testing.assert_allclose semantics: |got - want| <= atol + rtol * |want|, NaN equal
/// to NaN, infinities equal when identical. Integer and bool outputs must match exactly.
void expectAllClose(const Tensor& got, const Tensor& want, bool exact, const std::string& what) {
  ASSERT_EQ(got.dims, want.dims) << what << ": shape";
  constexpr double rtol = 1e-3, atol = 1e-7;
  int64_t bad = 0, first = -1;
  for (int64_t i = 0; i < want.size(); ++i) {
    const double g = got.getDouble(i), w = want.getDouble(i);
    bool ok;
    if (exact) ok = got.getInt(i) == want.getInt(i) || g == w;
    else if (std::isnan(w) || std::isnan(g)) ok = std::isnan(w) && std::isnan(g);
    else if (std::isinf(w) || std::isinf(g)) ok = g == w;
    else ok = std::abs(g - w) <= atol + rtol * std::abs(w);
    if (!ok && bad++ == 0) first = i;
  }
  EXPECT_EQ(bad, 0) << what << ": " << bad << " of " << want.size() << " elements differ, first ["
                    << first << "] got " << (first >= 0 ? got.getDouble(first) : 0) << " want "
                    << (first >= 0 ? want.getDouble(first) : 0);
}

struct DataSet {
  std::string name;
  TensorMap inputs;
  std::vector<std::pair<std::string, Tensor>> outputs;  ///< model output name, expected
};

/// test_data_set_*: input_i.pb feed the i-th non-initializer graph input (or the input the
/// proto names), output_i.pb is the expected value of the i-th graph output.
std::vector<DataSet> loadDataSets(const NodeCase& c) {
  std::vector<DataSet> sets;
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(c.dir))
    if (e.is_directory() && e.path().filename().string().rfind("test_data_set_", 0) == 0)
      dirs.push_back(e.path());
  std::sort(dirs.begin(), dirs.end());
  for (const fs::path& d : dirs) {
    DataSet s{d.filename().string(), {}, {}};
    for (size_t i = 0;; ++i) {
      const fs::path p = d / ("input_" + std::to_string(i) + ".pb");
      if (!fs::exists(p)) break;
      std::string name;
      Tensor t = test::loadTensorProto(p.string(), &name);
      if (name.empty() && i < c.model.inputs.size()) name = c.model.inputs[i];
      s.inputs[name] = std::move(t);
    }
    for (size_t i = 0;; ++i) {
      const fs::path p = d / ("output_" + std::to_string(i) + ".pb");
      if (!fs::exists(p)) break;
      const std::string name = i < c.model.outputs.size() ? c.model.outputs[i] : "";
      s.outputs.emplace_back(name, test::loadTensorProto(p.string()));
    }
    sets.push_back(std::move(s));
  }
  return sets;
}

class OnnxNode : public testing::TestWithParam<std::tuple<NodeCase, std::string>> {};

TEST_P(OnnxNode, MatchesExpectedOutputs) {
  const auto& [c, backendName] = GetParam();
  const backend::Backend* be = backend::findBackend(backendName);
  ASSERT_NE(be, nullptr) << backendName;
  OutcomeRecorder outcome(c, backendName);
  const bool f64 = backendName == "ref64";  // every float computed and returned in double

  std::unique_ptr<Graph> g;
  std::vector<DataSet> sets;
  std::unique_ptr<backend::Executable> exe;
  try {
    g = importOnnxFile(c.dir + "/model.onnx");
    sets = loadDataSets(c);
    exe = be->compile(*g, backend::CompileOptions{});
  } catch (const Error& e) {
    if (e.code() == ErrorCode::Unsupported) {
      outcome.skip(e.what());
      GTEST_SKIP() << e.what();
    }
    FAIL() << "import or compile failed (" << errorCodeName(e.code()) << "): " << e.what();
  }
  ASSERT_FALSE(sets.empty()) << "no test_data_set_* in " << c.dir;
  // Compiled; a backend that cannot run here (CUDA without a driver or device) stops now.
  if (const std::string why = be->unavailableReason(); !why.empty()) {
    outcome.skip("compiled, not run: " + why);
    GTEST_SKIP() << "compiled, not run: " << why;
  }

  for (const DataSet& s : sets) {
    const std::string tag = s.name + " on " + backendName;
    TensorMap got;
    try {
      got = exe->run(s.inputs, 1);
    } catch (const Error& e) {
      if (e.code() == ErrorCode::Unsupported) {
        outcome.skip(std::string("at run time: ") + e.what());
        GTEST_SKIP() << e.what();
      }
      ADD_FAILURE() << tag << ": run failed (" << errorCodeName(e.code()) << "): " << e.what();
      continue;
    }
    for (const auto& [name, want] : s.outputs) {
      auto it = got.find(name);
      if (it == got.end()) {
        ADD_FAILURE() << tag << ": no output named '" << name << "'";
        continue;
      }
      const Tensor& out = it->second;
      const bool floatWant = isFloat(want.dtype);
      if (!f64 || !floatWant)
        EXPECT_EQ(dtypeName(out.dtype), std::string(dtypeName(want.dtype))) << tag << " '" << name << "'";
      else
        EXPECT_EQ(out.dtype, DType::F64) << tag << " '" << name << "'";
      expectAllClose(out, want, !floatWant, tag + " output '" + name + "'");
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Backend, OnnxNode,
                         testing::Combine(testing::ValuesIn(discoverCases()), testing::ValuesIn(backendNames())),
                         [](const auto& info) {
                           return std::get<1>(info.param) + "_" + std::get<0>(info.param).name;
                         });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(OnnxNode);

}  // namespace
}  // namespace kiln
