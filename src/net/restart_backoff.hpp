// How long a prefork_supervisor waits before restarting a worker that died
// (src/net/prefork.cpp): a worker that crashes at once, again and again,
// must not turn the supervisor into a fork loop, while a worker that served
// for a while and then died is back after the shortest delay.
//
// Rule: after a worker that lived at least `stable_after`, the delay is
// `initial`; after one that died sooner, twice the previous delay (the first
// time `initial`), at most `max`. Plain value, one per worker slot; no
// clock of its own, so it is tested with made-up durations.
#pragma once

#include <algorithm>

#include "weft/loop.hpp"

namespace weft::net::detail {

class restart_backoff {
 public:
  restart_backoff(loop::duration initial, loop::duration max, loop::duration stable_after) noexcept
      : initial_(initial), max_(std::max(initial, max)), stable_after_(stable_after) {}

  // The delay before restarting a worker that lived `lived`.
  loop::duration after_exit(loop::duration lived) noexcept {
    if (lived >= stable_after_ || last_ == loop::duration::zero()) {
      last_ = initial_;
    } else {
      last_ = std::min(last_ * 2, max_);
    }
    return last_;
  }

 private:
  loop::duration initial_;
  loop::duration max_;
  loop::duration stable_after_;
  loop::duration last_ = loop::duration::zero();  // zero: no delay given yet
};

}  // namespace weft::net::detail
