#pragma once
/// Helper that appends nodes, initializers and attributes to a GraphProto while exporting,
/// handing out value names that collide with nothing in the kiln graph.
#include <onnx/onnx_pb.h>

#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "kiln/ir/graph.h"

namespace kiln::fe {

class OnnxWriter {
 public:
  OnnxWriter(const Graph& g, onnx::GraphProto& gp) : g_(g), gp_(gp) {}

  /// Name of `v` in the exported graph; "" for an absent optional value.
  static std::string name(const Value* v) { return v ? v->name : std::string(); }
  /// A value name used neither by the graph nor by earlier fresh() calls.
  std::string fresh(const std::string& hint);

  /// Appends a node (its name made unique among exported nodes); trailing empty input and
  /// output names are dropped.
  onnx::NodeProto& addNode(std::string_view opType, const std::string& nodeName,
                           std::vector<std::string> inputs, std::vector<std::string> outputs);
  /// Adds `t` as an initializer under a fresh name derived from `hint`; returns the name.
  std::string addInitializer(const std::string& hint, const Tensor& t);
  /// 1-D int64 initializer.
  std::string addInt64s(const std::string& hint, const std::vector<int64_t>& values);
  /// Scalar initializer of element type `t`.
  std::string addScalar(const std::string& hint, double value, DType t);
  /// Writes constant value `v` as an initializer under its own name (once); ignores null and
  /// non-constant values.
  void writeConstant(const Value* v);

  /// Output names of a training-mode BatchNormalization: ONNX requires all three, so absent
  /// running-statistic outputs get fresh names derived from `nodeName`.
  std::vector<std::string> batchNormTrainingOutputs(const std::string& y, const Value* mean,
                                                    const Value* var, const std::string& nodeName);

  /// `v` (1-D, [C]) reshaped to [C,1,...,1] with `trailingOnes` ones so it broadcasts along
  /// a channel axis; a constant is reshaped in place, anything else through a Reshape node.
  std::string broadcastChannel(const Value* v, int64_t trailingOnes, const std::string& nodeName);

 private:
  const Graph& g_;
  onnx::GraphProto& gp_;
  std::unordered_set<std::string> taken_;
  std::unordered_set<std::string> nodeNames_;
  std::unordered_set<const Value*> written_;
};

/// Attribute setters.
void setAttr(onnx::NodeProto& n, const std::string& name, int64_t v);
void setAttr(onnx::NodeProto& n, const std::string& name, float v);
void setAttr(onnx::NodeProto& n, const std::string& name, const std::vector<int64_t>& v);
void setAttr(onnx::NodeProto& n, const std::string& name, const std::string& v);

}  // namespace kiln::fe
