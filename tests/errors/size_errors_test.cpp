// Issue 9: sizes computed from a model never wrap. Huge window attributes, pads, dilations,
// shapes and dims are InvalidModel errors naming the node (or the input) at import, where
// they used to overflow int64 (UBSan), wrap to wrong numbers with exit 0, or dereference a
// missing input.
#include <gtest/gtest.h>

#include <functional>

#include "../unit/frontend_onnx_builder.h"
#include "graph_builder.h"
#include "kiln/frontend/onnx_import.h"
#include "kiln/support/error.h"

namespace kiln {
namespace {

using test::attrInts;
using test::OnnxBuilder;

std::string importFailure(const OnnxBuilder& b) {
  return test::errorMessage([&] { importOnnxBytes(b.bytes(), "", "model.onnx", ImportOptions{.inferShapes = true}); },
                            ErrorCode::InvalidModel);
}

void expectMentions(const std::string& msg, std::initializer_list<std::string> parts) {
  for (const std::string& p : parts)
    EXPECT_NE(msg.find(p), std::string::npos) << "message lacks '" << p << "': " << msg;
}

constexpr int64_t k2p62 = int64_t{1} << 62;

OnnxBuilder pool(const std::string& op, const std::vector<int64_t>& kernel, const char* attr,
                 const std::vector<int64_t>& values) {
  OnnxBuilder b(17);
  b.input("x", {"1", "1", "5", "5"});
  onnx::NodeProto& n = b.node(op, {"x"}, {"y"}, "pool0");
  attrInts(n, "kernel_shape", kernel);
  if (attr) attrInts(n, attr, values);
  b.output("y");
  return b;
}

TEST(SizeErrors, HugeWindowAttributesAreRefusedNotWrapped) {
  // pads 2^62 + 2^62 overflowed; a dilation of 2^62 with a 3-wide kernel wrapped the extent.
  expectMentions(importFailure(pool("MaxPool", {2, 2}, "pads", {k2p62, k2p62, k2p62, k2p62})),
                 {"pool0", "pads", "too large"});
  expectMentions(importFailure(pool("MaxPool", {3, 3}, "dilations", {k2p62, k2p62})),
                 {"pool0", "dilations", "too large"});
  expectMentions(importFailure(pool("MaxPool", {k2p62, 2}, nullptr, {})), {"pool0", "kernel_shape", "too large"});
  expectMentions(importFailure(pool("MaxPool", {2, 2}, "strides", {INT64_MAX, 1})), {"pool0", "strides", "too large"});

  OnnxBuilder c(17);
  c.input("x", {"1", "1", "5", "5"});
  c.initializer("w", std::vector<float>(9, 1.0f), {1, 1, 3, 3});
  attrInts(c.node("Conv", {"x", "w"}, {"y"}, "conv0"), "dilations", {k2p62, 1});
  c.output("y");
  expectMentions(importFailure(c), {"conv0", "dilations", "too large"});
}

// Found by ModelFuzz under UBSan: Conv's weight channels times group, ConvTranspose's
// s * (in - 1) and its output_padding / output_shape overflowed int64.
TEST(SizeErrors, ConvGroupsAndTransposedExtentsAreChecked) {
  auto conv = [](const std::string& op, const std::vector<std::string>& x, const std::vector<std::string>& w,
                 const std::function<void(onnx::NodeProto&)>& attrs) {
    OnnxBuilder b(17);
    b.input("x", x);
    b.input("w", w);  // a weight fed at run time may declare any legal extent
    attrs(b.node(op, {"x", "w"}, {"y"}, "conv0"));
    b.output("y");
    return b;
  };
  const std::string big = std::to_string(int64_t{1} << 40);
  expectMentions(importFailure(conv("Conv", {"1", "4", "5", "5"}, {"4", "1", "1", "1"},
                                    [](onnx::NodeProto& n) { test::attrInt(n, "group", int64_t{1} << 40); })),
                 {"conv0", "group 1099511627776 is too large"});
  expectMentions(importFailure(conv("Conv", {"1", "4", "5", "5"}, {"4", big, "1", "1"},
                                    [](onnx::NodeProto& n) { test::attrInt(n, "group", int64_t{1} << 31); })),
                 {"conv0", "weight 'w'", "times group 2147483648 overflows int64"});
  expectMentions(importFailure(conv("ConvTranspose", {"1", "1", big, "1"}, {"1", "1", "1", "1"},
                                    [](onnx::NodeProto& n) { attrInts(n, "strides", {int64_t{1} << 30, 1}); })),
                 {"conv0", "output extent on spatial axis 0 is too large"});
  expectMentions(importFailure(conv("ConvTranspose", {"1", "1", "3", "3"}, {"1", "1", "1", "1"},
                                    [](onnx::NodeProto& n) { attrInts(n, "output_padding", {int64_t{1} << 40, 0}); })),
                 {"conv0", "output_padding entry 1099511627776 is too large"});
  expectMentions(importFailure(conv("ConvTranspose", {"1", "1", "3", "3"}, {"1", "1", "1", "1"},
                                    [](onnx::NodeProto& n) { attrInts(n, "output_shape", {int64_t{1} << 50, 3}); })),
                 {"conv0", "output_shape entry 1125899906842624 is out of range"});
}

// A window entirely inside the padding averaged nothing (NaN, exit 0); as in ONNX Runtime,
// pads must be smaller than the kernel.
TEST(SizeErrors, PoolPadsAsWideAsTheKernelAreRefused) {
  for (const char* op : {"AveragePool", "MaxPool"})
    expectMentions(importFailure(pool(op, {2, 2}, "pads", {2, 0, 0, 0})),
                   {"pool0", "pads entry 2", "smaller than the kernel extent 2"});
}

TEST(SizeErrors, PadWithoutItsPadsInputIsInvalid) {
  for (bool emptyName : {false, true}) {
    OnnxBuilder b(18);
    b.input("x", {"1", "3"});
    b.node("Pad", emptyName ? std::vector<std::string>{"x", ""} : std::vector<std::string>{"x"}, {"y"}, "pad0");
    b.output("y");
    expectMentions(importFailure(b), {"pad0", "'pads'", "missing"});
  }
}

TEST(SizeErrors, ShapesBeyond2To48ElementsAreRefused) {
  OnnxBuilder r(17);
  r.input("x", {"4"});
  r.initializerI64("s", {k2p62, 4}, {2});
  r.node("Reshape", {"x", "s"}, {"y"}, "reshape0");
  r.output("y");
  expectMentions(importFailure(r), {"reshape0"});

  OnnxBuilder in(17);
  in.input("x", {"1", std::to_string(int64_t{1} << 50)});
  in.node("Relu", {"x"}, {"y"}, "relu0");
  in.output("y");
  expectMentions(importFailure(in), {"input 'x'", "1125899906842624", "2^48"});

  OnnxBuilder pad(18);
  pad.input("x", {"1", "3"});
  pad.initializerI64("p", {0, k2p62, 0, k2p62}, {4});
  pad.node("Pad", {"x", "p"}, {"y"}, "pad0");
  pad.output("y");
  expectMentions(importFailure(pad), {"pad0", "too large"});
}

}  // namespace
}  // namespace kiln
