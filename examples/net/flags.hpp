// Command-line flags of the examples/net programs: "--name value" or
// "--name=value", each with a default; --help lists them. A program's
// flags are read once in main, before its loop runs.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace examples {

class flags {
 public:
  // `known`: name (without "--"), default, help. Prints usage and exits 2
  // on an unknown flag or a missing value, 0 on --help.
  flags(int argc, char** argv, std::vector<std::pair<std::string, std::pair<std::string, std::string>>> known)
      : known_(std::move(known)) {
    for (const auto& [name, def] : known_) values_[name] = def.first;
    for (int i = 1; i < argc; ++i) {
      std::string_view arg = argv[i];
      if (arg == "--help" || arg == "-h") usage(argv[0], 0);
      if (arg.substr(0, 2) != "--") usage(argv[0], 2);
      arg.remove_prefix(2);
      std::string name(arg.substr(0, arg.find('=')));
      if (!values_.contains(name)) usage(argv[0], 2);
      if (arg.find('=') != std::string_view::npos) {
        values_[name] = arg.substr(arg.find('=') + 1);
      } else if (i + 1 < argc) {
        values_[name] = argv[++i];
      } else {
        usage(argv[0], 2);
      }
    }
  }

  const std::string& text(const std::string& name) const { return values_.at(name); }

  // The value as a number; exits 2 with a message if it is not one.
  long long number(const std::string& name) const {
    const std::string& v = values_.at(name);
    char* end = nullptr;
    long long n = std::strtoll(v.c_str(), &end, 10);
    if (v.empty() || *end != '\0') {
      std::fprintf(stderr, "--%s: '%s' is not a number\n", name.c_str(), v.c_str());
      std::exit(2);
    }
    return n;
  }

 private:
  [[noreturn]] void usage(const char* program, int status) const {
    std::FILE* out = status == 0 ? stdout : stderr;
    std::fprintf(out, "usage: %s [--flag value]...\n", program);
    for (const auto& [name, def] : known_)
      std::fprintf(out, "  --%-12s %s (default: %s)\n", name.c_str(), def.second.c_str(),
                   def.first.empty() ? "none" : def.first.c_str());
    std::exit(status);
  }

  std::vector<std::pair<std::string, std::pair<std::string, std::string>>> known_;
  std::map<std::string, std::string> values_;
};

}  // namespace examples
