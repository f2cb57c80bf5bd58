// When time-triggered rotations happen: the arithmetic shared by the
// daemon, --once and --schedule. Pure functions of (instants, TZ rules).
//
// A file's time triggers share one anchor, its last rotation (whatever
// caused it): an interval trigger is due `every` after it, a calendar
// trigger at its first firing after it. So a rotation by one trigger
// restarts the others, a missed period is caught up once, and no period is
// ever rotated twice.
//
// Calendar firings are local wall-clock times resolved like daily ones
// (civil_time.hpp: a time a spring-forward skips fires at the end of the
// gap, a repeated one at its first occurrence):
//   daily    each local date at `at`;
//   weekly   each local date that is `weekday`, at `at`;
//   monthly  day `day` of each month (its last day when shorter), at `at`;
//   yearly   `month`-`day` of each year (February 28th for the 29th in a
//            common year), at `at`;
//   hourly   each instant whose local minute and second are `at`: once per
//            real hour, so a repeated hour (fall-back) is rotated twice, as
//            it holds two hours of writes, and a skipped one not at all.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "civil_time.hpp"
#include "config.hpp"

namespace rotated {

enum class trigger_kind { interval, calendar, size };

// When the interval trigger (if any) is due after `last`.
std::optional<wall_time> interval_due(const file_policy& f, wall_time last);
// When the calendar trigger (if any) is due after `last`.
std::optional<wall_time> calendar_due(const file_policy& f, wall_time last);
// The first firing of `c` strictly after `after`.
std::time_t next_calendar_after(std::time_t after, const calendar_trigger& c);
// Whether a calendar trigger's recorded last rotation lies beyond its next
// firing after `now` (a damaged state, a clock stepped far back): then it
// rotates at once, as logrotate does, instead of waiting for the clock to
// pass `last`. A smaller step back waits: no period rotates twice.
bool calendar_last_in_the_future(const file_policy& f, wall_time last, wall_time now);
// The earlier of the two; nullopt for a file with only a size trigger.
std::optional<wall_time> time_due(const file_policy& f, wall_time last);

struct scheduled_rotation {
  const file_policy* file;
  wall_time at;
  trigger_kind trigger;
};

// Every time-triggered rotation in [from, until), in time order (config
// order among equal instants), as if each file had last rotated at `from`
// (a daily firing exactly at `from` counts). Stops early if fn returns false.
void for_each_scheduled(const config& cfg, wall_time from, wall_time until,
                        const std::function<bool(const scheduled_rotation&)>& fn);

// One --schedule output line: "PATH UTC LOCAL", e.g.
// "/var/log/app.log 2026-03-08T05:00:00Z 2026-03-08T00:00:00-05:00".
std::string schedule_line(const scheduled_rotation& r);

const char* to_string(trigger_kind k) noexcept;

}  // namespace rotated
