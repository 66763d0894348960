#pragma once
/// Private helpers for Value::symbolicContent (shared by shape inference and the passes).
///
/// Convention: inside symbolicContent a Dim with an empty symbol is a LITERAL element whose
/// value is `value` (which may be negative, e.g. the -1 of a Reshape target); a Dim with a
/// symbol is an unknown extent named by that symbol. Content is only recorded when every
/// element is one or the other, so an anonymous unknown never appears in it.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kiln/ir/graph.h"

namespace kiln::content {

using Content = std::vector<Dim>;

/// Longest integer constant whose elements are turned into content.
inline constexpr int64_t kMaxElements = 64;

/// A literal element.
inline Dim literal(int64_t v) { return Dim{v, {}}; }
/// True when `d` is a literal element (as opposed to a symbol).
inline bool isLiteral(const Dim& d) { return d.symbol.empty(); }
/// True when every element is a literal.
bool fullyLiteral(const Content& c);
/// Content of a value: the elements of a small (rank <= 1) integer constant, or the value's
/// symbolicContent; nullopt when neither is known.
std::optional<Content> of(const Value* v);
/// The content describing a shape (dims as elements); nullopt if a dim is anonymous.
std::optional<Content> fromShape(const Shape& s);
/// Literal values of a fully literal content.
std::vector<int64_t> literals(const Content& c);
/// "[N,-1]" style rendering for messages.
std::string toString(const Content& c);

}  // namespace kiln::content
