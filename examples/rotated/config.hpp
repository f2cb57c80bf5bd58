// rotated's configuration: what is watched, when it rotates, how many
// versions are kept. Parsed from TOML (docs/rotated.md lists every key).
//
// Parsing is strict: a duration is "<n><unit>..." with units ms, s, m, h,
// d in decreasing order ("1h30m"), a size is a byte count or "<n><unit>"
// with B, KB, KiB, MB, MiB, GB, GiB, TB, TiB; an unknown key, a value of
// the wrong type or out of range is an error. Every error found is reported,
// each as "FILE:LINE: message", not just the first.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rotated {

struct notify_spec {
  // Exactly one of the two is set.
  std::string pidfile;               // signal the process whose pid it holds
  // Who besides root may own the pidfile and the process it names
  // (`user = "www-data"`); unset: root (or rotated's own user) only.
  std::optional<uid_t> user;
  int signal = 1;                    // SIGHUP
  std::vector<std::string> command;  // run argv directly (never a shell)
  // A command still running after this is killed (SIGKILL) and logged.
  std::chrono::nanoseconds timeout = std::chrono::seconds(10);
};

struct create_spec {
  bool enabled = true;  // `create = false`: leave the fresh file to the writer
  // Unset: copied from the file being rotated.
  std::optional<mode_t> mode;
  std::optional<uid_t> owner;
  std::optional<gid_t> group;
};

// One [[file]] table.
struct file_policy {
  std::string path;  // absolute, normalised; its directory is dir(), its entry name()
  int line = 0;      // of the [[file]] header, for messages
  unsigned keep = 1;
  // Triggers; at least one is set.
  std::optional<std::chrono::nanoseconds> every;
  std::optional<std::chrono::seconds> daily;  // local time of day
  std::optional<std::uint64_t> max_size;      // rotate when strictly bigger
  std::chrono::nanoseconds check_every = std::chrono::seconds(60);
  bool watch = false;  // also check when inotify reports a write (at most once a second)
  bool compress = false;  // gzip versions 2..keep
  std::optional<notify_spec> notify;
  create_spec create;
  bool copytruncate = false;
  bool missing_ok = false;
  bool not_if_empty = false;
  bool allow_world_writable = false;  // as root, rotate even in an o+w directory
  // As root, in a directory a user other than root can write: false does
  // the work with the directory owner's identity, true refuses it
  // (`unsafe_directory = "as_owner"` or `"refuse"`).
  bool refuse_unsafe_directory = false;

  std::string dir() const;
  std::string name() const;
};

struct config {
  std::string source;     // the file it came from
  std::string state_dir;  // empty: the default (or --state-dir)
  std::vector<file_policy> files;
};

struct config_result {
  std::optional<config> value;      // set when errors is empty
  std::vector<std::string> errors;  // "FILE:LINE: message" each
};

// Parses TOML text; `source` names it in messages.
config_result parse_config(std::string_view text, const std::string& source);
// Reads and parses a file. With `as_root`, also refuses a file not owned by
// root or writable by group or others.
config_result load_config(const std::string& path, bool as_root);

// The strict value grammars, exposed for tests and the command line.
std::optional<std::chrono::nanoseconds> parse_duration(std::string_view text);
std::optional<std::uint64_t> parse_size(std::string_view text);
std::optional<std::chrono::seconds> parse_time_of_day(std::string_view text);  // "HH:MM" or "HH:MM:SS"
std::optional<int> parse_signal(std::string_view name);                       // "HUP", "SIGUSR1", ...
std::optional<std::uint64_t> parse_u64(std::string_view text);                // decimal digits, no overflow

std::string format_duration(std::chrono::nanoseconds d);  // "1h30m", "100ms"

}  // namespace rotated
