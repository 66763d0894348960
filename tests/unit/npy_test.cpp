// .npy / .npz reading and writing. The sample files in tests/data/npy were written by numpy
// (tests/tools/gen_eval_fixtures.py); element i of each sample is a simple function of i.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "eval_test_util.h"
#include "kiln/support/error.h"
#include "kiln/support/npy.h"
#include "test_util.h"

namespace kiln {
namespace {

namespace fs = std::filesystem;
using test::contains;

std::string sample(const std::string& name) { return test::sourcePath("tests/data/npy/" + name); }

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// Fresh empty folder for one test.
std::string scratchDir(const std::string& name) {
  const fs::path p = fs::path(testing::TempDir()) / ("kiln_npy_" + name);
  fs::remove_all(p);
  fs::create_directories(p);
  return p.string();
}

/// The values gen_eval_fixtures.py stored: f4 = 0.5 i, f8 = -0.25 i, i8 = 3i - 7, i4 = i - 2,
/// i1 = 40i - 60, u1 = 60i, b1 = i odd.
void expectSamples(const std::map<std::string, Tensor>& m) {
  auto check = [&](const std::string& key, DType t, std::vector<int64_t> dims, auto value) {
    ASSERT_TRUE(m.count(key)) << key;
    const Tensor& x = m.at(key);
    EXPECT_EQ(x.dtype, t) << key;
    EXPECT_EQ(x.dims, dims) << key;
    for (int64_t i = 0; i < x.size(); ++i) EXPECT_EQ(x.getDouble(i), value(i)) << key << "[" << i << "]";
  };
  check("f4", DType::F32, {2, 3}, [](int64_t i) { return 0.5 * i; });
  check("f8", DType::F64, {3, 2}, [](int64_t i) { return -0.25 * i; });
  check("i8", DType::I64, {5}, [](int64_t i) { return 3.0 * i - 7; });
  check("i4", DType::I32, {1, 4}, [](int64_t i) { return i - 2.0; });
  check("i1", DType::I8, {4}, [](int64_t i) { return 40.0 * i - 60; });
  check("u1", DType::U8, {4}, [](int64_t i) { return 60.0 * i; });
  check("b1", DType::Bool, {5}, [](int64_t i) { return i % 2 == 1 ? 1.0 : 0.0; });
  check("scalar", DType::F64, {}, [](int64_t) { return 2.5; });
  check("empty", DType::F32, {0, 3}, [](int64_t) { return 0.0; });
}

TEST(Npy, ReadsNumpyArchivesStoredAndDeflated) {
  expectSamples(readNpz(sample("samples_stored.npz")));
  expectSamples(readNpz(sample("samples_deflated.npz")));
}

TEST(Npy, ReadsHeaderVersions1To3) {
  for (const char* f : {"f4_v1.npy", "f4_v2.npy", "f4_v3.npy"}) {
    Tensor t = readNpy(sample(f));
    EXPECT_EQ(t.dtype, DType::F32) << f;
    EXPECT_EQ(t.dims, (std::vector<int64_t>{2, 3})) << f;
    for (int64_t i = 0; i < 6; ++i) EXPECT_EQ(t.data<float>()[i], 0.5f * i) << f;
  }
}

TEST(Npy, UnsupportedLayoutsNameTheFile) {
  for (const char* f : {"f8_fortran.npy", "f4_bigendian.npy", "i2_unsupported.npy"}) {
    try {
      readNpy(sample(f));
      ADD_FAILURE() << f << " was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::Unsupported) << e.what();
      EXPECT_TRUE(contains(e.what(), sample(f)));
    }
  }
}

TEST(Npy, RoundTripEveryDtype) {
  const std::string dir = scratchDir("roundtrip");
  std::map<std::string, Tensor> arrays;
  arrays["f32"] = Tensor::fromFloats({1.5f, -2.25f, 3e-8f}, {3});
  arrays["f64"] = Tensor::fromDoubles({0.1, -1e300}, {2, 1});
  arrays["i64"] = Tensor::fromInts({INT64_MIN, 0, INT64_MAX}, {3});
  arrays["i32"] = Tensor::fromInts({-5, 7}, {1, 2}, DType::I32);
  arrays["i8"] = Tensor::fromInts({-128, 127}, {2}, DType::I8);
  arrays["u8"] = Tensor::fromInts({0, 255}, {2}, DType::U8);
  arrays["bool"] = Tensor::fromInts({1, 0, 1}, {3}, DType::Bool);
  arrays["scalar"] = Tensor::fromFloats({4.0f}, {});
  arrays["empty"] = Tensor(DType::F64, {2, 0, 3});
  for (const auto& [name, t] : arrays) {
    const std::string path = dir + "/" + name + ".npy";
    writeNpy(path, t);
    const Tensor back = readNpy(path);
    EXPECT_EQ(back.dtype, t.dtype) << name;
    EXPECT_EQ(back.dims, t.dims) << name;
    EXPECT_EQ(back.bytes, t.bytes) << name;
    // numpy aligns the data to 64 bytes; so do we.
    EXPECT_EQ((slurp(path).size() - t.bytes.size()) % 64, 0u) << name;
  }
  writeNpz(dir + "/all.npz", arrays);
  const auto back = readNpz(dir + "/all.npz");
  ASSERT_EQ(back.size(), arrays.size());
  for (const auto& [name, t] : arrays) {
    EXPECT_EQ(back.at(name).dims, t.dims) << name;
    EXPECT_EQ(back.at(name).bytes, t.bytes) << name;
  }
  // Atomic writes leave no temporary files behind.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator{}),
            static_cast<long>(arrays.size() + 1));
}

TEST(Npy, WriteFailureIsIoError) {
  try {
    writeNpy(scratchDir("nodir") + "/missing/sub/x.npy", Tensor(DType::F32, {1}));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Io);
    EXPECT_TRUE(contains(e.what(), "missing/sub/x.npy"));
  }
  try {
    readNpy("/nonexistent/kiln.npy");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Io);
    EXPECT_TRUE(contains(e.what(), "/nonexistent/kiln.npy"));
  }
}

