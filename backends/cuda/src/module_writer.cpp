#include "module_writer.h"

#include <algorithm>

#include "code_writer.h"
#include "device_prelude.h"
#include "kernel_writer.h"

namespace kiln::cuda {

GeneratedModule writeModule(const Program& p, const CudaOptions& o) {
  GeneratedModule m;
  LaunchPlan& lp = m.plan;
  for (const Kernel& k : p.kernels) lp.usesErrorWord = lp.usesErrorWord || !k.checks.empty();
  CodeWriter kernels;
  for (size_t i = 0; i < p.kernels.size(); ++i) writeKernel(p, p.kernels[i], static_cast<int>(i), o, kernels, lp);
  for (const Launch& l : lp.launches)
    for (const KernelArg& a : l.args)
      if (a.kind == KernelArg::Kind::Buffer) lp.roots.push_back(a.index);
  std::sort(lp.roots.begin(), lp.roots.end());
  lp.roots.erase(std::unique(lp.roots.begin(), lp.roots.end()), lp.roots.end());

  std::string symbols;
  for (size_t s = 0; s < p.symbols.size(); ++s) symbols += " s" + std::to_string(s) + "=" + commentSafe(p.symbols[s]);
  m.source = "// kiln CUDA module for model '" + commentSafe(p.name) + "' (" + std::to_string(p.kernels.size()) +
             " plan kernels, " + std::to_string(lp.launches.size()) + " launches)\n" +
             "// symbols:" + (symbols.empty() ? " none" : symbols) + "\n" + describeLaunchPlan(p, lp) + "\n" +
             kDevicePrelude + "\n" + kernels.text();
  return m;
}

}  // namespace kiln::cuda
