#pragma once
/// Shared pass plumbing: options, the report every pass writes to, the context they get.
#include <string>
#include <unordered_map>
#include <vector>

#include "kiln/ir/graph.h"

namespace kiln {

struct PassOptions {
  /// Fold / rewrite BatchNormalization (eval-mode folding and training-mode lowering).
  /// `--no-fold-bn` turns it off so the unfolded model runs BN as written.
  bool foldBatchNorm = true;
  /// Running variance update with the unbiased batch variance (PyTorch) instead of ONNX's
  /// population variance.
  bool pytorchRunningVar = false;
  /// Run verify() after every pass.
  bool verifyEachPass = false;
};

/// What happened to one BatchNorm (an ONNX BatchNormalization node, the hand-written BN
/// pattern or the naive whole-tensor pattern).
struct BnDecision {
  std::string node;     ///< name of the BN node (or the first node of the pattern)
  std::string pattern;  ///< "BatchNormalization", "hand-written BN", "whole-tensor BN"
  std::string action;   ///< e.g. "folded backward into Conv 'conv1'", "kept as ScaleShift"
  std::string reason;   ///< why this action (which condition failed for folds not done)
};

/// Everything passes report: a log line per rewrite or refusal, and the BN decisions.
struct PassReport {
  std::vector<std::string> log;
  std::vector<BnDecision> bn;
  /// Appends "[pass] message" to log.
  void note(const std::string& pass, const std::string& message);
  /// Records or updates (same node) the decision for one BN.
  void decide(BnDecision d);
  /// The decision recorded for `node`, or nullptr (O(1)).
  const BnDecision* find(const std::string& node) const;

 private:
  mutable std::unordered_map<std::string, size_t> byNode_;  ///< index into bn
  BnDecision* lookup(const std::string& node) const;
};

struct PassContext {
  const PassOptions& options;
  PassReport& report;
};

}  // namespace kiln
