#include "launch_plan.h"

#include <algorithm>

#include "code_writer.h"
#include "kiln/plan/print.h"

namespace kiln::cuda {

unsigned gridFor(int64_t threads, int block) {
  if (threads <= 0) return 0;
  constexpr int64_t kMaxBlocks = int64_t{1} << 20;
  return static_cast<unsigned>(std::min<int64_t>((threads + block - 1) / block, kMaxBlocks));
}

std::string describeLaunchPlan(const Program& p, const LaunchPlan& lp) {
  std::string s = "// launch plan (in order; threads = work items, every kernel grid-strides):\n";
  for (const Launch& l : lp.launches) {
    s += "//   " + l.function + ": threads " + commentSafe(plan::describeExpr(p, l.threads)) + ", block " +
         std::to_string(l.block) + ", args (";
    for (size_t i = 0; i < l.args.size(); ++i) {
      const KernelArg& a = l.args[i];
      if (i) s += ", ";
      switch (a.kind) {
        case KernelArg::Kind::Buffer: s += "b" + std::to_string(a.index) + "=" + commentSafe(p.buffers[static_cast<size_t>(a.index)].name); break;
        case KernelArg::Kind::Symbol: s += commentSafe(p.symbols[static_cast<size_t>(a.index)]); break;
        case KernelArg::Kind::ErrorWord: s += "error word"; break;
      }
    }
    s += ")\n";
  }
  s += "//   workspace: " + (p.workspaceBytes ? commentSafe(plan::describeExpr(p, p.workspaceBytes)) : std::string("0")) +
       " bytes; constants uploaded once:";
  int constants = 0;
  for (int b : lp.roots)
    if (p.buffers[static_cast<size_t>(b)].kind == BufferKind::Constant) {
      const Buffer& buf = p.buffers[static_cast<size_t>(b)];
      s += (constants++ ? ", b" : " b") + std::to_string(b) + "=" + commentSafe(buf.name) + " (" +
           std::to_string(buf.data ? buf.data->bytes.size() : 0) + " bytes)";
    }
  return s + (constants ? "\n" : " none\n");
}

}  // namespace kiln::cuda
