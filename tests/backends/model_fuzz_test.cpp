// Issue 9: malformed models through the whole compile path - ONNX import, shape inference,
// the pass pipeline and the shared lowering (plan) - must end in a kiln::Error, never a crash,
// a hang or another exception. A deterministic, structure-aware mutation run over a seed
// corpus (every demo and variant model and a sample of the ONNX backend node tests): raw byte
// edits and truncation, and edits of the decoded model where the bugs of issue 9 lived (dims,
// integer attributes, opsets, initializer bytes, node inputs) with values at the edges of
// int64. Under the sanitizer build (the test command's second run) every case is also checked
// by ASan and UBSan. fuzzOne is the body a libFuzzer target would call.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <filesystem>
#include <fstream>
#include <cstdio>
#include <cstdlib>
#include <random>

#include "kiln/frontend/onnx_import.h"
#include "kiln/passes/pipeline.h"
#include "kiln/plan/plan.h"
#include "kiln/support/error.h"
#include "model_cases.h"
#include "test_util.h"

namespace kiln::test {
namespace {

namespace fs = std::filesystem;

// One input through the compile path; a kiln::Error is the expected way to refuse it.
// Returns how far it got: 0 refused at import, 1 by the passes, 2 by the lowering, 3 planned.
int fuzzOne(const std::string& bytes) {
  int stage = 0;
  try {
    std::unique_ptr<Graph> g = importOnnxBytes(bytes, "", "fuzz.onnx");
    stage = 1;
    PassReport report;
    runPipeline(*g, PassOptions{}, report);
    stage = 2;
    plan::buildProgram(*g);
    stage = 3;
  } catch (const Error&) {
  }
  return stage;
}

std::vector<std::string> seeds() {
  std::vector<std::string> files;
  for (const std::string& f : demoAndVariantModels()) files.push_back(sourcePath(f));
  std::error_code ec;
  std::vector<std::string> node;
  for (const auto& e : fs::directory_iterator(onnxNodeTestDir(), ec))
    if (fs::exists(e.path() / "model.onnx")) node.push_back((e.path() / "model.onnx").string());
  std::sort(node.begin(), node.end());
  for (size_t i = 0; i < node.size(); i += 8) files.push_back(node[i]);  // every 8th: all op families
  std::sort(files.begin(), files.end());
  std::vector<std::string> out;
  for (const std::string& f : files) {
    std::ifstream in(f, std::ios::binary);
    out.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return out;
}

constexpr int64_t kEdges[] = {0, 1, -1, 2, 3, 7, 255, 65536, int64_t{1} << 31, -(int64_t{1} << 31),
                              int64_t{1} << 40, int64_t{1} << 48, int64_t{1} << 62, INT64_MAX, INT64_MIN};

class Mutator {
 public:
  explicit Mutator(uint32_t seed) : rng_(seed) {}

  std::string mutate(const std::string& seed) {
    onnx::ModelProto m;
    if (pick(4) == 0 || !m.ParseFromString(seed)) return bytes(seed);
    const int edits = 1 + pick(3);
    for (int i = 0; i < edits; ++i) edit(m);
    return m.SerializeAsString();
  }

 private:
  std::mt19937 rng_;
  int pick(int n) { return static_cast<int>(rng_() % static_cast<uint32_t>(n)); }
  // Half the time a value at an edge of int64, else a small one (still legal-looking, so the
  // mutant gets past import into the passes and the lowering).
  int64_t edge() { return pick(2) ? kEdges[pick(sizeof kEdges / sizeof kEdges[0])] : pick(9) - 1; }

  std::string bytes(std::string s) {
    if (s.empty()) return s;
    switch (pick(3)) {
      case 0: s.resize(rng_() % s.size()); break;
      case 1:
        for (int i = 0, n = 1 + pick(8); i < n; ++i) s[rng_() % s.size()] = static_cast<char>(rng_());
        break;
      default: s.insert(rng_() % s.size(), std::string(1 + pick(16), static_cast<char>(rng_())));
    }
    return s;
  }

  void editShape(onnx::ValueInfoProto* v) {
    auto* shape = v->mutable_type()->mutable_tensor_type()->mutable_shape();
    if (shape->dim_size() == 0 || pick(4) == 0) {
      shape->add_dim()->set_dim_value(edge());
      return;
    }
    auto* d = shape->mutable_dim(pick(shape->dim_size()));
    if (pick(3) == 0) d->set_dim_param("S" + std::to_string(pick(3)));
    else d->set_dim_value(edge());
  }

  void edit(onnx::ModelProto& m) {
    onnx::GraphProto* g = m.mutable_graph();
    switch (pick(7)) {
      case 0:
        if (g->input_size()) editShape(g->mutable_input(pick(g->input_size())));
        break;
      case 1:  // an integer attribute (kernel_shape, pads, strides, dilations, axis, group ...)
        if (g->node_size()) {
          onnx::NodeProto* n = g->mutable_node(pick(g->node_size()));
          if (n->attribute_size() == 0) break;
          onnx::AttributeProto* a = n->mutable_attribute(pick(n->attribute_size()));
          if (a->ints_size()) a->set_ints(pick(a->ints_size()), edge());
          else if (a->type() == onnx::AttributeProto::INT) a->set_i(edge());
          else if (a->type() == onnx::AttributeProto::FLOAT) a->set_f(static_cast<float>(edge()));
        }
        break;
      case 2:  // an initializer's dims or bytes
        if (g->initializer_size()) {
          onnx::TensorProto* t = g->mutable_initializer(pick(g->initializer_size()));
          if (t->dims_size() && pick(2)) t->set_dims(pick(t->dims_size()), edge());
          else if (t->has_raw_data()) t->set_raw_data(bytes(t->raw_data()));
          else if (t->int64_data_size()) t->set_int64_data(pick(t->int64_data_size()), edge());
        }
        break;
      case 3:
        if (m.opset_import_size()) m.mutable_opset_import(0)->set_version(pick(25));
        break;
      case 4:  // rewire or drop a node input
        if (g->node_size()) {
          onnx::NodeProto* n = g->mutable_node(pick(g->node_size()));
          if (n->input_size() == 0) break;
          const int i = pick(n->input_size());
          const onnx::NodeProto& other = g->node(pick(g->node_size()));
          if (pick(3) == 0) n->set_input(i, "");
          else if (other.output_size()) n->set_input(i, other.output(0));
        }
        break;
      case 5:  // drop a node (its outputs dangle)
        if (g->node_size() > 1) g->mutable_node()->DeleteSubrange(pick(g->node_size()), 1);
        break;
      default:
        if (g->output_size()) editShape(g->mutable_output(pick(g->output_size())));
    }
  }
};

TEST(ModelFuzz, MutatedModelsEndInAnErrorNeverACrash) {
  // Mutants of the seeds kiln compiles whole (the others fail early whatever is changed).
  std::vector<std::string> corpus;
  for (const std::string& s : seeds())
    if (fuzzOne(s) == 3) corpus.push_back(s);
  ASSERT_GE(corpus.size(), 36u) << "demos and variants";
  // KILN_FUZZ_SEED / KILN_FUZZ_ROUNDS run it longer or elsewhere (a session's fuzzing run).
  const char* seedEnv = std::getenv("KILN_FUZZ_SEED");
  const char* roundsEnv = std::getenv("KILN_FUZZ_ROUNDS");
  Mutator mutator(seedEnv ? static_cast<uint32_t>(std::stoul(seedEnv)) : 20261204u);
  const int kRounds = roundsEnv ? std::stoi(roundsEnv) : 400;
  int reached[4] = {0, 0, 0, 0};
  for (int round = 0; round < kRounds; ++round)
    for (const std::string& s : corpus) ++reached[fuzzOne(mutator.mutate(s))];
  std::printf("%zu seeds; %zu mutants: %d refused at import, %d by the passes, %d by the lowering, %d planned\n",
              corpus.size(), kRounds * corpus.size(), reached[0], reached[1], reached[2], reached[3]);
  // The mutants must exercise the later stages too, not only the protobuf parser.
  EXPECT_GT(reached[3], static_cast<int>(kRounds * corpus.size() / 10));
  EXPECT_GT(reached[0], static_cast<int>(kRounds * corpus.size() / 10));
  EXPECT_GT(reached[2], 0) << "some mutants are refused by the lowering";
}

}  // namespace
}  // namespace kiln::test
