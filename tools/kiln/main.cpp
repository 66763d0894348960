// kiln: the command-line front door. Dispatches to one subcommand per file (cmd_*.cpp) and
// turns every failure into a one-line message and an exit code; it never crashes on bad input.
#include <cstdio>
#include <exception>
#include <iostream>
#include <new>

#include "args.h"
#include "commands.h"
#include "kiln/support/error.h"

namespace {

using kiln::cli::Args;

namespace cli = kiln::cli;

struct Command {
  const char* name;
  const char* summary;
  cli::ArgParser (*parser)();
  int (*run)(const cli::ParsedArgs&);
  Args (*rewrite)(const Args&) = nullptr;  ///< applied to the arguments before parsing
};

const Command kCommands[] = {
    {"inspect", "show inputs, outputs, ops and what the passes did", cli::inspectParser,
     cli::runInspect},
    {"run", "run a model (.onnx or compiled .so) on .npy/.npz inputs", cli::runParser,
     cli::runRun},
    {"compile", "compile to a shared library, object, LLVM IR, asm or ONNX", cli::compileParser,
     cli::runCompile, cli::expandOptLevel},
    {"compare", "folded vs unfolded vs fp64 reference on a data set", cli::compareParser,
     cli::runCompare},
    {"bench", "time a model (.onnx or .so) per batch size and thread count", cli::benchParser,
     cli::runBench},
};

int runCommand(const Command& c, const Args& argv) {
  cli::ArgParser parser = c.parser();
  cli::ParsedArgs args = parser.parse(c.rewrite ? c.rewrite(argv) : argv);
  if (args.helpRequested) {
    std::cout << parser.usage();
    return cli::kExitOk;
  }
  return c.run(args);
}

void printUsage(std::FILE* to) {
  std::fprintf(to,
               "usage: kiln <command> [options]\n\n"
               "kiln compiles ONNX models (folding BatchNormalization) to CPU code through LLVM or to\n"
               "CUDA kernels, and runs them.\n\ncommands:\n");
  for (const Command& c : kCommands) std::fprintf(to, "  %-10s %s\n", c.name, c.summary);
  std::fprintf(to,
               "\n'kiln <command> --help' describes a command.\n"
               "A compiled .so is native code: loading it (kiln run X.so) runs it; load only artifacts you trust.\n"
               "exit codes: 0 success, 1 error, 2 usage error, 3 compare tolerance exceeded\n");
}

int dispatch(int argc, char** argv) {
  if (argc < 2) {
    printUsage(stderr);
    return kiln::cli::kExitUsage;
  }
  std::string name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    printUsage(stdout);
    return kiln::cli::kExitOk;
  }
  if (name == "--version") {
    std::printf("kiln %s\n", KILN_VERSION);
    return kiln::cli::kExitOk;
  }
  for (const Command& c : kCommands)
    if (name == c.name) return runCommand(c, Args(argv + 2, argv + argc));
  throw kiln::cli::UsageError("unknown command '" + name + "' (see kiln --help)");
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return dispatch(argc, argv);
  } catch (const kiln::cli::UsageError& e) {
    std::cerr << "kiln: error: " << e.what() << "\n";
    return kiln::cli::kExitUsage;
  } catch (const kiln::Error& e) {
    std::cerr << "kiln: error: " << e.what() << "\n";
    return kiln::cli::kExitError;
  } catch (const std::bad_alloc&) {
    std::cerr << "kiln: error: out of memory\n";
    return kiln::cli::kExitError;
  } catch (const std::exception& e) {
    std::cerr << "kiln: internal error: " << e.what() << "\n";
    return kiln::cli::kExitError;
  }
}
