// CPU-backend specifics beyond the op suite (ops_test.cpp): input checking through the
// runtime, run-time range checks, compile-time errors.
#include <gtest/gtest.h>

#include <cstdint>

#include "cpu_test_util.h"
#include "graph_builder.h"
#include "kiln/backends/backend.h"
#include "kiln/backends/cpu/cpu_backend.h"
#include "kiln/eval/evaluator.h"
#include "kiln/ir/shape_inference.h"
#include "kiln/support/error.h"

namespace kiln::test {
namespace {

const Dim N = Dim::symbolic("N");

// The JIT runs through the runtime library: wrong inputs come back as Error(InvalidInput) with
// the runtime's message naming the input.
TEST(CpuBackend, JitWrongInputsAreInvalidInputNamingTheInput) {
  GraphBuilder b;
  Value* x = b.input("x", dims({N, 3}));
  b.output(b.op(OpKind::Relu, "relu", {x}, defaultAttrs(OpKind::Relu)));
  inferShapes(b.g);
  auto model = cpu::compileCpuJit(b.g, cpu::CpuOptions{});
  auto failure = [&](const TensorMap& in) -> std::string {
    try {
      model->run(in, 2);
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::InvalidInput) << e.what();
      return e.what();
    }
    ADD_FAILURE() << "no exception";
    return "";
  };
  EXPECT_EQ(failure({{"x", Tensor(DType::F32, {2, 4})}}),
            "input 'x': expected float32 [N,3] (N=any), got float32 [2,4]");
  EXPECT_EQ(failure({{"x", Tensor(DType::F64, {2, 3})}}),
            "input 'x': expected float32 [N,3] (N=any), got float64 [2,3]");
  EXPECT_EQ(failure({}), "missing input 'x'");
  EXPECT_EQ(failure({{"x", Tensor(DType::F32, {2, 3})}, {"y", Tensor(DType::F32, {1})}}), "unknown input 'y'");
  TensorMap ok = model->run({{"x", Tensor::fromFloats({-1, 2, -3, 4, -5, 6}, {2, 3})}}, 2);
  EXPECT_EQ(ok.at(b.g.outputs[0]->name).toDoubles(), (std::vector<double>{0, 2, 0, 4, 0, 6}));
}

// Gather indices that arrive at run time (an input, or computed from one) are checked before
// the kernel: out of [-n, n-1] is an InvalidInput error naming the node and the input, never a
// clamped or out-of-bounds read. In-range ones (negative included) match the fp64 evaluator.
TEST(CpuBackend, GatherRunTimeIndicesAreRangeChecked) {
  for (DType it : {DType::I64, DType::I32}) {
    for (bool computed : {false, true}) {
      GraphBuilder b;
      Value* x = b.input("x", dims({5, 3}));
      Value* i = b.input("i", dims({sym("K")}), it);
      if (computed) i = b.op(OpKind::Neg, "neg", {i});
      b.output(b.op(OpKind::Relu, "relu", {b.op(OpKind::Gather, "g", {x, i}, AxisAttrs{0})}, defaultAttrs(OpKind::Relu)));
      inferShapes(b.g);
      auto model = cpu::compileCpuJit(b.g, cpu::CpuOptions{});
      const Tensor xv = randomTensor({5, 3}, 5);
      const std::string what = std::string(dtypeName(it)) + (computed ? " computed" : " input");
      auto indices = [&](std::vector<int64_t> v) {
        if (computed) for (int64_t& e : v) e = -e;
        return Tensor::fromInts(v, {static_cast<int64_t>(v.size())}, it);
      };
      const TensorMap good{{"x", xv}, {"i", indices({4, -5, 0, -1, 2})}};
      expectClose(model->run(good, 2).at(b.g.outputs[0]->name),
                  evaluate(b.g, good, Precision::F64).at(b.g.outputs[0]->name), 1e-6, what);
      for (int64_t bad : {5, -6, 1000000}) {
        try {
          model->run({{"x", xv}, {"i", indices({0, bad, 1})}}, 1);
          ADD_FAILURE() << what << ": index " << bad << " accepted";
        } catch (const Error& e) {
          EXPECT_EQ(e.code(), ErrorCode::InvalidInput) << e.what();
          const std::string m = e.what();
          EXPECT_NE(m.find("'g'"), std::string::npos) << m;
          EXPECT_NE(m.find(computed ? "input 'neg" : "input 'i'"), std::string::npos) << m;
          EXPECT_NE(m.find("out of range [-n, n-1] for n = 5"), std::string::npos) << m;
        }
      }
    }
  }
}

// Issue 9: LowerCtx::staticDim bound a reference to an element of a temporary shape (a
// use-after-free on every Conv/Pool compile, a crash with symbolic H/W). Symbolic spatial dims
// are a clean Unsupported error naming the dim and the input; under ASan this also covers the
// read itself.
TEST(CpuBackend, SymbolicSpatialDimsAreAClearError) {
  for (OpKind k : {OpKind::Conv, OpKind::MaxPool}) {
    GraphBuilder b;
    Value* x = b.input("x", dims({N, 2, sym("H"), sym("W")}));
    std::vector<Value*> in{x};
    NodeAttrs a = defaultAttrs(k);
    if (k == OpKind::Conv) {
      in.push_back(b.weights("w", {3, 2, 3, 3}, 7));
      ConvAttrs ca;
      ca.strides = {1, 1};
      ca.pads = {0, 0, 0, 0};
      ca.dilations = {1, 1};
      a = ca;
    } else {
      PoolAttrs p = std::get<PoolAttrs>(a);
      p.kernelShape = {2, 2};
      p.strides = {2, 2};
      p.pads = {0, 0, 0, 0};
      p.dilations = {1, 1};
      a = p;
    }
    b.output(b.op(k, "op", in, a));
    inferShapes(b.g);
    try {
      cpu::compileCpuJit(b.g, cpu::CpuOptions{});
      ADD_FAILURE() << opName(k) << ": symbolic H/W compiled";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::Unsupported) << e.what();
      const std::string m = e.what();
      EXPECT_NE(m.find("must be known at compile time, got H"), std::string::npos) << m;
      EXPECT_NE(m.find("input 'x'"), std::string::npos) << m;
    }
  }
}

