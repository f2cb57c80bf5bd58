// asyncio's contract for stop(), sleep(0), cancellation through awaits and
// wait_for (issue 17): each test names the Python construct it mirrors and
// asserts the order of events, the values and the exception types, on
// virtual time.
#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "weft/gather.hpp"
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

// A stop() left pending from before loop.close(), or made by a task while
// it cleans up during close()'s grace, does not cut that grace short: the
// task finishes its cleanup.
TEST(asyncio_stop, a_stop_does_not_shorten_the_cleanup_grace_of_close) {
  for (bool stop_in_cleanup : {false, true}) {
    loop lp({.virtual_time = true});
    trace_t trace;
    lp.run_until_complete([&] {
      weft::spawn([&] {
        try {
          weft::sleep_for(1h);
        } catch (const weft::cancelled&) {
          if (stop_in_cleanup) lp.stop();
          weft::sleep_for(10ms);  // cleanup that waits
          trace.push_back("cleaned up");
          throw;
        }
      }).detach();
      weft::yield_now();
    });
    if (!stop_in_cleanup) lp.stop();
    lp.close();
    EXPECT_EQ(trace, (trace_t{"cleaned up"})) << "stop in cleanup: " << stop_in_cleanup;
    EXPECT_TRUE(lp.is_closed());
  }
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

// outer awaits inner; outer.cancel() cancels inner, and outer's
// CancelledError arrives once inner has finished.
TEST(asyncio_cancel, cancelling_a_task_in_join_cancels_the_joined_task_first) {
  loop lp({.virtual_time = true});
  trace_t trace;
  lp.run_until_complete([&] {
    auto inner = weft::spawn([&] {
      try {
        weft::sleep_for(1h);
      } catch (const weft::cancelled&) {
        trace.push_back("inner cancelled");
        weft::sleep_for(1s);  // cleanup that waits
        trace.push_back("inner cleaned up");
        throw;
      }
    });
    auto outer = weft::spawn([&] {
      try {
        inner.join();
      } catch (const weft::cancelled&) {
        trace.push_back("outer cancelled");
        throw;
      }
    });
    weft::yield_now();
    outer.cancel();
    EXPECT_THROW(outer.join(), weft::cancelled);
    EXPECT_TRUE(inner.cancelled());
    EXPECT_TRUE(outer.cancelled());
  });
  EXPECT_EQ(trace, (trace_t{"inner cancelled", "inner cleaned up", "outer cancelled"}));
}

// Python 3.11: if inner catches its CancelledError and returns a value,
// `await inner` in the cancelled outer returns that value.
TEST(asyncio_cancel, a_joined_task_that_swallows_the_cancellation_hands_its_value_to_the_waiter) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([&] {
    auto inner = weft::spawn([] {
      try {
        weft::sleep_for(1h);
      } catch (const weft::cancelled&) {
        return 7;
      }
      return 1;
    });
    auto outer = weft::spawn([&] { return inner.join() * 10; });
    weft::yield_now();
    outer.cancel();
    EXPECT_EQ(outer.join(), 70);
    EXPECT_FALSE(inner.cancelled());
  });
}

// asyncio.wait_for(inner, 1): on timeout it cancels inner and waits until it
// has finished before raising TimeoutError.
TEST(asyncio_wait_for, timeout_waits_for_the_cancelled_task_to_finish) {
  loop lp({.virtual_time = true});
  trace_t trace;
  lp.run_until_complete([&] {
    auto start = lp.now();
    try {
      weft::wait_for(weft::spawn([&] {
                       try {
                         weft::sleep_for(1h);
                       } catch (const weft::cancelled&) {
                         weft::sleep_for(2s);
                         trace.push_back("inner cleaned up");
                         throw;
                       }
                     }),
                     1s);
    } catch (const weft::timeout_error&) {
      trace.push_back("timeout_error");
    }
    EXPECT_EQ(lp.now() - start, 3s);
  });
  EXPECT_EQ(trace, (trace_t{"inner cleaned up", "timeout_error"}));
}

