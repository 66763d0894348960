#include "args.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>

namespace kiln::cli {

std::string ParsedArgs::get(const std::string& name, const std::string& fallback) const {
  auto it = values_.find(name);
  return it == values_.end() || it->second.empty() ? fallback : it->second.back();
}

std::vector<std::string> ParsedArgs::getAll(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

double ParsedArgs::getDouble(const std::string& name, double fallback) const {
  if (!has(name)) return fallback;
  std::string text = get(name);
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || errno != 0 || !std::isfinite(v) || v < 0)
    throw UsageError(name + " expects a non-negative number, got '" + text + "'");
  return v;
}

int64_t ParsedArgs::getInt(const std::string& name, int64_t fallback, int64_t min) const {
  if (!has(name)) return fallback;
  std::string text = get(name);
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno != 0 || v < min)
    throw UsageError(name + " expects an integer >= " + std::to_string(min) + ", got '" +
                     text + "'");
  return v;
}

std::vector<int64_t> ParsedArgs::getIntList(const std::string& name,
                                            const std::vector<int64_t>& fallback,
                                            int64_t min) const {
  if (!has(name)) return fallback;
  const std::string text = get(name);
  std::vector<int64_t> out;
  size_t begin = 0;
  while (true) {
    const size_t comma = text.find(',', begin);
    const std::string item = text.substr(begin, comma == std::string::npos ? comma : comma - begin);
    char* end = nullptr;
    errno = 0;
    long long v = std::strtoll(item.c_str(), &end, 10);
    if (item.empty() || *end != '\0' || errno != 0 || v < min)
      throw UsageError(name + " expects a comma-separated list of integers >= " +
                       std::to_string(min) + ", got '" + text + "'");
    out.push_back(v);
    if (comma == std::string::npos) return out;
    begin = comma + 1;
  }
}

ArgParser::ArgParser(std::string command, std::string synopsis, std::string description)
    : command_(std::move(command)),
      synopsis_(std::move(synopsis)),
      description_(std::move(description)) {}

ArgParser& ArgParser::flag(const std::string& name, const std::string& help) {
  specs_.push_back({name, "", "", help, false, false});
  return *this;
}

ArgParser& ArgParser::option(const std::string& name, const std::string& valueName,
                             const std::string& help, bool repeatable,
                             const std::string& shortAlias) {
  specs_.push_back({name, shortAlias, valueName, help, true, repeatable});
  return *this;
}

ArgParser& ArgParser::positional(const std::string& name, const std::string& help) {
  positionals_.emplace_back(name, help);
  return *this;
}

ArgParser& ArgParser::epilog(const std::string& text) {
  epilog_ = text;
  return *this;
}

const ArgParser::Spec* ArgParser::find(const std::string& name) const {
  for (const Spec& s : specs_)
    if (s.name == name || (!s.shortAlias.empty() && s.shortAlias == name)) return &s;
  return nullptr;
}

ParsedArgs ArgParser::parse(const std::vector<std::string>& args) const {
  ParsedArgs out;
  bool onlyPositionals = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (onlyPositionals || a.size() < 2 || a[0] != '-') {
      out.positionals.push_back(a);
      continue;
    }
    if (a == "--") {
      onlyPositionals = true;
      continue;
    }
    if (a == "--help" || a == "-h") {
      out.helpRequested = true;
      continue;
    }
    std::string name = a;
    std::optional<std::string> inlineValue;
    if (size_t eq = a.find('='); a.rfind("--", 0) == 0 && eq != std::string::npos) {
      name = a.substr(0, eq);
      inlineValue = a.substr(eq + 1);
    }
    const Spec* spec = find(name);
    if (!spec)
      throw UsageError("unknown option '" + name + "' for '" + command_ + "' (see " + command_ +
                       " --help)");
    if (!spec->takesValue) {
      if (inlineValue) throw UsageError(spec->name + " takes no value");
      out.values_[spec->name].push_back("");
      continue;
    }
    std::string value;
    if (inlineValue) {
      value = *inlineValue;
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      throw UsageError(spec->name + " expects a value (" + spec->valueName + ")");
    }
    auto& slot = out.values_[spec->name];
    if (!spec->repeatable && !slot.empty())
      throw UsageError(spec->name + " given more than once");
    slot.push_back(value);
  }
  if (!out.helpRequested && out.positionals.size() != positionals_.size()) {
    std::string expected;
    for (const auto& [n, h] : positionals_) expected += (expected.empty() ? "" : " ") + n;
    if (out.positionals.size() < positionals_.size())
      throw UsageError(command_ + ": missing argument " + expected);
    throw UsageError(command_ + ": unexpected argument '" +
                     out.positionals[positionals_.size()] + "'");
  }
  return out;
}

std::string ArgParser::usage() const {
  std::ostringstream os;
  os << "usage: " << command_ << " " << synopsis_ << "\n\n" << description_ << "\n";
  auto row = [&](const std::string& left, const std::string& help) {
    os << "  " << left;
    if (left.size() < 26) {
      os << std::string(26 - left.size(), ' ');
    } else {
      os << "\n  " << std::string(26, ' ');
    }
    // Indent continuation lines of multi-line help under the help column.
    for (char c : help) {
      os << c;
      if (c == '\n') os << "  " << std::string(26, ' ');
    }
    os << "\n";
  };
  if (!positionals_.empty()) {
    os << "\narguments:\n";
    for (const auto& [n, h] : positionals_) row(n, h);
  }
  os << "\noptions:\n";
  for (const Spec& s : specs_) {
    std::string left = s.shortAlias.empty() ? s.name : s.shortAlias + ", " + s.name;
    if (s.takesValue) left += " " + s.valueName;
    row(left, s.help + (s.repeatable ? " (repeatable)" : ""));
  }
  row("-h, --help", "show this help");
  if (!epilog_.empty()) os << "\n" << epilog_ << "\n";
  return os.str();
}

}  // namespace kiln::cli
