#include "schedule.hpp"

#include <queue>
#include <vector>

namespace rotated {

std::optional<wall_time> interval_due(const file_policy& f, wall_time last) {
  if (!f.every) return std::nullopt;
  return last + std::chrono::duration_cast<wall_clock::duration>(*f.every);
}

std::optional<wall_time> daily_due(const file_policy& f, wall_time last) {
  if (!f.daily) return std::nullopt;
  return next_daily_after(last, *f.daily);
}

bool daily_last_in_the_future(const file_policy& f, wall_time last, wall_time now) {
  return f.daily && last > now && last > *daily_due(f, now);
}

std::optional<wall_time> time_due(const file_policy& f, wall_time last) {
  auto a = interval_due(f, last);
  auto b = daily_due(f, last);
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
  // The first firing of each file: a daily one at `from` itself counts.
  auto next_of = [](const file_policy& f, wall_time last, bool first) -> std::optional<pending> {
    auto a = interval_due(f, last);
    auto b = daily_due(f, first ? last - std::chrono::seconds(1) : last);
    if (b && first && *b < last) b = daily_due(f, last);  // whole seconds: `from` had a fraction
    if (!a && !b) return std::nullopt;
    if (a && (!b || *a < *b)) return pending{*a, 0, trigger_kind::interval};
    return pending{*b, 0, trigger_kind::daily};
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
    case trigger_kind::daily: return "daily";
    case trigger_kind::size: return "size";
  }
  return "?";
}

}  // namespace rotated
