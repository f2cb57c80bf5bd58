#include "civil_time.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace rotated {

namespace {

using namespace std::chrono;

constexpr std::int64_t hour = 3600;

long offset_at(std::time_t t) {
  std::tm tm{};
  ::localtime_r(&t, &tm);
  return tm.tm_gmtoff;
}

std::time_t to_time_t(wall_time t) { return static_cast<std::time_t>(floor<seconds>(t.time_since_epoch()).count()); }

std::string format_offset(long off) {
  char sign = off < 0 ? '-' : '+';
  long a = off < 0 ? -off : off;
  char buf[48];
  if (a % 60 != 0) std::snprintf(buf, sizeof buf, "%c%02ld:%02ld:%02ld", sign, a / 3600, a / 60 % 60, a % 60);
  else std::snprintf(buf, sizeof buf, "%c%02ld:%02ld", sign, a / 3600, a / 60 % 60);
  return buf;
}

}  // namespace

local_reading local_of(std::time_t instant) {
  std::tm tm{};
  ::localtime_r(&instant, &tm);
  return {
      year{tm.tm_year + 1900} / month{static_cast<unsigned>(tm.tm_mon + 1)} / day{static_cast<unsigned>(tm.tm_mday)},
      seconds(tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec), seconds(tm.tm_gmtoff)};
}

void refresh_time_zone() {
  std::optional<std::string> tz;
  if (const char* v = std::getenv("TZ")) tz = v;
  // A zone other than the current one makes glibc forget the current one,
  // so that the second tzset() reads it from its file again.
  ::setenv("TZ", "UTC0", 1);
  ::tzset();
  if (tz) ::setenv("TZ", tz->c_str(), 1);
  else ::unsetenv("TZ");
  ::tzset();
}

std::int64_t local_seconds(year_month_day date, seconds time_of_day) {
  return static_cast<std::int64_t>(sys_days(date).time_since_epoch().count()) * 86400 + time_of_day.count();
}

std::time_t first_instant_at_or_after(std::int64_t local) {
  // Every instant whose reading can be `local` lies within a day of it
  // (offsets stay within -12h..+14h). Fast path: one offset throughout.
  const std::time_t lo = static_cast<std::time_t>(local - 27 * hour);
  const std::time_t hi = static_cast<std::time_t>(local + 27 * hour);
  const long o = offset_at(static_cast<std::time_t>(local));
  if (offset_at(lo) == o && offset_at(lo + 14 * hour) == o && offset_at(hi - 14 * hour) == o && offset_at(hi) == o)
    return static_cast<std::time_t>(local - o);
  // Slow path: walk the segments of constant offset in [lo, hi] in order;
  // within segment [s, e) of offset off the reading is t + off, increasing,
  // so the first t with t + off >= local is max(s, local - off).
  std::time_t s = lo;
  long off = offset_at(s);
  while (s <= hi) {
    std::time_t e = s;  // becomes the first instant with another offset, or hi + 1
    for (;;) {
      std::time_t probe = std::min<std::time_t>(e + hour, hi);
      if (probe == e) {
        e = hi + 1;
        break;
      }
      if (offset_at(probe) == off) {
        e = probe;
        continue;
      }
      std::time_t a = e, b = probe;  // offset_at(a) == off, offset_at(b) != off
      while (b - a > 1) {
        std::time_t mid = a + (b - a) / 2;
        (offset_at(mid) == off ? a : b) = mid;
      }
      e = b;
      break;
    }
    std::time_t candidate = std::max<std::time_t>(s, static_cast<std::time_t>(local - off));
    if (candidate < e) return candidate;
    s = e;
    off = offset_at(s);
  }
  return static_cast<std::time_t>(local - o);  // not reached with sane tzdata
}

std::time_t daily_instant(year_month_day date, seconds time_of_day) {
  return first_instant_at_or_after(local_seconds(date, time_of_day));
}

std::time_t next_daily_after(std::time_t after, seconds time_of_day) {
  sys_days d0 = sys_days(local_of(after).date);
  for (int k = -1; k <= 3; ++k) {
    std::time_t f = daily_instant(year_month_day(d0 + days(k)), time_of_day);
    if (f > after) return f;
  }
  return daily_instant(year_month_day(d0 + days(4)), time_of_day);  // not reached
}