TEST(CpuBackend, SupportsEveryOp) {
  for (int k = 0; k < kNumOps; ++k) EXPECT_TRUE(cpu::cpuSupports(static_cast<OpKind>(k)));
}

// Integer Pow (issue 9: it produced invalid LLVM IR): an exact power by squaring that wraps
// like the evaluator's, negative exponents through double; an integer base with a float
// exponent is the float power truncated. Compared element for element with the evaluator.
TEST(CpuBackend, IntegerPowMatchesTheEvaluator) {
  for (DType et : {DType::I64, DType::F32}) {
    GraphBuilder b;
    Value* x = b.input("x", dims({8}), DType::I64);
    Value* e = b.input("e", dims({8}), et);
    b.output(b.op(OpKind::Pow, "pow", {x, e}));
    inferShapes(b.g);
    auto model = cpu::compileCpuJit(b.g, cpu::CpuOptions{});
    const TensorMap in{{"x", Tensor::fromInts({3, -2, 7, 1, -1, 2, 5, 3}, {8}, DType::I64)},
                       {"e", et == DType::I64 ? Tensor::fromInts({0, 5, 13, -3, -3, 62, 30, -1}, {8}, DType::I64)
                                              : Tensor::fromFloats({0, 3, 2.5f, -3, 1.5f, 10, 0.5f, 4}, {8})}};
    const Tensor got = model->run(in, 1).at(b.g.outputs[0]->name);
    const Tensor want = evaluate(b.g, in, Precision::F64).at(b.g.outputs[0]->name);
    ASSERT_EQ(got.dtype, DType::I64);
    EXPECT_EQ(got.toInts(), want.toInts()) << dtypeName(et) << " exponent";
  }
}

