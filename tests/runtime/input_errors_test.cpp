// Every way a run call can be misused, with the status and the exact message it must give.
#include "runtime_test_util.h"

namespace kiln::rt::test {
namespace {

// Two rows of valid inputs plus matching output buffers, for tests to break one thing in.
class RunErrors : public FakeModelTest {
 protected:
  FakeInputs in{2, 1};
  FakeOutputs out{2};
  std::vector<kiln_tensor> inputs{in.xTensor(), in.kTensor()};
  std::vector<kiln_tensor> outputs = out.tensors();

  kiln_status run() { return kiln_run(model_, inputs.data(), inputs.size(), outputs.data(), outputs.size(), nullptr); }

  // Expects run() to fail with `status` and `message`, leaving the output shapes untouched.
  void expectFailure(kiln_status status, const std::string& message) {
    EXPECT_EQ(run(), status);
    EXPECT_EQ(kiln_last_error(), message);
    for (const kiln_tensor& t : outputs) EXPECT_EQ(t.rank, 0u);
  }
};

TEST_F(RunErrors, WrongInputCount) {
  inputs.pop_back();
  expectFailure(KILN_STATUS_INVALID_ARGUMENT, "model 'fake_relu' has 2 inputs, got 1");
}

TEST_F(RunErrors, NullInputArray) {
  EXPECT_EQ(kiln_run(model_, nullptr, 2, outputs.data(), 3, nullptr), KILN_STATUS_INVALID_ARGUMENT);
  EXPECT_STREQ(kiln_last_error(), "inputs is NULL");
}

TEST_F(RunErrors, NullModel) {
  EXPECT_EQ(kiln_run(nullptr, inputs.data(), 2, outputs.data(), 3, nullptr), KILN_STATUS_INVALID_ARGUMENT);
  EXPECT_STREQ(kiln_last_error(), "model is NULL");
}

TEST_F(RunErrors, WrongDtype) {
  inputs[0].dtype = KILN_DTYPE_FLOAT64;
  expectFailure(KILN_STATUS_INVALID_INPUT, "input 'x': expected float32 [N,4] (N=any), got float64 [2,4]");
}

TEST_F(RunErrors, UnknownDtypeCode) {
  inputs[0].dtype = 99;
  expectFailure(KILN_STATUS_INVALID_INPUT, "input 'x': expected float32 [N,4] (N=any), got dtype(99) [2,4]");
}

TEST_F(RunErrors, WrongRank) {
  inputs[0].rank = 1;
  inputs[0].dims[0] = 8;
  expectFailure(KILN_STATUS_INVALID_INPUT, "input 'x': expected float32 [N,4] (N=any), got float32 [8]");
}

TEST_F(RunErrors, WrongKnownDim) {
  inputs[0].dims[1] = 3;
  expectFailure(KILN_STATUS_INVALID_INPUT, "input 'x': expected float32 [N,4] (N=any), got float32 [2,3]");
}

TEST_F(RunErrors, InconsistentSymbolBinding) {
  inputs[1].dims[0] = 3;  // x binds N=2, k claims N=3
  expectFailure(KILN_STATUS_INVALID_INPUT, "input 'k': expected int64 [N] (N=2 from input 'x'), got int64 [3]");
}

TEST_F(RunErrors, NegativeDim) {
  inputs[0].dims[0] = -2;
  expectFailure(KILN_STATUS_INVALID_ARGUMENT, "input 'x': dim 0 is negative (-2)");
}

TEST_F(RunErrors, RankBeyondLimit) {
  inputs[0].rank = KILN_MAX_RANK + 1;
  expectFailure(KILN_STATUS_INVALID_ARGUMENT, "input 'x': rank 9 exceeds KILN_MAX_RANK (8)");
}

TEST_F(RunErrors, NullInputData) {
  inputs[1].data = nullptr;
  expectFailure(KILN_STATUS_INVALID_ARGUMENT, "input 'k': data is NULL");
}

TEST_F(RunErrors, InputBufferSmallerThanDims) {
  inputs[0].bytes = 16;
  expectFailure(KILN_STATUS_INVALID_ARGUMENT, "input 'x': buffer of 16 bytes is smaller than float32 [2,4] needs (32 bytes)");
}

TEST_F(RunErrors, SwappedInputNames) {
  inputs[0].name = "k";
  expectFailure(KILN_STATUS_INVALID_ARGUMENT,
                "input 0: name 'k' does not match the model's input 0 'x' (tensors are matched by position; "
                "'k' is input 1)");
}

TEST_F(RunErrors, UnknownInputName) {
  inputs[1].name = "bias";
  expectFailure(KILN_STATUS_INVALID_ARGUMENT,
                "input 1: name 'bias' does not match the model's input 1 'k' (tensors are matched by position)");
}

TEST_F(RunErrors, WrongOutputCount) {
  outputs.pop_back();
  expectFailure(KILN_STATUS_INVALID_ARGUMENT, "model 'fake_relu' has 3 outputs, got 2");
}

TEST_F(RunErrors, NullOutputData) {
  outputs[1].data = nullptr;
  expectFailure(KILN_STATUS_INVALID_ARGUMENT, "output 's': data is NULL");
}

TEST_F(RunErrors, OutputBufferTooSmall) {
  outputs[0].bytes = 16;
  expectFailure(KILN_STATUS_INVALID_ARGUMENT, "output 'y': buffer of 16 bytes is smaller than float32 [2,4] needs (32 bytes)");
}

TEST_F(RunErrors, OutputNameMismatch) {
  outputs[2].name = "y";
  expectFailure(KILN_STATUS_INVALID_ARGUMENT,
                "output 2: name 'y' does not match the model's output 2 'flat' (tensors are matched by position; "
                "'y' is output 0)");
}

TEST_F(RunErrors, OutputOverlappingInput) {
  outputs[0].data = in.x.data();
  expectFailure(KILN_STATUS_INVALID_ARGUMENT, "output 'y' overlaps input 'x'");
}

TEST_F(RunErrors, OutputsOverlappingEachOther) {
  outputs[2].data = out.y.data();
  expectFailure(KILN_STATUS_INVALID_ARGUMENT, "output 'flat' overlaps output 'y'");
}

TEST_F(RunErrors, ModelRejectsShapesInPlan) {
  FakeInputs big(2000, 0);
  FakeOutputs bigOut(2000);
  inputs = {big.xTensor(), big.kTensor()};
  outputs = bigOut.tensors();
  expectFailure(KILN_STATUS_INVALID_INPUT,
                "model 'fake_relu' rejected the input shapes: fake model supports N <= 1024, got N=2000");
}

TEST_F(RunErrors, ModelRejectsValuesInRun) {
  in.k[1] = -3;
  expectFailure(KILN_STATUS_INVALID_INPUT, "model 'fake_relu' failed: k[1] is negative (-3)");
}

TEST_F(RunErrors, UninitializedOptions) {
  kiln_run_options o{};  // struct_size 0: not initialized
  EXPECT_EQ(kiln_run(model_, inputs.data(), 2, outputs.data(), 3, &o), KILN_STATUS_INVALID_ARGUMENT);
  EXPECT_STREQ(kiln_last_error(), "run options are not initialized (call kiln_run_options_init)");
}

TEST_F(RunErrors, NegativeThreadCount) {
  kiln_run_options o;
  kiln_run_options_init(&o);
  o.num_threads = -1;
  EXPECT_EQ(kiln_run(model_, inputs.data(), 2, outputs.data(), 3, &o), KILN_STATUS_INVALID_ARGUMENT);
  EXPECT_STREQ(kiln_last_error(), "run options: num_threads is negative (-1)");
}

TEST_F(RunErrors, InferOutputsChecksInputsToo) {
  inputs[1].dims[0] = 5;
  EXPECT_EQ(kiln_infer_outputs(model_, inputs.data(), 2, outputs.data(), 3), KILN_STATUS_INVALID_INPUT);
  EXPECT_STREQ(kiln_last_error(), "input 'k': expected int64 [N] (N=2 from input 'x'), got int64 [5]");
}

TEST(BrokenArtifact, PlanThatContradictsTheSignatureIsInternal) {
  kiln_model* model = nullptr;
  ASSERT_EQ(kiln_model_load(KILN_FAKE_BROKENPLAN, &model), KILN_STATUS_OK) << kiln_last_error();
  FakeInputs in(2, 0);
  kiln_tensor inputs[] = {in.xTensor(), in.kTensor()};
  kiln_tensor outputs[3] = {};
  EXPECT_EQ(kiln_run_alloc(model, inputs, 2, outputs, 3, nullptr), KILN_STATUS_INTERNAL);
  EXPECT_STREQ(kiln_last_error(),
               "model 'fake_relu': artifact bug: plan gave output 'flat' dims [9], which do not fit its signature [N*4]");
  kiln_model_free(model);
}

}  // namespace
}  // namespace kiln::rt::test