wall_time next_daily_after(wall_time after, seconds time_of_day) {
  return wall_time(seconds(next_daily_after(to_time_t(after), time_of_day)));
}

std::string format_utc(wall_time t) {
  std::time_t s = to_time_t(t);
  std::tm tm{};
  ::gmtime_r(&s, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string format_local(wall_time t) {
  std::time_t s = to_time_t(t);
  std::tm tm{};
  ::localtime_r(&s, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return buf + format_offset(tm.tm_gmtoff);
}

std::string format_local_ms(wall_time t) {
  std::time_t s = to_time_t(t);
  auto ms = duration_cast<milliseconds>(t.time_since_epoch() - seconds(s)).count();
  std::tm tm{};
  ::localtime_r(&s, &tm);
  char buf[48];
  std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%03lld", static_cast<long long>(ms));
  return buf + format_offset(tm.tm_gmtoff);
}

std::optional<wall_time> parse_iso8601(std::string_view text) {
  std::size_t i = 0;
  auto digits = [&](std::size_t n) -> std::optional<int> {
    if (i + n > text.size()) return std::nullopt;
    int v = 0;
    for (std::size_t k = 0; k < n; ++k) {
      char c = text[i + k];
      if (c < '0' || c > '9') return std::nullopt;
      v = v * 10 + (c - '0');
    }
    i += n;
    return v;
  };
  auto expect = [&](char c) {
    if (i < text.size() && text[i] == c) {
      ++i;
      return true;
    }
    return false;
  };
  auto y = digits(4);
  if (!y || !expect('-')) return std::nullopt;
  auto mo = digits(2);
  if (!mo || !expect('-')) return std::nullopt;
  auto d = digits(2);
  if (!d) return std::nullopt;
  year_month_day date{year{*y}, month{static_cast<unsigned>(*mo)}, day{static_cast<unsigned>(*d)}};
  if (!date.ok()) return std::nullopt;
  int h = 0, mi = 0, s = 0;
  nanoseconds frac{0};
  if (i < text.size() && (text[i] == 'T' || text[i] == 't' || text[i] == ' ')) {
    ++i;
    auto hh = digits(2);
    if (!hh || !expect(':')) return std::nullopt;
    auto mm = digits(2);
    if (!mm) return std::nullopt;
    h = *hh;
    mi = *mm;
    if (expect(':')) {
      auto ss = digits(2);
      if (!ss) return std::nullopt;
      s = *ss;
      if (expect('.') || expect(',')) {
        std::int64_t scale = 100000000, ns = 0;
        std::size_t start = i;
        while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
          ns += (text[i] - '0') * scale;
          scale /= 10;
          ++i;
        }
        if (i == start || i - start > 9) return std::nullopt;
        frac = nanoseconds(ns);
      }
    }
    if (h > 23 || mi > 59 || s > 60) return std::nullopt;
  }
  std::int64_t reading = local_seconds(date, seconds(h * 3600 + mi * 60 + s));
  // wall_time counts nanoseconds in 64 bits (1677-09-21 to 2262-04-11);
  // the margin covers any UTC offset.
  constexpr std::int64_t limit = duration_cast<seconds>(wall_clock::duration::max()).count() - 2 * 86400;
  if (reading > limit || reading < -limit) return std::nullopt;
  if (i == text.size())
    return wall_time(seconds(first_instant_at_or_after(reading))) + duration_cast<wall_clock::duration>(frac);
  long off = 0;
  if (expect('Z') || expect('z')) {
    off = 0;
  } else {
    int sign = 0;
    if (expect('+')) sign = 1;
    else if (expect('-')) sign = -1;
    else return std::nullopt;
    auto oh = digits(2);
    if (!oh) return std::nullopt;
    int om = 0;
    if (i < text.size()) {
      expect(':');
      auto m = digits(2);
      if (!m) return std::nullopt;
      om = *m;
    }
    if (*oh > 23 || om > 59) return std::nullopt;
    off = sign * (*oh * 3600 + om * 60);
  }
  if (i != text.size()) return std::nullopt;
  return wall_time(seconds(reading - off)) + duration_cast<wall_clock::duration>(frac);
}

}  // namespace rotated
