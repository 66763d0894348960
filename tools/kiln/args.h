#pragma once
/// A tiny declarative command-line parser shared by the kiln subcommands.
///
/// Each subcommand declares its flags (no value), options (one value, maybe repeatable) and
/// positional arguments, then parses argv. Options accept `--name VALUE` and `--name=VALUE`;
/// a short alias such as `-o` takes `-o VALUE`. `--help`/`-h` is always understood.
/// Anything malformed throws UsageError, which the CLI turns into exit code 2.
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace kiln::cli {

/// The words after the subcommand name.
using Args = std::vector<std::string>;

/// A mistake in how the command line was written (unknown flag, missing value...). Exit 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The result of parsing: which flags were given, option values, positionals.
class ParsedArgs {
 public:
  bool helpRequested = false;
  std::vector<std::string> positionals;

  bool has(const std::string& name) const { return values_.count(name) > 0; }
  /// Last value of an option, or `fallback` when absent.
  std::string get(const std::string& name, const std::string& fallback = "") const;
  /// Every value of a repeatable option, in command-line order.
  std::vector<std::string> getAll(const std::string& name) const;
  /// Numeric option values; a malformed number is a UsageError naming the option.
  double getDouble(const std::string& name, double fallback) const;
  int64_t getInt(const std::string& name, int64_t fallback, int64_t min = 0) const;
  /// A comma-separated list of integers >= min ("1,64,256"); `fallback` when absent.
  std::vector<int64_t> getIntList(const std::string& name, const std::vector<int64_t>& fallback,
                                  int64_t min = 0) const;

 private:
  friend class ArgParser;
  std::map<std::string, std::vector<std::string>> values_;
};

class ArgParser {
 public:
  /// `command` e.g. "kiln run"; `synopsis` the one-line usage after the command name.
  ArgParser(std::string command, std::string synopsis, std::string description);

  /// A boolean flag such as "--json".
  ArgParser& flag(const std::string& name, const std::string& help);
  /// An option taking one value, e.g. option("--batch", "B", "images per batch").
  ArgParser& option(const std::string& name, const std::string& valueName,
                    const std::string& help, bool repeatable = false,
                    const std::string& shortAlias = "");
  /// A required positional argument (documentation only; count is checked by parse()).
  ArgParser& positional(const std::string& name, const std::string& help);
  /// Free text appended to --help (exit codes, examples).
  ArgParser& epilog(const std::string& text);

  /// Parses the arguments following the subcommand name. Unless --help was given, checks
  /// that exactly the declared positionals are present.
  ParsedArgs parse(const std::vector<std::string>& args) const;
  /// The full --help text.
  std::string usage() const;

 private:
  struct Spec {
    std::string name, shortAlias, valueName, help;
    bool takesValue = false, repeatable = false;
  };
  const Spec* find(const std::string& name) const;

  std::string command_, synopsis_, description_, epilog_;
  std::vector<Spec> specs_;
  std::vector<std::pair<std::string, std::string>> positionals_;
};

}  // namespace kiln::cli
