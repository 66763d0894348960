// Every class of bad input through the kiln CLI: the right exit code, a message on stderr that
// names the problem, and no output file written (a pre-existing one left unchanged, no temp
// files left behind).
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <fstream>

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

// ---- the CPU backend and .so artifacts (kiln compile -o X.so, kiln run X.so)

/// True when kiln was built with the LLVM CPU backend (`kiln run --help` lists target cpu).
bool kilnHasCpuBackend() {
  static const bool have = runKiln({"run", "--help"}).out.find("cpu = ") != std::string::npos;
  return have;
}

TEST_F(CliErrors, RunOfAFileThatIsNeitherOnnxNorAnArtifact) {
  std::string notes = dir.file("notes.txt");
  writeFile(notes, "just some text, not a model\n");
  expectFailure({"run", notes, "--input", input, "-o", dir.file("out.npy")}, 1,
                {notes, "neither an ONNX model nor a kiln artifact"});
  std::string empty = dir.file("empty.so");
  writeFile(empty, "");
  expectFailure({"run", empty, "--input", input}, 1, {empty});
  // An ELF file that is not a kiln artifact: the runtime refuses it, naming the file.
  std::string elf = dir.file("fake.so");
  writeFile(elf, std::string("\x7f" "ELF\x02\x01\x01\0", 8) + std::string(64, '\0'));
  expectFailure({"run", elf, "--input", input}, 1, {elf});
}

TEST_F(CliErrors, ArtifactWithWrongInputShapeNamesTheInput) {
  if (!kilnHasCpuBackend()) GTEST_SKIP() << "kiln built without the LLVM CPU backend";
  std::string lib = dir.file("tiny.so");
  CliResult c = runKiln({"compile", model, "-o", lib});
  ASSERT_EQ(c.exitCode, 0) << describe(c);
  // The control: the artifact runs the valid input (Relu).
  CliResult ok = runKiln({"run", lib, "--input", input, "-o", dir.file("ok.npy")});
  ASSERT_EQ(ok.exitCode, 0) << describe(ok);
  Tensor y = readNpy(dir.file("ok.npy"));
  EXPECT_EQ(std::vector<float>(y.data<float>().begin(), y.data<float>().end()),
            (std::vector<float>{0, 2, 0, 4, 5, 0}));

  std::string wrong = dir.file("wrong-shape.npy");
  writeNpy(wrong, Tensor::fromFloats({1, 2, 3, 4, 5, 6, 7, 8}, {2, 4}));
  std::string out = dir.file("out.npy");
  writeFile(out, "sentinel");
  expectFailure({"run", lib, "--input", wrong, "-o", out}, 1, {"pixels", "[2,4]", wrong});
  EXPECT_EQ(readFile(out), "sentinel");
  std::string f64 = dir.file("f64.npy");
  writeNpy(f64, Tensor::fromDoubles({1, 2, 3, 4, 5, 6}, {2, 3}));
  expectFailure({"run", lib, "--input", f64, "-o", out}, 1, {"pixels", "float64"});
  // Options that only apply to ONNX models are refused for an artifact.
  expectFailure({"run", lib, "--input", input, "--target", "ref"}, 2, {"--target", lib});
}

TEST_F(CliErrors, CompileBadOptimisationLevelIsAUsageError) {
  expectFailure({"compile", model, "-O7", "-o", dir.file("out.so")}, 2, {"-O7"});
  expectFailure({"compile", model, "-Ofast", "-o", dir.file("out.so")}, 2, {"-Ofast"});
  expectFailure({"compile", model, "--opt-level", "4", "-o", dir.file("out.so")}, 2,
                {"--opt-level"});
  expectFailure({"compile", model, "--emit", "exe", "-o", dir.file("out.so")}, 2, {"exe"});
  expectFailure({"bench", model, "--batch", "1,x"}, 2, {"--batch", "1,x"});
}

