#pragma once
/// The kernel plan: the one loop-nest description every op lowers onto and every code
/// generator consumes. A Program is a list of buffers and a list of kernels run in order.
///
/// A kernel computes, for every point i of its domain (nested loops, outermost first):
///   acc = reduce_{r in reduction domain} body(i, r)     (Sum or Max; skipped if none)
///   out[store(i)] = value(i, acc)
/// Elementwise ops have no reduction; Conv/Gemm/MatMul/pools/ReduceMean reduce; fusion puts
/// following elementwise ops into `value` (the epilogue) and inlines cheap producers into
/// loads. `kind` leaves room for micro-kernels (a Gemm kernel recognised by the emitter).
/// Batch statistics ride on kernels as `moments` (see MomentSums): a kernel may also sum the
/// values it computes per group (and store nothing, out = -1), and a Finalize kernel turns
/// those sums into mean and M2 instead of evaluating a value.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kiln/ir/tensor.h"
#include "kiln/plan/expr.h"

namespace kiln::plan {

/// Where a buffer's memory comes from.
enum class BufferKind : uint8_t {
  Input,     ///< graph input `index` (read-only)
  Output,    ///< graph output `index`
  Constant,  ///< weights: emitted as a global constant
  Temp,      ///< intermediate: lives in the workspace at `offset`
  Alias,     ///< same memory as buffer `aliasOf`, other shape (Reshape, Flatten, ...)
};

struct Buffer {
  std::string name;
  DType dtype = DType::F32;
  std::vector<Poly> shape;
  BufferKind kind = BufferKind::Temp;
  int index = -1;    ///< Input/Output position
  int aliasOf = -1;  ///< Alias: the buffer whose memory this is
  std::shared_ptr<const Tensor> data;  ///< Constant
  Expr offset;       ///< Temp: byte offset in the workspace (set by the memory plan)
};

enum class ReduceKind : uint8_t { Sum, Max };

struct Reduction {
  ReduceKind kind = ReduceKind::Sum;
  std::vector<Poly> extents;  ///< variables domain.size() ... domain.size()+extents.size()-1
  Expr body;                  ///< F32, over domain and reduction variables
};

/// Generic: the loop nest below. Gemm: the reduction body is A * (constant B); the emitter may use
/// its register-blocked micro-kernel (codegen/gemm_emitter.h), else the generic loop nest.
enum class KernelKind : uint8_t { Generic, Gemm };

/// A check on data-dependent integers (Gather indices), run serially before its kernel: every
/// element of integer buffer `buf` must lie in [lo, hi], else `run` stops with
/// KILN_STATUS_INVALID_INPUT and `message` (ONNX makes out-of-range indices an error; clamping
/// or reading past the tensor would return wrong numbers silently).
/// With `nonZero`, an element equal to 0 fails the check too (an integer divisor).
struct RangeCheck {
  int buf = -1;
  Poly lo, hi;
  std::string message;
  bool nonZero = false;
};

/// Per-group moment sums (training-mode BatchNorm statistics) in two steps, through an F64
/// buffer `buf` of shape [Program::maxPartials, 2, groups] holding, for partial q and group g, the sum
/// of the values (buf[q][0][g]) and the sum of their squares (buf[q][1][g]).
///  - Accumulate: the kernel runs as `partials` parallel iterations, each a contiguous,
///    balanced chunk of its natural iterations (generic: rows of the outer dims; Gemm: the
///    micro-kernel's row blocks). Chunk q clears buf[q], then adds every value it computes
///    (the value stored, epilogue included), in double, to group(i)'s slot. Each slot has one
///    writer: no race, no atomics, and the sums do not depend on the thread count. A kernel
///    with out = -1 stores nothing and only accumulates (the standalone statistics pass).
///  - Finalize: the kernel (domain [groups], no value) adds the partials 0 .. partials-1 in
///    order and writes out (F32 [2, groups]): out[0][g] = mean = S1 / count and
///    out[1][g] = M2 = max(S2 - S1 * mean, 0), the sum of squared deviations from the mean.
struct MomentSums {
  enum class Step : uint8_t { Accumulate, Finalize };
  Step step = Step::Accumulate;
  int buf = -1;
  Expr group;     ///< Accumulate: I64 over the domain variables
  Expr partials;  ///< I64 over the symbols, 1 ... Program::maxPartials
  Poly count;     ///< Finalize: elements per group
};

struct Kernel {
  std::string name;           ///< node name + role, for IR names and messages
  KernelKind kind = KernelKind::Generic;
  std::vector<Poly> domain;   ///< variables 0 ... domain.size()-1
  std::optional<Reduction> reduce;
  Expr value;                 ///< over domain variables and Acc (null for a Finalize kernel)
  int out = -1;               ///< buffer written; -1: none (an Accumulate-only kernel)
  std::vector<Expr> store;    ///< index into `out`; empty = the domain variables
  /// Optional Bool over domain variables, a conjunction of conditions linear in each variable:
  /// where it holds, the guard of a `select(guard, x, 0)` reduction body holds for every
  /// reduction point (a Conv output position away from the padding), so emitters may drop it.
  Expr interior;
  /// Run before the kernel; fusion keeps `buf` materialised and carries checks along.
  std::vector<RangeCheck> checks;
  std::optional<MomentSums> moments;  ///< batch statistics this kernel accumulates or finalises
};

/// One graph input/output as seen by the artifact signature.
struct Signature {
  std::string name;
  DType dtype;
  std::vector<Poly> dims;
};

struct Program {
  std::string name;
  std::vector<std::string> symbols;  ///< bound symbols (from input dims), ids for Poly
  std::vector<Buffer> buffers;
  std::vector<Kernel> kernels;
  std::vector<Signature> inputs, outputs;
  std::vector<int> inputBuffers, outputBuffers;  ///< buffer id per signature entry
  Expr workspaceBytes;  ///< set by the memory plan (I64 over symbols)
  int64_t maxPartials = 64;  ///< first dim of every MomentSums buffer (TargetParams)

  int addBuffer(Buffer b) {
    buffers.push_back(std::move(b));
    return static_cast<int>(buffers.size()) - 1;
  }
  /// Follows Alias links to the buffer owning the memory.
  int root(int b) const {
    while (buffers[b].kind == BufferKind::Alias) b = buffers[b].aliasOf;
    return b;
  }
};

/// Calls `f` on every Load node of kernel `k`, wherever it sits: the value, the reduction body,
/// the store indices, the interior condition and the moment expressions. The one walk that
/// fusion, the memory plan and the code generators use to see what a kernel reads.
void forEachLoad(const Kernel& k, const std::function<void(const Expr& load)>& f);

/// The buffers whose memory kernel `k` touches, as roots (Program::root), sorted and unique:
/// its output, its moment buffer, every buffer it loads and every buffer its range checks read.
std::vector<int> rootBuffersOf(const Program& p, const Kernel& k);

/// Row-major strides of a shape.
std::vector<Poly> stridesOf(const std::vector<Poly>& shape);

}  // namespace kiln::plan
