#pragma once
/// OpKind and per-op metadata, generated from ops.def.
#include <cstdint>
#include <optional>
#include <string_view>
#include <variant>

#include "kiln/ir/attrs.h"

namespace kiln {

enum class OpKind : uint16_t {
#define KILN_OP(Id, Domain, Name, Attrs, MinIn, MaxIn, MinOut, MaxOut) Id,
#include "kiln/ir/ops.def"
#undef KILN_OP
};

/// Number of ops in the table.
inline constexpr int kNumOps = 0
#define KILN_OP(Id, Domain, Name, Attrs, MinIn, MaxIn, MinOut, MaxOut) +1
#include "kiln/ir/ops.def"
#undef KILN_OP
    ;

/// Static facts about an op, straight from ops.def.
struct OpInfo {
  OpKind kind;
  std::string_view domain;  ///< "" for ONNX, "kiln" for internal ops
  std::string_view name;    ///< ONNX op_type
  int minInputs, maxInputs, minOutputs, maxOutputs;
};

const OpInfo& opInfo(OpKind k);
inline std::string_view opName(OpKind k) { return opInfo(k).name; }
/// Looks up a standard ONNX op by op_type (domain "" or "ai.onnx"); nullopt if unknown.
std::optional<OpKind> opFromOnnxName(std::string_view opType);

/// All attribute structs a node can carry (duplicates in ops.def are fine: the variant
/// lists each struct once).
using NodeAttrs = std::variant<NoAttrs, ConvAttrs, GemmAttrs, BatchNormAttrs, InstanceNormAttrs, LrnAttrs, PoolAttrs,
                               AlphaAttrs, AlphaBetaAttrs, SeluAttrs, AxisAttrs, SoftmaxAttrs, ReshapeAttrs,
                               TransposeAttrs, PadAttrs, ReduceAttrs, ShapeAttrs, CastAttrs, ConstantOfShapeAttrs, SplitAttrs,
                               ScaleShiftAttrs, BatchNormTrainingAttrs>;

/// Default-constructed attributes of the struct type ops.def names for `k`.
NodeAttrs defaultAttrs(OpKind k);

}  // namespace kiln
