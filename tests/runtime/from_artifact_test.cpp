// kiln_model_from_artifact: a descriptor already in memory (here: kiln_artifact_get of a fake
// artifact the test opens itself) runs like a loaded file and is checked with the same messages.
#include <dlfcn.h>
#include <gmock/gmock.h>

#include <cstring>

#include "kiln/kiln.hpp"
#include "kiln/kiln_artifact.h"
#include "runtime_test_util.h"

namespace kiln::rt::test {
namespace {

/// A fake artifact opened with dlopen by the test, which keeps it open for the test's lifetime.
class OpenedArtifact {
 public:
  explicit OpenedArtifact(const char* path) : handle_(::dlopen(path, RTLD_NOW | RTLD_LOCAL)) {}
  ~OpenedArtifact() {
    if (handle_) ::dlclose(handle_);
  }
  OpenedArtifact(const OpenedArtifact&) = delete;
  OpenedArtifact& operator=(const OpenedArtifact&) = delete;

  const kiln_artifact_header* header() const {
    if (!handle_) return nullptr;
    void* entry = ::dlsym(handle_, KILN_ARTIFACT_ENTRY_SYMBOL);
    return entry ? reinterpret_cast<kiln_artifact_get_fn>(entry)() : nullptr;
  }

 private:
  void* handle_;
};

std::string fromArtifactFailure(const char* path, const char* name, kiln_status expected) {
  OpenedArtifact lib(path);
  const kiln_artifact_header* header = lib.header();
  EXPECT_NE(header, nullptr);
  kiln_model* model = reinterpret_cast<kiln_model*>(0x1);
  EXPECT_EQ(kiln_model_from_artifact(header, name, &model), expected);
  EXPECT_EQ(model, nullptr);
  return kiln_last_error();
}

TEST(FromArtifact, RunsAndMatchesTheLoadedFile) {
  OpenedArtifact lib(fakePath());
  ASSERT_NE(lib.header(), nullptr);
  Model model = Model::fromArtifact(lib.header(), "in-memory fake");
  EXPECT_EQ(model.name(), "fake_relu");
  ASSERT_EQ(model.numInputs(), 2u);
  ASSERT_EQ(model.numOutputs(), 3u);
  EXPECT_EQ(model.input(0).dims, (std::vector<int64_t>{-1, 4}));

  FakeInputs in(7, 3);
  std::vector<kiln_tensor> inputs = {view(in.x.data(), {7, 4}, "x"), view(in.k.data(), {7})};
  for (int threads : {1, 2}) {
    std::vector<Tensor> outs = model.runAlloc(inputs, threads);
    ASSERT_EQ(outs.size(), 3u);
    EXPECT_EQ(outs[0].dims(), (std::vector<int64_t>{7, 4}));
    EXPECT_TRUE(matches(FakeExpected(in), outs[0].data<float>(), outs[1].data<double>(), outs[2].data<float>()));
  }

  // The same descriptor loaded from the file gives the same bytes.
  Model loaded = Model::load(fakePath());
  std::vector<Tensor> a = model.runAlloc(inputs), b = loaded.runAlloc(inputs);
  ASSERT_EQ(a.size(), b.size());
  for (size_t o = 0; o < a.size(); ++o) {
    ASSERT_EQ(a[o].raw().bytes, b[o].raw().bytes);
    EXPECT_EQ(std::memcmp(a[o].raw().data, b[o].raw().data, a[o].raw().bytes), 0) << "output " << o;
  }
}

TEST(FromArtifact, WrongInputsNameTheInput) {
  OpenedArtifact lib(fakePath());
  Model model = Model::fromArtifact(lib.header(), "in-memory fake");
  std::vector<float> x(8);
  std::vector<int64_t> k(3);
  try {
    model.runAlloc({view(x.data(), {2, 4}), view(k.data(), {3})});
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_EQ(e.status(), KILN_STATUS_INVALID_INPUT);
    EXPECT_STREQ(e.what(), "input 'k': expected int64 [N] (N=2 from input 'x'), got int64 [3]");
  }
}

TEST(FromArtifact, WrongMagicIsRefusedWithTheLoadersMessage) {
  EXPECT_EQ(fromArtifactFailure(KILN_FAKE_BADMAGIC, "jit", KILN_STATUS_NOT_AN_ARTIFACT),
            "'jit' is not a kiln artifact: wrong magic 0x12345678 (expected 0x4e4c494b)");
}

TEST(FromArtifact, OtherAbiVersionIsAbiMismatch) {
  EXPECT_EQ(fromArtifactFailure(KILN_FAKE_ABI2, "jit", KILN_STATUS_ABI_MISMATCH),
            "'jit' was built for kiln artifact ABI version 2, this runtime loads version " +
                std::to_string(KILN_ARTIFACT_ABI_VERSION));
}

TEST(FromArtifact, MalformedDescriptorIsNotAnArtifact) {
  EXPECT_EQ(fromArtifactFailure(KILN_FAKE_BADDTYPE, "jit", KILN_STATUS_NOT_AN_ARTIFACT),
            "'jit' is not a kiln artifact: malformed descriptor: input 0 ('x') has unknown dtype 99");
}

TEST(FromArtifact, NullArgumentsAreInvalid) {
  kiln_model* model = reinterpret_cast<kiln_model*>(0x1);
  EXPECT_EQ(kiln_model_from_artifact(nullptr, "x", &model), KILN_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(model, nullptr);
  EXPECT_STREQ(kiln_last_error(), "header is NULL");
  OpenedArtifact lib(fakePath());
  EXPECT_EQ(kiln_model_from_artifact(lib.header(), "x", nullptr), KILN_STATUS_INVALID_ARGUMENT);
}

}  // namespace
}  // namespace kiln::rt::test
