// Running the fake model: caller buffers, runtime-allocated outputs, shape inference,
// symbolic batch sizes, thread counts, and zero-copy versus staged (misaligned) buffers.
#include <dlfcn.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>

#include "runtime_test_util.h"

namespace kiln::rt::test {
namespace {

kiln_run_options threads(int32_t n) {
  kiln_run_options o;
  kiln_run_options_init(&o);
  o.num_threads = n;
  return o;
}

TEST_F(FakeModelTest, RunWithCallerBuffersMatchesIndependentComputation) {
  FakeInputs in(5, 1);
  FakeOutputs out(5);
  kiln_tensor inputs[] = {in.xTensor(), in.kTensor()};
  std::vector<kiln_tensor> outputs = out.tensors();
  ASSERT_EQ(kiln_run(model_, inputs, 2, outputs.data(), 3, nullptr), KILN_STATUS_OK) << kiln_last_error();
  FakeExpected e(in);
  EXPECT_TRUE(matches(e, out.y.data(), out.s.data(), out.flat.data()));
  EXPECT_GT(*std::max_element(e.y.begin(), e.y.end()), 0.0f);  // the data exercises both relu sides
  EXPECT_EQ(*std::min_element(e.y.begin(), e.y.end()), 0.0f);
}

TEST_F(FakeModelTest, RunPublishesOutputShapes) {
  FakeInputs in(3, 2);
  FakeOutputs out(3);
  kiln_tensor inputs[] = {in.xTensor(), in.kTensor()};
  std::vector<kiln_tensor> outputs = out.tensors();
  ASSERT_EQ(kiln_run(model_, inputs, 2, outputs.data(), 3, nullptr), KILN_STATUS_OK) << kiln_last_error();
  EXPECT_EQ(outputs[0].dtype, KILN_DTYPE_FLOAT32);
  ASSERT_EQ(outputs[0].rank, 2u);
  EXPECT_EQ(outputs[0].dims[0], 3);
  EXPECT_EQ(outputs[0].dims[1], 4);
  EXPECT_EQ(outputs[1].dtype, KILN_DTYPE_FLOAT64);
  ASSERT_EQ(outputs[1].rank, 1u);
  EXPECT_EQ(outputs[1].dims[0], 3);
  ASSERT_EQ(outputs[2].rank, 1u);
  EXPECT_EQ(outputs[2].dims[0], 12);  // derived symbol N*4
}

TEST_F(FakeModelTest, SymbolicBatchOfSeveralSizes) {
  for (int64_t n : {1, 2, 7, 64, 1000}) {
    FakeInputs in(n, static_cast<int>(n));
    FakeOutputs out(n);
    kiln_tensor inputs[] = {in.xTensor(), in.kTensor()};
    std::vector<kiln_tensor> outputs = out.tensors();
    ASSERT_EQ(kiln_run(model_, inputs, 2, outputs.data(), 3, nullptr), KILN_STATUS_OK) << "N=" << n << ": " << kiln_last_error();
    EXPECT_TRUE(matches(FakeExpected(in), out.y.data(), out.s.data(), out.flat.data())) << "N=" << n;
    EXPECT_EQ(outputs[2].dims[0], 4 * n);
  }
}

TEST_F(FakeModelTest, EmptyBatchRunsAndProducesEmptyOutputs) {
  kiln_tensor inputs[] = {FakeInputs::tensor(nullptr, KILN_DTYPE_FLOAT32, {0, 4}, 0),
                          FakeInputs::tensor(nullptr, KILN_DTYPE_INT64, {0}, 0)};
  kiln_tensor outputs[3] = {};
  ASSERT_EQ(kiln_run(model_, inputs, 2, outputs, 3, nullptr), KILN_STATUS_OK) << kiln_last_error();
  EXPECT_EQ(outputs[0].dims[0], 0);
  EXPECT_EQ(outputs[2].dims[0], 0);
}

TEST_F(FakeModelTest, EveryThreadCountGivesTheSameResult) {
  FakeInputs in(333, 4);
  FakeExpected e(in);
  for (int32_t t : {1, 2, 3, 4, 16, 0}) {
    FakeOutputs out(333);
    kiln_tensor inputs[] = {in.xTensor(), in.kTensor()};
    std::vector<kiln_tensor> outputs = out.tensors();
    kiln_run_options o = threads(t);
    ASSERT_EQ(kiln_run(model_, inputs, 2, outputs.data(), 3, &o), KILN_STATUS_OK) << kiln_last_error();
    // s accumulates per row inside the parallel body: a row done twice or skipped would differ.
    EXPECT_TRUE(matches(e, out.y.data(), out.s.data(), out.flat.data())) << "threads=" << t;
  }
}

TEST_F(FakeModelTest, BackToBackAndSpacedRunsOnThePoolStayCorrect) {
  // Pool workers poll for the next loop for a short while after each one and block after
  // that: runs back to back hand their loops to polling workers, runs after a pause to
  // blocked ones, and thread counts that change between runs mix both.
  FakeInputs in(257, 3);
  FakeExpected e(in);
  for (int i = 0; i < 300; ++i) {
    if (i % 50 == 49) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    FakeOutputs out(257);
    kiln_tensor inputs[] = {in.xTensor(), in.kTensor()};
    std::vector<kiln_tensor> outputs = out.tensors();
    kiln_run_options o = threads(i % 7 == 6 ? 4 : 2);
    ASSERT_EQ(kiln_run(model_, inputs, 2, outputs.data(), 3, &o), KILN_STATUS_OK) << kiln_last_error();
    ASSERT_TRUE(matches(e, out.y.data(), out.s.data(), out.flat.data())) << "run " << i;
  }
}

TEST_F(FakeModelTest, RunAllocOutputsAreOwnedAlignedAndCorrect) {
  FakeInputs in(9, 5);
  kiln_tensor inputs[] = {in.xTensor(), in.kTensor()};
  kiln_tensor outputs[3] = {};
  ASSERT_EQ(kiln_run_alloc(model_, inputs, 2, outputs, 3, nullptr), KILN_STATUS_OK) << kiln_last_error();
  EXPECT_EQ(outputs[0].bytes, 9u * 4 * sizeof(float));
  EXPECT_EQ(outputs[1].bytes, 9u * sizeof(double));
  EXPECT_EQ(outputs[2].dims[0], 36);
  for (const kiln_tensor& t : outputs) EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data) % 64, 0u);
  EXPECT_TRUE(matches(FakeExpected(in), static_cast<float*>(outputs[0].data), static_cast<double*>(outputs[1].data),
                      static_cast<float*>(outputs[2].data)));
  for (kiln_tensor& t : outputs) {
    kiln_tensor_free_data(&t);
    EXPECT_EQ(t.data, nullptr);
    EXPECT_EQ(t.bytes, 0u);
  }
  kiln_tensor_free_data(&outputs[0]);  // second free of a cleared tensor is a no-op
  kiln_tensor_free_data(nullptr);
}