/// A version 1.0 .npy with the given header dict text and payload.
std::string npyWithHeader(std::string dict, const std::string& payload) {
  dict += '\n';
  std::string out = std::string("\x93NUMPY\x01\x00", 8);
  out.push_back(static_cast<char>(dict.size() & 0xff));
  out.push_back(static_cast<char>(dict.size() >> 8));
  return out + dict + payload;
}

/// Expects parseNpy(bytes) to throw an Error whose message names `name` and contains `why`.
void expectMalformed(const std::string& bytes, const std::string& why) {
  try {
    parseNpy(bytes, "bad.npy");
    ADD_FAILURE() << "accepted: " << why;
  } catch (const Error& e) {
    EXPECT_TRUE(contains(e.what(), "bad.npy"));
    EXPECT_TRUE(contains(e.what(), why));
  }
}

TEST(Npy, MalformedNpyNamesTheFile) {
  const std::string good = serializeNpy(Tensor::fromFloats({1, 2, 3, 4, 5, 6}, {2, 3}));
  expectMalformed("", "bad magic");
  expectMalformed("PK\x03\x04 not numpy at all", "bad magic");
  expectMalformed(good.substr(0, 20), "truncated header");
  expectMalformed(good.substr(0, good.size() - 4), "data holds 20 bytes");
  std::string s = good;
  s.replace(s.find("(2, 3)"), 6, "(2, 4)");
  expectMalformed(s, "needs 32");
  const std::string payload(24, '\0');
  expectMalformed(npyWithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': "
                                "(99999999999999, 99999999999999), }", payload),
                  "data holds 24 bytes");
  expectMalformed(npyWithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': "
                                "(99999999999999999999,), }", payload),
                  "dimension too large");
  expectMalformed(npyWithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (6,", payload),
                  "bad header");
  expectMalformed(npyWithHeader("{'descr': '<f4', 'shape': (6,), }", payload), "bad header");
  s = good;
  s.replace(s.find("'<f4'"), 5, "'<c8'");
  try {
    parseNpy(s, "bad.npy");
    ADD_FAILURE() << "complex dtype accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Unsupported);
    EXPECT_TRUE(contains(e.what(), "unsupported dtype '<c8'"));
  }
  s = good;
  s[6] = 9;
  expectMalformed(s, "unknown format version 9");
  s = good;
  s.replace(s.find("'shape'"), 7, "'shapf'");
  expectMalformed(s, "bad header");
}

