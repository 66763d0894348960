#pragma once
/// A minimal streaming JSON writer for `--json` outputs (pretty-printed, valid JSON:
/// strings escaped, non-finite numbers written as null).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kiln::cli {

class JsonWriter {
 public:
  JsonWriter& beginObject();
  JsonWriter& endObject();
  /// `inlineItems`: keep the elements on one line (short arrays of scalars such as shapes).
  JsonWriter& beginArray(bool inlineItems = false);
  JsonWriter& endArray();
  /// Member name inside an object; the next call writes its value.
  JsonWriter& key(std::string_view k);

  JsonWriter& value(std::string_view s);
  JsonWriter& value(const char* s) { return value(std::string_view(s)); }
  JsonWriter& value(const std::string& s) { return value(std::string_view(s)); }
  JsonWriter& value(double d);
  JsonWriter& value(int64_t i);
  JsonWriter& value(int i) { return value(static_cast<int64_t>(i)); }
  JsonWriter& value(size_t i) { return value(static_cast<int64_t>(i)); }
  JsonWriter& value(bool b);
  JsonWriter& null();

  /// key(k).value(v) in one call.
  template <typename T> JsonWriter& field(std::string_view k, const T& v) {
    key(k);
    return value(v);
  }

  /// The document so far (complete once every begin has its end), newline-terminated.
  std::string str() const { return out_ + "\n"; }

 private:
  void beforeValue();
  void newline();
  std::string out_;
  struct Scope {
    bool first = true;
    bool inlineItems = false;
  };
  std::vector<Scope> scopes_;  ///< one entry per open object/array
  bool afterKey_ = false;
};

/// `s` as a quoted JSON string literal.
std::string jsonQuote(std::string_view s);

}  // namespace kiln::cli