// Python 3.11's wait_for: an inner task that swallows the cancellation and
// returns a value (or raises something else) decides the outcome.
TEST(asyncio_wait_for, an_inner_task_that_swallows_the_cancellation_decides_the_outcome) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([&] {
    auto value = weft::spawn([] {
      try {
        weft::sleep_for(1h);
      } catch (const weft::cancelled&) {
        return 5;
      }
      return 1;
    });
    EXPECT_EQ(weft::wait_for(value, 1s), 5);
    auto other = weft::spawn([]() -> int {
      try {
        weft::sleep_for(1h);
      } catch (const weft::cancelled&) {
        throw std::out_of_range("cleanup failed");
      }
      return 1;
    });
    EXPECT_THROW(weft::wait_for(other, 1s), std::out_of_range);
  });
}

// Cancelling the task that waits in asyncio.wait_for cancels the inner task
// too, and wait_for re-raises CancelledError once inner has finished.
TEST(asyncio_wait_for, cancelling_the_waiter_cancels_the_inner_task) {
  loop lp({.virtual_time = true});
  trace_t trace;
  lp.run_until_complete([&] {
    auto inner = weft::spawn([&] {
      try {
        weft::sleep_for(1h);
      } catch (const weft::cancelled&) {
        trace.push_back("inner cancelled");
        throw;
      }
    });
    auto outer = weft::spawn([&] {
      try {
        weft::wait_for(inner, 1h);
      } catch (const weft::cancelled&) {
        trace.push_back("outer cancelled");
        throw;
      }
    });
    weft::sleep_for(1s);
    outer.cancel();
    EXPECT_THROW(outer.join(), weft::cancelled);
    EXPECT_TRUE(inner.cancelled());
  });
  EXPECT_EQ(trace, (trace_t{"inner cancelled", "outer cancelled"}));
}

// asyncio.wait_for(fut, 0): a finished task's result still comes through; an
// unfinished one is cancelled, waited for, and TimeoutError raised.
TEST(asyncio_wait_for, a_zero_deadline_lets_a_finished_result_through) {
  loop lp({.virtual_time = true});
  trace_t trace;
  lp.run_until_complete([&] {
    auto done = weft::spawn([] { return 3; });
    weft::yield_now();
    EXPECT_EQ(weft::wait_for(done, 0s), 3);
    EXPECT_EQ(weft::wait_for(done, -1s), 3);
    auto pending = weft::spawn([&] {
      trace.push_back("pending ran");
      return 4;
    });
    EXPECT_THROW(weft::wait_for(pending, 0s), weft::timeout_error);
    EXPECT_TRUE(pending.cancelled());
  });
  EXPECT_EQ(trace, trace_t{});  // cancelled before it started
}

// A task that sleeps `s` seconds and returns s.
weft::task<int> sleeps(int s) {
  return weft::spawn([s] {
    weft::sleep_for(std::chrono::seconds(s));
    return s;
  });
}

// Tasks sleeping 5, 1 and 10 s in as_completed(tasks, timeout=2), taken with
// take(ac) while remaining() > 0: the values and timeouts seen, in order.
// Checks that it all ends at the deadline and cancels no task.
template <class Take>
trace_t take_past_the_deadline(Take take) {
  loop lp({.virtual_time = true});
  trace_t trace;
  lp.run_until_complete([&] {
    auto start = lp.now();
    std::vector tasks{sleeps(5), sleeps(1), sleeps(10)};
    auto ac = weft::as_completed(tasks, 2s);
    for (int bound = 0; ac.remaining() > 0 && bound < 10; ++bound) {
      try {
        trace.push_back(std::to_string(take(ac)));
      } catch (const weft::timeout_error&) {
        trace.push_back("timeout " + std::to_string(ac.remaining()));
      }
    }
    EXPECT_EQ(lp.now() - start, 2s);
    EXPECT_FALSE(ac.next().has_value());
    EXPECT_THROW(ac.next_result(), weft::invalid_state);
    EXPECT_EQ(tasks[0].join(), 5);
    EXPECT_EQ(tasks[2].join(), 10);
  });
  return trace;
}

// Python 3.13: `async for t in asyncio.as_completed(aws, timeout=2)`: past
// the deadline every remaining step raises TimeoutError, once per task not
// handed out.
TEST(asyncio_as_completed, past_the_deadline_each_remaining_next_raises_timeout_error) {
  EXPECT_EQ(take_past_the_deadline([](auto& ac) { return ac.next()->result(); }),
            (trace_t{"1", "timeout 1", "timeout 0"}));
}

