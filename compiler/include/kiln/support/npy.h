#pragma once
/// NumPy .npy / .npz reading and writing (the CLI's and tests' tensor file formats).
#include <map>
#include <string>

#include "kiln/ir/tensor.h"

namespace kiln {

/// Reads a .npy file (little-endian, C order; float32/64, int8/32/64, uint8, bool).
/// Throws Error(Io) if unreadable, Error(InvalidInput) naming the file if malformed.
Tensor readNpy(const std::string& path);
/// Reads all arrays of an .npz (stored or deflated zip members), keyed by name without ".npy".
std::map<std::string, Tensor> readNpz(const std::string& path);
/// Writes a .npy / an uncompressed .npz atomically (temp file + rename).
void writeNpy(const std::string& path, const Tensor& t);
void writeNpz(const std::string& path, const std::map<std::string, Tensor>& arrays);

/// Parse / produce .npy bytes in memory.
Tensor parseNpy(const std::string& bytes, const std::string& displayName);
std::string serializeNpy(const Tensor& t);

}  // namespace kiln
