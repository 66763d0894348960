#pragma once
/// Helpers shared by the test binaries.
#include <string>

namespace kiln::test {

/// Absolute path of a file in the source tree, e.g. sourcePath("tests/models/x.onnx").
inline std::string sourcePath(const std::string& rel) { return std::string(KILN_SOURCE_DIR) + "/" + rel; }
/// Absolute path of a file in the build tree, e.g. binaryPath("bin/kiln").
inline std::string binaryPath(const std::string& rel) { return std::string(KILN_BINARY_DIR) + "/" + rel; }

}  // namespace kiln::test

namespace kiln::test {
/// Folder of the ONNX backend node tests ("" when the pip onnx package was not found).
inline std::string onnxNodeTestDir() { return KILN_ONNX_NODE_TEST_DIR; }
}  // namespace kiln::test
