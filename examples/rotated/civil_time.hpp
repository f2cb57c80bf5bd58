// Local wall-clock time under the system's time-zone rules.
//
// GCC 12 has no std::chrono time-zone database, so everything here goes
// through the C library (localtime_r, which reads tzdata and honours TZ).
// Each function is a pure function of its arguments and the process's
// current TZ rules: call tzset() after changing TZ. Never a fixed offset.
//
// Instants are whole seconds since the epoch (time_t); a local reading is
// represented as "local seconds": the same count, as if local time were UTC.
#pragma once

#include <chrono>
#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace rotated {

using wall_clock = std::chrono::system_clock;
using wall_time = wall_clock::time_point;

struct local_reading {
  std::chrono::year_month_day date;
  std::chrono::seconds time_of_day;  // since local midnight
  std::chrono::seconds utc_offset;   // local minus UTC
};

local_reading local_of(std::time_t instant);

// Reads the time-zone rules again, so that a change of zone (timedatectl
// replacing /etc/localtime, a new tzdata, a new file where TZ or TZDIR
// points) takes effect; the daemon calls it on SIGHUP. glibc reads the
// rules once: localtime_r never looks again, and tzset() does only when
// TZ changed or, with TZ unset, when /etc/localtime is another file (inode,
// mtime), so a zone named by TZ is never re-read. Hence TZ is set to "UTC0"
// and back, with a tzset() after each. It changes the environment: call it
// where no other thread reads or changes it (the daemon's loop thread,
// whose executor threads never do).
void refresh_time_zone();

// The local reading `date` at `time_of_day`, in local seconds.
std::int64_t local_seconds(std::chrono::year_month_day date, std::chrono::seconds time_of_day);

// The earliest instant whose local reading is at or after `local`: the
// instant itself when the reading exists once, the first of the two when a
// fall-back makes it occur twice, and the end of the gap (the first instant
// after it) when a spring-forward skips it.
std::time_t first_instant_at_or_after(std::int64_t local);

// When a daily trigger at `time_of_day` fires for local date `date`.
std::time_t daily_instant(std::chrono::year_month_day date, std::chrono::seconds time_of_day);

// The first daily firing strictly after `after`. Successive calls from the
// previous result give each local date exactly once (a date that a jump
// skips entirely shares the firing of the next one).
std::time_t next_daily_after(std::time_t after, std::chrono::seconds time_of_day);
wall_time next_daily_after(wall_time after, std::chrono::seconds time_of_day);

// "2026-03-08T07:00:00Z"
std::string format_utc(wall_time t);
// "2026-03-08T03:00:00-04:00" (whole seconds), local under TZ.
std::string format_local(wall_time t);
// As format_local with milliseconds, for log lines.
std::string format_local_ms(wall_time t);

// ISO 8601: "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS[.fff]]" (a space may
// replace the T), optionally followed by "Z" or an offset "+HH:MM" /
// "+HHMM" / "+HH". Without an offset the reading is local, resolved with
// first_instant_at_or_after. An instant that wall_time cannot hold (before
// 1677-09-23 or after 2262-04-09, roughly) is refused.
std::optional<wall_time> parse_iso8601(std::string_view text);

}  // namespace rotated