// LLVM itself only warns about an unknown CPU and then aborts; kiln checks first.
TEST_F(CliErrors, CompileUnknownCpuOrFeatureIsAClearError) {
  if (!kilnHasCpuBackend()) GTEST_SKIP() << "kiln built without the LLVM CPU backend";
  const std::string out = dir.file("cpu.so");
  expectFailure({"compile", model, "--mcpu", "bogus", "-o", out}, 1, {"unknown --mcpu 'bogus'"});
  expectFailure({"compile", model, "--mcpu", "i386", "-o", out}, 1, {"'i386'", "64-bit"});
  expectFailure({"compile", model, "--mattr", "+bogus", "-o", out}, 1, {"'+bogus'"});
  expectFailure({"compile", model, "--mattr", "avx2", "-o", out}, 1, {"'avx2'", "+name"});
  EXPECT_FALSE(fs::exists(out));
}

TEST_F(CliErrors, CompileToAnUnwritablePathLeavesNothingBehind) {
  if (!kilnHasCpuBackend()) GTEST_SKIP() << "kiln built without the LLVM CPU backend";
  // A folder where no file can be created, even by root: the temp file fails, no output.
  const std::string proc = "/proc/kiln-cli-test-" + std::to_string(::getpid()) + ".so";
  expectFailure({"compile", model, "-o", proc}, 1, {proc});
  EXPECT_FALSE(fs::exists(proc));
  // The output is an existing folder, or lies under a regular file.
  fs::create_directory(dir.path() / "folder.so");
  expectFailure({"compile", model, "-o", dir.file("folder.so")}, 1, {"folder.so"});
  expectFailure({"compile", model, "-o", input + "/out.so"}, 1, {input});
  // A read-only folder (permissions do not bind root, so only checked as another user).
  if (::geteuid() != 0) {
    fs::create_directory(dir.path() / "ro");
    fs::permissions(dir.path() / "ro", fs::perms::owner_read | fs::perms::owner_exec);
    expectFailure({"compile", model, "-o", dir.file("ro/out.so")}, 1, {"out.so"});
    EXPECT_TRUE(fs::is_empty(dir.path() / "ro"));
    fs::permissions(dir.path() / "ro", fs::perms::owner_all);
  }
}

// Issue 9: `compile -o weights.bin` replaced the model's own external-data file. Every output
// flag refuses a file the model reads, weights included, and leaves it untouched.
TEST_F(CliErrors, OutputsNeverReplaceTheModelsExternalData) {
  onnx::ModelProto m;
  m.ParseFromString(tinyModelBytes());
  onnx::GraphProto* g = m.mutable_graph();
  onnx::TensorProto* t = g->add_initializer();
  t->set_name("bias");
  t->set_data_type(onnx::TensorProto::FLOAT);
  t->add_dims(3);
  t->set_data_location(onnx::TensorProto::EXTERNAL);
  t->add_external_data()->set_key("location");
  t->mutable_external_data(0)->set_value("weights.bin");
  onnx::NodeProto* relu = g->mutable_node(0);
  relu->set_output(0, "r");
  onnx::NodeProto* add = g->add_node();
  add->set_op_type("Add");
  add->set_name("add1");
  add->add_input("r");
  add->add_input("bias");
  add->add_output("scores");
  const std::string extModel = dir.file("ext.onnx"), weights = dir.file("weights.bin");
  writeFile(extModel, m.SerializeAsString());
  const std::string bias("\0\0\x80\x3f\0\0\0\x40\0\0\x40\x40", 12);  // 1, 2, 3
  writeFile(weights, bias);
  ASSERT_EQ(runKiln({"inspect", extModel}).exitCode, 0);
  for (const char* emit : {"onnx", "so"}) {
    if (std::string(emit) == "so" && !kilnHasCpuBackend()) continue;
    expectFailure({"compile", extModel, "--emit", emit, "-o", weights}, 1, {"refusing to write -o", "weights.bin"});
  }
  expectFailure({"run", extModel, "--input", input, "-o", weights}, 1, {"refusing to write --output", "weights.bin"});
  expectFailure({"inspect", extModel, "--dot-after", weights}, 1, {"refusing to write --dot-after", "weights.bin"});
  std::ifstream in(weights, std::ios::binary);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), bias);
}

}  // namespace
}  // namespace kiln::test::cli
