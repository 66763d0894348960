// Every class of bad input through the kiln CLI: the right exit code, a message on stderr that
// names the problem, and no output file written (a pre-existing one left unchanged, no temp
// files left behind).
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include "cli_test_util.h"
#include "kiln/support/npy.h"

namespace kiln::test::cli {
namespace {

/// A tiny valid model: pixels float32 [N,3] -> Relu -> scores [N,3].
std::string tinyModelBytes() {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(17);
  onnx::GraphProto* g = m.mutable_graph();
  g->set_name("tiny");
  auto declare = [](onnx::ValueInfoProto* v, const std::string& name) {
    v->set_name(name);
    auto* t = v->mutable_type()->mutable_tensor_type();
    t->set_elem_type(onnx::TensorProto::FLOAT);
    t->mutable_shape()->add_dim()->set_dim_param("N");
    t->mutable_shape()->add_dim()->set_dim_value(3);
  };
  declare(g->add_input(), "pixels");
  declare(g->add_output(), "scores");
  onnx::NodeProto* relu = g->add_node();
  relu->set_op_type("Relu");
  relu->set_name("relu1");
  relu->add_input("pixels");
  relu->add_output("scores");
  return m.SerializeAsString();
}

class CliErrors : public ::testing::Test {
 protected:
  void SetUp() override {
    model = dir.file("tiny.onnx");
    writeFile(model, tinyModelBytes());
    input = dir.file("pixels.npy");
    writeNpy(input, Tensor::fromFloats({-1, 2, -3, 4, 5, -6}, {2, 3}));
  }

  /// Runs kiln expecting failure with `exitCode`, stderr mentioning every `needles`, and the
  /// scratch folder holding exactly the files it held before.
  CliResult expectFailure(const std::vector<std::string>& args, int exitCode,
                          const std::vector<std::string>& needles) {
    std::set<std::string> before = dir.listing();
    CliResult r = runKiln(args);
    EXPECT_EQ(r.exitCode, exitCode) << describe(r);
    EXPECT_EQ(r.err.rfind("kiln: error: ", 0), 0u) << describe(r);
    for (const std::string& n : needles)
      EXPECT_NE(r.err.find(n), std::string::npos) << "stderr should name '" << n << "'\n"
                                                  << describe(r);
    EXPECT_EQ(dir.listing(), before) << "files were created or removed";
    EXPECT_TRUE(r.out.empty() || r.out.find("wrote") == std::string::npos) << r.out;
    return r;
  }