// loop.run_until_complete(task): runs the loop until that task is done and
// returns its result.
TEST(asyncio_loop, run_until_complete_accepts_a_task) {
  loop lp({.virtual_time = true});
  auto t = lp.spawn([] {
    weft::sleep_for(1s);
    return 6;
  });
  EXPECT_EQ(lp.run_until_complete(t), 6);
  EXPECT_TRUE(t.done());
}

// loop.is_closed().
TEST(asyncio_loop, is_closed_turns_true_with_close) {
  loop lp;
  EXPECT_FALSE(lp.is_closed());
  lp.close();
  EXPECT_TRUE(lp.is_closed());
}

// asyncio.get_running_loop().call_soon / call_later / call_at, in that
// loop's order; outside a running loop, RuntimeError (invalid_state).
TEST(asyncio_loop, free_call_soon_later_and_at_use_the_running_loop) {
  loop lp({.virtual_time = true});
  trace_t trace;
  lp.run_until_complete([&] {
    auto t0 = lp.now();
    weft::call_at(t0 + 2s, [&] { trace.push_back("at 2s"); });
    weft::call_later(1s, [&] { trace.push_back("later 1s"); });
    weft::call_soon([&] { trace.push_back("soon"); });
    weft::sleep_for(3s);
  });
  EXPECT_EQ(trace, (trace_t{"soon", "later 1s", "at 2s"}));
  EXPECT_THROW(weft::call_soon([] {}), weft::invalid_state);
}

// loop.call_exception_handler(context) hands a user's report to the
// handler set with set_exception_handler.
TEST(asyncio_loop, call_exception_handler_reaches_the_handler) {
  loop lp;
  std::vector<std::string> seen;
  lp.set_exception_handler([&](const weft::exception_report& r) { seen.push_back(r.message); });
  lp.call_exception_handler({"user report", "", nullptr});
  EXPECT_EQ(seen, (trace_t{"user report"}));
}

// await asyncio.shield(inner) in a cancelled outer: outer's CancelledError
// arrives at once, and inner runs on to its own result.
TEST(asyncio_shield, cancelling_the_waiter_of_a_shielded_task_leaves_that_task_running) {
  loop lp({.virtual_time = true});
  trace_t trace;
  lp.run_until_complete([&] {
    auto inner = weft::spawn([&] {
      weft::sleep_for(2s);
      trace.push_back("inner done");
      return 9;
    });
    auto outer = weft::spawn([&] {
      try {
        return weft::shield(inner);
      } catch (const weft::cancelled&) {
        trace.push_back("outer cancelled");
        throw;
      }
    });
    weft::sleep_for(1s);
    outer.cancel();
    EXPECT_THROW(outer.join(), weft::cancelled);
    EXPECT_FALSE(inner.done());
    EXPECT_EQ(inner.join(), 9);
    EXPECT_EQ(weft::shield(inner), 9);  // already done
  });
  EXPECT_EQ(trace, (trace_t{"outer cancelled", "inner done"}));
}

// Task.set_name / get_name, and Python 3.11's Task.cancelling() and
// uncancel(): the count of cancel() requests not yet withdrawn.
TEST(asyncio_task, set_name_cancelling_and_uncancel) {
  loop lp({.virtual_time = true});
  std::vector<unsigned> counts;
  lp.run_until_complete([&] {
    weft::task<void> t;
    t = weft::spawn([&] {
      try {
        weft::sleep_for(1h);
      } catch (const weft::cancelled&) {
        counts.push_back(t.cancelling());  // still counted until uncancel()
      }
      weft::sleep_for(1s);
    });
    t.set_name("worker");
    EXPECT_EQ(t.name(), "worker");
    weft::yield_now();
    EXPECT_EQ(t.cancelling(), 0u);
    t.cancel();
    t.cancel();
    counts.push_back(t.cancelling());
    EXPECT_EQ(t.uncancel(), 1u);
    counts.push_back(t.cancelling());
    t.join();
    EXPECT_FALSE(t.cancelled());
  });
  EXPECT_EQ(counts, (std::vector<unsigned>{2, 1, 1}));
}

}  // namespace

