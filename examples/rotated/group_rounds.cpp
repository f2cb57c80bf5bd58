#include "group_rounds.hpp"

namespace rotated {

std::shared_ptr<group_rounds::round> group_rounds::join(const std::string& group) {
  for (;;) {
    auto it = rounds_.find(group);
    if (it == rounds_.end()) break;
    std::shared_ptr<round> r = it->second;  // kept alive across the wait
    if (!r->closing) {
      ++r->members;
      return r;
    }
    r->close_done.wait();
  }
  auto r = std::make_shared<round>();
  r->members = 1;
  rounds_.emplace(group, r);
  return r;
}

bool group_rounds::open(round& r, const std::function<bool()>& open) {
  if (r.state == round::phase::unopened) {
    r.state = round::phase::opening;
    r.state = open() ? round::phase::opened : round::phase::refused;
    r.open_done.set();
  }
  r.open_done.wait();
  return r.state == round::phase::opened;
}

void group_rounds::leave(const std::string& group, const std::shared_ptr<round>& r, bool rotated,
                         const std::function<void()>& close) {
  r->any_rotated = r->any_rotated || rotated;
  if (--r->members > 0) return;
  r->closing = true;
  if (r->state == round::phase::opened && r->any_rotated) close();
  rounds_.erase(group);
  r->close_done.set();
}

}  // namespace rotated
