// `kiln compile --target cuda` through the command line: the formats come from the registry.
#include <gtest/gtest.h>

#include <algorithm>

#include "cli_test_util.h"

namespace kiln::test::cli {
namespace {

TEST(CudaCli, CompilesADemoToPtxAndSource) {
  ScratchDir dir;
  const std::string model = sourcePath("tests/models/demos/lenet_bn.onnx");
  const std::string ptx = dir.file("m.ptx"), cu = dir.file("m.cu");
  CliResult r = runKiln({"compile", model, "--target", "cuda", "--emit", "ptx", "-o", ptx});
  ASSERT_EQ(r.exitCode, 0) << describe(r);
  const std::string text = readFile(ptx);
  EXPECT_NE(text.find(".target sm_80"), std::string::npos) << text.substr(0, 400);
  EXPECT_NE(text.find(".entry k0_"), std::string::npos);
  r = runKiln({"compile", model, "--target", "cuda", "-o", cu});  // the format from the extension
  ASSERT_EQ(r.exitCode, 0) << describe(r);
  EXPECT_NE(readFile(cu).find("extern \"C\" __global__ void"), std::string::npos);
  std::vector<std::string> left;  // written through a temporary renamed over the target
  for (const auto& e : fs::directory_iterator(dir.path())) left.push_back(e.path().filename().string());
  std::sort(left.begin(), left.end());
  EXPECT_EQ(left, (std::vector<std::string>{"m.cu", "m.ptx"}));
}

}  // namespace
}  // namespace kiln::test::cli
