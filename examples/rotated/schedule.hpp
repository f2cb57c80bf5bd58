// When time-triggered rotations happen: the arithmetic shared by the
// daemon, --once and --schedule. Pure functions of (instants, TZ rules).
//
// A file's time triggers share one anchor, its last rotation (whatever
// caused it): an interval trigger is due `every` after it, a daily trigger
// at the first daily firing after it (civil_time.hpp). So a rotation by one
// trigger restarts the others, a missed period is caught up once, and no
// local date is ever rotated twice.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "civil_time.hpp"
#include "config.hpp"

namespace rotated {

enum class trigger_kind { interval, daily, size };

// When the interval trigger (if any) is due after `last`.
std::optional<wall_time> interval_due(const file_policy& f, wall_time last);
// When the daily trigger (if any) is due after `last`.
std::optional<wall_time> daily_due(const file_policy& f, wall_time last);
// Whether a daily trigger's recorded last rotation lies beyond its next
// firing after `now` (a damaged state, a clock stepped far back): then it
// rotates at once, as logrotate does, instead of waiting for the clock to
// pass `last`. A smaller step back waits: no local date rotates twice.
bool daily_last_in_the_future(const file_policy& f, wall_time last, wall_time now);
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
