#pragma once
/// The kiln subcommands. Each has a parser for its options (which also renders its --help)
/// and a run function taking the parsed arguments and returning the exit code; user errors
/// are thrown (kiln::Error -> exit 1, UsageError -> exit 2) and reported by main.
#include <string>
#include <vector>

#include "args.h"

namespace kiln::cli {

ArgParser inspectParser();
int runInspect(const ParsedArgs& args);
ArgParser runParser();
int runRun(const ParsedArgs& args);
ArgParser compileParser();
int runCompile(const ParsedArgs& args);
/// `kiln compile` accepts -O0..-O3: rewritten to --opt-level=N before parsing.
Args expandOptLevel(const Args& argv);
ArgParser compareParser();
int runCompare(const ParsedArgs& args);
ArgParser benchParser();
int runBench(const ParsedArgs& args);

/// Exit codes shared by every subcommand.
inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;
inline constexpr int kExitUsage = 2;
/// `kiln compare`: a deviation exceeded the tolerance.
inline constexpr int kExitTolerance = 3;

}  // namespace kiln::cli
