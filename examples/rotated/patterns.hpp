// Glob patterns in [[file]] paths: `path = "/var/log/nginx/*.log"` watches
// every file that matches (docs/rotated.md, CONFIGURATION).
//
// Only the file name may be a pattern (fnmatch(3): `*`, `?`, `[...]`; a
// backslash makes the next character literal, so `a\*b.log` names the file
// `a*b.log`); the directory is literal. It is opened without following a
// symlink anywhere in its path and listed through that descriptor (never
// glob(3), which follows them), like every other path operation of rotated.
// A match is a regular file (lstat: not a symlink) whose name is not one of
// rotated's versions (`NAME.3`, `NAME.3.gz`, `NAME.3.zst`) or temporary
// files (`.rotated-…`), and a leading dot must be matched by one.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config.hpp"

namespace rotated {

// is_pattern() and unescape_name() are in config.hpp (the parser's).
// `cfg` with each pattern entry replaced by one entry per current match, in
// name order, each a copy of the pattern's policy with the match's path. A
// path that a literal entry (or an earlier pattern) names already is not
// added again. `notes` receives a line per pattern that matched nothing,
// or whose directory could not be read (a missing one: only without
// missing_ok). Files that appear later are watched from the next reload
// (SIGHUP) or run.
config expand_patterns(const config& cfg, std::vector<std::string>* notes = nullptr);

}  // namespace rotated
