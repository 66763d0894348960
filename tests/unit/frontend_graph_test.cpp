// Import of graph structure: constants (initializers, Constant nodes, typed tensor fields,
// external data), graph inputs, symbolic dims, node names and order, optional values.
#include <gtest/gtest.h>

#include <cstring>

#include "frontend_onnx_builder.h"
#include "kiln/frontend/onnx_import.h"
#include "kiln/support/error.h"

namespace kiln {
namespace {

using test::attrFloat;
using test::attrInts;
using test::OnnxBuilder;
using test::TempDir;

std::unique_ptr<Graph> load(const OnnxBuilder& b, bool infer = false) {
  return importOnnxBytes(b.bytes(), "", "model.onnx", ImportOptions{.inferShapes = infer});
}

int countNodes(const Graph& g) { return static_cast<int>(g.nodes().size()); }

TEST(FrontendGraph, ConstantNodesBecomeConstantValues) {
  OnnxBuilder b(13);
  b.input("x", {"2", "3"});
  auto& c1 = b.node("Constant", {}, {"k"}, "c1");
  onnx::TensorProto* t = test::addAttr(c1, "value", onnx::AttributeProto::TENSOR).mutable_t();
  OnnxBuilder::fillTensor(t, "kt", {1, 2, 3}, {3});
  attrFloat(b.node("Constant", {}, {"f"}, "c2"), "value_float", 0.25f);
  attrInts(b.node("Constant", {}, {"shape"}, "c3"), "value_ints", {3, 2});
  b.node("Add", {"x", "k"}, {"a"}, "add");
  b.node("Mul", {"a", "f"}, {"m"}, "mul");
  b.node("Reshape", {"m", "shape"}, {"y"}, "reshape");
  b.output("y");
  auto g = load(b);
  EXPECT_EQ(countNodes(*g), 3);  // the three Constant nodes are gone
  Value* k = g->findValue("k");
  ASSERT_TRUE(k && k->isConstant());
  EXPECT_EQ(k->constant->toDoubles(), (std::vector<double>{1, 2, 3}));
  EXPECT_EQ(k->shape, shapeOf({3}));
  Value* f = g->findValue("f");
  ASSERT_TRUE(f && f->isConstant());
  EXPECT_EQ(f->dtype, DType::F32);
  EXPECT_TRUE(f->constant->dims.empty());
  EXPECT_EQ(f->constant->toDoubles(), std::vector<double>{0.25});
  Value* shape = g->findValue("shape");
  ASSERT_TRUE(shape && shape->isConstant());
  EXPECT_EQ(shape->dtype, DType::I64);
  EXPECT_EQ(shape->constant->toInts(), (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(g->nodes().back()->inputs[1], shape);
}

TEST(FrontendGraph, InitializerThatIsAlsoAnInputIsAConstant) {
  OnnxBuilder b(9);
  b.input("x", {"2"});
  b.input("w", {"2"});
  b.initializer("w", {3, 4}, {2});
  b.node("Mul", {"x", "w"}, {"y"});
  b.output("y");
  auto g = load(b);
  ASSERT_EQ(g->inputs.size(), 1u);
  EXPECT_EQ(g->inputs[0]->name, "x");
  EXPECT_TRUE(g->findValue("w")->isConstant());
}

TEST(FrontendGraph, TypedTensorFields) {
  OnnxBuilder b(13);
  b.input("x", {"2"});
  auto add = [&](const std::string& name, int32_t type) {
    onnx::TensorProto* t = b.graph().add_initializer();
    t->set_name(name);
    t->set_data_type(type);
    t->add_dims(2);
    return t;
  };
  auto* f = add("f", onnx::TensorProto::FLOAT);
  f->add_float_data(1.5f);
  f->add_float_data(-2.0f);
  auto* d = add("d", onnx::TensorProto::DOUBLE);
  d->add_double_data(0.1);
  d->add_double_data(1e300);
  auto* i64 = add("i64", onnx::TensorProto::INT64);
  i64->add_int64_data(-7);
  i64->add_int64_data(int64_t{1} << 40);
  auto* i32 = add("i32", onnx::TensorProto::INT32);
  i32->add_int32_data(-5);
  i32->add_int32_data(100000);
  auto* i8 = add("i8", onnx::TensorProto::INT8);
  i8->add_int32_data(-128);
  i8->add_int32_data(127);
  auto* u8 = add("u8", onnx::TensorProto::UINT8);
  u8->add_int32_data(0);
  u8->add_int32_data(255);
  auto* bo = add("bo", onnx::TensorProto::BOOL);
  bo->add_int32_data(1);
  bo->add_int32_data(0);
  std::vector<std::string> names{"f", "d", "i64", "i32", "i8", "u8", "bo"};
  for (size_t i = 0; i < names.size(); ++i) {
    b.node("Identity", {names[i]}, {"o" + names[i]});
    b.output("o" + names[i]);
  }
  auto g = load(b);
  auto check = [&](const std::string& name, DType t, std::vector<double> values) {
    Value* v = g->findValue(name);
    ASSERT_TRUE(v && v->isConstant()) << name;
    EXPECT_EQ(v->dtype, t) << name;
    EXPECT_EQ(v->constant->toDoubles(), values) << name;
  };
  check("f", DType::F32, {1.5, -2.0});
  check("d", DType::F64, {0.1, 1e300});
  check("i64", DType::I64, {-7, static_cast<double>(int64_t{1} << 40)});
  check("i32", DType::I32, {-5, 100000});
  check("i8", DType::I8, {-128, 127});
  check("u8", DType::U8, {0, 255});
  check("bo", DType::Bool, {1, 0});
}

TEST(FrontendGraph, SymbolicDimsAreKept) {
  OnnxBuilder b(13);
  b.input("x", {"N", "3", "?"});
  b.input("z", {"unk_0"});  // a user name that collides with the generated scheme
  b.node("Relu", {"x"}, {"y"});
  b.node("Relu", {"z"}, {"w"});
  b.output("y");
  b.output("w");
  auto g = load(b);
  const Shape& s = g->inputs[0]->shape;
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0], Dim::symbolic("N"));
  EXPECT_EQ(s[1], Dim::known(3));
  EXPECT_FALSE(s[2].isKnown());
  EXPECT_FALSE(s[2].symbol.empty());
  EXPECT_NE(s[2].symbol, "unk_0");  // unique, not the user's dim
  EXPECT_EQ(g->inputs[1]->shape[0], Dim::symbolic("unk_0"));
}

TEST(FrontendGraph, SymbolicBatchSurvivesShapeInference) {
  OnnxBuilder b(13);
  b.input("x", {"N", "4"});
  b.initializer("w", std::vector<float>(8, 0.5f), {4, 2});
  b.node("MatMul", {"x", "w"}, {"m"});
  b.node("Relu", {"m"}, {"y"});
  b.output("y");
  auto g = load(b, /*infer=*/true);
  ASSERT_EQ(g->outputs.size(), 1u);
  ASSERT_TRUE(g->outputs[0]->hasShape);
  EXPECT_EQ(g->outputs[0]->shape, (Shape{Dim::symbolic("N"), Dim::known(2)}));
}

TEST(FrontendGraph, GeneratedNodeNamesAndAnyNodeOrder) {
  OnnxBuilder b(13);
  b.input("x", {"2"});
  b.node("Sigmoid", {"a"}, {"y"});  // listed before its producer
  b.node("Relu", {"x"}, {"a"}, "first");
  b.output("y");
  auto g = load(b);
  ASSERT_EQ(countNodes(*g), 2);
  EXPECT_EQ(g->nodes().front()->name, "first");
  EXPECT_EQ(g->nodes().back()->name, "Sigmoid_0");
  EXPECT_EQ(g->nodes().back()->inputs[0], g->nodes().front()->outputs[0]);
}

TEST(FrontendGraph, AbsentOptionalOutputs) {
  OnnxBuilder b(13);
  b.input("x", {"2"});
  b.node("Dropout", {"x"}, {"y", ""}, "d");
  b.output("y");
  auto g = load(b);
  EXPECT_EQ(g->nodes().front()->outputs.size(), 1u);
  EXPECT_EQ(g->outputs[0], g->nodes().front()->outputs[0]);
}

TEST(FrontendGraph, ExternalDataIsLoaded) {
  TempDir dir;
  std::vector<float> w{1, 2, 3, 4, 5, 6};
  std::string blob(8, '\xee');  // 8 bytes of something else first
  blob.append(reinterpret_cast<const char*>(w.data()), w.size() * sizeof(float));
  blob.append(4, '\xee');
  dir.write("weights/w.bin", blob);

  OnnxBuilder b(13);
  b.input("x", {"2", "3"});
  onnx::TensorProto* t = b.graph().add_initializer();
  t->set_name("w");
  t->set_data_type(onnx::TensorProto::FLOAT);
  t->add_dims(2);
  t->add_dims(3);
  t->set_data_location(onnx::TensorProto::EXTERNAL);
  auto kv = [&](const char* k, const std::string& v) {
    auto* e = t->add_external_data();
    e->set_key(k);
    e->set_value(v);
  };
  kv("location", "weights/../weights/w.bin");  // stays inside the model folder
  kv("offset", "8");
  kv("length", "24");
  b.node("Add", {"x", "w"}, {"y"});
  b.output("y");
  std::string path = dir.write("model.onnx", b.bytes());
  auto g = importOnnxFile(path, ImportOptions{.inferShapes = false});
  Value* v = g->findValue("w");
  ASSERT_TRUE(v && v->isConstant());
  EXPECT_EQ(v->constant->dims, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(v->constant->toDoubles(), (std::vector<double>{1, 2, 3, 4, 5, 6}));
}

TEST(FrontendGraph, ValueInfoGivesIntermediateTypes) {
  OnnxBuilder b(13);
  b.input("x", {"N", "2"});
  b.valueInfo("a", {"N", "2"});
  b.node("Relu", {"x"}, {"a"});
  b.node("Relu", {"a"}, {"y"});
  b.output("y");
  auto g = load(b);
  Value* a = g->findValue("a");
  ASSERT_TRUE(a && a->hasShape);
  EXPECT_EQ(a->shape, (Shape{Dim::symbolic("N"), Dim::known(2)}));
}

}  // namespace
}  // namespace kiln
