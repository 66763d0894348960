#pragma once
/// Lines of generated CUDA C++ with indentation, and the literal spellings the emitters share.
#include <cstdint>
#include <string>

#include "kiln/ir/dtype.h"
#include "plan_types.h"

namespace kiln::cuda {

/// Appends indented lines; open()/close() write a brace block.
class CodeWriter {
 public:
  explicit CodeWriter(int indent = 0) : indent_(indent) {}
  void line(const std::string& s) { text_.append(static_cast<size_t>(indent_) * 2, ' ').append(s).append("\n"); }
  /// `head {` and one level deeper.
  void open(const std::string& head) { line(head + " {"); ++indent_; }
  /// `}tail` one level up.
  void close(const std::string& tail = "") { --indent_; line("}" + tail); }
  /// Text already indented (a body written by another CodeWriter).
  void raw(const std::string& text) { text_ += text; }
  int indent() const { return indent_; }
  const std::string& text() const { return text_; }

 private:
  int indent_;
  std::string text_;
};

/// C type of a buffer element in device memory (bool as unsigned char, 0 or 1).
const char* elementCType(DType t);
/// A float constant as exact CUDA C++ (hex float literal, or __int_as_float for inf/NaN).
std::string floatLiteral(double v);
/// A double constant as exact CUDA C++ (hex literal, or __longlong_as_double for inf/NaN).
std::string doubleLiteral(double v);
/// A constant of float type `t` (F32 or F64).
std::string floatLiteral(double v, EType t);
/// An int64 constant ("12LL", "(-3LL)").
std::string intLiteral(int64_t v);
/// Text safe inside a // comment: no control character or backslash (which would end it or
/// splice the next line into it).
std::string commentSafe(std::string s);
/// [A-Za-z0-9_] only, at most `max` characters (kernel names from node names).
std::string identifier(const std::string& s, size_t max = 40);

}  // namespace kiln::cuda
