#pragma once
/// Models the CLI can be given: an ONNX file or a compiled .so artifact (`kiln compile -o
/// X.so`), told apart by content. An artifact is loaded through the runtime library
/// (kiln.hpp) and wrapped as a PreparedModel whose graph() only declares its signature.
#include <memory>
#include <string>
#include <vector>

#include "kiln/kiln.hpp"
#include "targets.h"

namespace kiln::cli {

enum class ModelFileKind { Onnx, Artifact };

/// ELF magic -> Artifact; a plausible protobuf start -> Onnx (the importer reports anything
/// else wrong with it). Throws Error(Io) for a missing or unreadable file and
/// Error(InvalidModel) naming the file when it is neither.
ModelFileKind detectModelFile(const std::string& path);

/// Inputs bound and outputs allocated once, for repeated runs on the same buffers.
struct BoundRun {
  std::vector<kiln_tensor> inputs, outputs;
  std::vector<Tensor> outputStorage;  ///< backs outputs[i].data
};

/// A .so artifact loaded with the runtime. Input checks are left to the runtime, whose error
/// message (naming the input) is passed on as Error(InvalidInput).
class ArtifactModel final : public PreparedModel {
 public:
  /// Throws Error naming the file when the runtime refuses it.
  explicit ArtifactModel(const std::string& path);
  const Graph& graph() const override { return signature_; }

  /// Views `inputs` (which must outlive the result) and allocates every output at the size
  /// kiln_infer_outputs reports for them.
  BoundRun bind(const TensorMap& inputs) const;
  /// kiln_run on the bound, preallocated buffers.
  void runBound(BoundRun& bound, int threads) const;

 protected:
  void check(const TensorMap&) const override {}
  TensorMap runChecked(const TensorMap& inputs, int threads) override;

 private:
  std::string path_;
  rt::Model model_;
  Graph signature_;
};

}  // namespace kiln::cli
