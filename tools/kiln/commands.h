#pragma once
/// The kiln subcommands. Each takes the arguments after its name and returns the exit code;
/// user errors are thrown (kiln::Error -> exit 1, UsageError -> exit 2) and reported by main.
#include <string>
#include <vector>

namespace kiln::cli {

using Args = std::vector<std::string>;

int runInspect(const Args& args);
int runRun(const Args& args);
int runCompile(const Args& args);
int runCompare(const Args& args);
int runBench(const Args& args);

/// Exit codes shared by every subcommand.
inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;
inline constexpr int kExitUsage = 2;
/// `kiln compare`: a deviation exceeded the tolerance.
inline constexpr int kExitTolerance = 3;

}  // namespace kiln::cli
