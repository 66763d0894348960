// The BN passes on the exported PyTorch models of tests/models (the whole pipeline): the
// decision per BN and the numbers against the PyTorch float64 references.
#include <cmath>

#include "bn_test_graphs.h"
#include "kiln/frontend/onnx_import.h"
#include "kiln/passes/pipeline.h"
#include "kiln/support/error.h"
#include "kiln/support/npy.h"
#include "test_util.h"

namespace kiln::bntest {
namespace {

struct ModelCase {
  const char* file;         ///< under tests/models/
  const char* action;       ///< every BN decision's action contains this
  int scaleShiftsLeft;      ///< ScaleShift nodes after the pipeline
  bool training = false;
};

void PrintTo(const ModelCase& c, std::ostream* os) { *os << c.file; }

class BnModels : public ::testing::TestWithParam<ModelCase> {};

std::string describe(const PassReport& r) {
  std::string s;
  for (const BnDecision& d : r.bn) s += "\n  " + d.node + " [" + d.pattern + "]: " + d.action + " (" + d.reason + ")";
  return s;
}

TEST_P(BnModels, PipelineDecisionsAndNumbers) {
  const ModelCase& c = GetParam();
  const std::string path = test::sourcePath(std::string("tests/models/") + c.file);
  std::unique_ptr<Graph> original = importOnnxFile(path);
  auto g = original->clone();
  PassReport report;
  PassOptions opts;
  opts.verifyEachPass = true;
  runPipeline(*g, opts, report);
  ASSERT_FALSE(report.bn.empty());
  for (const BnDecision& d : report.bn) EXPECT_TRUE(mentions(d.action, c.action)) << describe(report);
  EXPECT_EQ(countOps(*g, OpKind::BatchNormalization), 0) << describe(report);
  EXPECT_EQ(countOps(*g, OpKind::ScaleShift), c.scaleShiftsLeft) << describe(report);

  std::string refPath = path.substr(0, path.size() - (c.training ? 11 : 5)) + ".ref.npz";
  auto ref = readNpz(refPath);
  const bool isDemo = std::string(c.file).rfind("demos/", 0) == 0;
  const std::string inKey = c.training && !isDemo ? "train_input" : "input";
  const std::string outKey = c.training ? "train_output_fp64" : "output_fp64";
  ASSERT_TRUE(ref.count(inKey) && ref.count(outKey));
  TensorMap in{{original->inputs[0]->name, ref.at(inKey)}};
  // Folded constants are float32 (rounded once), hence 1e-6 of the output scale between the
  // original and the rewritten graph, both run in F64. The exported graph itself differs from
  // PyTorch's float64 run by float32 constants (e.g. the hand-written BN's precomputed
  // sqrt(var + eps), epsilon as a float attribute).
  TensorMap before = evaluate(*original, in, Precision::F64);
  TensorMap after = evaluate(*g, in, Precision::F64);
  const Tensor& expected = ref.at(outKey);
  const std::string outName = original->outputs[0]->name;
  expectClose(before, after, 1e-6, "rewritten vs original");
  expectClose({{outName, expected}}, {{outName, after.at(outName)}}, 1e-5, "rewritten vs PyTorch");
  TensorMap after32 = evaluate(*g, castInputs(in, DType::F32), Precision::F32);
  expectClose({{outName, expected}}, {{outName, after32.at(outName)}}, 1e-4, "rewritten F32 vs PyTorch");
}

INSTANTIATE_TEST_SUITE_P(
    Variants, BnModels,
    ::testing::Values(
        ModelCase{"variants/conv_bias_bn.onnx", "folded backward into Conv", 0},
        ModelCase{"variants/conv_nobias_bn.onnx", "folded backward into Conv", 0},
        ModelCase{"variants/grouped_conv_bn.onnx", "folded backward into Conv", 0},
        ModelCase{"variants/depthwise_conv_bn.onnx", "folded backward into Conv", 0},
        ModelCase{"variants/conv_transpose_bn.onnx", "folded backward into ConvTranspose", 0},
        ModelCase{"variants/conv_transpose_grouped_bn.onnx", "folded backward into ConvTranspose", 0},
        ModelCase{"variants/linear_bias_bn.onnx", "folded backward into Gemm", 0},
        ModelCase{"variants/linear_nobias_bn.onnx", "folded backward into MatMul", 0},
        ModelCase{"variants/residual_add_bn.onnx", "folded backward into Conv", 0},
        ModelCase{"variants/conv1d_bn1d_dynamic_reshape.onnx", "folded backward into Conv", 0},
        ModelCase{"variants/bn_on_input.onnx", "folded forward into Conv", 0},
        ModelCase{"variants/bn_after_relu.onnx", "folded forward into Conv", 0},
        ModelCase{"variants/bn_after_sigmoid.onnx", "folded forward into Gemm", 0},
        ModelCase{"variants/bn1d_on_ncl.onnx", "folded forward into Gemm", 0},
        ModelCase{"variants/bn_avgpool_conv.onnx", "folded forward into Conv", 0},
        ModelCase{"variants/bn_before_maxpool_positive.onnx", "folded forward into Conv", 0},
        ModelCase{"variants/bn_before_maxpool_mixed.onnx", "kept as ScaleShift", 1},
        ModelCase{"variants/bn_then_padded_conv.onnx", "kept as ScaleShift", 1},
        ModelCase{"variants/bn_two_consumers.onnx", "kept as ScaleShift", 1},
        ModelCase{"variants/conv_bias_bn.train.onnx", "lowered to BatchNormTraining", 0, true},
        ModelCase{"variants/linear_bias_bn.train.onnx", "lowered to BatchNormTraining", 0, true},
        ModelCase{"variants/bn1d_on_ncl.train.onnx", "lowered to BatchNormTraining", 0, true}));

INSTANTIATE_TEST_SUITE_P(
    Demos, BnModels,
    ::testing::Values(
        ModelCase{"demos/lenet_bn.onnx", "folded backward into", 0},
        ModelCase{"demos/lenet_handwritten_bn.onnx", "folded backward into", 0},
        ModelCase{"demos/mlp_bn.onnx", "folded backward into Gemm", 0},
        ModelCase{"demos/bn1d_ncl.onnx", "folded forward into Gemm", 0},
        ModelCase{"demos/conv_relu_bn_pool.onnx", "folded forward into Gemm", 0},
        ModelCase{"demos/naive_bn_mlp.onnx", "lowered to BatchNormTraining", 0},
        ModelCase{"demos/lenet_bn.train.onnx", "lowered to BatchNormTraining (+Sigmoid fused)", 0, true},
        ModelCase{"demos/lenet_handwritten_bn.train.onnx", "lowered to BatchNormTraining (+Sigmoid fused)", 0, true},
        ModelCase{"demos/mlp_bn.train.onnx", "lowered to BatchNormTraining (+Relu fused)", 0, true},
        ModelCase{"demos/naive_bn_mlp.train.onnx", "lowered to BatchNormTraining", 0, true}));

}  // namespace
}  // namespace kiln::bntest