TEST(Npy, MalformedNpzNamesTheFile) {
  const std::string dir = scratchDir("badzip");
  const std::string good = slurp(sample("samples_deflated.npz"));
  auto expectBad = [&](const std::string& bytes, const std::string& why) {
    const std::string path = dir + "/bad.npz";
    std::ofstream(path, std::ios::binary) << bytes;
    try {
      readNpz(path);
      ADD_FAILURE() << "accepted: " << why;
    } catch (const Error& e) {
      EXPECT_TRUE(contains(e.what(), path));
      EXPECT_TRUE(contains(e.what(), why));
    }
  };
  expectBad("", "too short");
  expectBad(std::string(100, 'x'), "end-of-central-directory");
  expectBad(good.substr(0, good.size() / 2), "end-of-central-directory");
  std::string s = good;
  s[200] ^= 0x55;  // inside the first deflated member
  expectBad(s, "member '");
}

// Issue 9: a small .npz inflated a member to whatever size its directory recorded before the
// .npy header inside was checked. The header is read first: a recorded size that is not the
// header plus the data the shape needs is refused before the member is inflated (so the error
// names the shape, not a failed inflate).
TEST(Npy, NpzMemberSizesAreCheckedAgainstTheHeaderBeforeInflating) {
  const std::string dir = scratchDir("inflate");
  std::string b = slurp(sample("samples_deflated.npz"));
  const size_t cd = b.find("PK\x01\x02");
  ASSERT_NE(cd, std::string::npos);
  ASSERT_EQ(static_cast<uint8_t>(b[cd + 10]), 8u) << "first member deflated";
  uint32_t usize = 0;
  for (int i = 3; i >= 0; --i) usize = usize << 8 | static_cast<uint8_t>(b[cd + 24 + i]);
  usize += 64;  // a plausible claim (deflate could produce it), not what the header needs
  for (int i = 0; i < 4; ++i) b[cd + 24 + i] = static_cast<char>(usize >> (8 * i));
  std::ofstream(dir + "/claims.npz", std::ios::binary) << b;
  try {
    readNpz(dir + "/claims.npz");
    ADD_FAILURE() << "accepted";
  } catch (const Error& e) {
    EXPECT_TRUE(contains(e.what(), "bytes but shape")) << e.what();
    EXPECT_TRUE(contains(e.what(), "claims.npz:")) << e.what();
  }
}

// Random corruption of valid files must only ever produce kiln::Error.
TEST(Npy, FuzzedInputsNeverCrash) {
  const std::string dir = scratchDir("fuzz");
  std::mt19937 rng(7);
  for (const char* f : {"samples_stored.npz", "samples_deflated.npz", "f4_v1.npy"}) {
    const std::string good = slurp(sample(f));
    const bool npz = std::string(f).ends_with(".npz");
    for (int round = 0; round < 200; ++round) {
      std::string s = good;
      const int edits = 1 + static_cast<int>(rng() % 4);
      for (int e = 0; e < edits; ++e) s[rng() % s.size()] = static_cast<char>(rng());
      if (rng() % 5 == 0) s.resize(rng() % s.size());
      try {
        if (npz) {
          std::ofstream(dir + "/f.npz", std::ios::binary | std::ios::trunc) << s;
          readNpz(dir + "/f.npz");
        } else {
          parseNpy(s, "fuzz.npy");
        }
      } catch (const Error&) {
      }
    }
  }
}

}  // namespace
}  // namespace kiln
