// The schema walk: TOML tables to a config, each key checked against what
// it may hold, every error collected with its line; and the checks on the
// configuration file itself (owner and mode as root).
#include "config.hpp"
#include "fs.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <toml++/toml.h>

namespace rotated {

namespace {

// Collects errors with the file name and a line. toml++ iterates a table
// in key order, so the messages are sorted by line when taken.
class reporter {
 public:
  explicit reporter(const std::string& source) : source_(source) {}
  void at(int line, const std::string& message) { errors.emplace_back(line, message); }
  void at(const toml::node& node, const std::string& message) { at(line_of(node), message); }
  static int line_of(const toml::node& node) { return static_cast<int>(node.source().begin.line); }
  std::vector<std::string> take() {
    std::stable_sort(errors.begin(), errors.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<std::string> out;
    for (const auto& [line, message] : errors) out.push_back(source_ + ":" + std::to_string(line) + ": " + message);
    return out;
  }
  std::vector<std::pair<int, std::string>> errors;

 private:
  const std::string& source_;
};

const char* type_name(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    default: return "nothing";
  }
}

std::optional<std::string> want_string(reporter& r, std::string_view key, const toml::node& n) {
  if (auto s = n.value<std::string>(); s && n.is_string()) return s;
  r.at(n, "'" + std::string(key) + "' must be a string, not " + type_name(n));
  return std::nullopt;
}

std::optional<bool> want_bool(reporter& r, std::string_view key, const toml::node& n) {
  if (n.is_boolean()) return n.value<bool>();
  r.at(n, "'" + std::string(key) + "' must be true or false, not " + type_name(n));
  return std::nullopt;
}

// The type is checked before the value is read: toml++ converts a float to
// an integer without a range check (undefined beyond int64).
std::optional<std::int64_t> want_integer(reporter& r, std::string_view key, const toml::node& n, std::int64_t low,
                                         std::int64_t high) {
  if (!n.is_integer()) {
    r.at(n, "'" + std::string(key) + "' must be an integer, not " + type_name(n));
    return std::nullopt;
  }
  auto v = *n.value<std::int64_t>();
  if (v >= low && v <= high) return v;
  r.at(n, "'" + std::string(key) + "' must be between " + std::to_string(low) + " and " + std::to_string(high) +
              ", not " + std::to_string(v));
  return std::nullopt;
}

std::optional<std::chrono::nanoseconds> want_duration(reporter& r, std::string_view key, const toml::node& n) {
  auto s = want_string(r, key, n);
  if (!s) return std::nullopt;
  auto d = parse_duration(*s);
  if (!d) {
    r.at(n, "'" + std::string(key) + "': invalid duration \"" + *s +
                "\" (expected e.g. \"30s\", \"5m\", \"1h30m\", \"100ms\"; units ms s m h d, no spaces)");
    return std::nullopt;
  }
  if (d->count() <= 0) {
    r.at(n, "'" + std::string(key) + "' must be longer than zero");
    return std::nullopt;
  }
  return d;
}

std::optional<std::uint64_t> want_size(reporter& r, std::string_view key, const toml::node& n) {
  if (n.is_integer()) {
    auto v = *n.value<std::int64_t>();
    if (v >= 0) return static_cast<std::uint64_t>(v);
    r.at(n, "'" + std::string(key) + "' must not be negative");
    return std::nullopt;
  }
  auto s = want_string(r, key, n);
  if (!s) return std::nullopt;
  auto size = parse_size(*s);
  if (!size)
    r.at(n, "'" + std::string(key) + "': invalid size \"" + *s +
                "\" (expected e.g. \"512KiB\", \"1MiB\", \"10MB\", \"100B\")");
  return size;
}

std::optional<calendar_period> calendar_key(std::string_view key) {
  for (auto p : {calendar_period::hourly, calendar_period::daily, calendar_period::weekly, calendar_period::monthly,
                 calendar_period::yearly})
    if (key == to_string(p)) return p;
  return std::nullopt;
}

// `true` (the period's start: minute 0, midnight, Sunday, the 1st, January
// 1st) or parse_calendar's string.
std::optional<calendar_trigger> want_calendar(reporter& r, calendar_period period, const toml::node& n) {
  static constexpr const char* forms[] = {"\"MM\" or \"MM:SS\" (minute and second of each hour)",
                                          "a local time \"HH:MM\" or \"HH:MM:SS\" (00:00 to 23:59:59)",
                                          "a weekday and an optional time, e.g. \"sunday\", \"mon 03:00\"",
                                          "a day of the month 1..31 and an optional time, e.g. \"1\", \"15 04:00\"",
                                          "a date MM-DD and an optional time, e.g. \"01-01\", \"07-01 06:00\""};
  const std::string key = to_string(period);
  if (n.is_boolean()) {
    if (!*n.value<bool>()) return std::nullopt;
    calendar_trigger c;
    c.period = period;
    return c;
  }
  auto s = want_string(r, key, n);
  if (!s) return std::nullopt;
  auto c = parse_calendar(period, *s);
  if (!c) r.at(n, "'" + key + "' must be true or " + forms[static_cast<int>(period)] + ", not \"" + *s + "\"");
  return c;
}

// A command line: a non-empty array of strings whose first is a program.
std::vector<std::string> want_argv(reporter& r, const std::string& key, const toml::node& n) {
  std::vector<std::string> argv;
  const toml::array* a = n.as_array();
  if (a == nullptr || a->empty()) {
    r.at(n, "'" + key + "' must be a non-empty array of strings (argv; no shell is used)");
    return argv;
  }
  for (const toml::node& arg : *a)
    if (auto s = want_string(r, key + "[]", arg)) argv.push_back(*s);
  if (!argv.empty() && argv[0].empty()) r.at(n, "'" + key + "' has an empty program name");
  return argv;
}

// A user or group ("user" or "group" as `what`): a name, or a number.
std::optional<std::uint32_t> want_id(reporter& r, std::string_view key, const toml::node& n, std::string_view what) {
  auto s = want_string(r, key, n);
  if (!s) return std::nullopt;
  if (auto id = parse_u64(*s); id && *id < std::numeric_limits<std::uint32_t>::max())
    return static_cast<std::uint32_t>(*id);
  if (what == "user") {
    if (struct passwd* pw = ::getpwnam(s->c_str())) return pw->pw_uid;
  } else if (struct group* gr = ::getgrnam(s->c_str())) {
    return gr->gr_gid;
  }
  r.at(n, "'" + std::string(key) + "': no " + std::string(what) + " named \"" + *s + "\"");
  return std::nullopt;
}

// Normalises an absolute path: no empty, "." or ".." components, no
// trailing slash. Returns an empty string and a reason when it cannot.
std::string normalise_path(const std::string& raw, std::string& why) {
  if (raw.empty() || raw[0] != '/') {
    why = "must be an absolute path";
    return {};
  }
  if (raw.find('\n') != std::string::npos || raw.find('\0') != std::string::npos) {
    why = "must not contain a newline or NUL";
    return {};
  }
  std::string out;
  std::size_t i = 0;
  while (i < raw.size()) {
    while (i < raw.size() && raw[i] == '/') ++i;
    std::size_t j = raw.find('/', i);
    if (j == std::string::npos) j = raw.size();
    std::string_view part(raw.data() + i, j - i);
    if (part == "..") {
      why = "must not contain '..'";
      return {};
    }
    if (!part.empty() && part != ".") {
      out += '/';
      out += part;
    }
    i = j;
  }
  if (out.empty()) {
    why = "names no file";
    return {};
  }
  if (raw.back() == '/') {
    why = "must name a file, not end with '/'";
    return {};
  }
  return out;
}

void parse_notify(reporter& r, const toml::node& n, file_policy& f) {
  const toml::table* t = n.as_table();
  if (t == nullptr) {
    r.at(n,
         "'notify' must be a table such as { pidfile = \"/run/app.pid\", signal = \"HUP\" } or "
         "{ command = [\"prog\", \"arg\"] }");
    return;
  }
  notify_spec spec;
  bool has_pidfile = false, has_command = false, has_signal = false, has_user = false, has_timeout = false;
  for (auto&& [k, v] : *t) {
    std::string_view key = k.str();
    if (key == "pidfile") {
      has_pidfile = true;
      if (auto s = want_string(r, "notify.pidfile", v)) {
        std::string why;
        spec.pidfile = normalise_path(*s, why);
        if (spec.pidfile.empty()) r.at(v, "'notify.pidfile' " + why);
      }
    } else if (key == "signal") {
      has_signal = true;
      if (v.is_integer()) {
        auto num = *v.value<std::int64_t>();
        if (num <= 0 || num >= NSIG || num == SIGKILL || num == SIGSTOP)
          r.at(v, "'notify.signal' " + std::to_string(num) + " is not a signal rotated may send");
        else spec.signal = static_cast<int>(num);
      } else if (auto s = want_string(r, "notify.signal", v)) {
        if (auto sig = parse_signal(*s)) spec.signal = *sig;
        else r.at(v, "'notify.signal': unknown signal \"" + *s + "\" (e.g. \"HUP\", \"USR1\")");
      }
    } else if (key == "timeout") {
      has_timeout = true;
      if (auto t = want_duration(r, "notify.timeout", v)) spec.timeout = *t;
    } else if (key == "user") {
      has_user = true;
      if (auto id = want_id(r, "notify.user", v, "user")) spec.user = static_cast<uid_t>(*id);
    } else if (key == "command") {
      has_command = true;
      spec.command = want_argv(r, "notify.command", v);
    } else {
      r.at(static_cast<int>(k.source().begin.line),
           "unknown key 'notify." + std::string(key) + "' (expected pidfile, signal, user, command or timeout)");
    }
  }
  if (has_pidfile == has_command) {
    r.at(n, "'notify' needs exactly one of 'pidfile' or 'command'");
    return;
  }
  if (has_signal && has_command) r.at(n, "'notify.signal' goes with 'pidfile', not with 'command'");
  if (has_user && has_command) r.at(n, "'notify.user' goes with 'pidfile', not with 'command'");
  if (has_timeout && has_pidfile) r.at(n, "'notify.timeout' goes with 'command', not with 'pidfile'");
  f.notify = std::move(spec);
}

// `prerotate = ["prog", "arg"]`, or `{ command = [...], timeout = "30s" }`.
std::optional<hook_spec> parse_hook(reporter& r, const std::string& key, const toml::node& n) {
  hook_spec spec;
  if (n.is_array()) {
    spec.command = want_argv(r, key, n);
    return spec;
  }
  const toml::table* t = n.as_table();
  if (t == nullptr) {
    r.at(n, "'" + key +
                "' must be an array of strings such as [\"/usr/bin/prog\", \"arg\"] or a table "
                "{ command = [...], timeout = \"30s\" }");
    return std::nullopt;
  }
  bool has_command = false;
  for (auto&& [k, v] : *t) {
    std::string_view sub = k.str();
    if (sub == "command") {
      has_command = true;
      spec.command = want_argv(r, key + ".command", v);
    } else if (sub == "timeout") {
      if (auto d = want_duration(r, key + ".timeout", v)) spec.timeout = *d;
    } else {
      r.at(static_cast<int>(k.source().begin.line),
           "unknown key '" + key + "." + std::string(sub) + "' (expected command or timeout)");
    }
  }
  if (!has_command) r.at(n, "'" + key + "' needs a 'command'");
  return spec;
}

// `create` (true, false or a table) and `create_olddir` (the same).
void parse_create(reporter& r, const std::string& name, const toml::node& n, create_spec& out) {
  if (n.is_boolean()) {
    out.enabled = *n.value<bool>();
    return;
  }
  const toml::table* t = n.as_table();
  if (t == nullptr) {
    r.at(n, "'" + name +
                "' must be true, false or a table such as { mode = \"0640\", owner = \"root\", group = \"adm\" }");
    return;
  }
  out.enabled = true;
  for (auto&& [k, v] : *t) {
    std::string_view key = k.str();
    if (key == "mode") {
      auto s = want_string(r, name + ".mode", v);
      if (!s) continue;
      bool octal = !s->empty() && s->size() <= 5;
      for (char c : *s) octal = octal && c >= '0' && c <= '7';
      unsigned long m = octal ? std::stoul(*s, nullptr, 8) : 0;
      if (!octal || m > 07777) r.at(v, "'" + name + ".mode' must be octal digits such as \"0640\", not \"" + *s + "\"");
      else out.mode = static_cast<mode_t>(m);
    } else if (key == "owner") {
      if (auto id = want_id(r, name + ".owner", v, "user")) out.owner = static_cast<uid_t>(*id);
    } else if (key == "group") {
      if (auto id = want_id(r, name + ".group", v, "group")) out.group = static_cast<gid_t>(*id);
    } else {
      r.at(static_cast<int>(k.source().begin.line),
           "unknown key '" + name + "." + std::string(key) + "' (expected mode, owner or group)");
    }
  }
}

std::optional<file_policy> parse_file(reporter& r, const toml::table& t) {
  file_policy f;
  f.line = static_cast<int>(t.source().begin.line);
  std::size_t errors_before = r.errors.size();
  bool has_path = false, has_keep = false, has_check_every = false, has_watch = false, has_level = false;
  bool has_create_olddir = false;
  int check_every_line = 0, watch_line = 0, level_line = 0, olddir_line = 0;
  std::optional<std::string> olddir;
  for (auto&& [k, v] : t) {
    std::string_view key = k.str();
    int key_line = static_cast<int>(k.source().begin.line);
    if (key == "path") {
      has_path = true;
      if (auto s = want_string(r, key, v)) {
        std::string why;
        f.path = normalise_path(*s, why);
        if (f.path.empty()) r.at(v, "'path' " + why);
        else if (is_pattern(f.dir())) r.at(v, "'path': only the file name may be a pattern, not a directory");
        else if (is_pattern(f.name())) f.pattern = true;
        else if (std::string name = unescape_name(f.name()); name == "." || name == "..")
          r.at(v, "'path' must name a file, not '" + name + "'");
        else f.path = f.path.substr(0, f.path.size() - f.name().size()) + name;
      }
    } else if (key == "keep") {
      has_keep = true;
      if (auto n = want_integer(r, key, v, 0, 100000)) f.keep = static_cast<unsigned>(*n);
    } else if (key == "every") {
      f.every = want_duration(r, key, v);
    } else if (auto period = calendar_key(key)) {
      if (f.calendar)
        r.at(key_line, "'" + std::string(key) +
                           "': a file has at most one of hourly, daily, weekly, "
                           "monthly and yearly (this one has '" +
                           to_string(f.calendar->period) + "')");
      else f.calendar = want_calendar(r, *period, v);
    } else if (key == "max_size") {
      f.max_size = want_size(r, key, v);
    } else if (key == "min_size") {
      f.min_size = want_size(r, key, v);
    } else if (key == "dateext") {
      if (v.is_boolean()) {
        if (*v.value<bool>()) f.dateext = "-%Y%m%d";
      } else if (auto s = want_string(r, key, v)) {
        if (valid_dateext(*s)) f.dateext = *s;
        else
          r.at(v,
               "'dateext' must be true or a pattern of %Y %m %d %H %M %S %s and other characters but '/', "
               "with at least one conversion, such as \"-%Y%m%d\", not \"" +
                   *s + "\"");
      }
    } else if (key == "max_age") {
      f.max_age = want_duration(r, key, v);
    } else if (key == "check_every") {
      has_check_every = true;
      check_every_line = key_line;
      if (auto d = want_duration(r, key, v)) f.check_every = *d;
    } else if (key == "compress") {
      if (v.is_boolean()) {
        if (*v.value<bool>()) r.at(v, "'compress' must be \"gzip\" or \"zstd\" (or false)");
      } else if (auto s = want_string(r, key, v)) {
        f.compress = *s == "gzip" || *s == "zstd";
        if (*s == "zstd") f.method = compression_method::zstd;
        if (!f.compress) r.at(v, "'compress': unknown method \"" + *s + "\" (\"gzip\" or \"zstd\")");
      }
    } else if (key == "compress_level") {
      has_level = true;
      level_line = key_line;
      if (auto n = want_integer(r, key, v, 1, 19)) f.compress_level = static_cast<int>(*n);
    } else if (key == "notify") {
      parse_notify(r, v, f);
    } else if (key == "prerotate") {
      f.prerotate = parse_hook(r, "prerotate", v);
    } else if (key == "postrotate") {
      f.postrotate = parse_hook(r, "postrotate", v);
    } else if (key == "firstaction" || key == "lastaction") {
      (key == "firstaction" ? f.firstaction : f.lastaction) = parse_hook(r, std::string(key), v);
    } else if (key == "shared_hooks") {
      if (auto b = want_bool(r, key, v)) f.shared_hooks = *b;
    } else if (key == "group") {
      // Named here; parse_text() makes it a key unique to its file.
      if (auto s = want_string(r, key, v)) {
        if (s->empty()) r.at(v, "'group' must be a non-empty name");
        else f.group = *s;
      }
    } else if (key == "create") {
      parse_create(r, "create", v, f.create);
    } else if (key == "create_olddir") {
      has_create_olddir = true;
      parse_create(r, "create_olddir", v, f.create_olddir);
    } else if (key == "olddir") {
      // Resolved against the file's directory once 'path' is known.
      olddir = want_string(r, key, v);
      olddir_line = key_line;
    } else if (key == "copytruncate") {
      if (auto b = want_bool(r, key, v)) f.copytruncate = *b;
    } else if (key == "missing_ok") {
      if (auto b = want_bool(r, key, v)) f.missing_ok = *b;
    } else if (key == "not_if_empty") {
      if (auto b = want_bool(r, key, v)) f.not_if_empty = *b;
    } else if (key == "watch") {
      has_watch = true;
      watch_line = key_line;
      if (auto b = want_bool(r, key, v)) f.watch = *b;
    } else if (key == "allow_world_writable") {
      if (auto b = want_bool(r, key, v)) f.allow_world_writable = *b;
    } else if (key == "unsafe_directory") {
      if (auto s = want_string(r, key, v)) {
        if (*s == "as_owner" || *s == "refuse") f.refuse_unsafe_directory = *s == "refuse";
        else r.at(v, "'unsafe_directory' must be \"as_owner\" or \"refuse\", not \"" + *s + "\"");
      }
    } else {
      r.at(key_line, "unknown key '" + std::string(key) + "' in [[file]]");
    }
  }
  if (!has_path) r.at(f.line, "[[file]] needs a 'path'");
  if (!has_keep) r.at(f.line, "[[file]] needs 'keep' (how many versions to keep; 0: none)");
  if (r.errors.size() == errors_before && olddir) {
    std::string why;
    f.olddir = normalise_path(olddir->empty() || (*olddir)[0] == '/' ? *olddir : f.dir() + "/" + *olddir, why);
    if (f.olddir.empty()) r.at(olddir_line, "'olddir' " + why);
    else if (f.olddir == f.dir()) r.at(olddir_line, "'olddir' is the file's own directory");
  }
  if (r.errors.size() == errors_before) {
    if (has_create_olddir && f.olddir.empty()) r.at(f.line, "'create_olddir' goes with 'olddir'");
    if (!f.every && !f.calendar && !f.max_size)
      r.at(f.line, "[[file]] " + f.path +
                       " has no trigger: set 'every', 'hourly', 'daily', 'weekly', 'monthly', "
                       "'yearly' or 'max_size'");
    if (f.min_size && !f.every && !f.calendar)
      r.at(f.line, "'min_size' goes with a time trigger ('every', 'hourly' .. 'yearly'), which it holds back");
    if (has_check_every && !f.max_size && !f.min_size)
      r.at(check_every_line, "'check_every' goes with 'max_size' or 'min_size'");
    if (has_watch && !f.max_size) r.at(watch_line, "'watch' goes with 'max_size'");
    if (f.copytruncate && !f.create.enabled)
      r.at(f.line, "'copytruncate' keeps the file in place; 'create = false' makes no sense with it");
    if (has_level && !f.compress) r.at(level_line, "'compress_level' goes with 'compress'");
    if (f.compress && f.method == compression_method::gzip && f.compress_level > 9)
      r.at(level_line, "'compress_level' for gzip is 1 to 9, not " + std::to_string(f.compress_level));
    if (!f.dateext.empty() && (f.copytruncate || f.keep == 0))
      r.at(f.line, "'dateext' goes with neither 'copytruncate' nor 'keep = 0'");
    if (f.keep == 0 && f.copytruncate)
      r.at(f.line, "'keep = 0' with 'copytruncate' would only truncate the file; not supported");
    if (f.compress && f.keep < 2) r.at(f.line, "'compress' applies to versions 2 and up, so it needs keep >= 2");
  }
  if (r.errors.size() != errors_before) return std::nullopt;
  return f;
}

}  // namespace

std::string file_policy::dir() const {
  std::size_t slash = path.rfind('/');
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string file_policy::name() const { return path.substr(path.rfind('/') + 1); }

namespace {

// Gives `f` its group's key: its own table's, or its file's named group,
// whose tables must agree on the hooks a group shares. `groups` holds the
// first table of each named group of the file.
void join_group(reporter& r, const std::string& source, std::map<std::string, file_policy>& groups, file_policy& f) {
  if (f.group.empty()) {
    f.group = source + ": [[file]] at line " + std::to_string(f.line);
    return;
  }
  auto [first, fresh] = groups.emplace(f.group, f);
  const std::string name = f.group;
  f.group = source + ": group " + name;
  if (fresh) return;
  const file_policy& g = first->second;
  const char* differs = g.firstaction != f.firstaction     ? "firstaction"
                        : g.lastaction != f.lastaction     ? "lastaction"
                        : g.shared_hooks != f.shared_hooks ? "shared_hooks"
                        : !f.shared_hooks                  ? nullptr
                        : g.prerotate != f.prerotate       ? "prerotate"
                        : g.postrotate != f.postrotate     ? "postrotate"
                                                           : nullptr;
  if (differs != nullptr)
    r.at(f.line, "group \"" + name + "\": '" + differs + "' differs from the [[file]] at line " +
                     std::to_string(g.line) +
                     " (the tables of a group share firstaction, lastaction, shared_hooks and, with shared_hooks, "
                     "prerotate and postrotate)");
}

// A configuration's text; a drop-in (a file of include_dir) holds only
// [[file]] tables, and may hold none.
config_result parse_text(std::string_view text, const std::string& source, bool drop_in) {
  config_result result;
  reporter r(source);
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    r.at(static_cast<int>(e.source().begin.line), std::string(e.description()));
    result.errors = r.take();
    return result;
  }
  config cfg;
  cfg.source = source;
  std::set<std::string> paths;
  std::map<std::string, file_policy> groups;  // named group -> its first table
  bool any_file = false;
  for (auto&& [k, v] : root) {
    std::string_view key = k.str();
    int key_line = static_cast<int>(k.source().begin.line);
    if (drop_in && key != "file") {
      r.at(key_line, "'" + std::string(key) + "': a drop-in file holds only [[file]] tables");
    } else if (key == "state_dir" || key == "include_dir") {
      if (auto s = want_string(r, key, v)) {
        std::string why;
        std::string& dir = key == "state_dir" ? cfg.state_dir : cfg.include_dir;
        dir = normalise_path(*s, why);
        if (dir.empty()) r.at(v, "'" + std::string(key) + "' " + why);
        if (key == "include_dir") cfg.include_dir_line = key_line;
      }
    } else if (key == "file") {
      const toml::array* files = v.as_array();
      if (files == nullptr || !files->is_array_of_tables()) {
        r.at(key_line, "'file' must be written as [[file]] tables");
        continue;
      }
      for (const toml::node& n : *files) {
        any_file = true;
        auto f = parse_file(r, *n.as_table());
        if (!f) continue;
        if (!paths.insert(f->path).second) {
          r.at(f->line, "'" + f->path + "' is watched twice");
          continue;
        }
        join_group(r, source, groups, *f);
        cfg.files.push_back(std::move(*f));
      }
    } else {
      r.at(key_line, "unknown key '" + std::string(key) + "' (expected state_dir, include_dir or [[file]] tables)");
    }
  }
  if (!any_file && !drop_in && cfg.include_dir.empty() && r.errors.empty())
    r.at(1, "no [[file]] table: nothing to watch");
  result.errors = r.take();
  if (result.errors.empty()) result.value = std::move(cfg);
  return result;
}

// The text of a configuration file, `name` in `dirfd` (AT_FDCWD: a path),
// or nullopt with the reason in `errors`. As root, a file that root does
// not own or that group or others may write is refused.
std::optional<std::string> read_config(int dirfd, const std::string& name, const std::string& path, bool as_root,
                                       std::vector<std::string>& errors, int extra_flags) {
  unique_fd fd(::openat(dirfd, name.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | extra_flags));
  if (!fd) {
    errors.push_back(path + ": cannot open: " + std::strerror(errno));
    return std::nullopt;
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    errors.push_back(path + ": not a regular file");
    return std::nullopt;
  }
  if (as_root && st.st_uid != 0) {
    errors.push_back(path + ": refusing a configuration not owned by root (running as root)");
    return std::nullopt;
  }
  if (as_root && (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    errors.push_back(path + ": refusing a configuration writable by group or others (running as root)");
    return std::nullopt;
  }
  std::string text;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      errors.push_back(path + ": cannot read: " + std::strerror(errno));
      return std::nullopt;
    }
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
  }
  return text;
}

// The device of `path`, or of its nearest ancestor that exists (where a
// directory yet to be created would land).
dev_t device_of(std::string path) {
  struct stat st {};
  while (::stat(path.c_str(), &st) != 0 && path.size() > 1)
    path = path.substr(0, std::max<std::size_t>(path.rfind('/'), 1));
  return st.st_dev;
}

// A rotation renames the file into its olddir, which must therefore be on
// the file's filesystem (logrotate refuses it too, unless it copies).
void check_olddirs(const config& part, std::vector<std::string>& errors) {
  for (const file_policy& f : part.files)
    if (!f.olddir.empty() && device_of(f.olddir) != device_of(f.dir()))
      errors.push_back(part.source + ":" + std::to_string(f.line) + ": 'olddir' " + f.olddir +
                       " is on another filesystem than " + f.dir() + " (versions are renamed into it)");
}

// Adds the [[file]] tables of every NAME.toml in cfg.include_dir (name
// order; hidden files and other names skipped) to `cfg`, or the errors.
void load_drop_ins(config& cfg, bool as_root, std::vector<std::string>& errors) {
  const std::string& dir = cfg.include_dir;
  const std::string where = cfg.source + ":" + std::to_string(cfg.include_dir_line) + ": include_dir " + dir + ": ";
  unique_fd dirfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  struct stat st {};
  if (!dirfd || ::fstat(dirfd.get(), &st) != 0) {
    errors.push_back(where + std::strerror(errno));
    return;
  }
  if (as_root && (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0)) {
    errors.push_back(where +
                     "refusing a drop-in directory not owned by root or writable by group or others "
                     "(running as root)");
    return;
  }
  int listing = ::dup(dirfd.get());
  dir_stream d(listing >= 0 ? ::fdopendir(listing) : nullptr);
  if (!d) {
    if (listing >= 0) ::close(listing);
    errors.push_back(where + "cannot list: " + std::strerror(errno));
    return;
  }
  std::vector<std::string> names;
  while (struct dirent* e = ::readdir(d.get())) {
    std::string n = e->d_name;
    if (n[0] != '.' && n.size() > 5 && n.compare(n.size() - 5, 5, ".toml") == 0) names.push_back(n);
  }
  std::sort(names.begin(), names.end());
  std::map<std::string, std::string> seen;  // path -> the file that watches it
  for (const file_policy& f : cfg.files) seen.emplace(f.path, cfg.source);
  for (const std::string& n : names) {
    const std::string path = dir + "/" + n;
    auto text = read_config(dirfd.get(), n, path, as_root, errors, O_NOFOLLOW);
    if (!text) continue;
    config_result part = parse_text(*text, path, true);
    errors.insert(errors.end(), part.errors.begin(), part.errors.end());
    if (!part.value) continue;
    check_olddirs(*part.value, errors);
    for (file_policy& f : part.value->files) {
      auto [it, fresh] = seen.emplace(f.path, path);
      if (!fresh) {
        errors.push_back(path + ":" + std::to_string(f.line) + ": '" + f.path + "' is watched twice (also in " +
                         it->second + ")");
        continue;
      }
      cfg.files.push_back(std::move(f));
    }
  }
}

}  // namespace

config_result parse_config(std::string_view text, const std::string& source) { return parse_text(text, source, false); }

config_result load_config(const std::string& path, bool as_root) {
  config_result result;
  auto text = read_config(AT_FDCWD, path, path, as_root, result.errors, 0);
  if (!text) return result;
  result = parse_config(*text, path);
  if (result.value) check_olddirs(*result.value, result.errors);
  if (!result.errors.empty()) result.value.reset();
  if (!result.value || result.value->include_dir.empty()) return result;
  load_drop_ins(*result.value, as_root, result.errors);
  if (result.errors.empty() && result.value->files.empty())
    result.errors.push_back(path + ":1: no [[file]] table here or in " + result.value->include_dir +
                            ": nothing to watch");
  if (!result.errors.empty()) result.value.reset();
  return result;
}

}  // namespace rotated