namespace {

// async with asyncio.timeout(None) as cm: cm.reschedule(loop.time() + 1);
// then cm.when(), cm.expired() and TimeoutError out of the block.
TEST(asyncio_timeout, a_scope_without_a_deadline_can_be_given_one_and_expires) {
  loop lp({.virtual_time = true});
  trace_t trace;
  lp.run_until_complete([&] {
    auto start = lp.now();
    weft::timeout_scope cm;
    EXPECT_EQ(cm.when(), std::nullopt);
    try {
      cm.run([&] {
        weft::sleep_for(1s);
        cm.reschedule(lp.now() + 2s);
        trace.push_back("rescheduled");
        weft::sleep_for(1h);
        trace.push_back("slept");
      });
    } catch (const weft::timeout_error&) {
      trace.push_back("timeout_error");
    }
    EXPECT_TRUE(cm.expired());
    EXPECT_EQ(cm.when(), start + 3s);
    EXPECT_EQ(lp.now() - start, 3s);
  });
  EXPECT_EQ(trace, (trace_t{"rescheduled", "timeout_error"}));
}

// async with asyncio.timeout_at(deadline): an absolute deadline; a body that
// ends in time leaves expired() false.
TEST(asyncio_timeout, timeout_at_takes_an_absolute_deadline) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([&] {
    weft::timeout_scope cm(lp.now() + 5s);
    EXPECT_EQ(cm.run([] {
      weft::sleep_for(1s);
      return 4;
    }),
              4);
    EXPECT_FALSE(cm.expired());
    weft::timeout_scope late(lp.now() + 1s);
    EXPECT_THROW(late.run([] { weft::sleep_for(2s); }), weft::timeout_error);
  });
}

// asyncio.current_task(): the Task running the coroutine (None in a
// callback; RuntimeError without a running loop); its get_name(), and the
// same object as the handle create_task returned.
TEST(asyncio_task, current_task_is_the_running_task) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([&] {
    weft::task<std::string> worker;
    worker = weft::spawn(
        [&] {
          EXPECT_TRUE(weft::current_task() == worker);
          return std::string(weft::current_task().name());
        },
        {.name = "worker"});
    EXPECT_EQ(worker.join(), "worker");
    weft::any_task self = weft::current_task();
    EXPECT_EQ(self.name(), "main");
    EXPECT_TRUE(self == weft::current_task());
    EXPECT_FALSE(self == worker);
    bool valid_in_callback = true;
    weft::call_soon([&] { valid_in_callback = weft::current_task().valid(); });
    weft::yield_now();
    EXPECT_FALSE(valid_in_callback);
  });
  EXPECT_THROW(weft::current_task(), weft::invalid_state);
}

// Python 3.11: inside a cancelled task, asyncio.current_task().cancelling()
// counts the request and uncancel() withdraws it.
TEST(asyncio_task, current_task_counts_its_own_cancellation) {
  loop lp({.virtual_time = true});
  std::vector<unsigned> counts;
  lp.run_until_complete([&] {
    auto t = weft::spawn([&] {
      try {
        weft::sleep_for(1h);
      } catch (const weft::cancelled&) {
        weft::any_task self = weft::current_task();
        counts.push_back(self.cancelling());
        counts.push_back(self.uncancel());
      }
      return 1;
    });
    weft::yield_now();
    t.cancel();
    EXPECT_EQ(t.join(), 1);
    EXPECT_FALSE(t.cancelled());
  });
  EXPECT_EQ(counts, (std::vector<unsigned>{1, 0}));
}

// Python 3.13: `async for t in asyncio.as_completed(tasks)` yields the
// original tasks as they finish without awaiting them: their outcome is
// still the caller's to retrieve (here nobody does, so it is reported). A
// task already done is handed back without suspending.
TEST(asyncio_as_completed, next_hands_back_the_original_task_without_awaiting_it) {
  loop lp({.virtual_time = true});
  std::vector<std::string> messages;
  lp.set_exception_handler([&](const weft::exception_report& r) { messages.push_back(r.message); });
  trace_t trace;
  lp.run_until_complete([&] {
    auto fails = weft::spawn([]() -> int {
      weft::sleep_for(1s);
      throw std::runtime_error("boom");
    });
    auto quick = weft::spawn([] { return 2; });
    weft::yield_now();  // quick is done, fails sleeps
    auto ac = weft::as_completed(std::vector{fails, quick});
    weft::call_soon([&] { trace.push_back("callback"); });
    auto first = ac.next();
    trace.push_back("next");
    ASSERT_TRUE(first);
    EXPECT_TRUE(*first == quick);
    auto second = ac.next();
    trace.push_back("next");
    ASSERT_TRUE(second);
    EXPECT_TRUE(*second == fails);
    EXPECT_TRUE(second->done());
    EXPECT_TRUE(messages.empty());
  });
  EXPECT_EQ(trace, (trace_t{"next", "callback", "next"}));
  EXPECT_EQ(messages, (std::vector<std::string>{"Task exception was never retrieved"}));
}

