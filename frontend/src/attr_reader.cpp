#include "attr_reader.h"

#include "kiln/support/error.h"

namespace kiln::fe {

using onnx::AttributeProto;

namespace {

// Models written by old exporters leave `type` unset; infer it from the populated field.
AttributeProto::AttributeType effectiveType(const AttributeProto& a) {
  if (a.type() != AttributeProto::UNDEFINED) return a.type();
  if (a.ints_size()) return AttributeProto::INTS;
  if (a.floats_size()) return AttributeProto::FLOATS;
  if (a.strings_size()) return AttributeProto::STRINGS;
  if (a.has_t()) return AttributeProto::TENSOR;
  if (a.has_g()) return AttributeProto::GRAPH;
  if (a.has_s()) return AttributeProto::STRING;
  if (a.has_f()) return AttributeProto::FLOAT;
  if (a.has_i()) return AttributeProto::INT;
  return AttributeProto::UNDEFINED;
}

std::string typeName(AttributeProto::AttributeType t) {
  if (t == AttributeProto::UNDEFINED) return "no value";
  return AttributeProto::AttributeType_Name(t);
}

}  // namespace

AttrReader::AttrReader(const onnx::NodeProto& node, std::string where) : where_(std::move(where)) {
  for (const AttributeProto& a : node.attribute()) {
    if (!a.ref_attr_name().empty())
      throw Error(ErrorCode::Unsupported,
                  where_ + ": attribute '" + a.name() + "' refers to a function attribute");
    for (const AttributeProto* seen : attrs_)
      if (seen->name() == a.name()) fail(a.name(), "is given twice");
    attrs_.push_back(&a);
  }
  used_.assign(attrs_.size(), false);
}

void AttrReader::fail(std::string_view name, const std::string& what) const {
  throw Error(ErrorCode::InvalidModel, where_ + ": attribute '" + std::string(name) + "' " + what);
}

bool AttrReader::has(std::string_view name) const {
  for (const AttributeProto* a : attrs_)
    if (a->name() == name) return true;
  return false;
}

const AttributeProto* AttrReader::find(std::string_view name,
                                       AttributeProto::AttributeType expected) {
  for (size_t i = 0; i < attrs_.size(); ++i) {
    if (attrs_[i]->name() != name) continue;
    used_[i] = true;
    AttributeProto::AttributeType actual = effectiveType(*attrs_[i]);
    if (actual != expected)
      fail(name, "has type " + typeName(actual) + ", expected " + typeName(expected));
    return attrs_[i];
  }
  return nullptr;
}

std::optional<int64_t> AttrReader::optInt(std::string_view name) {
  const AttributeProto* a = find(name, AttributeProto::INT);
  return a ? std::optional<int64_t>(a->i()) : std::nullopt;
}

bool AttrReader::getBool(std::string_view name, bool def) {
  std::optional<int64_t> v = optInt(name);
  if (!v) return def;
  if (*v != 0 && *v != 1) fail(name, "must be 0 or 1, got " + std::to_string(*v));
  return *v == 1;
}

std::optional<float> AttrReader::optFloat(std::string_view name) {
  const AttributeProto* a = find(name, AttributeProto::FLOAT);
  return a ? std::optional<float>(a->f()) : std::nullopt;
}

std::optional<std::vector<int64_t>> AttrReader::optInts(std::string_view name) {
  const AttributeProto* a = find(name, AttributeProto::INTS);
  if (!a) return std::nullopt;
  return std::vector<int64_t>(a->ints().begin(), a->ints().end());
}

std::optional<std::vector<float>> AttrReader::optFloats(std::string_view name) {
  const AttributeProto* a = find(name, AttributeProto::FLOATS);
  if (!a) return std::nullopt;
  return std::vector<float>(a->floats().begin(), a->floats().end());
}

std::optional<std::string> AttrReader::optString(std::string_view name) {
  const AttributeProto* a = find(name, AttributeProto::STRING);
  return a ? std::optional<std::string>(a->s()) : std::nullopt;
}

const onnx::TensorProto* AttrReader::optTensor(std::string_view name) {
  const AttributeProto* a = find(name, AttributeProto::TENSOR);
  return a ? &a->t() : nullptr;
}

int64_t AttrReader::requireInt(std::string_view name) {
  std::optional<int64_t> v = optInt(name);
  if (!v) fail(name, "is required");
  return *v;
}

std::vector<int64_t> AttrReader::requireInts(std::string_view name) {
  std::optional<std::vector<int64_t>> v = optInts(name);
  if (!v) fail(name, "is required");
  return *v;
}

void AttrReader::ignore(std::string_view name) {
  for (size_t i = 0; i < attrs_.size(); ++i)
    if (attrs_[i]->name() == name) used_[i] = true;
}

std::vector<std::string> AttrReader::presentNames() const {
  std::vector<std::string> names;
  for (const AttributeProto* a : attrs_) names.push_back(a->name());
  return names;
}

void AttrReader::finish() const {
  for (size_t i = 0; i < attrs_.size(); ++i)
    if (!used_[i]) fail(attrs_[i]->name(), "is not a known attribute of this op");
}

}  // namespace kiln::fe
