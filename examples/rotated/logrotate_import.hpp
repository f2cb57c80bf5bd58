// rotated --import-logrotate: logrotate configuration translated into
// rotated's TOML (docs/rotated.md, IMPORTING FROM LOGROTATE).
//
// Every directive is either translated or named in a comment of the output
// saying why it is not; the output is a configuration that --check
// accepts whenever it holds at least one file. Each path of a block becomes
// one [[file]] with the block's settings (the global directives before it
// as defaults, as in logrotate); `include` is followed (a directory: its
// files in name order, less logrotate's taboo extensions). Scripts become
// argv when they are one plain command (no shell syntax but a trailing
// redirection to /dev/null); otherwise they are left as a commented-out
// suggestion, because rotated runs no shell.
//
// Thread: any; it reads the files it is given and those they include.
#pragma once

#include <string>
#include <vector>

namespace rotated {

struct import_result {
  std::string toml;                 // the configuration, comments included
  std::size_t files = 0;            // [[file]] tables in it
  std::vector<std::string> errors;  // files that could not be read
};

import_result import_logrotate(const std::vector<std::string>& paths);

// The same from text (tests): `source` names it in comments.
import_result import_logrotate_text(const std::string& text, const std::string& source);

}  // namespace rotated
