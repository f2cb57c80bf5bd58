// with_timeout and wait_for, on virtual time.
#include <gtest/gtest.h>

#include <chrono>
#include <exception>
#include <type_traits>
#include <string>
#include <vector>

#include "weft/timeout.hpp"

namespace {

using namespace std::chrono_literals;
using weft::loop;

TEST(timeout, work_finishing_in_time_returns_its_value) {
  loop lp({.virtual_time = true});
  int v = lp.run_until_complete([] {
    return weft::with_timeout(2s, [] {
      weft::sleep_for(1s);
      return 5;
    });
  });
  EXPECT_EQ(v, 5);
}

TEST(timeout, expiry_raises_timeout_error_after_unwinding_the_inner_work) {
  loop lp({.virtual_time = true});
  std::vector<std::string> log;
  auto t0 = lp.now();
  loop::duration elapsed{};
  lp.run_until_complete([&] {
    try {
      weft::with_timeout(1s, [&] {
        struct cleanup {
          std::vector<std::string>* log;
          ~cleanup() { log->push_back("inner unwound"); }
        } c{&log};
        weft::sleep_for(1h);
        log.push_back("not reached");
      });
    } catch (const weft::timeout_error&) {
      log.push_back("timeout");
      elapsed = lp.now() - t0;
    }
    weft::sleep_for(1s);  // the task is usable afterwards: no stray cancellation
    log.push_back("slept after");
  });
  EXPECT_EQ(log, (std::vector<std::string>{"inner unwound", "timeout", "slept after"}));
  EXPECT_EQ(elapsed, 1s);
}

TEST(timeout, an_outside_cancel_stays_cancelled_not_timeout) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([] {
    auto t = weft::spawn([] { weft::with_timeout(1h, [] { weft::sleep_for(2h); }); });
    weft::sleep_for(1s);
    t.cancel();
    EXPECT_THROW(t.join(), weft::cancelled);
  });
}

TEST(timeout, wait_for_cancels_the_awaited_task_on_timeout) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([] {
    auto slow = weft::spawn([] {
      weft::sleep_for(1h);
      return 1;
    });
    EXPECT_THROW(weft::wait_for(slow, 1s), weft::timeout_error);
    weft::yield_now();
    weft::yield_now();
    EXPECT_TRUE(slow.done());
    EXPECT_TRUE(slow.cancelled());
    auto fast = weft::spawn([] {
      weft::sleep_for(1s);
      return 2;
    });
    EXPECT_EQ(weft::wait_for(fast, 1h), 2);
  });
}

}  // namespace

// Python 3.8 made CancelledError a BaseException so that `except Exception`
// cannot swallow it; weft::cancelled is likewise no std::exception.
static_assert(!std::is_base_of_v<std::exception, weft::cancelled>);

TEST(timeout, a_catch_of_std_exception_inside_the_body_does_not_stop_the_timeout) {
  loop lp({.virtual_time = true});
  auto t0 = lp.now();
  loop::duration elapsed{};
  bool caught_as_std_exception = false;
  lp.run_until_complete([&] {
    EXPECT_THROW(weft::with_timeout(50ms,
                                    [&] {
                                      try {
                                        weft::sleep_for(2s);
                                      } catch (const std::exception&) {
                                        caught_as_std_exception = true;
                                      }
                                      weft::sleep_for(2s);
                                    }),
                 weft::timeout_error);
    elapsed = lp.now() - t0;
  });
  EXPECT_FALSE(caught_as_std_exception);
  EXPECT_EQ(elapsed, 50ms);
}

// The rule (docs/event-loop.md, "Cancellation"): once a deadline's
// cancellation has been raised inside the body, with_timeout raises
// timeout_error even if the body dropped the cancellation and returned.
TEST(timeout, a_body_that_drops_the_deadlines_cancellation_still_times_out) {
  loop lp({.virtual_time = true});
  auto t0 = lp.now();
  loop::duration elapsed{};
  lp.run_until_complete([&] {
    EXPECT_THROW(weft::with_timeout(50ms,
                                    [&] {
                                      try {
                                        weft::sleep_for(2s);
                                      } catch (...) {  // drops everything, cancellation included
                                      }
                                      return 7;
                                    }),
                 weft::timeout_error);
    elapsed = lp.now() - t0;
  });
  EXPECT_EQ(elapsed, 50ms);
}