  ScratchDir dir;
  std::string model, input;
};

TEST_F(CliErrors, ValidRunIsTheControl) {
  CliResult r = runKiln({"run", model, "--input", input, "-o", dir.file("out.npy")});
  ASSERT_EQ(r.exitCode, 0) << describe(r);
  Tensor y = readNpy(dir.file("out.npy"));
  ASSERT_EQ(y.dims, (std::vector<int64_t>{2, 3}));
  std::vector<float> expected = {0, 2, 0, 4, 5, 0};  // max(0, x) of the input above
  EXPECT_EQ(std::vector<float>(y.data<float>().begin(), y.data<float>().end()), expected);
}

TEST_F(CliErrors, MissingModel) {
  std::string missing = dir.file("no-such-model.onnx");
  expectFailure({"run", missing, "--input", input, "-o", dir.file("out.npy")}, 1, {missing});
  expectFailure({"inspect", missing}, 1, {missing});
}

TEST_F(CliErrors, NonOnnxModel) {
  std::string bogus = dir.file("bogus.onnx");
  writeFile(bogus, "this is not an ONNX model\n");
  expectFailure({"run", bogus, "--input", input, "-o", dir.file("out.npy")}, 1, {bogus});
  expectFailure({"compile", bogus, "--emit", "onnx", "-o", dir.file("out.onnx")}, 1, {bogus});
}

TEST_F(CliErrors, WrongInputShapeLeavesExistingOutputUnchanged) {
  std::string wrong = dir.file("wrong-shape.npy");
  writeNpy(wrong, Tensor::fromFloats({1, 2, 3, 4, 5, 6, 7, 8}, {2, 4}));
  std::string out = dir.file("out.npy");
  writeFile(out, "sentinel");
  expectFailure({"run", model, "--input", wrong, "-o", out}, 1, {"pixels", wrong});
  EXPECT_EQ(readFile(out), "sentinel");
}

TEST_F(CliErrors, WrongInputDtype) {
  std::string wrong = dir.file("f64.npy");
  writeNpy(wrong, Tensor::fromDoubles({1, 2, 3, 4, 5, 6}, {2, 3}));
  expectFailure({"run", model, "--input", wrong, "-o", dir.file("out.npy")}, 1, {"pixels", wrong});
}

TEST_F(CliErrors, UnknownInputName) {
  expectFailure({"run", model, "--input", "nope=" + input, "-o", dir.file("out.npy")}, 1,
                {"nope", "pixels"});
}

TEST_F(CliErrors, MalformedNpy) {
  std::string bad = dir.file("bad.npy");
  writeFile(bad, std::string("\x93NUMPY\x01\x00garbage", 16));
  expectFailure({"run", model, "--input", bad, "-o", dir.file("out.npy")}, 1, {bad});
  std::string missing = dir.file("missing.npy");
  expectFailure({"run", model, "--input", missing, "-o", dir.file("out.npy")}, 1, {missing});
}

TEST_F(CliErrors, OutputEqualToAnInputIsRefused) {
  const std::string modelBytes = readFile(model), inputBytes = readFile(input);
  expectFailure({"compile", model, "--emit", "onnx", "-o", model}, 1, {model});
  expectFailure({"run", model, "--input", input, "-o", input}, 1, {input});
  EXPECT_EQ(readFile(model), modelBytes);
  EXPECT_EQ(readFile(input), inputBytes);
}

TEST_F(CliErrors, OutputFolderMissing) {
  std::string out = dir.file("no-such-folder/out.npy");
  expectFailure({"run", model, "--input", input, "-o", out}, 1, {out});
}

TEST_F(CliErrors, UnknownFlagIsAUsageError) {
  expectFailure({"run", model, "--input", input, "--frobnicate"}, 2, {"--frobnicate"});
  expectFailure({"inspect", model, "--frobnicate"}, 2, {"--frobnicate"});
  expectFailure({"compile", model, "-o", dir.file("x.onnx"), "--frobnicate"}, 2, {"--frobnicate"});
  expectFailure({"compare", model, "--frobnicate"}, 2, {"--frobnicate"});
  expectFailure({"run", model, "--input", input, "--target", "gpu9000"}, 2, {"gpu9000", "ref64"});
}

TEST_F(CliErrors, EmitLlvmIsNotYetSupported) {
  expectFailure({"compile", model, "--emit", "llvm", "-o", dir.file("out.ll")}, 1,
                {"llvm", "not yet supported"});
}

TEST_F(CliErrors, CompareBadDataFolder) {
  std::string missing = dir.file("no-such-data");
  expectFailure({"compare", model, "--data", missing}, 1, {missing});
}

/// Writes an uncompressed IDX file (gzread reads plain files too) of unsigned bytes.
void writeIdx(const std::string& path, const std::vector<uint32_t>& dims) {
  std::string bytes = {0, 0, 8, static_cast<char>(dims.size())};
  size_t count = 1;
  for (uint32_t d : dims) {
    for (int shift : {24, 16, 8, 0}) bytes += static_cast<char>((d >> shift) & 0xff);
    count *= d;
  }
  bytes += std::string(count, '\x01');
  writeFile(path, bytes);
}

TEST_F(CliErrors, CompareDataFolderProblemsNameTheFile) {
  fs::create_directory(dir.path() / "data");
  writeIdx(dir.file("data/t10k-images-idx3-ubyte"), {5, 1, 3});
  expectFailure({"compare", model, "--data", dir.file("data")}, 1, {"t10k-labels-idx1-ubyte"});
  writeIdx(dir.file("data/t10k-labels-idx1-ubyte"), {4});
  expectFailure({"compare", model, "--data", dir.file("data")}, 1,
                {"t10k-labels-idx1-ubyte", "4 labels"});
  writeFile(dir.file("data/t10k-labels-idx1-ubyte"), "not idx");
  expectFailure({"compare", model, "--data", dir.file("data")}, 1, {"t10k-labels-idx1-ubyte"});
}

TEST_F(CliErrors, CompareLabelCountMismatchNamesTheFile) {
  std::string labels = dir.file("labels.npy");
  writeNpy(labels, Tensor::fromInts({0, 1, 2}, {3}));
  expectFailure({"compare", model, "--inputs", input, "--labels", labels}, 1, {labels});
}

}  // namespace
}  // namespace kiln::test::cli
