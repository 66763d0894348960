#pragma once
/// GraphProto -> kiln Graph (values, constants, typed nodes), without shape inference.
#include <onnx/onnx_pb.h>

#include <memory>
#include <string>

#include "kiln/ir/graph.h"

namespace kiln::fe {

/// Builds the graph: initializers and Constant nodes become constant values, declared
/// types/shapes are applied (dim_param -> symbolic dims, unnamed dynamic dims -> "unk_<n>"),
/// every node gets typed attributes via its op importer, and nodes are topologically sorted.
/// `opset` is the model's default-domain version, `baseDir` the folder for external data
/// ("" refuses it). Throws Error naming the node, op or value (no file-name prefix).
std::unique_ptr<Graph> importGraph(const onnx::GraphProto& gp, int64_t opset,
                                   const std::string& baseDir);

}  // namespace kiln::fe
