#pragma once
/// Labelled image data for `kiln compare`: the Fashion-MNIST test set (gzipped IDX files, as
/// shipped by Debian's dataset-fashion-mnist) or arrays from .npy/.npz files.
#include <cstdint>
#include <string>
#include <vector>

#include "kiln/ir/tensor.h"

namespace kiln::cli {

struct Dataset {
  Tensor images;                ///< float32 [N, ...]
  std::vector<int64_t> labels;  ///< N labels, or empty when none were given
  std::string description;      ///< e.g. "Fashion-MNIST test set (/usr/share/...)"
};

/// Folder of the Debian dataset-fashion-mnist package.
inline constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

/// The test split in `dir`: t10k-images-idx3-ubyte(.gz) and t10k-labels-idx1-ubyte(.gz),
/// images scaled to [0,1] as float32 [N,1,rows,cols] (torchvision's ToTensor). At most
/// `limit` images (all when limit <= 0). Throws Error naming the file when a file is missing,
/// is not IDX of the expected kind, is truncated, or the counts disagree.
Dataset loadIdxTestSet(const std::string& dir, int64_t limit);

/// Images from FILE.npy, or from FILE.npz (member `inputName`, else "input", else the only
/// member that is not "labels"); labels from `labelsPath` (.npy, any integer dtype) or, when
/// that is empty, from an npz member "labels" if there is one. float64 images are converted
/// to float32.
Dataset loadArrayDataset(const std::string& inputsPath, const std::string& labelsPath,
                         const std::string& inputName, int64_t limit);

/// Rows [begin, end) of `t` along axis 0, padded with zero rows up to `padTo` rows if given.
Tensor sliceRows(const Tensor& t, int64_t begin, int64_t end, int64_t padTo = 0);

}  // namespace kiln::cli
