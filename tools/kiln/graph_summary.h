#pragma once
/// Facts about a graph that `kiln inspect` (and others) print: op counts, parameter count,
/// value shapes, a Graphviz rendering.
#include <cstdint>
#include <map>
#include <string>

#include "json.h"
#include "kiln/ir/graph.h"

namespace kiln::cli {

/// "Conv", or "kiln.ScaleShift" for internal ops.
std::string displayOpName(OpKind kind);
/// Number of nodes per op (display name), sorted by name.
std::map<std::string, int64_t> opCounts(const Graph& g);
/// Elements of the float constants that some node or graph output uses.
int64_t parameterCount(const Graph& g);
/// "[N,1,28,28]", or "?" when the rank is unknown.
std::string shapeText(const Value& v);
/// "float32 [N,1,28,28]".
std::string typeText(const Value& v);

/// {"name", "dtype", "shape": [1, "N", "?"] or null}.
void writeValueJson(JsonWriter& w, const Value& v);
/// {"op_counts": {...}, "parameters": n, "nodes": [{"name", "op", "outputs": [...]}]}.
void writeGraphJson(JsonWriter& w, const Graph& g);

/// Graphviz: graph inputs/outputs as ellipses, nodes as boxes labelled op and name, edges
/// labelled with the shape of the value they carry (constants are left out).
std::string graphToDot(const Graph& g);

}  // namespace kiln::cli
