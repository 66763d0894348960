// `kiln --help` and every subcommand's --help: exit 0, accurate usage lines.
#include <gtest/gtest.h>

#include "cli_test_util.h"

namespace kiln::test::cli {
namespace {

const char* const kCommands[] = {"inspect", "run", "compile", "compare"};

TEST(CliHelp, TopLevelListsEveryCommand) {
  CliResult r = runKiln({"--help"});
  ASSERT_EQ(r.exitCode, 0) << describe(r);
  for (const char* c : kCommands) EXPECT_NE(r.out.find(std::string("  ") + c), std::string::npos) << c;
}

TEST(CliHelp, EachCommandHasUsage) {
  for (const char* c : kCommands) {
    CliResult r = runKiln({c, "--help"});
    ASSERT_EQ(r.exitCode, 0) << c << "\n" << describe(r);
    EXPECT_EQ(r.out.rfind(std::string("usage: kiln ") + c, 0), 0u) << r.out;
  }
}

TEST(CliHelp, TargetsAreListed) {
  for (const char* c : {"run", "compare"}) {
    CliResult r = runKiln({c, "--help"});
    EXPECT_NE(r.out.find("ref64"), std::string::npos) << r.out;
  }
  CliResult compare = runKiln({"compare", "--help"});
  EXPECT_NE(compare.out.find("3 folded or unfolded"), std::string::npos) << "exit code 3 documented";
}

TEST(CliHelp, NoArgumentsIsAUsageError) {
  CliResult r = runKiln({});
  EXPECT_EQ(r.exitCode, 2) << describe(r);
  EXPECT_NE(r.err.find("usage: kiln"), std::string::npos);
}

TEST(CliHelp, UnknownCommandIsAUsageError) {
  CliResult r = runKiln({"frobnicate"});
  EXPECT_EQ(r.exitCode, 2) << describe(r);
  EXPECT_NE(r.err.find("frobnicate"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace kiln::test::cli
