#include "kiln/ir/op.h"

#include <array>

namespace kiln {

static constexpr std::array<OpInfo, kNumOps> kOpInfos = {{
#define KILN_OP(Id, Domain, Name, Attrs, MinIn, MaxIn, MinOut, MaxOut) \
  {OpKind::Id, Domain, Name, MinIn, MaxIn, MinOut, MaxOut},
#include "kiln/ir/ops.def"
#undef KILN_OP
}};

const OpInfo& opInfo(OpKind k) { return kOpInfos[static_cast<size_t>(k)]; }

std::optional<OpKind> opFromOnnxName(std::string_view opType) {
  for (const OpInfo& info : kOpInfos)
    if (info.domain.empty() && info.name == opType) return info.kind;
  return std::nullopt;
}

NodeAttrs defaultAttrs(OpKind k) {
  switch (k) {
#define KILN_OP(Id, Domain, Name, Attrs, MinIn, MaxIn, MinOut, MaxOut) \
  case OpKind::Id: return Attrs{};
#include "kiln/ir/ops.def"
#undef KILN_OP
  }
  return NoAttrs{};
}

}  // namespace kiln
