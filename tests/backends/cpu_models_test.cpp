// Every demo and variant model, imported, run through the pass pipeline (BatchNorm folded and
// not), JIT-compiled by the CPU backend and run on the reference input, compared with
// PyTorch's float64 output. Training graphs (*.train.onnx) are compared with the training
// reference output.
#include <gtest/gtest.h>

#include <filesystem>

#include "cpu_test_util.h"
#include "kiln/backends/cpu/cpu_backend.h"
#include "kiln/frontend/onnx_import.h"
#include "kiln/passes/pipeline.h"
#include "model_cases.h"
#include "kiln/support/npy.h"
#include "test_util.h"

namespace kiln::test {
namespace {

class CpuModels : public testing::TestWithParam<ModelCase> {};

TEST_P(CpuModels, MatchesPyTorchFloat64) {
  const ModelCase& mc = GetParam();
  const ModelReference ref = modelReference(mc.path);
  ASSERT_TRUE(ref.found) << ref.archive;

  auto g = importOnnxFile(sourcePath(mc.path));
  PassOptions opts;
  opts.foldBatchNorm = mc.fold;
  PassReport report;
  runPipeline(*g, opts, report);
  auto model = cpu::compileCpuJit(*g);
  TensorMap in{{g->inputs.at(0)->name, ref.input.castTo(g->inputs.at(0)->dtype)}};
  TensorMap out = model->run(in, 2);
  const Tensor& got = out.at(g->outputs.at(0)->name);
  expectClose(got, ref.output, 1e-4, mc.path);
}

INSTANTIATE_TEST_SUITE_P(All, CpuModels, testing::ValuesIn(modelCases()), modelCaseName);

}  // namespace
}  // namespace kiln::test
