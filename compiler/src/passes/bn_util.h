#pragma once
/// Helpers shared by the BatchNorm passes (lowerTrainingBatchNorm, batchNormToScaleShift,
/// foldScaleShiftBackward, foldScaleShiftForward): constant lookup, consumer queries,
/// per-channel broadcasting, dead-node cleanup, weight arithmetic and BN decisions.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kiln/ir/graph.h"
#include "kiln/passes/pass.h"

namespace kiln::bn {

// ---- constants

/// The constant content of `v`: its initializer, or the value of a small subgraph of
/// elementwise/shape-preserving ops (Add, Sqrt, Identity, Cast, Reshape, ...) on constants
/// evaluated in float64 (e.g. the unfolded `sqrt(moving_var + eps)`). Null if not constant.
std::shared_ptr<const Tensor> constantOf(const Value* v);
/// The single element of a constant with exactly one element, else nullopt.
std::optional<double> scalarConstant(const Value* v);
/// All elements of a constant as doubles; nullopt if `v` is not constant.
std::optional<std::vector<double>> constantDoubles(const Value* v);

// ---- consumers and graph edits

/// Number of nodes reading `v` (a node reading it twice counts once).
size_t consumerCount(const Graph& g, const Value* v);
/// The only node reading `v`, or null when `v` has zero or several consumers or is a
/// graph output (a value that must survive as is).
Node* soleConsumer(const Graph& g, const Value* v);
/// True if `n` is (still) one of g's nodes.
bool contains(const Graph& g, const Node* n);
/// Removes `n` (whose outputs have been taken over by another node or are unused), then every
/// producer upstream that no longer feeds anything.
void removeWithDeadProducers(Graph& g, Node* n);
/// Removes the producer of `v` and its upstream producers if they no longer feed anything.
void eraseDeadProducers(Graph& g, Value* v);
/// "Conv 'conv1'", "graph input 'x'", "constant 'w'": how messages name where a value comes
/// from.
std::string describeSource(const Value* v);
/// "Conv 'conv1'" (op and node name).
std::string describeNode(const Node* n);

// ---- broadcasting

/// Sentinel axis for a constant that broadcasts as a scalar (all dims 1).
inline constexpr int64_t kScalarAxis = -1;
/// If a constant of dims `c` broadcast against data of shape `data` (numpy rules) varies along
/// at most one axis of the data and does not enlarge the data's shape, returns that data axis
/// (kScalarAxis when it has no non-1 dim). Nullopt otherwise.
std::optional<int64_t> perChannelAxis(const std::vector<int64_t>& c, const Shape& data);
/// Normalises ONNX axes (possibly negative) against `rank`; nullopt if out of range/repeated.
std::optional<std::vector<int64_t>> normaliseAxes(const std::vector<int64_t>& axes, int64_t rank);

// ---- tensors and weights

/// A new constant value of `dtype` (float) holding `v` with `dims`, named from `hint`.
Value* addDoubleConstant(Graph& g, const std::string& hint, const std::vector<double>& v,
                         std::vector<int64_t> dims, DType dtype);
/// Calls f(flatIndex, multiIndex) for every element of a row-major tensor with `dims`.
void forEachIndex(const std::vector<int64_t>& dims,
                  const std::function<void(int64_t, const std::vector<int64_t>&)>& f);
/// Gemm/MatMul bias rewrite shared by both fold directions:
///   C'[i, n] = beta * C[i, n] * colScale[n] + colAdd[n]
/// where C (may be null = zeros) broadcasts to [M, N] as ONNX Gemm allows ([], [1], [N],
/// [1,N], [M,1], [M,N]). The result is [N] unless C varies along rows ([M,1], [M,N]), then
/// [M,N]. The caller then sets beta = 1.
std::pair<std::vector<double>, std::vector<int64_t>> affineGemmBias(
    const Tensor* c, double beta, const std::vector<double>& colScale,
    const std::vector<double>& colAdd);

/// w's elements (as doubles) with every element multiplied by s[i], i its index along `axis`.
std::vector<double> scaleAlongAxis(const Tensor& w, int64_t axis, const std::vector<double>& s);
/// Inserts a node right after `pos` in the node order (see Graph::insertNodeBefore).
Node* insertNodeAfter(Graph& g, Node* pos, OpKind kind, const std::string& name,
                      std::vector<Value*> inputs, std::vector<Value*> outputs, NodeAttrs attrs);
/// Replaces input `i` of `n` by `v` and erases the old input's producers if now dead.
void replaceInput(Graph& g, Node* n, size_t i, Value* v);

// ---- ScaleShift

/// The parts of a kiln.ScaleShift node: y = x * scale[c] + shift[c], c the index along axis.
struct ScaleShiftParts {
  Value* x = nullptr;
  Value* y = nullptr;
  int64_t axis = 1;
  std::vector<double> scale, shift;  ///< one entry per channel
};
/// Reads a ScaleShift whose scale and shift are constant (a single-entry scale or shift is
/// expanded to the channel count when the axis extent is known). Nullopt with `why` set
/// otherwise.
std::optional<ScaleShiftParts> readScaleShift(const Node& n, std::string& why);

// ---- decisions

/// Key under which a BN's decision is recorded: the node's name, or its first output's name
/// when the node has no name. Rewrites give the replacement node (ScaleShift,
/// BatchNormTraining) this same name, so later passes find the decision again.
std::string decisionKey(const Node& n);
/// The existing decision for `key`, or null.
const BnDecision* findDecision(const PassReport& report, const std::string& key);
/// Records the decision for `key`, keeping the pattern already recorded for it (falls back to
/// `pattern` for a first decision), and logs "node: action (reason)" under `pass`.
void decide(PassContext& ctx, const std::string& pass, const std::string& key,
            const std::string& pattern, const std::string& action, const std::string& reason);

/// Comma-joined list ("a, b, c").
std::string join(const std::vector<std::string>& parts, const std::string& sep = ", ");
/// Shortest round-trip-ish rendering of a double for messages.
std::string fmt(double v);

}  // namespace kiln::bn
