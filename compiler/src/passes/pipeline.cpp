#include "kiln/passes/pipeline.h"

#include "kiln/ir/shape_inference.h"
#include "kiln/ir/verifier.h"
#include "kiln/passes/bn_to_scale_shift.h"
#include "kiln/passes/constant_folding.h"
#include "kiln/passes/dead_code.h"
#include "kiln/passes/fold_scale_shift_backward.h"
#include "kiln/passes/fold_scale_shift_forward.h"
#include "kiln/passes/lower_bn_training.h"
#include "kiln/passes/simplify_shapes.h"
#include "kiln/support/error.h"

namespace kiln {

namespace {

using PassFn = bool (*)(Graph&, PassContext&);

struct PipelineStep {
  const char* name;
  PassFn run;
};

// The pipeline, top to bottom. After every step shape inference runs again (cheap, and it
// keeps shapes, symbolicContent and normalised attributes current for the next step).
// With options.foldBatchNorm off the BN passes still run: they rewrite nothing and record
// for every BatchNorm that folding was disabled (what `kiln inspect --explain` shows).
constexpr PipelineStep kPipeline[] = {
    // Drop Identity / inference Dropout and give Reshapes fed by Shape->Gather->Concat a
    // constant target first, so later passes see plain producer->consumer chains.
    {"simplifyShapes", simplifyShapes},
    // Weight Transposes (PyTorch exports Linear as MatMul(x, Transpose(W))) and shape
    // subgraphs on static shapes become constants, so the BN folds find constant weights.
    {"constantFold", constantFold},
    // Folding can make more Reshape targets known element by element.
    {"simplifyShapes", simplifyShapes},
    // Remove the now-unused shape subgraphs before the BN passes pattern-match: a dead
    // extra user of a Conv output would otherwise block a fold.
    {"eliminateDeadCode", eliminateDeadCode},
    // Training-mode BN (and the hand-written whole-tensor pattern) must be claimed before
    // the eval-mode rewrite below, which would otherwise match parts of the pattern.
    {"lowerTrainingBatchNorm", lowerTrainingBatchNorm},
    // Eval-mode BN (and the hand-written Sub/Div/Mul/Add chain) -> per-channel ScaleShift.
    {"batchNormToScaleShift", batchNormToScaleShift},
    // Folding into the producer's weights first: always exact when legal, and it also
    // covers the common Conv->BN order.
    {"foldScaleShiftBackward", foldScaleShiftBackward},
    // What could not go backward may still fold into the next Conv/Gemm (BN->Conv order).
    {"foldScaleShiftForward", foldScaleShiftForward},
    // Folded weights may be constant expressions (W * scale) left for this step.
    {"constantFold", constantFold},
    // Original weights, BN parameters and scale/shift constants are now unused.
    {"eliminateDeadCode", eliminateDeadCode},
};

void verifyAfter(const Graph& g, const std::string& step) {
  try {
    verify(g);
  } catch (const Error& e) {
    throw Error(ErrorCode::Internal, "verifier failed after " + step + ": " + e.what());
  }
}

}  // namespace

void runPipeline(Graph& g, const PassOptions& options, PassReport& report) {
  PassContext ctx{options, report};
  if (options.verifyEachPass) verify(g);
  inferShapes(g);
  for (const PipelineStep& step : kPipeline) {
    step.run(g, ctx);
    inferShapes(g);
    if (options.verifyEachPass) verifyAfter(g, step.name);
  }
}

std::vector<std::string> pipelinePassNames() {
  std::vector<std::string> names;
  for (const PipelineStep& step : kPipeline) names.emplace_back(step.name);
  return names;
}

}  // namespace kiln
