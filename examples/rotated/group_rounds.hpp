// Rounds of a group's rotations: what lets firstaction and lastaction (and
// prerotate and postrotate with shared_hooks) run once for several files
// (docs/rotated.md, CONFIGURATION, `group`).
//
// The rotations of a group's files that overlap in time form a round (the
// files of a pattern due at the same instant, or one --once run). A
// rotation joins the round before it suspends for anything, so rotations
// started together share one. The first member whose file will rotate
// opens it (service: firstaction, then a shared prerotate) while the
// others wait for the outcome; the last to leave closes it (a shared
// postrotate, then lastaction) if it opened and a file rotated. A rotation
// that starts while a round is closing waits for the close and joins the
// next round. Rounds of different groups never wait on each other; a
// member waits at most for its group's hooks, each bounded by its timeout.
//
// Thread: the loop's, from tasks (service::rotate, inside the scheduler's
// cancellation shield).
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include <weft/sync/event.hpp>

namespace rotated {

class group_rounds {
 public:
  struct round {
    enum class phase { unopened, opening, opened, refused };
    std::size_t members = 0;  // rotations that joined and have not left
    phase state = phase::unopened;
    bool any_rotated = false;
    bool closing = false;
    weft::event open_done{"group round opened"};
    weft::event close_done{"group round closed"};
  };

  // Joins the round of `group` now forming or open (after the close of one
  // that is closing). Pass it to leave() whatever happens.
  std::shared_ptr<round> join(const std::string& group);
  // Whether the round's members may rotate: the first caller runs `open`
  // (true: they may) in its task; later callers wait for its answer.
  bool open(round& r, const std::function<bool()>& open);
  // Leaves the round; the last member to leave calls `close` in its task
  // if the round opened and a member rotated, then lets the next round form.
  void leave(const std::string& group, const std::shared_ptr<round>& r, bool rotated,
             const std::function<void()>& close);

 private:
  std::map<std::string, std::shared_ptr<round>> rounds_;
};

}  // namespace rotated