TEST_F(FakeModelTest, RunAllocLeavesNothingAllocatedOnFailure) {
  FakeInputs in(4, 0);
  in.k[2] = -7;  // the model rejects a negative k at run time
  kiln_tensor inputs[] = {in.xTensor(), in.kTensor()};
  kiln_tensor outputs[3];
  for (kiln_tensor& t : outputs) t.data = &t, t.bytes = 99, t.name = nullptr;  // garbage that must be reset
  ASSERT_EQ(kiln_run_alloc(model_, inputs, 2, outputs, 3, nullptr), KILN_STATUS_INVALID_INPUT);
  EXPECT_STREQ(kiln_last_error(), "model 'fake_relu' failed: k[2] is negative (-7)");
  for (const kiln_tensor& t : outputs) {
    EXPECT_EQ(t.data, nullptr);
    EXPECT_EQ(t.bytes, 0u);
  }
}

TEST_F(FakeModelTest, InferOutputsNeedsNoDataAndSizesBuffers) {
  kiln_tensor inputs[] = {FakeInputs::tensor(nullptr, KILN_DTYPE_FLOAT32, {6, 4}, 0),
                          FakeInputs::tensor(nullptr, KILN_DTYPE_INT64, {6}, 0)};
  kiln_tensor outputs[3] = {};
  ASSERT_EQ(kiln_infer_outputs(model_, inputs, 2, outputs, 3), KILN_STATUS_OK) << kiln_last_error();
  EXPECT_EQ(outputs[0].bytes, 6u * 4 * 4);
  EXPECT_EQ(outputs[1].bytes, 6u * 8);
  EXPECT_EQ(outputs[2].bytes, 24u * 4);
  EXPECT_EQ(outputs[2].dims[0], 24);
  EXPECT_EQ(outputs[0].data, nullptr);
}

TEST_F(FakeModelTest, NamesInTheRightOrderAreAccepted) {
  FakeInputs in(2, 3);
  FakeOutputs out(2);
  kiln_tensor inputs[] = {in.xTensor(), in.kTensor()};
  inputs[0].name = "x";
  inputs[1].name = "k";
  std::vector<kiln_tensor> outputs = out.tensors();
  outputs[2].name = "flat";
  ASSERT_EQ(kiln_run(model_, inputs, 2, outputs.data(), 3, nullptr), KILN_STATUS_OK) << kiln_last_error();
  EXPECT_TRUE(matches(FakeExpected(in), out.y.data(), out.s.data(), out.flat.data()));
}

// --- zero-copy and staging -------------------------------------------------------------

// The fake records the x pointer its run saw (a test hook outside the ABI).
const void* lastXSeenByFake() {
  void* handle = dlopen(fakePath(), RTLD_NOW | RTLD_NOLOAD);
  EXPECT_NE(handle, nullptr);
  auto* seen = static_cast<std::atomic<const void*>*>(dlsym(handle, "fake_last_x_seen"));
  EXPECT_NE(seen, nullptr);
  const void* p = seen ? seen->load() : nullptr;
  if (handle) dlclose(handle);
  return p;
}

