#pragma once
/// The reference evaluator: straightforward loop implementations of every op in ops.def,
/// in float32 or float64. The oracle for all tests and `--target ref`.
#include <map>
#include <string>
#include <vector>

#include "kiln/ir/graph.h"

namespace kiln {

enum class Precision { F32, F64 };

/// Named tensors (graph inputs or outputs).
using TensorMap = std::map<std::string, Tensor>;

/// Checks that `inputs` provides every graph input with the declared dtype and a shape
/// compatible with the declared one (symbolic dims bind consistently: two dims named "N"
/// must get the same extent). Extra names are rejected too. Throws Error(InvalidInput)
/// naming the input, expected and actual shape/dtype.
void checkInputs(const Graph& g, const TensorMap& inputs);

/// Runs `g`. With Precision::F64 every float constant and input is converted to double and
/// every op computes in double; float outputs come back as F64 (an explicit Cast to float32
/// still rounds). With Precision::F32 each op computes in its declared dtype: float32 values
/// in float (accumulations in float too), values the graph declares float64 in double.
/// Integer tensors (shapes, indices) are computed exactly in int64 either way.
TensorMap evaluate(const Graph& g, const TensorMap& inputs, Precision p);

/// Evaluates one node on concrete inputs (nullptr for absent optional inputs), returning one
/// tensor per node output (absent optional outputs may be returned empty). Used by constant
/// folding and by backends for ops they do not compile.
std::vector<Tensor> evaluateNode(const Node& n, const std::vector<const Tensor*>& inputs,
                                 Precision p);

}  // namespace kiln