// Python <= 3.12: `for aw in asyncio.as_completed(aws): r = await aw`. Each
// await waits for the next task to finish and returns its result, or raises
// its exception (which counts as retrieved: nothing is reported), or
// CancelledError for a task that was cancelled. A task already done comes
// first, without suspending: the callback queued before runs after it.
TEST(asyncio_as_completed, next_result_returns_each_result_or_raises_in_completion_order) {
  loop lp({.virtual_time = true});
  std::vector<std::string> messages;
  lp.set_exception_handler([&](const weft::exception_report& r) { messages.push_back(r.message); });
  trace_t trace;
  lp.run_until_complete([&] {
    auto start = lp.now();
    auto fails = weft::spawn([]() -> int {
      weft::sleep_for(1s);
      throw std::runtime_error("boom");
    });
    auto doomed = sleeps(9);
    auto quick = weft::spawn([] { return 7; });
    weft::yield_now();  // quick is done
    lp.call_later(500ms, [&] { doomed.cancel(); });
    auto ac = weft::as_completed(std::vector{sleeps(3), fails, sleeps(2), doomed, quick});
    weft::call_soon([&] { trace.push_back("callback"); });
    while (ac.remaining() > 0) {
      std::string what;
      try {
        what = std::to_string(ac.next_result());
      } catch (const std::runtime_error& e) {
        what = e.what();
      } catch (const weft::cancelled&) {
        what = "cancelled";
      }
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(lp.now() - start).count();
      trace.push_back(what + "@" + std::to_string(ms) + " left " + std::to_string(ac.remaining()));
    }
    EXPECT_THROW(ac.next_result(), weft::invalid_state);
  });
  EXPECT_EQ(trace, (trace_t{"7@0 left 4", "callback", "cancelled@500 left 3", "boom@1000 left 2", "2@2000 left 1",
                            "3@3000 left 0"}));
  EXPECT_TRUE(messages.empty());
}

// Python <= 3.12: `for aw in asyncio.as_completed(aws, timeout=2): await aw`
// raises TimeoutError from every await past the deadline, once per task not
// handed out; the tasks themselves run on, uncancelled.
TEST(asyncio_as_completed, next_result_past_the_deadline_raises_timeout_error_for_each_remaining_task) {
  EXPECT_EQ(take_past_the_deadline([](auto& ac) { return ac.next_result(); }),
            (trace_t{"1", "timeout 1", "timeout 0"}));
}

// Python: at the deadline as_completed stops watching the tasks (its
// timeout handler removes their done callbacks), so a task that finishes
// after it is never handed out, even to an await that starts later: that
// await raises TimeoutError. The same in 3.13's `async for` (next()).
TEST(asyncio_as_completed, a_task_finishing_after_the_deadline_is_not_handed_out_later) {
  loop lp({.virtual_time = true});
  trace_t trace;
  lp.run_until_complete([&] {
    std::vector tasks{sleeps(1), sleeps(3), sleeps(4)};
    auto ac = weft::as_completed(tasks, 2s);
    trace.push_back(std::to_string(ac.next_result()));
    weft::sleep_for(5s);  // the other two finish meanwhile, after the deadline
    EXPECT_TRUE(tasks[1].done());
    try {
      trace.push_back(std::to_string(ac.next_result()));
    } catch (const weft::timeout_error&) {
      trace.push_back("timeout " + std::to_string(ac.remaining()));
    }
    try {
      trace.push_back(std::to_string(ac.next()->result()));
    } catch (const weft::timeout_error&) {
      trace.push_back("timeout " + std::to_string(ac.remaining()));
    }
    EXPECT_FALSE(ac.next().has_value());
  });
  EXPECT_EQ(trace, (trace_t{"1", "timeout 1", "timeout 0"}));
}

}  // namespace
