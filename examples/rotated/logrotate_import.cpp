#include "logrotate_import.hpp"

#include <dirent.h>
#include <grp.h>
#include <pwd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <initializer_list>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "config.hpp"
#include "fs.hpp"

namespace rotated {

namespace {

// What a block (or the globals before it) says, in rotated's terms.
struct settings {
  std::string trigger;              // `daily = true`, `every = "7d"`, ...
  std::string trigger_from;         // the directive that set it
  std::optional<std::string> keep;  // unset: logrotate's default, 0
  std::string max_size, min_size, size_only;
  bool compress = false, delaycompress = false;
  std::string method = "gzip";
  std::optional<int> level;
  bool missing_ok = false, not_if_empty = false, copytruncate = false;
  std::optional<std::string> create;         // "false", or a table; unset: copied from the file
  std::string olddir;                        // as written: absolute, or relative to the file's directory
  std::optional<std::string> create_olddir;  // "true", or a table
  std::optional<std::string> max_age;
  bool dateext = false;
  std::string dateformat = "-%Y%m%d";
  std::string prerotate, postrotate, firstaction, lastaction;  // shell script text
  bool sharedscripts = false;
  std::vector<std::string> notes;  // "`directive`: why not translated"
};

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::vector<std::string> words(const std::string& line) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (i >= line.size()) break;
    if (line[i] == '"' || line[i] == '\'') {
      char q = line[i++];
      std::size_t j = line.find(q, i);
      if (j == std::string::npos) j = line.size();
      out.push_back(line.substr(i, j - i));
      i = j + 1;
      continue;
    }
    std::size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
    out.push_back(line.substr(i, j - i));
    i = j;
  }
  return out;
}

std::string trim(const std::string& s) {
  std::size_t a = s.find_first_not_of(" \t\r");
  if (a == std::string::npos) return {};
  return s.substr(a, s.find_last_not_of(" \t\r") - a + 1);
}

// logrotate's sizes: bytes, or a number with k, M or G (powers of 1024).
std::optional<std::string> size_of(const std::string& v) {
  if (v.empty()) return std::nullopt;
  std::string digits = v, unit;
  char last = v.back();
  if (last == 'k' || last == 'K' || last == 'M' || last == 'G') {
    digits = v.substr(0, v.size() - 1);
    unit = last == 'M' ? "MiB" : last == 'G' ? "GiB" : "KiB";
  }
  if (!parse_u64(digits)) return std::nullopt;
  return unit.empty() ? digits : quoted(digits + unit);
}

// A script that is one plain command, as argv; nullopt if it needs a shell.
// A trailing redirection to /dev/null (rotated's hooks write to its own
// log) and, for postrotate, a trailing `|| true` (a failure is only
// logged) are dropped.
std::optional<std::vector<std::string>> plain_command(const std::string& script, bool post) {
  std::vector<std::string> lines;
  std::istringstream in(script);
  for (std::string l; std::getline(in, l);)
    if (!trim(l).empty()) lines.push_back(trim(l));
  if (lines.size() != 1) return std::nullopt;
  std::vector<std::string> argv;
  std::istringstream ws(lines[0]);
  for (std::string w; ws >> w;) argv.push_back(w);
  auto drop_tail = [&](std::initializer_list<const char*> tail) {
    if (argv.size() <= tail.size()) return false;
    if (!std::equal(tail.begin(), tail.end(), argv.end() - static_cast<long>(tail.size()))) return false;
    argv.resize(argv.size() - tail.size());
    return true;
  };
  if (post) drop_tail({"||", "true"});
  while (drop_tail({">/dev/null"}) || drop_tail({"2>&1"}) || drop_tail({">", "/dev/null"}) ||
         drop_tail({"2>/dev/null"}) || drop_tail({"&>/dev/null"})) {
  }
  for (const std::string& w : argv)
    if (w.find_first_of("$`;|&<>(){}*?[]~'\"\\#=") != std::string::npos || w == "if" || w == "then" || w == "fi")
      return std::nullopt;
  if (argv.empty()) return std::nullopt;
  return argv;
}

