// rotated's value grammars: the strict text forms of durations, sizes,
// times of day, signals and decimal numbers (config.hpp states them).
#include <csignal>
#include <limits>
#include <string>

#include "config.hpp"

namespace rotated {

namespace {

using namespace std::chrono_literals;

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

}  // namespace

std::optional<std::uint64_t> parse_u64(std::string_view s) {
  if (!all_digits(s)) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) {
    auto d = static_cast<std::uint64_t>(c - '0');
    if (v > (std::numeric_limits<std::uint64_t>::max() - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  return v;
}

std::optional<std::chrono::nanoseconds> parse_duration(std::string_view text) {
  struct unit {
    std::string_view name;
    std::chrono::nanoseconds size;
  };
  // Longest names first where one is a prefix of another ("ms" before "m").
  static constexpr unit units[] = {{"d", 24h}, {"h", 1h}, {"ms", 1ms}, {"m", 1min}, {"s", 1s}};
  auto rank = [](std::string_view u) {
    static constexpr std::string_view order[] = {"d", "h", "m", "s", "ms"};
    for (int i = 0; i < 5; ++i)
      if (order[i] == u) return i;
    return -1;
  };
  if (text.empty()) return std::nullopt;
  std::chrono::nanoseconds total{0};
  int last_rank = -1;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t j = i;
    while (j < text.size() && text[j] >= '0' && text[j] <= '9') ++j;
    auto number = parse_u64(text.substr(i, j - i));
    if (!number || j == text.size()) return std::nullopt;
    const unit* found = nullptr;
    for (const unit& u : units) {
      if (text.substr(j, u.name.size()) == u.name) {
        found = &u;
        break;
      }
    }
    if (found == nullptr) return std::nullopt;
    int r = rank(found->name);
    if (r <= last_rank) return std::nullopt;  // units in decreasing order, each once
    last_rank = r;
    constexpr auto max_ns = std::numeric_limits<std::int64_t>::max();
    auto per = static_cast<std::uint64_t>(found->size.count());
    if (*number > static_cast<std::uint64_t>(max_ns) / per) return std::nullopt;
    auto add = std::chrono::nanoseconds(static_cast<std::int64_t>(*number * per));
    if (total.count() > max_ns - add.count()) return std::nullopt;
    total += add;
    i = j + found->name.size();
  }
  return total;
}

std::optional<std::uint64_t> parse_size(std::string_view text) {
  std::size_t j = 0;
  while (j < text.size() && text[j] >= '0' && text[j] <= '9') ++j;
  auto number = parse_u64(text.substr(0, j));
  if (!number) return std::nullopt;
  std::string_view suffix = text.substr(j);
  static constexpr std::pair<std::string_view, std::uint64_t> units[] = {{"B", 1},
                                                                         {"KB", 1000ull},
                                                                         {"KiB", 1ull << 10},
                                                                         {"MB", 1000ull * 1000},
                                                                         {"MiB", 1ull << 20},
                                                                         {"GB", 1000ull * 1000 * 1000},
                                                                         {"GiB", 1ull << 30},
                                                                         {"TB", 1000ull * 1000 * 1000 * 1000},
                                                                         {"TiB", 1ull << 40}};
  for (auto [name, mult] : units) {
    if (suffix == name) {
      if (*number > std::numeric_limits<std::uint64_t>::max() / mult) return std::nullopt;
      return *number * mult;
    }
  }
  return std::nullopt;
}

std::optional<std::chrono::seconds> parse_time_of_day(std::string_view text) {
  auto two = [&](std::size_t at) -> int {
    if (at + 2 > text.size() || !all_digits(text.substr(at, 2))) return -1;
    return (text[at] - '0') * 10 + (text[at + 1] - '0');
  };
  if (text.size() != 5 && text.size() != 8) return std::nullopt;
  int h = two(0), m = two(3), s = text.size() == 8 ? two(6) : 0;
  if (text[2] != ':' || (text.size() == 8 && text[5] != ':')) return std::nullopt;
  if (h < 0 || h > 23 || m < 0 || m > 59 || s < 0 || s > 59) return std::nullopt;
  return std::chrono::seconds(h * 3600 + m * 60 + s);
}

const char* extension_of(compression_method m) noexcept { return m == compression_method::zstd ? ".zst" : ".gz"; }

const char* to_string(calendar_period p) noexcept {
  switch (p) {
    case calendar_period::hourly: return "hourly";
    case calendar_period::daily: return "daily";
    case calendar_period::weekly: return "weekly";
    case calendar_period::monthly: return "monthly";
    case calendar_period::yearly: return "yearly";
  }
  return "?";
}

std::optional<calendar_trigger> parse_calendar(calendar_period period, std::string_view text) {
  calendar_trigger c;
  c.period = period;
  if (period == calendar_period::hourly) {
    // "MM" or "MM:SS": a time of day in hour 00.
    if (text.size() != 2 && text.size() != 5) return std::nullopt;
    auto t = parse_time_of_day("00:" + std::string(text) + (text.size() == 2 ? ":00" : ""));
    if (!t) return std::nullopt;
    c.at = *t;
    return c;
  }
  std::string_view date = text.substr(0, text.find(' '));
  if (date.size() < text.size()) {
    auto t = parse_time_of_day(text.substr(date.size() + 1));
    if (!t) return std::nullopt;
    c.at = *t;
  }
  auto number = [](std::string_view s, unsigned lo, unsigned hi) -> std::optional<unsigned> {
    auto n = parse_u64(s);
    if (!n || s.size() > 2 || *n < lo || *n > hi) return std::nullopt;
    return static_cast<unsigned>(*n);
  };
  switch (period) {
    case calendar_period::daily: {
      auto t = parse_time_of_day(text);
      if (!t) return std::nullopt;
      c.at = *t;
      return c;
    }
    case calendar_period::weekly: {
      static constexpr std::string_view names[] = {"sunday",   "monday", "tuesday", "wednesday",
                                                   "thursday", "friday", "saturday"};
      std::string lower;
      for (char ch : date) lower += static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
      for (unsigned i = 0; i < 7; ++i) {
        if (lower == names[i] || (lower.size() == 3 && names[i].substr(0, 3) == lower)) {
          c.weekday = i;
          return c;
        }
      }
      return std::nullopt;
    }
    case calendar_period::monthly: {
      auto d = number(date, 1, 31);
      if (!d) return std::nullopt;
      c.day = *d;
      return c;
    }
    case calendar_period::yearly: {
      if (date.size() != 5 || date[2] != '-') return std::nullopt;
      auto m = number(date.substr(0, 2), 1, 12), d = number(date.substr(3), 1, 31);
      static constexpr unsigned longest[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
      if (!m || !d || *d > longest[*m - 1]) return std::nullopt;
      c.month = *m;
      c.day = *d;
      return c;
    }
    case calendar_period::hourly: break;
  }
  return std::nullopt;
}

bool is_pattern(std::string_view name) {
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (name[i] == '\\') ++i;
    else if (name[i] == '*' || name[i] == '?' || name[i] == '[') return true;
  }
  return false;
}

std::string unescape_name(std::string_view name) {
  std::string out;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (name[i] == '\\' && i + 1 < name.size()) ++i;
    out += name[i];
  }
  return out;
}

bool valid_dateext(std::string_view pattern) {
  bool conversion = false;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '/' || pattern[i] == ' ' || pattern[i] == '\n') return false;  // the journal's words
    if (pattern[i] != '%') continue;
    if (++i == pattern.size() || std::string_view("YmdHMSs%").find(pattern[i]) == std::string_view::npos) return false;
    conversion = conversion || pattern[i] != '%';
  }
  return conversion;
}