// Integer Div (issue 9: INT64_MIN / -1 and a zero divisor raised SIGFPE): quotients truncate
// toward zero and INT64_MIN / -1 wraps, element for element as in the evaluator, for int64
// and int32 and for a divisor that is computed; a zero divisor fails the run with InvalidInput
// naming the node and the input, as the evaluator's does.
TEST(CpuBackend, IntegerDivMatchesTheEvaluatorAndRefusesZero) {
  for (DType t : {DType::I64, DType::I32}) {
    for (bool computed : {false, true}) {
      GraphBuilder b;
      Value* x = b.input("x", dims({sym("K")}), t);
      Value* d = b.input("d", dims({sym("K")}), t);
      if (computed) d = b.op(OpKind::Neg, "neg", {d});
      b.output(b.op(OpKind::Div, "div", {x, d}));
      inferShapes(b.g);
      auto model = cpu::compileCpuJit(b.g, cpu::CpuOptions{});
      const int64_t lo = t == DType::I64 ? INT64_MIN : INT32_MIN;
      const int64_t sign = computed ? -1 : 1;
      const std::string what = std::string(dtypeName(t)) + (computed ? " computed" : " input");
      const TensorMap in{{"x", Tensor::fromInts({7, -7, 7, -7, lo, lo, 0, 5}, {8}, t)},
                         {"d", Tensor::fromInts({2 * sign, 2 * sign, -2 * sign, -2 * sign, -1 * sign, 1 * sign,
                                                 3 * sign, 7 * sign}, {8}, t)}};
      const Tensor got = model->run(in, 1).at(b.g.outputs[0]->name);
      const Tensor want = evaluate(b.g, in, Precision::F64).at(b.g.outputs[0]->name);
      EXPECT_EQ(got.toInts(), want.toInts()) << what;
      EXPECT_EQ(got.toInts()[4], lo) << what << ": INT_MIN / -1 wraps";
      try {
        model->run({{"x", Tensor::fromInts({1, 2, 3}, {3}, t)}, {"d", Tensor::fromInts({1, 0, 1}, {3}, t)}}, 1);
        ADD_FAILURE() << what << ": a zero divisor was accepted";
      } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::InvalidInput) << e.what();
        const std::string m = e.what();
        EXPECT_NE(m.find("'div'"), std::string::npos) << m;
        EXPECT_NE(m.find("integer division by zero"), std::string::npos) << m;
        EXPECT_NE(m.find(computed ? "input 'neg" : "input 'd'"), std::string::npos) << m;
      }
    }
  }
}

// Issue 9: a model that compiled could give an artifact the runtime refuses ("malformed
// descriptor"); what the descriptor cannot carry is a compile error naming the tensor.
TEST(CpuBackend, SignaturesTheRuntimeWouldRefuseAreCompileErrors) {
  {
    GraphBuilder b;
    Value* x = b.input("x", dims({1, 1, 1, 1, 1, 1, 1, 1, 2}));
    b.output(b.op(OpKind::Relu, "relu", {x}, defaultAttrs(OpKind::Relu)));
    inferShapes(b.g);
    const std::string m = errorMessage([&] { cpu::compileCpuJit(b.g, cpu::CpuOptions{}); }, ErrorCode::Unsupported);
    EXPECT_NE(m.find("input 'x' has rank 9"), std::string::npos) << m;
    EXPECT_NE(m.find("KILN_MAX_RANK"), std::string::npos) << m;
  }
  {
    GraphBuilder b;
    Value* x = b.input("x", dims({2}));
    Value* y = b.op(OpKind::Relu, "relu", {x}, defaultAttrs(OpKind::Relu));
    b.output(y);
    b.output(y);
    inferShapes(b.g);
    const std::string m = errorMessage([&] { cpu::compileCpuJit(b.g, cpu::CpuOptions{}); }, ErrorCode::InvalidModel);
    EXPECT_NE(m.find("output '" + y->name + "' is listed twice"), std::string::npos) << m;
  }
}

