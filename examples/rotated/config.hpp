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
  std::string pidfile;  // signal the process whose pid it holds
  // Who besides root may own the pidfile and the process it names
  // (`user = "www-data"`); unset: root (or rotated's own user) only.
  std::optional<uid_t> user;
  int signal = 1;                    // SIGHUP
  std::vector<std::string> command;  // run argv directly (never a shell)
  // A command still running after this is killed (SIGKILL) and logged.
  std::chrono::nanoseconds timeout = std::chrono::seconds(10);
};

// A command run beside a rotation (prerotate, postrotate): argv run
// directly, never through a shell, with ROTATED_FILE set to the file's
// path; past `timeout` it is killed (SIGKILL) and that counts as a failure.
struct hook_spec {
  std::vector<std::string> command;
  std::chrono::nanoseconds timeout = std::chrono::seconds(10);

  bool operator==(const hook_spec&) const = default;
};

struct create_spec {
  bool enabled = true;  // `create = false`: leave the fresh file to the writer
  // Unset: copied from the file being rotated.
  std::optional<mode_t> mode;
  std::optional<uid_t> owner;
  std::optional<gid_t> group;
};

// A trigger at a local wall-clock time on the days (or hours) a period
// selects: `hourly`, `daily`, `weekly`, `monthly`, `yearly` in the TOML.
enum class calendar_period { hourly, daily, weekly, monthly, yearly };

struct calendar_trigger {
  calendar_period period = calendar_period::daily;
  // Local time of day; hourly: the minute and second into each hour.
  std::chrono::seconds at{0};
  unsigned weekday = 0;  // weekly: 0 Sunday .. 6 Saturday
  unsigned day = 1;      // monthly, yearly: 1..31; past a month's end, its last day
  unsigned month = 1;    // yearly: 1..12

  bool operator==(const calendar_trigger&) const = default;
};

const char* to_string(calendar_period p) noexcept;  // "weekly"

enum class compression_method { gzip, zstd };
// ".gz", ".zst": what a compressed version's name ends with.
const char* extension_of(compression_method m) noexcept;

// One [[file]] table.
struct file_policy {
  std::string path;  // absolute, normalised; its directory is dir(), its entry name()
  // name() is a glob pattern (patterns.hpp); expand_patterns() turns the
  // entry into one per matching file before anything is rotated.
  bool pattern = false;
  int line = 0;       // of the [[file]] header, for messages
  unsigned keep = 1;  // 0: the file's contents are dropped at each rotation, no version kept
  // Triggers; at least one is set.
  std::optional<std::chrono::nanoseconds> every;
  std::optional<calendar_trigger> calendar;  // at most one of hourly .. yearly
  std::optional<std::uint64_t> max_size;     // rotate when strictly bigger
  // A time trigger (every, calendar) rotates only once the file has at
  // least this many bytes; until then it checks again every check_every.
  std::optional<std::uint64_t> min_size;
  // Non-empty: versions are named NAME + this strftime pattern of the
  // rotation's local time ("-%Y%m%d", logrotate's dateext) instead of
  // NAME.1, NAME.2, ...; see valid_dateext().
  std::string dateext;
  // Each rotation removes the versions 2..keep last written more than this
  // long before it (logrotate's maxage).
  std::optional<std::chrono::nanoseconds> max_age;
  std::chrono::nanoseconds check_every = std::chrono::seconds(60);
  bool watch = false;     // also check when inotify reports a write (at most once a second)
  bool compress = false;  // versions 2..keep compressed with `method`
  compression_method method = compression_method::gzip;
  int compress_level = 0;  // 0: the method's default; gzip 1..9, zstd 1..19
  std::optional<notify_spec> notify;
  // Before the rotation; unless it exits 0 in time, the file is not rotated
  // (the rotation counts as failed and is tried again).
  std::optional<hook_spec> prerotate;
  // After the rotation, before notify and compression; a failure is logged.
  std::optional<hook_spec> postrotate;
  // The group whose rotations share the hooks below (group_rounds.hpp): the
  // matches of one [[file]] table, or the tables of one configuration file
  // that name the same `group`. A key unique to the group, for the daemon.
  std::string group;
  // Run once before the first and after the last rotation of a round of the
  // group (logrotate's firstaction, lastaction); a failing firstaction
  // fails the round's rotations.
  std::optional<hook_spec> firstaction;
  std::optional<hook_spec> lastaction;
  // prerotate and postrotate run once per round of the group, not once per
  // file (logrotate's sharedscripts).
  bool shared_hooks = false;
  create_spec create;
  // Empty: versions stay beside the file. Else the absolute directory the
  // versions go to (logrotate's olddir; `olddir` relative to dir() in the
  // TOML), on the file's filesystem: a rotation renames the file into it.
  std::string olddir;
  // Whether a missing olddir is created, with what mode (default 0755) and
  // owner (default: the identity the rotation works with).
  create_spec create_olddir{false, {}, {}, {}};
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
  std::string versions_dir() const { return olddir.empty() ? dir() : olddir; }
};

struct config {
  std::string source;     // the file it came from
  std::string state_dir;  // empty: the default (or --state-dir)
  // A drop-in directory (`include_dir`): its NAME.toml files add [[file]]
  // tables (load_config reads them; parse_config only records the key).
  std::string include_dir;
  int include_dir_line = 0;  // where `source` sets it, for messages
  std::vector<file_policy> files;
};

struct config_result {
  std::optional<config> value;      // set when errors is empty
  std::vector<std::string> errors;  // "FILE:LINE: message" each
};

// Parses TOML text; `source` names it in messages.
config_result parse_config(std::string_view text, const std::string& source);
// Reads and parses a file and the NAME.toml files of its include_dir (in
// name order; each holds only [[file]] tables). With `as_root`, also
// refuses a file, or the drop-in directory, not owned by root or writable
// by group or others.
config_result load_config(const std::string& path, bool as_root);

// The strict value grammars, exposed for tests and the command line.
std::optional<std::chrono::nanoseconds> parse_duration(std::string_view text);
std::optional<std::uint64_t> parse_size(std::string_view text);
std::optional<std::chrono::seconds> parse_time_of_day(std::string_view text);  // "HH:MM" or "HH:MM:SS"
// A calendar trigger's string: "HH:MM[:SS]" (daily), "DAY [HH:MM[:SS]]"
// with an English weekday, full or three letters, any case (weekly),
// "D [HH:MM[:SS]]" with D 1..31 (monthly), "MM-DD [HH:MM[:SS]]" (yearly),
// "MM[:SS]" (hourly). Omitted times are 00:00.
std::optional<calendar_trigger> parse_calendar(calendar_period period, std::string_view text);
std::optional<int> parse_signal(std::string_view name);         // "HUP", "SIGUSR1", ...
std::optional<std::uint64_t> parse_u64(std::string_view text);  // decimal digits, no overflow
// A dateext pattern rotated can both format and recognise: literal
// characters (no '/') and %Y %m %d %H %M %S %s %%, at least one conversion.
bool valid_dateext(std::string_view pattern);
// Whether `suffix` is what `pattern` formats for some instant.
bool matches_dateext(std::string_view suffix, std::string_view pattern);
// Whether a file name holds an unescaped `*`, `?` or `[` (patterns.hpp).
bool is_pattern(std::string_view name);
// The name with its backslash escapes removed (a name that is no pattern).
std::string unescape_name(std::string_view name);

std::string format_duration(std::chrono::nanoseconds d);  // "1h30m", "100ms"

}  // namespace rotated