bool matches_dateext(std::string_view suffix, std::string_view pattern) {
  std::size_t at = 0;
  auto digits = [&](std::size_t n) {  // exactly n digits; n == 0: one or more
    std::size_t start = at;
    while (at < suffix.size() && suffix[at] >= '0' && suffix[at] <= '9' && (n == 0 || at - start < n)) ++at;
    return n == 0 ? at > start : at - start == n;
  };
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '%' && i + 1 < pattern.size() && pattern[i + 1] != '%') {
      char c = pattern[++i];
      if (!digits(c == 'Y' ? 4 : c == 's' ? 0 : 2)) return false;
    } else {
      if (pattern[i] == '%') ++i;  // "%%"
      if (at >= suffix.size() || suffix[at] != pattern[i]) return false;
      ++at;
    }
  }
  return at == suffix.size();
}

std::optional<int> parse_signal(std::string_view name) {
  if (name.substr(0, 3) == "SIG") name.remove_prefix(3);
  static constexpr std::pair<std::string_view, int> signals[] = {
      {"HUP", SIGHUP},   {"INT", SIGINT},   {"QUIT", SIGQUIT}, {"USR1", SIGUSR1},  {"USR2", SIGUSR2},
      {"TERM", SIGTERM}, {"ALRM", SIGALRM}, {"CONT", SIGCONT}, {"WINCH", SIGWINCH}};
  for (auto [n, s] : signals)
    if (n == name) return s;
  return std::nullopt;
}

std::string format_duration(std::chrono::nanoseconds d) {
  if (d.count() == 0) return "0s";
  std::string out;
  auto take = [&](std::chrono::nanoseconds unit, const char* name) {
    auto n = d / unit;
    if (n > 0) {
      out += std::to_string(n) + name;
      d -= n * unit;
    }
  };
  take(24h, "d");
  take(1h, "h");
  take(1min, "m");
  take(1s, "s");
  take(1ms, "ms");
  if (d.count() > 0) out += std::to_string(d.count()) + "ns";
  return out;
}

}  // namespace rotated