// The directives that set or clear a flag: "compress" and "nocompress".
bool set_flag(const std::string& directive, settings& s) {
  static const struct {
    const char* on;
    const char* off;
    bool settings::*flag;
  } flags[] = {{"compress", "nocompress", &settings::compress},
               {"delaycompress", "nodelaycompress", &settings::delaycompress},
               {"missingok", "nomissingok", &settings::missing_ok},
               {"notifempty", "ifempty", &settings::not_if_empty},
               {"copytruncate", "nocopytruncate", &settings::copytruncate},
               {"sharedscripts", "nosharedscripts", &settings::sharedscripts}};
  for (const auto& f : flags) {
    if (directive == f.on || directive == f.off) {
      s.*(f.flag) = directive == f.on;
      return true;
    }
  }
  return false;
}

bool known(bool user, const std::string& name) {
  if (parse_u64(name)) return true;
  return user ? ::getpwnam(name.c_str()) != nullptr : ::getgrnam(name.c_str()) != nullptr;
}

class translator {
 public:
  import_result result;

  void file(const std::string& path, int depth) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      result.errors.push_back(path + ": cannot read");
      return;
    }
    std::ostringstream text;
    text << in.rdbuf();
    parse(text.str(), path, depth);
  }

  void parse(const std::string& text, const std::string& source, int depth) {
    std::istringstream in(text);
    std::vector<std::string> pending_paths;
    int pending_line = 0, line_no = 0;
    std::optional<settings> block;
    std::string* script = nullptr;  // inside prerotate/postrotate ... endscript
    std::string script_name;
    for (std::string raw; std::getline(in, raw);) {
      ++line_no;
      std::string line = trim(raw);
      const std::string where = source + ":" + std::to_string(line_no);
      if (script != nullptr || !script_name.empty()) {
        if (line == "endscript") {
          script = nullptr;
          script_name.clear();
        } else if (script != nullptr) {
          *script += line + "\n";
        }
        continue;
      }
      if (line.empty() || line[0] == '#') continue;
      std::vector<std::string> w = words(line);
      if (!block) {
        // Paths (absolute, possibly quoted), then "{"; or a global directive.
        bool opens = w.back() == "{" || (line.back() == '{');
        if (opens && w.back() != "{") w.back().pop_back();
        if (opens && w.back() == "{") w.pop_back();
        if (opens || (!w.empty() && w[0][0] == '/')) {
          if (pending_paths.empty()) pending_line = line_no;
          for (auto& p : w)
            if (!p.empty()) pending_paths.push_back(p);
          if (opens) block = globals_;
          continue;
        }
        directive(w, globals_, where, depth, nullptr, &script_name);
        continue;
      }
      if (w[0] == "}") {
        emit(pending_paths, *block, source + ":" + std::to_string(pending_line));
        pending_paths.clear();
        block.reset();
        continue;
      }
      directive(w, *block, where, depth, &script, &script_name);
    }
    if (block) result.errors.push_back(source + ": a block is not closed with '}'");
  }

  void finish() {
    std::string head =
        "# rotated configuration translated from logrotate by rotated --import-logrotate.\n"
        "# Review it: every directive that has no exact equivalent is named below with\n"
        "# the reason. rotated keeps FILE.1 uncompressed (logrotate's delaycompress), runs\n"
        "# hooks as argv without a shell, and as root works in a directory owned by\n"
        "# another user with that user's identity (logrotate's su).\n";
    for (const std::string& n : global_notes_) head += "# untranslated " + n + "\n";
    result.toml = head + body_;
  }

 private:
  settings globals_;
  std::string body_;
  std::vector<std::string> global_notes_;
  std::set<std::string> seen_paths_;

  void note(settings& s, const std::string& where, const std::string& what, const std::string& why) {
    s.notes.push_back("`" + what + "` (" + where + "): " + why);
  }

  void directive(const std::vector<std::string>& w, settings& s, const std::string& where, int depth,
                 std::string** script, std::string* script_name) {
    const std::string& d = w[0];
    const std::string arg = w.size() > 1 ? w[1] : "";
    std::string all;
    for (const auto& x : w) all += (all.empty() ? "" : " ") + x;
    auto interval = [&](const std::string& trigger) {
      s.trigger = trigger;
      s.trigger_from = all;
      s.size_only.clear();  // logrotate: the last of size and an interval wins
    };
    if (set_flag(d, s)) {
      // a flag of settings
    } else if (d == "daily" || d == "monthly" || d == "yearly" || d == "hourly") {
      interval(d + " = true");
    } else if (d == "weekly") {
      static const char* days[] = {"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"};
      auto n = parse_u64(arg);
      if (arg.empty() || (n && *n == 0)) interval("weekly = true");
      else if (n && *n < 7) interval(std::string("weekly = \"") + days[*n] + "\"");
      else if (n && *n == 7) interval("every = \"7d\"");
      else note(s, where, all, "not a weekday 0..7");
    } else if (d == "rotate") {
      auto n = parse_u64(arg);
      if (n && *n <= 100000) s.keep = std::to_string(*n);
      else note(s, where, all, arg == "-1" ? "rotated has no 'never remove'; keep stays as it was" : "not a count");
    } else if (d == "size" || d == "maxsize" || d == "minsize") {
      std::string v = w.size() > 1 ? w.back() : "";
      if (!v.empty() && v[0] == '+') v.erase(0, 1);
      auto sz = size_of(v);
      if (!sz) note(s, where, all, "not a size");
      else if (d == "maxsize") s.max_size = *sz;
      else if (d == "minsize") s.min_size = *sz;
      else {
        s.size_only = *sz;  // logrotate: rotated only by size, the interval ignored
        s.trigger.clear();
      }
    } else if (d == "compresscmd") {
      std::string base = arg.substr(arg.rfind('/') + 1);
      if (base == "gzip" || base == "zstd") s.method = base;
      else note(s, where, all, "rotated compresses with gzip or zstd only");
    } else if (d == "compressoptions") {
      if (w.size() == 2 && w[1].size() >= 2 && w[1][0] == '-' && parse_u64(w[1].substr(1)))
        s.level = static_cast<int>(*parse_u64(w[1].substr(1)));
      else note(s, where, all, "only a level (-1 .. -19) translates");
    } else if (d == "compressext" || d == "uncompresscmd") {
      note(s, where, all, "rotated names compressed versions .gz or .zst by its method");
    } else if (d == "nocreate") {
      s.create = "false";
    } else if (d == "create" || d == "createolddir") {
      std::string t;
      if (w.size() > 1) t += "mode = " + quoted(w[1].size() == 3 ? "0" + w[1] : w[1]);
      for (std::size_t i = 2; i < w.size() && i < 4; ++i) {
        const bool user = i == 2;
        if (!known(user, w[i])) {
          note(s, where, all,
               std::string("no ") + (user ? "user" : "group") + " named " + w[i] +
                   " on this machine; left to the file's own");
          continue;
        }
        t += std::string(t.empty() ? "" : ", ") + (user ? "owner = " : "group = ") + quoted(w[i]);
      }
      if (d == "createolddir") s.create_olddir = w.size() > 1 ? "{ " + t + " }" : "true";
      else if (w.size() > 1) s.create = "{ " + t + " }";
      else s.create.reset();  // mode and owner copied from the file, as logrotate's bare create
    } else if (d == "nocreateolddir") {
      s.create_olddir.reset();
    } else if (d == "olddir") {
      if (w.size() == 2) s.olddir = arg;
      else note(s, where, all, "not one directory");
    } else if (d == "noolddir") {
      s.olddir.clear();
    } else if (d == "maxage") {
      auto n = parse_u64(arg);
      if (n && *n > 0 && *n < 100000) s.max_age = quoted(std::to_string(*n) + "d");
      else note(s, where, all, "not a day count");
    } else if (d == "prerotate" || d == "postrotate" || d == "firstaction" || d == "lastaction") {
      std::string& text = d == "prerotate"     ? s.prerotate
                          : d == "postrotate"  ? s.postrotate
                          : d == "firstaction" ? s.firstaction
                                               : s.lastaction;
      text.clear();
      if (script != nullptr) *script = &text;
      *script_name = d;
    } else if (d == "preremove") {
      note(s, where, d, "rotated runs no hook before it removes a version; the script is left out");
      *script_name = d;  // its lines are skipped up to endscript
    } else if (d == "su") {
      note(s, where, all, "rotated, as root, acts as the owner of a directory another user can write by itself");
    } else if (d == "include") {
      if (depth > 8) note(s, where, all, "includes nested too deeply");
      else include(arg, depth + 1);
    } else if (d == "dateext") {
      s.dateext = true;
    } else if (d == "nodateext") {
      s.dateext = false;
    } else if (d == "dateformat") {
      if (valid_dateext(arg) && w.size() == 2) s.dateformat = arg;
      else note(s, where, all, "rotated takes %Y %m %d %H %M %S %s and other characters but '/' and space");
    } else if (d == "dateyesterday" || d == "datehourago") {
      note(s, where, all, "rotated dates a version by the time of its rotation");
    } else if (d == "mail" || d == "mailfirst" || d == "maillast") {
      note(s, where, all, "rotated never mails a dropped version");
    } else if (d == "nomail" || d == "noshred" || d == "nocopy") {
      // logrotate's defaults, rotated's behaviour.
    } else if (d == "tabooext" || d == "taboopat") {
      note(s, where, all, "the importer skips logrotate's default taboo extensions only");
    } else {
      note(s, where, all, "no rotated equivalent");
    }
    if (&s == &globals_ && !s.notes.empty()) {
      global_notes_.insert(global_notes_.end(), s.notes.begin(), s.notes.end());
      s.notes.clear();
    }
  }

  void include(const std::string& path, int depth) {
    dir_stream d(::opendir(path.c_str()));
    if (!d) {
      file(path, depth);
      return;
    }
    std::vector<std::string> names;
    while (struct dirent* e = ::readdir(d.get())) {
      std::string n = e->d_name;
      if (n[0] == '.') continue;
      static const char* taboo[] = {".dpkg-old", ".dpkg-dist", ".dpkg-new", ".dpkg-bak",     ".dpkg-del", ".ucf-old",
                                    ".ucf-dist", ".ucf-new",   ".rpmsave",  ".rpmorig",      ".rpmnew",   ".disabled",
                                    ".swp",      ",v",         ".cfsaved",  ".rhn-cfg-tmp-", "~"};
      bool skip = false;
      for (const char* t : taboo) {
        std::string ts = t;
        skip = skip || (n.size() >= ts.size() && n.compare(n.size() - ts.size(), ts.size(), ts) == 0);
      }
      if (!skip) names.push_back(n);
    }
    std::sort(names.begin(), names.end());
    for (const std::string& n : names) file(path + "/" + n, depth);
  }

  void emit(const std::vector<std::string>& paths, const settings& s, const std::string& where) {
    std::vector<std::string> notes = s.notes;
    std::string common;
    auto line = [&](const std::string& l) { common += l + "\n"; };
    line("keep = " + s.keep.value_or("0"));
    if (!s.size_only.empty()) {
      line("max_size = " + s.size_only);
    } else if (!s.trigger.empty()) {
      line(s.trigger);
    } else {
      line("daily = true");
      notes.push_back("(no interval): logrotate rotates at each of its runs, daily from cron on Debian");
    }
    if (!s.max_size.empty() && !s.size_only.empty())
      notes.push_back("`maxsize` with `size`: size alone decides, as in logrotate");
    else if (!s.max_size.empty()) line("max_size = " + s.max_size);
    if (!s.min_size.empty()) {
      if (!s.size_only.empty()) notes.push_back("`minsize` with `size`: size alone decides, as in logrotate");
      else line("min_size = " + s.min_size);
    }
    bool compress = s.compress && s.keep.value_or("0") != "0" && s.keep.value_or("0") != "1";
    if (compress) {
      line("compress = " + quoted(s.method));
      if (s.level) {
        int hi = s.method == "zstd" ? 19 : 9;
        if (*s.level >= 1 && *s.level <= hi) line("compress_level = " + std::to_string(*s.level));
        else notes.push_back("`compressoptions -" + std::to_string(*s.level) + "`: not a " + s.method + " level");
      }
      if (!s.delaycompress)
        notes.push_back("`compress` without `delaycompress`: rotated leaves FILE.1 uncompressed all the same");
    } else if (s.compress) {
      notes.push_back("`compress` with fewer than 2 versions: rotated compresses versions 2 and up only");
    }
    if (s.missing_ok) line("missing_ok = true");
    if (s.not_if_empty) line("not_if_empty = true");
    if (s.copytruncate && s.keep.value_or("0") != "0") line("copytruncate = true");
    else if (s.copytruncate) notes.push_back("`copytruncate` with `rotate 0`: rotated does not only truncate");
    if (s.create && !s.copytruncate) line("create = " + *s.create);
    if (s.max_age) line("max_age = " + *s.max_age);
    if (!s.olddir.empty()) line("olddir = " + quoted(s.olddir));
    if (!s.olddir.empty() && s.create_olddir) line("create_olddir = " + *s.create_olddir);
    if (s.dateext && !s.copytruncate && s.keep.value_or("0") != "0") line("dateext = " + quoted(s.dateformat));
    else if (s.dateext) notes.push_back("`dateext` with `copytruncate` or `rotate 0`: rotated numbers the versions");
    hook(line, notes, "prerotate", s.prerotate, false);
    hook(line, notes, "postrotate", s.postrotate, true);
    hook(line, notes, "firstaction", s.firstaction, false);
    hook(line, notes, "lastaction", s.lastaction, true);
    // The block's files form one group: a pattern's matches do by
    // themselves; several paths (several [[file]] tables) name one.
    bool many = paths.size() > 1 || std::any_of(paths.begin(), paths.end(), [](const std::string& p) {
                  return is_pattern(p.substr(p.rfind('/') + 1));
                });
    bool shared = s.sharedscripts && many && (!s.prerotate.empty() || !s.postrotate.empty());
    if (shared) line("shared_hooks = true");
    if (paths.size() > 1 && (shared || !s.firstaction.empty() || !s.lastaction.empty()))
      line("group = " + quoted(where));
    for (const std::string& p : paths) {
      std::string why;
      std::string path = p;
      if (path.find('/') != std::string::npos &&
          path.substr(0, path.rfind('/')).find_first_of("*?[") != std::string::npos)
        why = "a pattern in a directory name; rotated takes patterns in the file name only";
      else if (path.empty() || path[0] != '/') why = "not an absolute path";
      else if (!seen_paths_.insert(path).second) why = "named by an earlier block, whose settings rotated keeps";
      if (!why.empty()) {
        body_ += "\n# from " + where + "\n# untranslated path " + quoted(path) + ": " + why + "\n";
        continue;
      }
      body_ += "\n[[file]]\n# from " + where + "\npath = " + quoted(path) + "\n" + common;
      for (const std::string& n : notes) body_ += (n.rfind("  ", 0) == 0 ? "#" : "# untranslated ") + n + "\n";
      ++result.files;
    }
  }

  template <typename Line>
  void hook(Line& line, std::vector<std::string>& notes, const char* name, const std::string& script, bool post) {
    if (script.empty()) return;
    if (auto argv = plain_command(script, post)) {
      std::string a;
      for (const std::string& w : *argv) a += std::string(a.empty() ? "" : ", ") + quoted(w);
      line(std::string(name) + " = [" + a + "]");
      return;
    }
    notes.push_back(std::string("`") + name + "`: a shell script, and rotated runs no shell; were it wanted:");
    // One line for sh -c: a line continued with a backslash joins the next.
    std::string flat;
    std::istringstream in(script);
    for (std::string l; std::getline(in, l);) {
      l = trim(l);
      if (!l.empty() && l.back() == '\\') l = trim(l.substr(0, l.size() - 1));
      if (!l.empty()) flat += (flat.empty() ? "" : " ") + l;
    }
    notes.push_back(std::string("  ") + name + " = [\"/bin/sh\", \"-c\", " + quoted(flat) + "]");
  }
};

}  // namespace

import_result import_logrotate(const std::vector<std::string>& paths) {
  translator t;
  for (const std::string& p : paths) t.file(p, 0);
  t.finish();
  return t.result;
}

import_result import_logrotate_text(const std::string& text, const std::string& source) {
  translator t;
  t.parse(text, source, 0);
  t.finish();
  return t.result;
}

}  // namespace rotated
