// Export (kiln Graph -> ONNX opset 17) and import -> export -> import round trips. Numbers
// of re-imported graphs are checked against formulas computed here, or against the original
// graph, with the reference evaluator.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "frontend_onnx_builder.h"
#include "graph_builder.h"
#include "kiln/eval/evaluator.h"
#include "kiln/frontend/onnx_export.h"
#include "kiln/frontend/onnx_import.h"
#include "kiln/ir/shape_inference.h"
#include "kiln/support/error.h"
#include "test_util.h"

namespace kiln {
namespace {

using test::attrFloat;
using test::attrInt;
using test::attrInts;
using test::OnnxBuilder;
using test::TempDir;

std::unique_ptr<Graph> reimport(const Graph& g, bool infer = true) {
  return importOnnxBytes(exportOnnxBytes(g), "", "exported.onnx",
                         ImportOptions{.inferShapes = infer});
}

std::vector<OpKind> kinds(const Graph& g) {
  std::vector<OpKind> out;
  for (const auto& n : g.nodes()) out.push_back(n->kind);
  return out;
}

int count(const Graph& g, OpKind k) {
  int c = 0;
  for (const auto& n : g.nodes()) c += n->kind == k;
  return c;
}

void expectNear(const std::vector<double>& actual, const std::vector<double>& expected, double tol,
                const std::string& what) {
  ASSERT_EQ(actual.size(), expected.size()) << what;
  for (size_t i = 0; i < actual.size(); ++i)
    ASSERT_NEAR(actual[i], expected[i], tol) << what << " element " << i;
}

// opset-10 model exercising the attribute forms that opset 17 takes as inputs.
OnnxBuilder legacyModel() {
  OnnxBuilder b(10);
  b.input("x", {"N", "3", "8", "8"});
  auto& pad = b.node("Pad", {"x"}, {"p"}, "pad");
  attrInts(pad, "pads", {0, 0, 1, 1, 0, 0, 1, 1});
  std::vector<float> w(4 * 3 * 3 * 3);
  for (size_t i = 0; i < w.size(); ++i) w[i] = std::sin(0.37f * static_cast<float>(i));
  b.initializer("w", w, {4, 3, 3, 3});
  b.initializer("b", {0.1f, -0.2f, 0.3f, 0.0f}, {4});
  attrInts(b.node("Conv", {"p", "w", "b"}, {"c"}, "conv"), "kernel_shape", {3, 3});
  b.initializer("s", {1.0f, 0.5f, 2.0f, 1.5f}, {4});
  b.initializer("sh", {0.0f, 0.1f, -0.1f, 0.2f}, {4});
  b.initializer("m", {0.1f, 0.0f, -0.1f, 0.05f}, {4});
  b.initializer("v", {1.0f, 0.5f, 2.0f, 0.8f}, {4});
  b.node("BatchNormalization", {"c", "s", "sh", "m", "v"}, {"bn"}, "bn");
  auto& clip = b.node("Clip", {"bn"}, {"r"}, "clip");
  attrFloat(clip, "min", 0.0f);
  attrFloat(clip, "max", 0.6f);
  auto& pool = b.node("MaxPool", {"r"}, {"mp"}, "pool");
  attrInts(pool, "kernel_shape", {2, 2});
  attrInts(pool, "strides", {2, 2});
  auto& rm = b.node("ReduceMean", {"mp"}, {"red"}, "mean");
  attrInts(rm, "axes", {2, 3});
  attrInt(rm, "keepdims", 0);
  attrInts(b.node("Unsqueeze", {"red"}, {"u"}, "unsq"), "axes", {1});
  b.node("Flatten", {"u"}, {"f"}, "flat");
  b.initializer("w2", {1, 0, 0, 1, 0, 1, 1, 0, 0.5f, 0.5f, -1, 1}, {3, 4});
  b.initializer("c2", {0.1f, 0.2f, 0.3f}, {3});
  attrInt(b.node("Gemm", {"f", "w2", "c2"}, {"g"}, "gemm"), "transB", 1);
  b.node("Softmax", {"g"}, {"y"}, "softmax");
  b.output("y");
  return b;
}

TEST(FrontendRoundTrip, LegacyModelKeepsKindsShapesConstantsAndNumbers) {
  auto g1 = importOnnxBytes(legacyModel().bytes(), "", "legacy.onnx");
  auto g2 = reimport(*g1);
  ASSERT_EQ(kinds(*g1), kinds(*g2));
  auto n1 = g1->nodeList(), n2 = g2->nodeList();
  for (size_t i = 0; i < n1.size(); ++i) {
    if (n1[i]->kind != OpKind::Softmax) {  // legacy2D is dropped where it changes nothing
      EXPECT_TRUE(n1[i]->attrs == n2[i]->attrs) << n1[i]->describe();
    }
    ASSERT_EQ(n1[i]->inputs.size(), n2[i]->inputs.size()) << n1[i]->describe();
    for (size_t j = 0; j < n1[i]->inputs.size(); ++j) {
      const Value* a = n1[i]->inputs[j];
      const Value* b = n2[i]->inputs[j];
      ASSERT_EQ(a == nullptr, b == nullptr);
      if (!a) continue;
      ASSERT_EQ(a->isConstant(), b->isConstant()) << n1[i]->describe() << " input " << j;
      if (!a->isConstant()) continue;
      EXPECT_EQ(a->dtype, b->dtype);
      EXPECT_EQ(a->constant->dims, b->constant->dims);
      EXPECT_EQ(a->constant->toDoubles(), b->constant->toDoubles()) << a->name;
    }
    for (size_t j = 0; j < n1[i]->outputs.size(); ++j)
      EXPECT_EQ(n1[i]->outputs[j]->shape, n2[i]->outputs[j]->shape) << n1[i]->describe();
  }
  EXPECT_EQ(g2->inputs[0]->shape, g1->inputs[0]->shape);
  EXPECT_EQ(g2->outputs[0]->shape, (Shape{Dim::symbolic("N"), Dim::known(3)}));

  TensorMap in{{"x", test::randomTensor({2, 3, 8, 8}, 7)}};
  TensorMap r1 = evaluate(*g1, in, Precision::F64), r2 = evaluate(*g2, in, Precision::F64);
  expectNear(r2.at("y").toDoubles(), r1.at("y").toDoubles(), 1e-12, "y");
}

TEST(FrontendRoundTrip, LegacySoftmaxOnInnerAxisIsFlattenedTo2D) {
  // Softmax-11 axis=1 on [2,3,4]: softmax over each row of the [2,12] flattening.
  OnnxBuilder b(11);
  b.input("x", {"2", "3", "4"});
  attrInt(b.node("Softmax", {"x"}, {"y"}, "sm"), "axis", 1);
  b.output("y");
  auto g = reimport(*importOnnxBytes(b.bytes(), "", "softmax.onnx"));
  EXPECT_EQ(count(*g, OpKind::Flatten), 1);
  EXPECT_EQ(count(*g, OpKind::Softmax), 1);
  Tensor x = test::randomTensor({2, 3, 4}, 3, -2.0f, 2.0f);
  std::vector<double> xs = x.toDoubles(), expected(24);
  for (int r = 0; r < 2; ++r) {
    double sum = 0;
    for (int i = 0; i < 12; ++i) sum += std::exp(xs[r * 12 + i]);
    for (int i = 0; i < 12; ++i) expected[r * 12 + i] = std::exp(xs[r * 12 + i]) / sum;
  }
  TensorMap out = evaluate(*g, {{"x", x}}, Precision::F64);
  expectNear(out.at("y").toDoubles(), expected, 1e-12, "softmax");
  EXPECT_EQ(out.at("y").dims, (std::vector<int64_t>{2, 3, 4}));
}

TEST(FrontendRoundTrip, ScaleShiftBecomesMulAdd) {
  test::GraphBuilder gb;
  Value* x = gb.input("x", test::dims({test::sym("N"), 3, 2, 2}));
  Value* s = gb.constant("s", Tensor::fromFloats({2, -1, 0.5f}, {3}));
  Value* t = gb.constant("t", Tensor::fromFloats({1, 0, -3}, {3}));
  gb.output(gb.op(OpKind::ScaleShift, "ss", {x, s, t}, ScaleShiftAttrs{1}));
  auto g = reimport(gb.g);
  EXPECT_EQ(kinds(*g), (std::vector<OpKind>{OpKind::Mul, OpKind::Add}));
  Tensor xt = test::randomTensor({2, 3, 2, 2}, 11);
  std::vector<double> xs = xt.toDoubles(), expected(xs.size());
  const double sc[] = {2, -1, 0.5}, sh[] = {1, 0, -3};
  for (size_t i = 0; i < xs.size(); ++i) {
    size_t c = (i / 4) % 3;
    expected[i] = xs[i] * sc[c] + sh[c];
  }
  TensorMap out = evaluate(*g, {{"x", xt}}, Precision::F64);
  expectNear(out.at("ss_out").toDoubles(), expected, 1e-6, "scale-shift");
}

// Reference batch statistics over x [N, C, L] for channel axis 1 (or the whole tensor).
struct Stats {
  std::vector<double> mean, var;  // per channel (size 1 when whole)
};
Stats statsOf(const std::vector<double>& x, int n, int c, int l, bool whole, bool unbiased) {
  int groups = whole ? 1 : c;
  Stats s{std::vector<double>(groups, 0), std::vector<double>(groups, 0)};
  std::vector<int> counts(groups, 0);
  auto group = [&](size_t i) { return whole ? 0 : static_cast<int>((i / l) % c); };
  for (size_t i = 0; i < x.size(); ++i) s.mean[group(i)] += x[i], counts[group(i)]++;
  for (int k = 0; k < groups; ++k) s.mean[k] /= counts[k];
  for (size_t i = 0; i < x.size(); ++i) s.var[group(i)] += std::pow(x[i] - s.mean[group(i)], 2);
  for (int k = 0; k < groups; ++k) s.var[k] /= counts[k] - (unbiased ? 1 : 0);
  (void)n;
  return s;
}

struct BntCase {
  BatchNormTrainingAttrs attrs;
  bool expectOnnxBatchNorm;
};

class FrontendBatchNormTrainingExport : public testing::TestWithParam<BntCase> {};

TEST_P(FrontendBatchNormTrainingExport, MatchesFormula) {
  const BatchNormTrainingAttrs& a = GetParam().attrs;
  const int N = 4, C = 3, L = 5;
  test::GraphBuilder gb;
  Value* x = gb.input("x", test::dims({N, C, L}));
  std::vector<float> scale{1.5f, -0.5f, 2.0f}, bias{0.1f, 0.2f, -0.3f};
  std::vector<float> rmean{0.5f, -0.5f, 0.0f}, rvar{1.0f, 2.0f, 0.5f};
  Value* s = gb.constant("scale", Tensor::fromFloats(scale, {C}));
  Value* bv = gb.constant("bias", Tensor::fromFloats(bias, {C}));
  Value* rm = gb.constant("rm", Tensor::fromFloats(rmean, {C}));
  Value* rv = gb.constant("rv", Tensor::fromFloats(rvar, {C}));
  Node* n = gb.node(OpKind::BatchNormTraining, "bnt", {x, s, bv, rm, rv}, a, 3);
  for (Value* o : n->outputs) gb.output(o);
  auto g = reimport(gb.g);
  EXPECT_EQ(count(*g, OpKind::BatchNormalization) == 1, GetParam().expectOnnxBatchNorm);

  Tensor xt = test::randomTensor({N, C, L}, 5, -2.0f, 3.0f);
  std::vector<double> xs = xt.toDoubles();
  Stats st = statsOf(xs, N, C, L, a.wholeTensor, a.unbiasedVar);
  Stats pop = statsOf(xs, N, C, L, a.wholeTensor, false);
  Stats unb = statsOf(xs, N, C, L, a.wholeTensor, true);
  std::vector<double> y(xs.size());
  for (size_t i = 0; i < xs.size(); ++i) {
    size_t c = (i / L) % C, k = a.wholeTensor ? 0 : c;
    double v = scale[c] * (xs[i] - st.mean[k]) / std::sqrt(st.var[k] + a.epsilon) + bias[c];
    switch (a.activation.kind) {
      case Activation::Relu:
        v = std::max(v, 0.0);
        break;
      case Activation::LeakyRelu:
        v = v < 0 ? v * a.activation.alpha : v;
        break;
      case Activation::Clip:
        v = std::min(std::max(v, (double)a.activation.alpha), (double)a.activation.beta);
        break;
      case Activation::Sigmoid:
        v = 1 / (1 + std::exp(-v));
        break;
      case Activation::Tanh:
        v = std::tanh(v);
        break;
      case Activation::None:
        break;
    }
    y[i] = v;
  }
  std::vector<double> newMean(C), newVar(C);
  for (int c = 0; c < C; ++c) {
    int k = a.wholeTensor ? 0 : c;
    double v = a.unbiasedRunningVar ? unb.var[k] : pop.var[k];
    newMean[c] = rmean[c] * a.momentum + st.mean[k] * (1 - a.momentum);
    newVar[c] = rvar[c] * a.momentum + v * (1 - a.momentum);
  }
  TensorMap out = evaluate(*g, {{"x", xt}}, Precision::F64);
  expectNear(out.at("bnt_out0").toDoubles(), y, 1e-5, "y");
  expectNear(out.at("bnt_out1").toDoubles(), newMean, 1e-5, "running mean");
  expectNear(out.at("bnt_out2").toDoubles(), newVar, 1e-5, "running var");
}

BatchNormTrainingAttrs bnt(bool whole, bool unbiased, bool unbiasedRunning, Activation act,
                           float alpha = 0, float beta = 0) {
  BatchNormTrainingAttrs a;
  a.epsilon = 1e-3;
  a.momentum = 0.8;
  a.wholeTensor = whole;
  a.unbiasedVar = unbiased;
  a.unbiasedRunningVar = unbiasedRunning;
  a.activation = ActivationAttrs{act, alpha, beta};
  return a;
}

INSTANTIATE_TEST_SUITE_P(
    Variants, FrontendBatchNormTrainingExport,
    testing::Values(BntCase{bnt(false, false, false, Activation::None), true},
                    BntCase{bnt(false, false, false, Activation::Relu), true},
                    BntCase{bnt(false, false, false, Activation::Clip, 0.0f, 0.5f), true},
                    BntCase{bnt(false, false, true, Activation::LeakyRelu, 0.1f), false},
                    BntCase{bnt(false, true, true, Activation::Tanh), false},
                    BntCase{bnt(true, false, false, Activation::Sigmoid), false},
                    BntCase{bnt(true, true, true, Activation::None), false}));

// Unbiased statistics over symbolic dims: the exported n/(n-1) is computed from the run-time
// shape (Shape->Gather->ReduceProd->Cast), so the re-imported graph must agree with the
// original at several extents of N and L.
TEST(FrontendRoundTrip, UnbiasedVarianceOverSymbolicDims) {
  test::GraphBuilder gb;
  Value* x = gb.input("x", test::dims({test::sym("N"), 3, test::sym("L")}));
  Value* s = gb.constant("s", Tensor::fromFloats({1.5f, -0.5f, 2.0f}, {3}));
  Value* b = gb.constant("b", Tensor::fromFloats({0.1f, 0.2f, -0.3f}, {3}));
  BatchNormTrainingAttrs a;
  a.unbiasedVar = true;
  a.epsilon = 1e-3;
  gb.output(gb.op(OpKind::BatchNormTraining, "bnt", {x, s, b}, a));
  inferShapes(gb.g);
  auto g2 = reimport(gb.g);
  EXPECT_EQ(count(*g2, OpKind::ReduceProd), 1);
  for (auto [n, l] : {std::pair<int64_t, int64_t>{2, 5}, {3, 2}, {1, 7}}) {
    TensorMap in{{"x", test::randomTensor({n, 3, l}, static_cast<uint32_t>(7 * n + l))}};
    expectNear(evaluate(*g2, in, Precision::F64).begin()->second.toDoubles(),
               evaluate(gb.g, in, Precision::F64).begin()->second.toDoubles(), 1e-6,
               "N=" + std::to_string(n) + " L=" + std::to_string(l));
  }
}

TEST(FrontendRoundTrip, ExportedModelHeaderAndValues) {
  test::GraphBuilder gb;
  Value* x = gb.input("x", test::dims({test::sym("batch"), 4}));
  Value* w = gb.constant("w", Tensor::fromFloats({1, 2, 3, 4}, {4}));
  Value* a = gb.op(OpKind::Mul, "r", {x, w});
  gb.output(gb.op(OpKind::Relu, "r", {a}));  // duplicate node name
  onnx::ModelProto m;
  ASSERT_TRUE(m.ParseFromString(exportOnnxBytes(gb.g)));
  EXPECT_EQ(m.ir_version(), 8);
  EXPECT_EQ(m.producer_name(), "kiln");
  ASSERT_EQ(m.opset_import_size(), 1);
  EXPECT_EQ(m.opset_import(0).domain(), "");
  EXPECT_EQ(m.opset_import(0).version(), 17);
  const onnx::GraphProto& gp = m.graph();
  ASSERT_EQ(gp.node_size(), 2);
  EXPECT_NE(gp.node(0).name(), gp.node(1).name());  // onnxruntime needs unique node names
  ASSERT_EQ(gp.input_size(), 1);
  const auto& dims = gp.input(0).type().tensor_type().shape().dim();
  ASSERT_EQ(dims.size(), 2);
  EXPECT_EQ(dims[0].dim_param(), "batch");
  EXPECT_EQ(dims[1].dim_value(), 4);
  ASSERT_EQ(gp.initializer_size(), 1);
  EXPECT_EQ(gp.initializer(0).name(), "w");
  EXPECT_EQ(gp.initializer(0).raw_data().size(), 16u);
}

TEST(FrontendRoundTrip, PadAxesInputIsSpreadOverAllAxes) {
  // Pad-18 with axes [2,3] and pads [1,2,3,4] = begins (1,2), ends (3,4) of axes 2 and 3.
  OnnxBuilder b(18);
  b.input("x", {"1", "2", "3", "3"});
  b.initializerI64("pads", {1, 2, 3, 4}, {4});
  b.initializer("cval", {0.5f}, {});
  b.initializerI64("axes", {2, -1}, {2});
  b.node("Pad", {"x", "pads", "cval", "axes"}, {"y"}, "pad");
  b.output("y");
  auto g1 = importOnnxBytes(b.bytes(), "", "pad.onnx");
  auto g2 = reimport(*g1);
  const Node& pad = *g2->nodes().front();
  ASSERT_EQ(pad.kind, OpKind::Pad);
  ASSERT_EQ(pad.inputs.size(), 3u);
  EXPECT_EQ(pad.inputs[1]->constant->toInts(), (std::vector<int64_t>{0, 0, 1, 2, 0, 0, 3, 4}));
  EXPECT_EQ(g2->outputs[0]->shape, shapeOf({1, 2, 7, 9}));
  TensorMap in{{"x", test::randomTensor({1, 2, 3, 3}, 9)}};
  expectNear(evaluate(*g2, in, Precision::F64).at("y").toDoubles(),
             evaluate(*g1, in, Precision::F64).at("y").toDoubles(), 0, "pad");
}

TEST(FrontendRoundTrip, ReduceMeanNoopWithEmptyAxesBecomesIdentity) {
  OnnxBuilder b(18);
  b.input("x", {"2", "3"});
  attrInt(b.node("ReduceMean", {"x"}, {"y"}, "rm"), "noop_with_empty_axes", 1);
  b.output("y");
  auto g = reimport(*importOnnxBytes(b.bytes(), "", "noop.onnx"));
  EXPECT_EQ(kinds(*g), std::vector<OpKind>{OpKind::Identity});
  EXPECT_EQ(g->outputs[0]->shape, shapeOf({2, 3}));
}

TEST(FrontendRoundTrip, ExportFileIsAtomic) {
  TempDir dir;
  auto g = importOnnxBytes(legacyModel().bytes(), "", "legacy.onnx");
  std::string path = (dir.path / "out.onnx").string();
  exportOnnxFile(*g, path);
  auto back = importOnnxFile(path);
  EXPECT_EQ(kinds(*back), kinds(*g));

  // A graph that cannot be exported leaves the existing file alone and no temp files behind.
  test::GraphBuilder gb;
  Value* x = gb.g.addValue("x");  // rank unknown: ScaleShift cannot be exported
  gb.g.inputs.push_back(x);
  Value* s = gb.constant("s", Tensor::fromFloats({1}, {1}));
  gb.output(gb.op(OpKind::ScaleShift, "ss", {x, s, s}, ScaleShiftAttrs{1}));
  auto sizeBefore = std::filesystem::file_size(path);
  EXPECT_THROW(exportOnnxFile(gb.g, path), Error);
  EXPECT_EQ(std::filesystem::file_size(path), sizeBefore);
  int files = 0;
  for (auto& e : std::filesystem::directory_iterator(dir.path)) files += e.is_regular_file();
  EXPECT_EQ(files, 1);

  std::string missing = (dir.path / "no_such_dir" / "m.onnx").string();
  std::string msg = test::errorMessage([&] { exportOnnxFile(*g, missing); }, ErrorCode::Io);
  EXPECT_NE(msg.find(missing), std::string::npos) << msg;
}

TEST(FrontendRoundTrip, DemoModelsImportAndRoundTrip) {
  namespace fs = std::filesystem;
  fs::path root = test::sourcePath("tests/models");
  std::vector<fs::path> models;
  if (fs::exists(root))
    for (auto& e : fs::recursive_directory_iterator(root))
      if (e.is_regular_file() && e.path().extension() == ".onnx") models.push_back(e.path());
  if (models.empty()) GTEST_SKIP() << "no .onnx files under " << root;
  for (const fs::path& p : models) {
    SCOPED_TRACE(p.string());
    std::unique_ptr<Graph> g, back;
    try {
      g = importOnnxFile(p.string());
      back = reimport(*g);
    } catch (const Error& e) {
      ADD_FAILURE() << e.what();
      continue;
    }
    EXPECT_FALSE(g->inputs.empty());
    EXPECT_FALSE(g->outputs.empty());
    for (const Value* out : g->outputs) EXPECT_TRUE(out->hasShape) << out->name;
    EXPECT_EQ(kinds(*back), kinds(*g));
    for (size_t i = 0; i < g->outputs.size(); ++i)
      EXPECT_EQ(back->outputs[i]->shape, g->outputs[i]->shape);
  }
}

}  // namespace
}  // namespace kiln
