// Training-mode BatchNorm on the CPU backend: the batch statistics are summed in double in the
// epilogue of the Gemm/MatMul/Conv that produces the BN input (or, where that cannot be, in one
// standalone pass), then finalised and applied. Each case checks the output and the running
// statistics against the float64 reference evaluator at batch sizes 1, 3 and 64 on 1 and 2
// threads, that the thread count does not change a bit of the result, and which form the plan
// took (statistics folded into the producer or a standalone pass).
#include <gtest/gtest.h>

#include <functional>

#include "cpu_test_util.h"
#include "graph_builder.h"
#include "kiln/backends/cpu/cpu_backend.h"
#include "kiln/eval/evaluator.h"
#include "kiln/ir/shape_inference.h"
#include "kiln/plan/plan.h"

namespace kiln::test {
namespace {

const Dim N = Dim::symbolic("N");

struct BnCase {
  std::string name;
  std::function<void(GraphBuilder&)> build;
  bool folded;  ///< the statistics are expected in the producer's epilogue
  float lo = -1.0f, hi = 1.0f;  ///< range of the random inputs
  double tol = 2e-5;            ///< relative to each output's largest magnitude
};

void PrintTo(const BnCase& c, std::ostream* os) { *os << c.name; }

// kiln.BatchNormTraining of x over `channels` groups, every output of the node a graph output.
void bnTraining(GraphBuilder& b, Value* x, int64_t channels, BatchNormTrainingAttrs a) {
  const int64_t c = a.wholeTensor ? 1 : channels;
  std::vector<Value*> in{x, b.weights("scale", {channels}, 21), b.weights("bias", {channels}, 22),
                         b.weights("rmean", {c}, 23), b.constant("rvar", randomTensor({c}, 24, 0.5f, 1.5f))};
  // Scale and bias are per channel even for whole-tensor statistics.
  for (Value* v : b.node(OpKind::BatchNormTraining, "bn", in, a, 3)->outputs) b.output(v);
}

Value* gemm(GraphBuilder& b, Value* x, int64_t k, int64_t n, float biasOffset = 0) {
  Tensor bias = randomTensor({n}, 12, biasOffset - 1, biasOffset + 1);
  return b.op(OpKind::Gemm, "gemm", {x, b.weights("w", {n, k}, 11), b.constant("c", bias)}, GemmAttrs{1, 1, false, true});
}

Value* conv(GraphBuilder& b, Value* x, int64_t cin, int64_t cout, int64_t pad) {
  ConvAttrs a;
  a.strides = {1, 1};
  a.pads = {pad, pad, pad, pad};
  a.dilations = {1, 1};
  return b.op(OpKind::Conv, "conv", {x, b.weights("w", {cout, cin, 3, 3}, 13), b.weights("cb", {cout}, 14)}, a);
}

// Population variances: with one row per channel (N = 1) the unbiased one is 0/0.
BatchNormTrainingAttrs attrs(Activation act = Activation::None, bool whole = false) {
  BatchNormTrainingAttrs a;
  a.activation.kind = act;
  a.wholeTensor = whole;
  return a;
}

// PyTorch's running_var (unbiased), for groups of more than one element at N = 1.
BatchNormTrainingAttrs unbiased(BatchNormTrainingAttrs a) {
  a.unbiasedRunningVar = true;
  return a;
}

std::vector<BnCase> cases() {
  std::vector<BnCase> c;
  // 21 columns: one full and one partial 16-wide panel; 3 rows: a partial row block.
  c.push_back({"gemm", [](GraphBuilder& b) { bnTraining(b, gemm(b, b.input("x", dims({N, 37})), 37, 21), 21, attrs(Activation::Relu)); },
               true});
  // naive_bn_mlp: Gemm -> Relu (fused into the Gemm's epilogue) -> whole-tensor statistics.
  c.push_back({"gemm_relu_whole", [](GraphBuilder& b) {
                 Value* r = b.op(OpKind::Relu, "relu", {gemm(b, b.input("x", dims({N, 30})), 30, 19)});
                 BatchNormTrainingAttrs a = unbiased(attrs(Activation::None, true));
                 a.unbiasedVar = true;
                 bnTraining(b, r, 19, a);
               }, true});
  // MatMul over [N, 5, 10] x [10, 19]: the channel (axis 2) is the micro-kernel's column.
  c.push_back({"matmul_axis2", [](GraphBuilder& b) {
                 Value* y = b.op(OpKind::MatMul, "mm", {b.input("x", dims({N, 5, 10})), b.weights("w", {10, 19}, 15)});
                 BatchNormTrainingAttrs a = attrs(Activation::Sigmoid);
                 a.axis = 2;
                 bnTraining(b, y, 19, a);
               }, true});
  // Conv with 12 output channels (channel-vectorised blocks, padding: interior/border split).
  c.push_back({"conv_channels", [](GraphBuilder& b) { bnTraining(b, conv(b, b.input("x", dims({N, 3, 9, 11})), 3, 12, 1), 12, unbiased(attrs())); },
               true});
  // Conv with 5 output channels and no padding: the row-vector micro-kernel form.
  c.push_back({"conv_rowvector", [](GraphBuilder& b) { bnTraining(b, conv(b, b.input("x", dims({N, 2, 10, 13})), 2, 5, 0), 5, unbiased(attrs(Activation::Relu))); },
               true});
  // ONNX BatchNormalization with training_mode after a Conv.
  c.push_back({"onnx_bn_conv", [](GraphBuilder& b) {
                 BatchNormAttrs a;
                 a.trainingMode = true;
                 Value* y = conv(b, b.input("x", dims({N, 3, 6, 7})), 3, 9, 1);
                 Node* n = b.node(OpKind::BatchNormalization, "bn", {y, b.weights("s", {9}, 1), b.weights("b", {9}, 2),
                                  b.weights("m", {9}, 3), b.constant("v", randomTensor({9}, 4, 0.5f, 2.0f))}, a, 3);
                 for (Value* v : n->outputs) b.output(v);
               }, true});
  // A graph input: the standalone statistics pass.
  c.push_back({"input", [](GraphBuilder& b) { bnTraining(b, b.input("x", dims({N, 6, 5, 7})), 6, attrs(Activation::Tanh)); },
               false});
  c.push_back({"input_2d", [](GraphBuilder& b) { bnTraining(b, b.input("x", dims({N, 23})), 23, attrs()); }, false});
  // The Gemm's output has a reader outside the BatchNorm: it keeps the standalone pass.
  c.push_back({"second_reader", [](GraphBuilder& b) {
                 Value* y = gemm(b, b.input("x", dims({N, 12})), 12, 17);
                 bnTraining(b, y, 17, attrs());
                 b.output(b.op(OpKind::Relu, "relu", {y}));
               }, false});
  // |mean| / std ~ 1e3: sums of x and x*x must not cancel away the variance. The float input
  // (and the Gemm's float output) near 1000 carries absolute rounding ~6e-5 of a unit
  // standard deviation, hence the looser tolerance.
  c.push_back({"input_offset", [](GraphBuilder& b) { bnTraining(b, b.input("x", dims({N, 4, 9})), 4, attrs()); }, false,
               999.0f, 1001.0f, 5e-4});
  c.push_back({"gemm_offset", [](GraphBuilder& b) { bnTraining(b, gemm(b, b.input("x", dims({N, 16})), 16, 21, 1000.0f), 21, attrs()); },
               true, -1.0f, 1.0f, 5e-4});
  c.push_back({"gemm_offset_whole", [](GraphBuilder& b) {
                 bnTraining(b, gemm(b, b.input("x", dims({N, 16})), 16, 21, 1000.0f), 21, attrs(Activation::None, true));
               }, true, -1.0f, 1.0f, 5e-4});
  return c;
}

std::string caseName(const testing::TestParamInfo<BnCase>& info) { return info.param.name; }

class CpuBnTraining : public testing::TestWithParam<BnCase> {};

// Statistics in the micro-kernel's epilogue (default), in the generic loop nest's (no
// micro-kernels) and in the standalone pass (no fusion).
TEST_P(CpuBnTraining, MatchesFloat64ReferenceOnAnyThreadCount) {
  const BnCase& bc = GetParam();
  GraphBuilder b;
  bc.build(b);
  inferShapes(b.g);
  cpu::CpuOptions loopNest, unfused;
  loopNest.microKernels = false;
  unfused.fuse = false;
  for (const auto& [config, options] : {std::pair{"", cpu::CpuOptions{}}, std::pair{" loop nest", loopNest},
                                        std::pair{" unfused", unfused}}) {
    auto model = cpu::compileCpuJit(b.g, options);
    for (int64_t n : {1, 3, 64}) {
      TensorMap in;
      uint32_t seed = 31;
      for (Value* v : b.g.inputs) {
        std::vector<int64_t> d;
        for (const Dim& x : v->shape) d.push_back(x.isKnown() ? x.value : n);
        in[v->name] = randomTensor(d, seed++, bc.lo, bc.hi);
      }
      const TensorMap want = evaluate(b.g, in, Precision::F64);
      const TensorMap one = model->run(in, 1);
      const TensorMap two = model->run(in, 2);
      for (const Value* o : b.g.outputs) {
        const std::string what = bc.name + config + " N=" + std::to_string(n) + " output " + o->name;
        expectClose(one.at(o->name), want.at(o->name), bc.tol, what);
        EXPECT_EQ(maxAbsDiff(one.at(o->name), two.at(o->name)), 0.0) << what << ": 1 and 2 threads differ";
      }
    }
  }
}

// The plan after lowering and fusion: the statistics are summed once, in the producer's
// epilogue where expected, else in one standalone pass.
TEST_P(CpuBnTraining, StatisticsFoldIntoTheProducerWhereTheyCan) {
  const BnCase& bc = GetParam();
  GraphBuilder b;
  bc.build(b);
  inferShapes(b.g);
  const plan::Program p = plan::buildProgram(b.g);
  int standalone = 0, folded = 0, finalize = 0;
  for (const plan::Kernel& k : p.kernels) {
    if (!k.moments) continue;
    if (k.moments->step == plan::MomentSums::Step::Finalize) {
      ++finalize;
    } else if (k.out < 0) {
      ++standalone;
    } else {
      ++folded;
      EXPECT_EQ(k.kind, plan::KernelKind::Gemm) << k.name << " is not the producer";
    }
  }
  EXPECT_EQ(finalize, 1) << bc.name;
  EXPECT_EQ(standalone, bc.folded ? 0 : 1) << bc.name;
  EXPECT_EQ(folded, bc.folded ? 1 : 0) << bc.name;
}

INSTANTIATE_TEST_SUITE_P(All, CpuBnTraining, testing::ValuesIn(cases()), caseName);

}  // namespace
}  // namespace kiln::test
