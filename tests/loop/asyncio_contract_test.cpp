// asyncio's contract for stop(), sleep(0), cancellation through awaits and
// wait_for (issue 17): each test names the Python construct it mirrors and
// asserts the order of events, the values and the exception types, on
// virtual time.
#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "weft/loop.hpp"
#include "weft/timeout.hpp"

namespace {

using namespace std::chrono_literals;
using weft::loop;
using trace_t = std::vector<std::string>;

// loop.stop() inside run_until_complete(main()): RuntimeError('Event loop
// stopped before Future completed.') at the end of the iteration.
TEST(asyncio_stop, stop_during_run_until_complete_raises_at_the_end_of_the_iteration) {
  loop lp({.virtual_time = true});
  trace_t trace;
  lp.call_soon([&] { trace.push_back("callback"); });
  try {
    lp.run_until_complete([&] {
      trace.push_back("main");
      lp.stop();
      weft::sleep_for(1s);
      trace.push_back("main woke");
    });
    ADD_FAILURE() << "run_until_complete returned";
  } catch (const weft::invalid_state& e) {
    EXPECT_STREQ(e.what(), "weft: loop stopped before the task completed");
  }
  EXPECT_EQ(trace, (trace_t{"callback", "main"}));
  EXPECT_FALSE(lp.is_running());
}

// loop.stop(); loop.run_forever(): "If stop() is called before
// run_forever() is called, the loop will ... run all callbacks ... already
// scheduled, and then exit."
TEST(asyncio_stop, stop_before_run_forever_runs_exactly_one_iteration) {
  loop lp({.virtual_time = true});
  trace_t trace;
  lp.call_soon([&] {
    trace.push_back("first");
    lp.call_soon([&] { trace.push_back("second"); });
  });
  lp.stop();
  lp.run_forever();
  EXPECT_EQ(trace, (trace_t{"first"}));
  lp.stop();
  lp.run_forever();
  EXPECT_EQ(trace, (trace_t{"first", "second"}));
}

// A stop() left pending does not make loop.close() skip the cleanup of the
// tasks that are still alive.
TEST(asyncio_stop, a_pending_stop_does_not_skip_the_cleanup_grace_of_close) {
  loop lp({.virtual_time = true});
  trace_t trace;
  lp.run_until_complete([&] {
    weft::spawn([&] {
      try {
        weft::sleep_for(1h);
      } catch (const weft::cancelled&) {
        weft::sleep_for(10ms);  // cleanup that waits
        trace.push_back("cleaned up");
        throw;
      }
    }).detach();
    weft::yield_now();
  });
  lp.stop();
  lp.close();
  EXPECT_EQ(trace, (trace_t{"cleaned up"}));
}

// await asyncio.sleep(0) / asyncio.sleep(-1): the same as a bare yield, one
// iteration and no timer; the task runs before callbacks queued after it.
TEST(asyncio_sleep, sleep_for_zero_or_negative_is_yield_now) {
  for (auto d : {loop::duration::zero(), loop::duration(-1s)}) {
    loop lp({.virtual_time = true});
    trace_t trace;
    auto t0 = lp.now();
    lp.run_until_complete([&] {
      auto a = weft::spawn([&] {
        trace.push_back("a0");
        weft::sleep_for(d);
        trace.push_back("a1");
      });
      auto b = weft::spawn([&] {
        trace.push_back("b0");
        lp.call_soon([&] { trace.push_back("cb"); });
      });
      a.join();
      b.join();
    });
    EXPECT_EQ(trace, (trace_t{"a0", "b0", "a1", "cb"}));
    EXPECT_EQ(lp.now(), t0);
  }
}

}  // namespace
