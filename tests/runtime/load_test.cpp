// Loading artifacts, querying their signature, and every way loading can fail.
#include <gmock/gmock.h>

#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "kiln/kiln_artifact.h"
#include "runtime_test_util.h"

using ::testing::HasSubstr;
using ::testing::StartsWith;

namespace kiln::rt::test {
namespace {

TEST_F(FakeModelTest, ReportsNameAndCounts) {
  EXPECT_STREQ(kiln_model_name(model_), "fake_relu");
  EXPECT_EQ(kiln_model_num_inputs(model_), 2u);
  EXPECT_EQ(kiln_model_num_outputs(model_), 3u);
}

TEST_F(FakeModelTest, ReportsInputSignatureWithSymbolicBatch) {
  kiln_tensor_info info{};
  ASSERT_EQ(kiln_model_input_info(model_, 0, &info), KILN_STATUS_OK);
  EXPECT_STREQ(info.name, "x");
  EXPECT_EQ(info.dtype, KILN_DTYPE_FLOAT32);
  ASSERT_EQ(info.rank, 2u);
  EXPECT_EQ(info.dims[0], -1);
  EXPECT_STREQ(info.dim_names[0], "N");
  EXPECT_EQ(info.dims[1], 4);
  EXPECT_EQ(info.dim_names[1], nullptr);

  ASSERT_EQ(kiln_model_input_info(model_, 1, &info), KILN_STATUS_OK);
  EXPECT_STREQ(info.name, "k");
  EXPECT_EQ(info.dtype, KILN_DTYPE_INT64);
  ASSERT_EQ(info.rank, 1u);
  EXPECT_STREQ(info.dim_names[0], "N");
}

TEST_F(FakeModelTest, ReportsOutputSignatureIncludingDerivedSymbol) {
  kiln_tensor_info info{};
  ASSERT_EQ(kiln_model_output_info(model_, 1, &info), KILN_STATUS_OK);
  EXPECT_STREQ(info.name, "s");
  EXPECT_EQ(info.dtype, KILN_DTYPE_FLOAT64);
  ASSERT_EQ(kiln_model_output_info(model_, 2, &info), KILN_STATUS_OK);
  EXPECT_STREQ(info.name, "flat");
  ASSERT_EQ(info.rank, 1u);
  EXPECT_EQ(info.dims[0], -1);
  EXPECT_STREQ(info.dim_names[0], "N*4");
}

TEST_F(FakeModelTest, InfoIndexOutOfRangeIsInvalidArgument) {
  kiln_tensor_info info{};
  EXPECT_EQ(kiln_model_input_info(model_, 2, &info), KILN_STATUS_INVALID_ARGUMENT);
  EXPECT_STREQ(kiln_last_error(), "input index 2 is out of range: model 'fake_relu' has 2 inputs");
  EXPECT_EQ(kiln_model_output_info(model_, 0, nullptr), KILN_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(kiln_model_output_info(nullptr, 0, &info), KILN_STATUS_INVALID_ARGUMENT);
}

TEST_F(FakeModelTest, SuccessClearsLastError) {
  kiln_tensor_info info{};
  ASSERT_NE(kiln_model_input_info(model_, 9, &info), KILN_STATUS_OK);
  ASSERT_STRNE(kiln_last_error(), "");
  ASSERT_EQ(kiln_model_input_info(model_, 0, &info), KILN_STATUS_OK);
  EXPECT_STREQ(kiln_last_error(), "");
}

TEST(Load, SameArtifactTwiceGivesIndependentHandles) {
  kiln_model* a = nullptr;
  kiln_model* b = nullptr;
  ASSERT_EQ(kiln_model_load(fakePath(), &a), KILN_STATUS_OK);
  ASSERT_EQ(kiln_model_load(fakePath(), &b), KILN_STATUS_OK);
  EXPECT_NE(a, b);
  kiln_model_free(a);
  EXPECT_STREQ(kiln_model_name(b), "fake_relu");  // b still usable after a is gone
  kiln_model_free(b);
}

// Expects loading `path` to fail with `status`; returns the message.
std::string loadFailure(const std::string& path, kiln_status status) {
  kiln_model* model = reinterpret_cast<kiln_model*>(0x1);  // must be reset to NULL
  EXPECT_EQ(kiln_model_load(path.c_str(), &model), status) << kiln_last_error();
  EXPECT_EQ(model, nullptr);
  return kiln_last_error();
}

TEST(Load, MissingFileIsIoError) {
  std::string msg = loadFailure("/nonexistent/dir/model.so", KILN_STATUS_IO_ERROR);
  EXPECT_EQ(msg, "cannot open '/nonexistent/dir/model.so': No such file or directory");
}

TEST(Load, DirectoryIsIoError) {
  std::string dir = std::filesystem::temp_directory_path().string();
  EXPECT_EQ(loadFailure(dir, KILN_STATUS_IO_ERROR), "cannot open '" + dir + "': it is a directory");
}

TEST(Load, TextFileIsNotAnArtifact) {
  auto path = std::filesystem::temp_directory_path() / ("kiln_not_a_library_" + std::to_string(::getpid()) + ".so");
  std::ofstream(path) << "this is not an ELF file\n";
  std::string msg = loadFailure(path.string(), KILN_STATUS_NOT_AN_ARTIFACT);
  EXPECT_EQ(msg, "'" + path.string() + "' is not a kiln artifact: not an ELF shared library");
  std::filesystem::remove(path);
}

// Issue 9: a truncated library gave SIGBUS inside dlopen. The ELF structure is checked
// against the file's size first: every cut of a real library is a clean error.
TEST(Load, TruncatedLibraryIsNotAnArtifact) {
  std::ifstream in(KILN_FAKE_ARTIFACT, std::ios::binary);
  const std::string whole{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  ASSERT_GT(whole.size(), 4096u);
  auto path = std::filesystem::temp_directory_path() / ("kiln_truncated_" + std::to_string(::getpid()) + ".so");
  for (size_t keep : {size_t{16}, size_t{64}, size_t{200}, whole.size() / 2, whole.size() - 1}) {
    std::ofstream(path, std::ios::binary | std::ios::trunc).write(whole.data(), static_cast<std::streamsize>(keep));
    const std::string msg = loadFailure(path.string(), KILN_STATUS_NOT_AN_ARTIFACT);
    EXPECT_THAT(msg, StartsWith("'" + path.string() + "' is not a kiln artifact: ")) << keep;
    if (keep >= 200) {
      EXPECT_THAT(msg, HasSubstr("truncated")) << keep;
    }
  }
  std::filesystem::remove(path);
}

// Issue 9: dim codes were checked after truncation to int32, so -1 - 2^32 passed as symbol 0
// and INT64_MIN crashed; extents beyond the compiler's 2^48 are refused too.
TEST(Load, TamperedDimCodesAreMalformedDescriptors) {
  for (const char* path : {KILN_FAKE_DIM_ALIAS, KILN_FAKE_DIM_MIN})
    EXPECT_EQ(loadFailure(path, KILN_STATUS_NOT_AN_ARTIFACT),
              "'" + std::string(path) +
                  "' is not a kiln artifact: malformed descriptor: input 0 ('x') dim 0 refers to a symbol that does not exist");
  EXPECT_EQ(loadFailure(KILN_FAKE_DIM_HUGE, KILN_STATUS_NOT_AN_ARTIFACT),
            "'" + std::string(KILN_FAKE_DIM_HUGE) +
                "' is not a kiln artifact: malformed descriptor: input 0 ('x') dim 0 is 1125899906842624, beyond 2^48");
}

TEST(Load, LibraryWithoutEntryPointIsNotAnArtifact) {
  std::string path = KILN_FAKE_NOENTRY;
  EXPECT_EQ(loadFailure(path, KILN_STATUS_NOT_AN_ARTIFACT),
            "'" + path + "' is not a kiln artifact: it does not export kiln_artifact_get");
}

TEST(Load, TheRuntimeLibraryItselfIsNotAnArtifact) {
  std::string path = KILN_RUNTIME_LIBRARY;
  EXPECT_THAT(loadFailure(path, KILN_STATUS_NOT_AN_ARTIFACT), HasSubstr("does not export kiln_artifact_get"));
}

TEST(Load, WrongMagicIsNotAnArtifact) {
  std::string path = KILN_FAKE_BADMAGIC;
  EXPECT_EQ(loadFailure(path, KILN_STATUS_NOT_AN_ARTIFACT),
            "'" + path + "' is not a kiln artifact: wrong magic 0x12345678 (expected 0x4e4c494b)");
}

TEST(Load, OtherAbiVersionIsAbiMismatch) {
  std::string path = KILN_FAKE_ABI2;
  EXPECT_EQ(loadFailure(path, KILN_STATUS_ABI_MISMATCH),
            "'" + path + "' was built for kiln artifact ABI version 2, this runtime loads version " +
                std::to_string(KILN_ARTIFACT_ABI_VERSION));
  EXPECT_EQ(kiln_abi_version(), KILN_ARTIFACT_ABI_VERSION);
}

// Issue 9/10: an artifact built for another CPU died of SIGILL. The features it records are
// checked before any of its code runs; one this runtime cannot check is refused as well.
TEST(Load, CpuFeaturesAreCheckedBeforeTheArtifactRuns) {
  kiln_model* model = nullptr;
  ASSERT_EQ(kiln_model_load(KILN_FAKE_FEATURES_BASIC, &model), KILN_STATUS_OK) << kiln_last_error();
  kiln_model_free(model);
  EXPECT_EQ(loadFailure(KILN_FAKE_FEATURES_UNKNOWN, KILN_STATUS_UNSUPPORTED),
            "'" + std::string(KILN_FAKE_FEATURES_UNKNOWN) +
                "' needs CPU features this runtime cannot check on this machine: kiln-imaginary-isa");
  EXPECT_STREQ(kiln_status_string(KILN_STATUS_UNSUPPORTED), "unsupported");
}

TEST(Load, MalformedDescriptorIsNotAnArtifact) {
  std::string path = KILN_FAKE_BADDTYPE;
  EXPECT_EQ(loadFailure(path, KILN_STATUS_NOT_AN_ARTIFACT),
            "'" + path + "' is not a kiln artifact: malformed descriptor: input 0 ('x') has unknown dtype 99");
}

TEST(Load, NullArgumentsAreInvalid) {
  kiln_model* model = nullptr;
  EXPECT_EQ(kiln_model_load(nullptr, &model), KILN_STATUS_INVALID_ARGUMENT);
  EXPECT_STREQ(kiln_last_error(), "path is NULL");
  EXPECT_EQ(kiln_model_load(fakePath(), nullptr), KILN_STATUS_INVALID_ARGUMENT);
  EXPECT_STREQ(kiln_last_error(), "out is NULL");
}

TEST(Load, NullHandleQueriesAreHarmless) {
  kiln_model_free(nullptr);
  EXPECT_STREQ(kiln_model_name(nullptr), "");
  EXPECT_EQ(kiln_model_num_inputs(nullptr), 0u);
  EXPECT_EQ(kiln_model_num_outputs(nullptr), 0u);
}

}  // namespace
}  // namespace kiln::rt::test
