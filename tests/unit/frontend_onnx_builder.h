#pragma once
/// Builds ONNX ModelProtos by hand for the frontend tests (unit and errors), plus a scoped
/// temporary folder for files.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace kiln::test {

/// A ModelProto under construction. Dims are strings: "3" = known extent, "N" = dim_param,
/// "?" = dynamic dim without a name.
struct OnnxBuilder {
  onnx::ModelProto model;

  explicit OnnxBuilder(int64_t opset = 17, std::string domain = "") {
    model.set_ir_version(8);
    model.set_producer_name("kiln-test");
    auto* op = model.add_opset_import();
    op->set_domain(domain);
    op->set_version(opset);
    model.mutable_graph()->set_name("test");
  }
  onnx::GraphProto& graph() { return *model.mutable_graph(); }

  static void setType(onnx::ValueInfoProto* vi, const std::string& name,
                      const std::vector<std::string>& dims, int32_t elemType, bool withShape) {
    vi->set_name(name);
    auto* tt = vi->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(elemType);
    if (!withShape) return;
    auto* shape = tt->mutable_shape();
    for (const std::string& d : dims) {
      auto* dim = shape->add_dim();
      if (d == "?") continue;
      if (!d.empty() && (std::isdigit(static_cast<unsigned char>(d[0])) || d[0] == '-'))
        dim->set_dim_value(std::stoll(d));
      else
        dim->set_dim_param(d);
    }
  }
  void input(const std::string& name, const std::vector<std::string>& dims,
             int32_t elemType = onnx::TensorProto::FLOAT) {
    setType(graph().add_input(), name, dims, elemType, true);
  }
  void output(const std::string& name, int32_t elemType = onnx::TensorProto::FLOAT) {
    setType(graph().add_output(), name, {}, elemType, false);
  }
  void valueInfo(const std::string& name, const std::vector<std::string>& dims,
                 int32_t elemType = onnx::TensorProto::FLOAT) {
    setType(graph().add_value_info(), name, dims, elemType, true);
  }
  static void fillTensor(onnx::TensorProto* t, const std::string& name,
                         const std::vector<float>& values, const std::vector<int64_t>& dims) {
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    for (int64_t d : dims) t->add_dims(d);
    t->set_raw_data(values.data(), values.size() * sizeof(float));
  }
  /// float32 initializer stored as raw_data.
  onnx::TensorProto& initializer(const std::string& name, const std::vector<float>& values,
                                 const std::vector<int64_t>& dims) {
    onnx::TensorProto* t = graph().add_initializer();
    fillTensor(t, name, values, dims);
    return *t;
  }
  /// int64 initializer stored in int64_data.
  onnx::TensorProto& initializerI64(const std::string& name, const std::vector<int64_t>& values,
                                    const std::vector<int64_t>& dims) {
    onnx::TensorProto* t = graph().add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::INT64);
    for (int64_t d : dims) t->add_dims(d);
    for (int64_t v : values) t->add_int64_data(v);
    return *t;
  }
  onnx::NodeProto& node(const std::string& opType, const std::vector<std::string>& inputs,
                        const std::vector<std::string>& outputs, const std::string& name = "") {
    onnx::NodeProto* n = graph().add_node();
    n->set_op_type(opType);
    n->set_name(name);
    for (const auto& i : inputs) n->add_input(i);
    for (const auto& o : outputs) n->add_output(o);
    return *n;
  }
  std::string bytes() const { return model.SerializeAsString(); }
};

inline onnx::AttributeProto& addAttr(onnx::NodeProto& n, const std::string& name,
                                     onnx::AttributeProto::AttributeType type) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(type);
  return *a;
}
inline void attrInt(onnx::NodeProto& n, const std::string& name, int64_t v) {
  addAttr(n, name, onnx::AttributeProto::INT).set_i(v);
}
inline void attrFloat(onnx::NodeProto& n, const std::string& name, float v) {
  addAttr(n, name, onnx::AttributeProto::FLOAT).set_f(v);
}
inline void attrString(onnx::NodeProto& n, const std::string& name, const std::string& v) {
  addAttr(n, name, onnx::AttributeProto::STRING).set_s(v);
}
inline void attrInts(onnx::NodeProto& n, const std::string& name, const std::vector<int64_t>& v) {
  auto& a = addAttr(n, name, onnx::AttributeProto::INTS);
  for (int64_t x : v) a.add_ints(x);
}
inline void attrFloats(onnx::NodeProto& n, const std::string& name, const std::vector<float>& v) {
  auto& a = addAttr(n, name, onnx::AttributeProto::FLOATS);
  for (float x : v) a.add_floats(x);
}

/// A fresh folder under the system temp dir, removed with everything in it on destruction.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    static std::atomic<int> counter{0};
    path = std::filesystem::temp_directory_path() /
           ("kiln_frontend_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  /// Writes `bytes` to `name` inside the folder and returns the full path.
  std::string write(const std::string& name, const std::string& bytes) const {
    std::filesystem::path p = path / name;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream out(p, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return p.string();
  }
};

}  // namespace kiln::test
