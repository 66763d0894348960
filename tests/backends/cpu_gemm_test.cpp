// Edge cases of the register-blocked GEMM micro-kernel (codegen/gemm_emitter.cpp): row, column
// and K extents that are not multiples of the block (and K = 1), transposed operands, alpha /
// beta / broadcast C, fused epilogues, MatMul with batch dims, Conv as implicit GEMM with
// padding, strides and dilation, and grouped Conv (which must fall back to the loop nest).
// Each case runs with the micro-kernel on and off, on 1 and 3 threads, against the float64
// reference evaluator.
#include <gtest/gtest.h>

#include <functional>

#include "cpu_test_util.h"
#include "graph_builder.h"
#include "kiln/backends/cpu/cpu_backend.h"
#include "kiln/eval/evaluator.h"
#include "kiln/ir/shape_inference.h"

namespace kiln::test {
namespace {

const Dim N = Dim::symbolic("N");

struct GemmCase {
  std::string name;
  std::function<void(GraphBuilder&)> build;
  bool packed = true;  ///< the micro-kernel is expected to be used
  bool dot = false;    ///< ... in its dot-product form (few columns, long unit-stride K)
};

void PrintTo(const GemmCase& c, std::ostream* os) { *os << c.name; }

GemmCase gemm(int64_t k, int64_t n, bool ta, bool tb, float alpha = 1, float beta = 1, bool bias = true,
              bool relu = false) {
  std::string name = "gemm_k" + std::to_string(k) + "_n" + std::to_string(n) + (ta ? "_ta" : "") + (tb ? "_tb" : "") +
                     (bias ? "_bias" : "") + (relu ? "_relu" : "") + (alpha != 1 ? "_alpha" : "") + (beta != 1 ? "_beta" : "");
  return {name, [=](GraphBuilder& b) {
            Value* x = b.input("x", ta ? dims({k, N}) : dims({N, k}));
            std::vector<Value*> in{x, b.weights("w", tb ? std::vector<int64_t>{n, k} : std::vector<int64_t>{k, n}, 3)};
            if (bias) in.push_back(b.weights("c", {n}, 4));
            Value* y = b.op(OpKind::Gemm, "gemm", in, GemmAttrs{alpha, beta, ta, tb});
            b.output(relu ? b.op(OpKind::Relu, "relu", {y}) : y);
          }};
}

ConvAttrs convAttrs(std::vector<int64_t> s, std::vector<int64_t> p, std::vector<int64_t> d, int64_t group = 1) {
  ConvAttrs a;
  a.strides = std::move(s);
  a.pads = std::move(p);
  a.dilations = std::move(d);
  a.group = group;
  return a;
}

GemmCase conv(const std::string& name, std::vector<int64_t> xs, std::vector<int64_t> ws, ConvAttrs a,
              bool packed = true) {
  return {name, [=](GraphBuilder& b) {
            Shape s{N};
            for (int64_t d : xs) s.push_back(Dim::known(d));
            Value* y = b.op(OpKind::Conv, "conv", {b.input("x", s), b.weights("w", ws, 7), b.weights("b", {ws[0]}, 8)}, a);
            Value* ss = b.op(OpKind::ScaleShift, "ss", {y, b.weights("s", {ws[0]}, 3), b.weights("t", {ws[0]}, 4)}, ScaleShiftAttrs{});
            b.output(b.op(OpKind::Relu, "relu", {ss}));
          }, packed};
}

std::vector<GemmCase> cases() {
  std::vector<GemmCase> c;
  // K = 17 reaches the dot-product form's two vectors along K with 8 lanes (AVX2) but not
  // with 16 (AVX-512, what --mcpu native picks where the host has it).
  const int64_t lanes = __builtin_cpu_supports("avx512f") ? 16 : 8;
  for (int64_t k : {1, 3, 17})
    for (int64_t n : {1, 7, 8, 9, 16, 17, 33}) {
      GemmCase g = gemm(k, n, false, true);
      g.dot = n <= 12 && n % lanes != 0 && k >= 2 * lanes;
      c.push_back(g);
    }
  c.push_back(gemm(5, 20, false, false));
  c.push_back(gemm(6, 19, true, false, 0.5f, 2.0f));
  c.push_back(gemm(6, 12, true, true, 1, 1, false, true));
  c.push_back(gemm(784, 48, false, true, 1, 1, true, true));
  // Dot-product form: n <= 12 columns, K >= 2 vectors along A's rows (full vectors and a
  // masked tail), either layout of B; transposed A keeps the column-vector form.
  for (auto [k, n] : {std::pair<int64_t, int64_t>{32, 10}, {37, 10}, {84, 10}, {1014, 10}, {40, 1}, {50, 12}, {33, 5}}) {
    GemmCase g = gemm(k, n, false, n % 2 == 0, 1, 1, true, n == 10);
    g.dot = true;
    c.push_back(g);
  }
  c.push_back(gemm(40, 10, true, true));
  c.push_back({"matmul_batched_dot", [](GraphBuilder& b) {
                 b.output(b.op(OpKind::MatMul, "mm", {b.input("x", dims({N, 3, 40})), b.weights("w", {40, 6}, 5)}));
               }, true, true});
  c.push_back({"matmul_batched", [](GraphBuilder& b) {
                 b.output(b.op(OpKind::MatMul, "mm", {b.input("x", dims({N, 3, 7})), b.weights("w", {7, 11}, 5)}));
               }});
  c.push_back(conv("conv_valid", {3, 9, 10}, {6, 3, 3, 3}, convAttrs({1, 1}, {0, 0, 0, 0}, {1, 1})));
  c.push_back(conv("conv_pad_stride", {2, 9, 8}, {17, 2, 3, 3}, convAttrs({2, 2}, {1, 1, 1, 1}, {1, 1})));
  c.push_back(conv("conv_asym_pad_dil", {2, 9, 8}, {9, 2, 3, 2}, convAttrs({1, 2}, {2, 0, 1, 1}, {2, 1})));
  // Wide rows: blocks in the middle are interior (no padding guard), the ends are border.
  c.push_back(conv("conv_pad_interior", {3, 6, 40}, {20, 3, 3, 3}, convAttrs({1, 1}, {1, 1, 1, 1}, {1, 1})));
  c.push_back(conv("conv_pad_interior_dil_stride", {2, 7, 50}, {5, 2, 3, 3}, convAttrs({1, 2}, {2, 1, 2, 2}, {2, 2})));
  // Few output channels, no padding: the row-vector form (masked loads past the row end).
  c.push_back(conv("conv_rowvec_wide", {2, 5, 37}, {7, 2, 3, 3}, convAttrs({1, 1}, {0, 0, 0, 0}, {1, 1})));
  c.push_back(conv("conv_rowvec_dil", {1, 6, 70}, {3, 1, 2, 4}, convAttrs({1, 1}, {0, 0, 0, 0}, {1, 3})));
  c.push_back(conv("conv_1x1_k1", {1, 5, 13}, {5, 1, 1, 1}, convAttrs({1, 1}, {0, 0, 0, 0}, {1, 1})));
  c.push_back(conv("conv1d", {3, 30}, {4, 3, 5}, convAttrs({1}, {2, 2}, {1})));
  c.push_back(conv("conv_groups", {4, 6, 6}, {6, 2, 3, 3}, convAttrs({1, 1}, {1, 1, 1, 1}, {1, 1}, 2), false));
  return c;
}

std::string caseName(const testing::TestParamInfo<GemmCase>& info) { return info.param.name; }

class CpuGemm : public testing::TestWithParam<GemmCase> {};

TEST_P(CpuGemm, MatchesFloat64Reference) {
  const GemmCase& gc = GetParam();
  GraphBuilder b;
  gc.build(b);
  inferShapes(b.g);
  for (auto [micro, opt] : {std::pair{true, 3}, std::pair{true, 0}, std::pair{false, 3}}) {
    cpu::CpuOptions options;
    options.microKernels = micro;
    options.optLevel = opt;
    options.parallelGrainWork = 1;  // split every kernel so the 3-thread runs use the pool
    options.keepIR = true;
    auto model = cpu::compileCpuJit(b.g, options);
    // At O3 small packed panels are folded into the code, so look for them in the O0 module.
    if (micro && opt == 0) {
      EXPECT_EQ(model->llvmIR().find("w.packed.") != std::string::npos, gc.packed) << gc.name;
      EXPECT_EQ(model->llvmIR().find("gemm.kd") != std::string::npos, gc.dot) << gc.name;
    }
    for (int64_t n : {1, 4, 7, 13, 64}) {
      TensorMap in;
      uint32_t seed = 21;
      for (Value* v : b.g.inputs) {
        std::vector<int64_t> d;
        for (const Dim& x : v->shape) d.push_back(x.isKnown() ? x.value : n);
        in[v->name] = randomTensor(d, seed++);
      }
      const TensorMap want = evaluate(b.g, in, Precision::F64);
      for (int threads : {1, 3}) {
        const TensorMap got = model->run(in, threads);
        for (const Value* o : b.g.outputs)
          expectClose(got.at(o->name), want.at(o->name), 2e-5,
                      gc.name + (micro ? " micro O" : " generic O") + std::to_string(opt) + " N=" + std::to_string(n) + " threads=" +
                          std::to_string(threads));
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(All, CpuGemm, testing::ValuesIn(cases()), caseName);

}  // namespace
}  // namespace kiln::test
