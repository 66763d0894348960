#pragma once
/// Typed, checked access to a NodeProto's attributes. Every attribute must be asked for (or
/// explicitly ignored) by the op's importer; finish() rejects the rest, so a misspelt or
/// foreign attribute never passes silently.
#include <onnx/onnx_pb.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kiln::fe {

class AttrReader {
 public:
  /// `where` starts every message, e.g. "Conv node 'conv1'". Throws InvalidModel on a
  /// duplicated attribute name, Unsupported on function attribute references.
  AttrReader(const onnx::NodeProto& node, std::string where);

  const std::string& where() const { return where_; }
  /// True if the attribute is present (does not mark it as used).
  bool has(std::string_view name) const;

  /// Scalar and list getters. Each throws Error(InvalidModel) naming the node and attribute
  /// when the attribute exists with another type.
  std::optional<int64_t> optInt(std::string_view name);
  int64_t getInt(std::string_view name, int64_t def) { return optInt(name).value_or(def); }
  /// An INT attribute that must be 0 or 1.
  bool getBool(std::string_view name, bool def);
  std::optional<float> optFloat(std::string_view name);
  float getFloat(std::string_view name, float def) { return optFloat(name).value_or(def); }
  std::optional<std::vector<int64_t>> optInts(std::string_view name);
  std::vector<int64_t> getInts(std::string_view name) {
    return optInts(name).value_or(std::vector<int64_t>{});
  }
  std::optional<std::vector<float>> optFloats(std::string_view name);
  std::optional<std::string> optString(std::string_view name);
  const onnx::TensorProto* optTensor(std::string_view name);
  /// Required variants: InvalidModel naming the attribute when absent.
  int64_t requireInt(std::string_view name);
  std::vector<int64_t> requireInts(std::string_view name);

  /// Marks a known attribute that has no effect in kiln as used.
  void ignore(std::string_view name);
  /// Names of attributes that are present (for Constant's one-of check).
  std::vector<std::string> presentNames() const;
  /// Throws Error(InvalidModel) naming the first attribute nobody asked for.
  void finish() const;

  /// Error(InvalidModel) "<where>: attribute '<name>' <what>".
  [[noreturn]] void fail(std::string_view name, const std::string& what) const;

 private:
  const onnx::AttributeProto* find(std::string_view name,
                                   onnx::AttributeProto::AttributeType expected);
  std::vector<const onnx::AttributeProto*> attrs_;
  std::vector<bool> used_;
  std::string where_;
};

}  // namespace kiln::fe
