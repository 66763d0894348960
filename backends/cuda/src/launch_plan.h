#pragma once
/// The host side of a generated module: for every __global__ function, in order, how many
/// threads it wants (an expression over the symbols, evaluated at run time), its block size
/// and its parameters; plus the messages of the range checks. The executable runs it.
#include <string>
#include <vector>

#include "plan_types.h"

namespace kiln::cuda {

/// One kernel parameter.
struct KernelArg {
  enum class Kind : uint8_t {
    Buffer,     ///< device pointer of root buffer `index` (input, output, constant, workspace + offset)
    Symbol,     ///< int64 value of bound symbol `index`
    ErrorWord,  ///< pointer to the run's error word (range checks)
  };
  Kind kind;
  int index = -1;
};

struct Launch {
  std::string function;  ///< the extern "C" __global__ name
  std::string kernel;    ///< the plan kernel it implements (messages)
  Expr threads;          ///< I64 over the symbols: threads with work (every kernel grid-strides)
  int block = 256;       ///< threads per block
  std::vector<KernelArg> args;
};

struct LaunchPlan {
  std::vector<Launch> launches;
  /// Range checks: a failing check sets the error word to its position + 1 and every later
  /// kernel returns at once; the host then reports checkMessages[word - 1].
  std::vector<std::string> checkMessages;
  bool usesErrorWord = false;
  /// Root buffers any launch touches (device memory needed), sorted.
  std::vector<int> roots;
};

/// The kernel's launch grid for `threads` (0 when there is nothing to do): enough blocks for
/// one thread per work item, capped (the kernels grid-stride, so any grid is correct).
unsigned gridFor(int64_t threads, int block);

/// A readable summary: one comment line per launch ("// k3_conv: threads N*576, ..."), then
/// the workspace size and the constants.
std::string describeLaunchPlan(const Program& p, const LaunchPlan& lp);

}  // namespace kiln::cuda
