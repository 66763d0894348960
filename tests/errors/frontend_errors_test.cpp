// Malformed or unsupported ONNX input: every case must fail with the right ErrorCode and a
// message naming the file and the offending node, op, value or path.
#include <gtest/gtest.h>

#include <filesystem>

#include "../unit/frontend_onnx_builder.h"
#include "graph_builder.h"
#include "kiln/frontend/onnx_export.h"
#include "kiln/frontend/onnx_import.h"
#include "kiln/support/error.h"

namespace kiln {
namespace {

namespace fs = std::filesystem;
using test::attrFloat;
using test::attrInt;
using test::attrInts;
using test::OnnxBuilder;
using test::TempDir;

void expectMentions(const std::string& msg, std::initializer_list<std::string> parts) {
  for (const std::string& p : parts)
    EXPECT_NE(msg.find(p), std::string::npos) << "message lacks '" << p << "': " << msg;
}

// Writes `bytes` as <dir>/<name>, imports it, returns the error message (checks `code`).
std::string importFileError(const TempDir& dir, const std::string& bytes, ErrorCode code,
                            const std::string& name = "model.onnx") {
  std::string path = dir.write(name, bytes);
  std::string msg =
      test::errorMessage([&] { importOnnxFile(path, ImportOptions{.inferShapes = false}); }, code);
  expectMentions(msg, {path});
  return msg;
}

std::string importError(const OnnxBuilder& b, ErrorCode code, bool infer = false) {
  std::string msg = test::errorMessage(
      [&] { importOnnxBytes(b.bytes(), "", "model.onnx", ImportOptions{.inferShapes = infer}); },
      code);
  EXPECT_EQ(msg.rfind("model.onnx: ", 0), 0u) << msg;
  return msg;
}

OnnxBuilder reluModel(int64_t opset = 13) {
  OnnxBuilder b(opset);
  b.input("x", {"N", "4"});
  b.node("Relu", {"x"}, {"y"}, "relu1");
  b.output("y");
  return b;
}

TEST(FrontendErrors, MissingFile) {
  TempDir dir;
  std::string path = (dir.path / "absent.onnx").string();
  std::string msg = test::errorMessage([&] { importOnnxFile(path); }, ErrorCode::Io);
  expectMentions(msg, {path});
}

TEST(FrontendErrors, EmptyFile) {
  TempDir dir;
  expectMentions(importFileError(dir, "", ErrorCode::InvalidModel), {"empty"});
}

TEST(FrontendErrors, TruncatedFile) {
  TempDir dir;
  OnnxBuilder b = reluModel();
  b.initializer("w", std::vector<float>(64, 1.0f), {64});
  std::string bytes = b.bytes();
  importFileError(dir, bytes.substr(0, bytes.size() / 2), ErrorCode::InvalidModel);
}

TEST(FrontendErrors, TextFileIsNotOnnx) {
  TempDir dir;
  importFileError(dir, "this is a plain text file, not a model\n", ErrorCode::InvalidModel,
                  "notes.onnx");
}

TEST(FrontendErrors, PngIsNotOnnx) {
  TempDir dir;
  static const char kHeader[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x06\0\0\0";
  const std::string png(kHeader, sizeof kHeader - 1);
  importFileError(dir, png, ErrorCode::InvalidModel, "image.onnx");
}

TEST(FrontendErrors, UnknownOp) {
  OnnxBuilder b(13);
  b.input("x", {"2"});
  b.node("FancyOp", {"x"}, {"y"}, "fancy1");
  b.output("y");
  expectMentions(importError(b, ErrorCode::Unsupported), {"fancy1", "FancyOp"});
}

TEST(FrontendErrors, EveryUnsupportedOpIsListedWithItsCount) {
  OnnxBuilder b(13);
  b.input("x", {"2"});
  b.node("FancyOp", {"x"}, {"a"}, "f1");
  b.node("Relu", {"a"}, {"r"}, "ok");
  b.node("OtherOp", {"r"}, {"c"}, "o1");
  b.node("FancyOp", {"c"}, {"d"}, "f2");
  b.node("Relu", {"d"}, {"y"}, "vendor");
  b.graph().mutable_node(4)->set_domain("com.example");
  b.output("y");
  const std::string msg = importError(b, ErrorCode::Unsupported);
  expectMentions(msg, {"4 nodes", "op 'FancyOp': 2 nodes (first: FancyOp node 'f1')",
                       "op 'OtherOp': 1 node (OtherOp node 'o1')",
                       "op 'Relu' of domain 'com.example': 1 node (Relu node 'vendor')"});
  EXPECT_EQ(msg.find("'ok'"), std::string::npos) << msg;
}

TEST(FrontendErrors, UnknownDomain) {
  OnnxBuilder b = reluModel();
  b.graph().mutable_node(0)->set_domain("com.example");
  auto* op = b.model.add_opset_import();
  op->set_domain("com.example");
  op->set_version(1);
  expectMentions(importError(b, ErrorCode::Unsupported), {"relu1", "Relu", "com.example"});
}

TEST(FrontendErrors, UnsupportedOpset) {
  expectMentions(importError(reluModel(0), ErrorCode::Unsupported), {"opset", "0"});
  expectMentions(importError(reluModel(22), ErrorCode::Unsupported), {"opset", "22"});
}

// Opsets 1-6 are upgraded by ONNX's version converter; what it cannot convert is refused
// with its reason.
TEST(FrontendErrors, OldOpsetsAreUpgradedOrRefusedWithTheConvertersReason) {
  OnnxBuilder old = reluModel(6);
  // ONNX's checker (run before its converter) wants the outputs' shapes.
  old.graph().mutable_output(0)->mutable_type()->mutable_tensor_type()->mutable_shape()->add_dim()->set_dim_param("N");
  old.graph().mutable_output(0)->mutable_type()->mutable_tensor_type()->mutable_shape()->add_dim()->set_dim_value(4);
  auto g = importOnnxBytes(old.bytes(), "", "model.onnx");
  ASSERT_EQ(g->nodes().size(), 1u);
  EXPECT_EQ(g->nodes().front()->kind, OpKind::Relu);
  OnnxBuilder b(6);
  b.input("x", {"2"});
  b.node("FancyOp", {"x"}, {"y"}, "fancy1");
  b.output("y");
  b.graph().mutable_output(0)->mutable_type()->mutable_tensor_type()->mutable_shape()->add_dim()->set_dim_value(2);
  expectMentions(importError(b, ErrorCode::Unsupported), {"upgrading opset 6 to 7", "FancyOp"});
}

TEST(FrontendErrors, DanglingInput) {
  OnnxBuilder b(13);
  b.input("x", {"2"});
  b.node("Add", {"x", "ghost"}, {"y"}, "add1");
  b.output("y");
  expectMentions(importError(b, ErrorCode::InvalidModel), {"add1", "Add", "ghost"});
}

TEST(FrontendErrors, UndefinedGraphOutput) {
  OnnxBuilder b = reluModel();
  b.output("nowhere");
  expectMentions(importError(b, ErrorCode::InvalidModel), {"nowhere"});
}

TEST(FrontendErrors, ValueDefinedTwice) {
  OnnxBuilder b = reluModel();
  b.node("Sigmoid", {"x"}, {"y"}, "sig1");
  expectMentions(importError(b, ErrorCode::InvalidModel), {"'y'"});
}

TEST(FrontendErrors, BatchNormParameterLengthDoesNotMatchChannels) {
  OnnxBuilder b(15);
  b.input("x", {"N", "6", "4", "4"});
  b.initializer("scale", std::vector<float>(5, 1.0f), {5});
  for (const char* p : {"bias", "mean"}) b.initializer(p, std::vector<float>(6, 0.0f), {6});
  b.initializer("var", std::vector<float>(6, 1.0f), {6});
  b.node("BatchNormalization", {"x", "scale", "bias", "mean", "var"}, {"y"}, "bn1");
  b.output("y");
  expectMentions(importError(b, ErrorCode::InvalidModel, /*infer=*/true),
                 {"BatchNormalization node 'bn1'", "scale", "5", "6 channels"});
}

TEST(FrontendErrors, Cycle) {
  OnnxBuilder b(13);
  b.input("x", {"2"});
  b.node("Add", {"x", "q"}, {"p"}, "n1");
  b.node("Relu", {"p"}, {"q"}, "n2");
  b.output("q");
  expectMentions(importError(b, ErrorCode::InvalidModel), {"cycle"});
}

TEST(FrontendErrors, NegativeDim) {
  OnnxBuilder b(13);
  b.input("x", {"-3", "4"});
  b.node("Relu", {"x"}, {"y"});
  b.output("y");
  expectMentions(importError(b, ErrorCode::InvalidModel), {"'x'", "-3"});

  OnnxBuilder c = reluModel();
  onnx::TensorProto& t = c.initializer("w", {1, 2}, {2});
  t.set_dims(0, -2);
  expectMentions(importError(c, ErrorCode::InvalidModel), {"'w'", "-2"});
}

TEST(FrontendErrors, RawDataSizeMismatch) {
  OnnxBuilder b = reluModel();
  b.initializer("weights", {1, 2, 3, 4, 5}, {2, 3});
  expectMentions(importError(b, ErrorCode::InvalidModel), {"'weights'", "raw_data", "20", "24"});
}

TEST(FrontendErrors, HugeDimsWithLittleDataDoNotAllocate) {
  OnnxBuilder b = reluModel();
  b.initializer("big", {1}, {int64_t{1} << 40, int64_t{1} << 20});
  expectMentions(importError(b, ErrorCode::InvalidModel), {"'big'"});
  OnnxBuilder c = reluModel();
  c.initializer("overflow", {1}, {int64_t{1} << 62, 16});
  expectMentions(importError(c, ErrorCode::InvalidModel), {"'overflow'", "overflow"});
  OnnxBuilder d = reluModel();
  onnx::TensorProto& t = *d.graph().add_initializer();
  t.set_name("typed");
  t.set_data_type(onnx::TensorProto::FLOAT);
  t.add_dims(int64_t{1} << 40);
  t.add_float_data(1.0f);
  expectMentions(importError(d, ErrorCode::InvalidModel), {"'typed'", "float_data"});
}

TEST(FrontendErrors, UnsupportedElementType) {
  OnnxBuilder b = reluModel();
  onnx::TensorProto& t = *b.graph().add_initializer();
  t.set_name("half");
  t.set_data_type(onnx::TensorProto::FLOAT16);
  t.add_dims(1);
  t.set_raw_data(std::string(2, '\0'));
  expectMentions(importError(b, ErrorCode::Unsupported), {"'half'", "FLOAT16"});

  OnnxBuilder c(13);
  c.input("s", {"2"}, onnx::TensorProto::STRING);
  c.node("Identity", {"s"}, {"y"});
  c.output("y");
  expectMentions(importError(c, ErrorCode::Unsupported), {"'s'", "STRING"});
}

TEST(FrontendErrors, WrongAttributeType) {
  OnnxBuilder b(13);
  b.input("x", {"1", "2", "4", "4"});
  b.initializer("w", std::vector<float>(2 * 2 * 9, 1.0f), {2, 2, 3, 3});
  attrFloat(b.node("Conv", {"x", "w"}, {"y"}, "conv7"), "group", 1.0f);
  b.output("y");
  expectMentions(importError(b, ErrorCode::InvalidModel), {"conv7", "Conv", "'group'", "FLOAT"});
}

TEST(FrontendErrors, UnknownAttribute) {
  OnnxBuilder b = reluModel();
  attrFloat(*b.graph().mutable_node(0), "alpha", 0.5f);
  expectMentions(importError(b, ErrorCode::InvalidModel), {"relu1", "'alpha'"});
}

TEST(FrontendErrors, MissingRequiredAttribute) {
  OnnxBuilder b(13);
  b.input("x", {"2"});
  b.node("Concat", {"x", "x"}, {"y"}, "cat");
  b.output("y");
  expectMentions(importError(b, ErrorCode::InvalidModel), {"cat", "'axis'"});
}

TEST(FrontendErrors, UnsupportedSemantics) {
  OnnxBuilder bn(7);
  bn.input("x", {"1", "2", "3"});
  for (auto n : {"s", "b", "m", "v"}) bn.initializer(n, {1, 1}, {2});
  attrInt(bn.node("BatchNormalization", {"x", "s", "b", "m", "v"}, {"y"}, "bn0"), "spatial", 0);
  bn.output("y");
  expectMentions(importError(bn, ErrorCode::Unsupported), {"bn0", "spatial"});

  OnnxBuilder mp(12);
  mp.input("x", {"1", "1", "4", "4"});
  attrInts(mp.node("MaxPool", {"x"}, {"y", "idx"}, "pool0"), "kernel_shape", {2, 2});
  mp.output("y");
  mp.output("idx");
  expectMentions(importError(mp, ErrorCode::Unsupported), {"pool0", "Indices"});

  OnnxBuilder dr(13);
  dr.input("x", {"4"});
  onnx::TensorProto& t = *dr.graph().add_initializer();
  t.set_name("yes");
  t.set_data_type(onnx::TensorProto::BOOL);
  t.add_int32_data(1);
  dr.node("Dropout", {"x", "", "yes"}, {"y"}, "drop0");
  dr.output("y");
  expectMentions(importError(dr, ErrorCode::Unsupported), {"drop0", "training_mode"});

  OnnxBuilder cast(13);
  cast.input("x", {"4"});
  attrInt(cast.node("Cast", {"x"}, {"y"}, "cast0"), "to", onnx::TensorProto::FLOAT16);
  cast.output("y");
  expectMentions(importError(cast, ErrorCode::Unsupported), {"cast0", "FLOAT16"});
}

TEST(FrontendErrors, ShapeInferenceErrorsArePrefixedWithTheFile) {
  OnnxBuilder b(13);
  b.input("x", {"1", "3", "8", "8"});
  b.initializer("w", std::vector<float>(2 * 5 * 9, 1.0f), {2, 5, 3, 3});  // expects 5 channels
  b.node("Conv", {"x", "w"}, {"y"}, "conv_bad");
  b.output("y");
  expectMentions(importError(b, ErrorCode::InvalidModel, /*infer=*/true), {"conv_bad"});
}

// Model reading initializer "w" [2,3] float from external data at `location`.
OnnxBuilder externalModel(const std::string& location, const std::string& offset = "0",
                          const std::string& length = "24") {
  OnnxBuilder b(13);
  b.input("x", {"2", "3"});
  onnx::TensorProto* t = b.graph().add_initializer();
  t->set_name("w_ext");
  t->set_data_type(onnx::TensorProto::FLOAT);
  t->add_dims(2);
  t->add_dims(3);
  t->set_data_location(onnx::TensorProto::EXTERNAL);
  for (auto [k, v] : {std::pair<std::string, std::string>{"location", location},
                      {"offset", offset},
                      {"length", length}}) {
    auto* e = t->add_external_data();
    e->set_key(k);
    e->set_value(v);
  }
  b.node("Add", {"x", "w_ext"}, {"y"});
  b.output("y");
  return b;
}

TEST(FrontendErrors, ExternalDataEscapingWithDotDot) {
  TempDir dir;
  dir.write("secret.bin", std::string(24, 'x'));
  std::string msg = importFileError(dir, externalModel("../secret.bin").bytes(),
                                    ErrorCode::InvalidModel, "model/model.onnx");
  expectMentions(msg, {"w_ext", "../secret.bin", "outside"});
}

TEST(FrontendErrors, ExternalDataAbsolutePath) {
  TempDir dir;
  std::string abs = dir.write("abs.bin", std::string(24, 'x'));
  std::string msg = importFileError(dir, externalModel(abs).bytes(), ErrorCode::InvalidModel);
  expectMentions(msg, {"w_ext", abs, "absolute"});
}

TEST(FrontendErrors, ExternalDataSymlinkOutside) {
  TempDir dir;
  std::string target = dir.write("outside/secret.bin", std::string(24, 'x'));
  fs::create_directories(dir.path / "model");
  fs::create_symlink(target, dir.path / "model" / "w.bin");
  std::string msg = importFileError(dir, externalModel("w.bin").bytes(), ErrorCode::InvalidModel,
                                    "model/model.onnx");
  expectMentions(msg, {"w_ext", "w.bin", "outside"});
}

TEST(FrontendErrors, ExternalDataPastEndOfFile) {
  TempDir dir;
  dir.write("w.bin", std::string(32, 'x'));
  std::string msg =
      importFileError(dir, externalModel("w.bin", "16", "24").bytes(), ErrorCode::InvalidModel);
  expectMentions(msg, {"w_ext", "w.bin", "past the end"});
}

TEST(FrontendErrors, ExternalDataMissingFile) {
  TempDir dir;
  std::string msg = importFileError(dir, externalModel("nothere.bin").bytes(), ErrorCode::Io);
  expectMentions(msg, {"w_ext", "nothere.bin"});
}

TEST(FrontendErrors, ExternalDataFromMemory) {
  std::string msg =
      test::errorMessage([&] { importOnnxBytes(externalModel("w.bin").bytes(), "", "mem.onnx"); },
                         ErrorCode::Unsupported);
  expectMentions(msg, {"mem.onnx", "w_ext", "w.bin"});
}

TEST(FrontendErrors, ExportOfUnexportableGraphNamesTheNode) {
  test::GraphBuilder gb;
  Value* x = gb.g.addValue("x");  // no shape: the rank the statistics need is unknown
  gb.g.inputs.push_back(x);
  Value* s = gb.constant("s", Tensor::fromFloats({1, 1, 1}, {3}));
  BatchNormTrainingAttrs a;
  a.unbiasedVar = true;
  gb.output(gb.op(OpKind::BatchNormTraining, "bnt7", {x, s, s}, a));
  std::string msg = test::errorMessage([&] { exportOnnxBytes(gb.g); }, ErrorCode::Unsupported);
  expectMentions(msg, {"bnt7", "BatchNormTraining", "'x'"});
}

TEST(FrontendErrors, ExportOfOpset18OnlyFormsNamesTheNode) {
  test::GraphBuilder gb;
  Value* x = gb.input("x", test::dims({2, 3}));
  Value* axes = gb.input("axes", test::dims({1}), DType::I64);  // not constant
  gb.output(gb.op(OpKind::ReduceMean, "mean9", {x, axes}, ReduceAttrs{}));
  std::string msg = test::errorMessage([&] { exportOnnxBytes(gb.g); }, ErrorCode::Unsupported);
  expectMentions(msg, {"mean9", "ReduceMean", "'axes'"});

  test::GraphBuilder pb;
  Value* px = pb.input("x", test::dims({4}));
  pb.output(pb.op(OpKind::Pad, "pad9", {px, pb.ints("pads", {1, 1})}, PadAttrs{PadMode::Wrap}));
  msg = test::errorMessage([&] { exportOnnxBytes(pb.g); }, ErrorCode::Unsupported);
  expectMentions(msg, {"pad9", "wrap"});
}

}  // namespace
}  // namespace kiln