// Issue 9: the workspace size wrapped for large symbol values and the kernels wrote past it.
// An empty input [N, 0] costs no memory whatever N is, yet the [N, 1] temporary and output
// behind it need 4N bytes: for N = 2^62 `plan` must fail the run, not wrap; a moderate N runs.
TEST(CpuBackend, SizesThatOverflowFailTheRunInsteadOfWrapping) {
  GraphBuilder b;
  Value* x = b.input("x", dims({N, sym("K")}));
  Value* m = b.op(OpKind::ReduceMean, "rm", {x, b.ints("axes", {1})}, ReduceAttrs{});
  b.output(b.op(OpKind::Relu, "relu", {b.op(OpKind::Neg, "neg", {m})}, defaultAttrs(OpKind::Relu)));
  inferShapes(b.g);
  auto model = cpu::compileCpuJit(b.g, cpu::CpuOptions{});
  const std::string out = b.g.outputs[0]->name;
  EXPECT_EQ(model->run({{"x", Tensor(DType::F32, {3, 0})}}, 1).at(out).dims, (std::vector<int64_t>{3, 1}));
  const std::string msg = errorMessage([&] { model->run({{"x", Tensor(DType::F32, {int64_t{1} << 62, 0})}}, 1); },
                                       ErrorCode::InvalidInput);
  EXPECT_NE(msg.find("overflow"), std::string::npos) << msg;
}

// The registry lists the CPU backend first (the default target), then the reference
// evaluator in fp32 and fp64; the CPU backend compiles through the interface and writes its
// formats.
TEST(BackendRegistry, ListsCpuThenTheReferenceEvaluator) {
  std::vector<std::string> names;
  for (const backend::Backend* b : backend::registeredBackends()) names.emplace_back(b->name());
  // The CUDA backend sits between them in builds that have it (KILN_WITH_CUDA).
  std::vector<std::string> expected{"cpu", "ref", "ref64"};
  if (backend::findBackend("cuda")) expected.insert(expected.begin() + 1, "cuda");
  EXPECT_EQ(names, expected);
  EXPECT_EQ(backend::findBackend("nope"), nullptr);
  const backend::Backend* cpu = backend::findBackend("cpu");
  ASSERT_NE(cpu, nullptr);
  EXPECT_TRUE(cpu->usesThreads());
  EXPECT_FALSE(cpu->isReference());
  EXPECT_TRUE(backend::findBackend("ref64")->isReference());
  std::vector<std::string> formats;
  for (const backend::EmitFormat& f : cpu->emitFormats()) formats.push_back(f.name);
  EXPECT_EQ(formats, (std::vector<std::string>{"so", "obj", "llvm", "asm"}));
  EXPECT_TRUE(backend::findBackend("ref")->emitFormats().empty());

  GraphBuilder b;
  Value* x = b.input("x", dims({N, 3}));
  b.output(b.op(OpKind::Relu, "relu", {x}, defaultAttrs(OpKind::Relu)));
  inferShapes(b.g);
  for (const backend::Backend* be : backend::registeredBackends()) {
    auto exe = be->compile(b.g, backend::CompileOptions{});
    if (!be->unavailableReason().empty()) continue;  // compiles, cannot run here (no GPU)
    const TensorMap out = exe->run({{"x", Tensor::fromFloats({-1, 2, -3, 4, -5, 6}, {2, 3})}}, 1);
    EXPECT_EQ(out.at(b.g.outputs[0]->name).toDoubles(), (std::vector<double>{0, 2, 0, 4, 0, 6})) << be->name();
  }
  try {
    backend::findBackend("ref")->emit(b.g, {}, "so", "/nonexistent/x.so");
    ADD_FAILURE() << "ref wrote a .so";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Unsupported);
    EXPECT_NE(std::string(e.what()).find("backend 'ref' writes no 'so' files"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace kiln::test
