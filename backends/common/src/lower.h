#pragma once
/// Graph -> kernel plan. One lowering function per op in ops.def (declared from the table, so
/// an op without a lowering fails to link); each maps its node onto kernels through LowerCtx.
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>

#include "kiln/ir/graph.h"
#include "kiln/plan/kernel_plan.h"
#include "kiln/plan/plan.h"

namespace kiln::plan {

/// Lowers every node of `g` (shapes inferred, after runPipeline) into a Program: buffers for
/// inputs, constants, outputs and intermediates, kernels in node order. Throws
/// Error(Unsupported) naming the node for what the backend cannot compile.
Program lowerGraph(const Graph& g, const TargetParams& target = {});

/// What a lowering function sees of its node and of the program being built.
class LowerCtx {
 public:
  LowerCtx(Program& prog, const Graph& g, const Node& node, const TargetParams& target,
           std::unordered_map<const Value*, int>& buffers)
      : prog(prog), graph(g), node(node), target(target), buffers_(buffers) {}

  Program& prog;
  const Graph& graph;
  const Node& node;
  const TargetParams& target;

  /// True when optional input i is present.
  bool has(size_t i) const { return node.input(i) != nullptr; }
  /// Buffer of input i (constants become Constant buffers on first use).
  int in(size_t i);
  /// Symbolic shape of input i.
  std::vector<Poly> shape(size_t i);
  size_t rank(size_t i) { return shape(i).size(); }
  DType dtype(size_t i) const { return node.input(i)->dtype; }
  /// The constant tensor of input i, or nullptr.
  const Tensor* constant(size_t i) const;
  /// Integer contents of constant input i (Unsupported when not constant).
  std::vector<int64_t> constInts(size_t i) const;
  /// The contents of 1-D integer input i as extents (a shape vector): a constant, or the
  /// symbolic content of a Shape of a graph input; nullopt when not known at compile time.
  std::optional<std::vector<Poly>> shapeValue(size_t i);
  /// A known extent (Unsupported when symbolic): spatial dims, kernel sizes.
  int64_t staticDim(size_t i, size_t d);
  /// True when input i may be the B operand of a Gemm-kind kernel on this target (constant,
  /// or any value when the target does not need a constant B).
  /// Float32 only: the GEMM emitters are float32 (float64 takes the generic loops).
  bool gemmOperandB(size_t i) const {
    return node.input(0)->dtype == DType::F32 && (!target.gemmNeedsConstantB || constant(i) != nullptr);
  }
  /// True when node output o exists and is used (or is a graph output).
  bool wantsOutput(size_t o) const;

  /// Creates the buffer of node output o (a graph output buffer when it is one).
  int output(size_t o, std::vector<Poly> shape, DType t);
  int output(size_t o, std::vector<Poly> shape) { return output(o, std::move(shape), node.input(0)->dtype); }
  /// Node output o is input buffer `src` seen with another shape (no data movement).
  void alias(size_t o, int src, std::vector<Poly> shape);
  /// An intermediate buffer private to this node's kernels.
  int temp(const std::string& role, std::vector<Poly> shape, DType t = DType::F32);
  /// A view of buffer `src` with another shape (same element count).
  int view(int src, std::vector<Poly> shape);

  /// Typed load: F32 for float buffers, I64 for integer/bool ones.
  Expr ld(int buf, std::vector<Expr> index) const;
  Expr ldIn(size_t i, std::vector<Expr> index) { return ld(in(i), std::move(index)); }
  /// Input i read at the numpy-broadcast position of the output index `vars` (right-aligned).
  Expr ldBroadcast(size_t i, const std::vector<Expr>& vars);
  /// Element 0 of a one-element input (a scalar parameter).
  Expr ldScalar(size_t i);
  /// Per-channel parameter input i at channel `ch` (one-element parameters broadcast).
  Expr ldChannel(size_t i, Expr ch);

  /// Appends a kernel; `role` is added to the node name.
  void kernel(const std::string& role, Kernel k);
  /// Elementwise kernel over `domain` writing `out` with value f(domain vars).
  void elementwise(const std::string& role, int out, const std::vector<Poly>& domain,
                   const std::function<Expr(const std::vector<Expr>&)>& f);

  [[noreturn]] void unsupported(const std::string& why) const;

 private:
  std::unordered_map<const Value*, int>& buffers_;
};

/// Numpy broadcast of two shapes; nullopt when incompatible.
std::optional<std::vector<Poly>> broadcastShape(const std::vector<Poly>& a,
                                                const std::vector<Poly>& b);

/// A fused-epilogue activation applied to x (shared by the activation ops and BN training).
Expr applyActivation(const ActivationAttrs& a, Expr x);

#define KILN_OP(Id, Domain, Name, Attrs, MinIn, MaxIn, MinOut, MaxOut) void lower##Id(LowerCtx& c);
#include "kiln/ir/ops.def"
#undef KILN_OP

}  // namespace kiln::plan