// 64-byte aligned storage with room to place data at an offset.
struct Arena {
  std::vector<unsigned char> raw = std::vector<unsigned char>(64 * 1024);
  unsigned char* at(size_t offset) {
    auto base = reinterpret_cast<uintptr_t>(raw.data());
    return reinterpret_cast<unsigned char*>((base + 63) / 64 * 64) + offset;
  }
};

TEST_F(FakeModelTest, AlignedInputIsReadInPlace) {
  FakeInputs in(8, 6);
  Arena arena;
  auto* x = reinterpret_cast<float*>(arena.at(0));
  std::memcpy(x, in.x.data(), in.x.size() * sizeof(float));
  kiln_tensor inputs[] = {FakeInputs::tensor(x, KILN_DTYPE_FLOAT32, {8, 4}, 0), in.kTensor()};
  FakeOutputs out(8);
  std::vector<kiln_tensor> outputs = out.tensors();
  ASSERT_EQ(kiln_run(model_, inputs, 2, outputs.data(), 3, nullptr), KILN_STATUS_OK) << kiln_last_error();
  EXPECT_EQ(lastXSeenByFake(), x);
}

TEST_F(FakeModelTest, MisalignedBuffersAreStagedAndStillCorrect) {
  FakeInputs in(8, 7);
  Arena arena;
  // Every buffer 4 or 8 bytes past a 64-byte boundary: the fake rejects anything unaligned,
  // so success means the runtime staged them all.
  auto* x = reinterpret_cast<float*>(arena.at(4));
  auto* k = reinterpret_cast<int64_t*>(arena.at(1024 + 8));
  auto* y = reinterpret_cast<float*>(arena.at(2048 + 4));
  auto* s = reinterpret_cast<double*>(arena.at(3072 + 8));
  auto* flat = reinterpret_cast<float*>(arena.at(4096 + 4));
  std::memcpy(x, in.x.data(), in.x.size() * sizeof(float));
  std::memcpy(k, in.k.data(), in.k.size() * sizeof(int64_t));
  kiln_tensor inputs[] = {FakeInputs::tensor(x, KILN_DTYPE_FLOAT32, {8, 4}, 0),
                          FakeInputs::tensor(k, KILN_DTYPE_INT64, {8}, 0)};
  kiln_tensor outputs[3] = {};
  outputs[0].data = y, outputs[0].bytes = 32 * sizeof(float);
  outputs[1].data = s, outputs[1].bytes = 8 * sizeof(double);
  outputs[2].data = flat, outputs[2].bytes = 32 * sizeof(float);
  ASSERT_EQ(kiln_run(model_, inputs, 2, outputs, 3, nullptr), KILN_STATUS_OK) << kiln_last_error();
  EXPECT_NE(lastXSeenByFake(), x);
  EXPECT_TRUE(matches(FakeExpected(in), y, s, flat));
}

TEST(Strings, StatusAndDtypeNames) {
  EXPECT_STREQ(kiln_status_string(KILN_STATUS_INVALID_INPUT), "invalid input");
  EXPECT_STREQ(kiln_status_string(static_cast<kiln_status>(77)), "unknown status");
  EXPECT_STREQ(kiln_dtype_name(KILN_DTYPE_FLOAT64), "float64");
  EXPECT_STREQ(kiln_dtype_name(8), "unknown");  // 8 is ONNX string: not supported
  EXPECT_EQ(kiln_dtype_size(KILN_DTYPE_BFLOAT16), 2u);
  EXPECT_EQ(kiln_dtype_size(KILN_DTYPE_INT64), 8u);
  EXPECT_EQ(kiln_dtype_size(0), 0u);
  EXPECT_STRNE(kiln_version(), "");
}

TEST(Strings, NumElements) {
  kiln_tensor t = FakeInputs::tensor(nullptr, KILN_DTYPE_FLOAT32, {3, 0, 5}, 0);
  EXPECT_EQ(kiln_tensor_num_elements(&t), 0);
  t = FakeInputs::tensor(nullptr, KILN_DTYPE_FLOAT32, {3, 4, 5}, 0);
  EXPECT_EQ(kiln_tensor_num_elements(&t), 60);
  t = FakeInputs::tensor(nullptr, KILN_DTYPE_FLOAT32, {}, 0);
  EXPECT_EQ(kiln_tensor_num_elements(&t), 1);
  t = FakeInputs::tensor(nullptr, KILN_DTYPE_FLOAT32, {INT64_MAX, 3}, 0);
  EXPECT_EQ(kiln_tensor_num_elements(&t), -1);
  EXPECT_EQ(kiln_tensor_num_elements(nullptr), -1);
}

}  // namespace
}  // namespace kiln::rt::test
