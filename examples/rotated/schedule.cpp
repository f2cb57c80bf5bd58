#include "schedule.hpp"

#include <queue>
#include <vector>

namespace rotated {

std::optional<wall_time> interval_due(const file_policy& f, wall_time last) {
  if (!f.every) return std::nullopt;
  return last + std::chrono::duration_cast<wall_clock::duration>(*f.every);
}

namespace {

using namespace std::chrono;

// Hourly: the instants whose local reading's minute and second are c.at.
// With a whole-hour offset change these are every 3600 s; a zone whose
// shift is a fraction of an hour (Lord Howe: 30 min) moves the minute, so
// the offset after the candidate is tried too, and the earlier match wins.
std::time_t next_hourly_after(std::time_t after, seconds at) {
  auto matches = [&](std::time_t t) {
    local_reading r = local_of(t);
    return r.time_of_day % hours(1) == at;
  };
  auto aligned = [&](long off) {  // the first t > after with (t + off) mod 3600 == at
    std::int64_t local = static_cast<std::int64_t>(after) + off;
    std::int64_t t = local - (local % 3600 + 3600) % 3600 + at.count() - off;
    if (t <= after) t += 3600;
    return static_cast<std::time_t>(t);
  };
  const std::time_t a = aligned(static_cast<long>(local_of(after).utc_offset.count()));
  const std::time_t b = aligned(static_cast<long>(local_of(a).utc_offset.count()));
  if (matches(std::min(a, b))) return std::min(a, b);
  if (matches(std::max(a, b))) return std::max(a, b);
  return a;  // not reached with sane tzdata
}

// The period's date that holds `day` (weekly: the local date itself).
std::optional<year_month_day> firing_date(const calendar_trigger& c, year_month_day d) {
  switch (c.period) {
    case calendar_period::weekly:
      if (weekday(sys_days(d)).c_encoding() != c.weekday) return std::nullopt;
      return d;
    case calendar_period::monthly: {
      auto last = year_month_day_last(d.year(), month_day_last(d.month())).day();
      return year_month_day(d.year(), d.month(), std::min(day(c.day), last));
    }
    case calendar_period::yearly: {
      auto m = month(c.month);
      auto last = year_month_day_last(d.year(), month_day_last(m)).day();
      return year_month_day(d.year(), m, std::min(day(c.day), last));
    }
    default: return d;
  }
}

}  // namespace

std::time_t next_calendar_after(std::time_t after, const calendar_trigger& c) {
  switch (c.period) {
    case calendar_period::hourly: return next_hourly_after(after, c.at);
    case calendar_period::daily: return next_daily_after(after, c.at);
    default: break;
  }
  // Periods from the one before `after`'s local date (its firing may still
  // be ahead of `after` when a clock change moved it) to the second after.
  const year_month_day d0 = local_of(after).date;
  auto fires = [&](year_month_day d) -> std::optional<std::time_t> {
    auto date = firing_date(c, d);
    if (!date) return std::nullopt;
    std::time_t f = daily_instant(*date, c.at);
    if (f <= after) return std::nullopt;
    return f;
  };
  if (c.period == calendar_period::weekly) {
    for (int k = -1; k <= 8; ++k)
      if (auto f = fires(year_month_day(sys_days(d0) + days(k)))) return *f;
  } else {
    auto step = [&](int k) {
      if (c.period == calendar_period::monthly) return year_month_day(d0.year() / d0.month() / 1) + months(k);
      return year_month_day(d0.year() / January / 1) + years(k);
    };
    for (int k = -1; k <= 2; ++k)
      if (auto f = fires(step(k))) return *f;
  }
  return daily_instant(d0, c.at);  // not reached
}

std::optional<wall_time> calendar_due(const file_policy& f, wall_time last) {
  if (!f.calendar) return std::nullopt;
  auto after = static_cast<std::time_t>(floor<seconds>(last.time_since_epoch()).count());
  return wall_clock::from_time_t(next_calendar_after(after, *f.calendar));
}

bool calendar_last_in_the_future(const file_policy& f, wall_time last, wall_time now) {
  return f.calendar && last > now && last > *calendar_due(f, now);
}

std::optional<wall_time> time_due(const file_policy& f, wall_time last) {
  auto a = interval_due(f, last);
  auto b = calendar_due(f, last);
  if (a && b) return std::min(*a, *b);
  return a ? a : b;
}

void for_each_scheduled(const config& cfg, wall_time from, wall_time until,
                        const std::function<bool(const scheduled_rotation&)>& fn) {
  struct pending {
    wall_time at;
    std::size_t index;
    trigger_kind trigger;
  };
  auto later = [](const pending& a, const pending& b) { return a.at != b.at ? a.at > b.at : a.index > b.index; };
  std::priority_queue<pending, std::vector<pending>, decltype(later)> queue(later);
  // The first firing of each file: a calendar one at `from` itself counts.
  auto next_of = [](const file_policy& f, wall_time last, bool first) -> std::optional<pending> {
    auto a = interval_due(f, last);
    auto b = calendar_due(f, first ? last - std::chrono::seconds(1) : last);
    if (b && first && *b < last) b = calendar_due(f, last);  // whole seconds: `from` had a fraction
    if (!a && !b) return std::nullopt;
    if (a && (!b || *a < *b)) return pending{*a, 0, trigger_kind::interval};
    return pending{*b, 0, trigger_kind::calendar};
  };
  for (std::size_t i = 0; i < cfg.files.size(); ++i) {
    if (auto p = next_of(cfg.files[i], from, true)) {
      p->index = i;
      queue.push(*p);
    }
  }
  while (!queue.empty()) {
    pending p = queue.top();
    queue.pop();
    if (p.at >= until) continue;
    const file_policy& f = cfg.files[p.index];
    if (!fn({&f, p.at, p.trigger})) return;
    if (auto n = next_of(f, p.at, false)) {
      n->index = p.index;
      queue.push(*n);
    }
  }
}

std::string schedule_line(const scheduled_rotation& r) {
  return r.file->path + " " + format_utc(r.at) + " " + format_local(r.at);
}

const char* to_string(trigger_kind k) noexcept {
  switch (k) {
    case trigger_kind::interval: return "interval";
    case trigger_kind::calendar: return "calendar";
    case trigger_kind::size: return "size";
  }
  return "?";
}

}  // namespace rotated
