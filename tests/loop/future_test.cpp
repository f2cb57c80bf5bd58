// asyncio.Future and done callbacks (issue 17 item 12): each test names the
// Python construct it mirrors and asserts the order of events, the values
// and the exception types, on virtual time.
#include <gtest/gtest.h>

#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "weft/future.hpp"
#include "weft/loop.hpp"

namespace {

using namespace std::chrono_literals;
using weft::loop;
using trace_t = std::vector<std::string>;

// Runs lp until a callback queued `turns` turns from now stops it.
void run_for_turns(loop& lp, int turns) {
  std::function<void(int)> step = [&](int left) {
    if (left == 0) lp.stop();
    else lp.call_soon([&, left] { step(left - 1); });
  };
  step(turns);
  lp.run_forever();
}

// fut.add_done_callback(cb) twice, fut.set_result(7), then one more
// add_done_callback on the done future: every callback is scheduled with
// call_soon (none runs inside set_result), in registration order, each with
// the future; the late one is scheduled at once, before what is queued
// after it.
TEST(asyncio_future, done_callbacks_are_scheduled_with_call_soon_in_registration_order) {
  loop lp({.virtual_time = true});
  trace_t trace;
  weft::future<int> f(lp);
  f.add_done_callback([&](weft::future<int>& g) { trace.push_back("cb1 " + std::to_string(g.result())); });
  f.add_done_callback([&](weft::future<int>& g) { trace.push_back("cb2 done=" + std::to_string(g.done())); });
  lp.call_soon([&] {
    trace.push_back("set");
    f.set_result(7);
    trace.push_back("after set");
    f.add_done_callback([&](weft::future<int>&) { trace.push_back("cb3 added late"); });
    lp.call_soon([&] { trace.push_back("queued after"); });
  });
  run_for_turns(lp, 4);
  EXPECT_EQ(trace, (trace_t{"set", "after set", "cb1 7", "cb2 done=1", "cb3 added late", "queued after"}));
  EXPECT_TRUE(f.done());
  EXPECT_FALSE(f.cancelled());
  EXPECT_EQ(f.result(), 7);
  EXPECT_EQ(f.exception(), nullptr);
}

// The tasks awaiting a future and its done callbacks are all woken by
// call_soon in asyncio, so they run in the order they registered.
TEST(asyncio_future, waiting_tasks_and_callbacks_run_in_registration_order) {
  loop lp({.virtual_time = true});
  trace_t trace;
  weft::future<int> f(lp);
  lp.run_until_complete([&] {
    f.add_done_callback([&](weft::future<int>&) { trace.push_back("callback a"); });
    auto first = weft::spawn([&] { trace.push_back("task 1 got " + std::to_string(f.join())); });
    weft::yield_now();  // task 1 waits now
    f.add_done_callback([&](weft::future<int>&) { trace.push_back("callback b"); });
    auto second = weft::spawn([&] { trace.push_back("task 2 got " + std::to_string(f.join())); });
    weft::yield_now();
    f.set_result(5);
    first.join();
    second.join();
  });
  EXPECT_EQ(trace, (trace_t{"callback a", "task 1 got 5", "callback b", "task 2 got 5"}));
}

// fut.remove_done_callback(cb) returns how many it removed: 1 for a
// pending registration, 0 once removed or once scheduled.
TEST(asyncio_future, remove_done_callback_unregisters_only_what_is_not_scheduled) {
  loop lp({.virtual_time = true});
  trace_t trace;
  weft::future<void> f(lp);
  auto a = f.add_done_callback([&](weft::future<void>&) { trace.push_back("a"); });
  auto b = f.add_done_callback([&](weft::future<void>&) { trace.push_back("b"); });
  auto c = f.add_done_callback([&](weft::future<void>&) { trace.push_back("c"); });
  EXPECT_EQ(f.remove_done_callback(b), 1u);
  EXPECT_EQ(f.remove_done_callback(b), 0u);
  f.set_result();
  EXPECT_EQ(f.remove_done_callback(c), 0u);  // scheduled already: it runs
  run_for_turns(lp, 2);
  EXPECT_EQ(trace, (trace_t{"a", "c"}));
  EXPECT_EQ(f.remove_done_callback(a), 0u);
}

// Several tasks `await fut`; fut.set_exception(exc): each gets the same
// exception object, and fut.exception() is it.
TEST(asyncio_future, every_waiter_gets_the_same_exception_object) {
  loop lp({.virtual_time = true});
  trace_t trace;
  std::vector<std::exception_ptr> caught;
  std::vector<const void*> addresses;
  weft::future<int> f(lp);
  lp.run_until_complete([&] {
    auto waiter = [&](std::string name) {
      return weft::spawn([&, name] {
        trace.push_back(name + " waits");
        try {
          f.join();
        } catch (const std::runtime_error& e) {
          trace.push_back(name + " got " + e.what());
          caught.push_back(std::current_exception());
          addresses.push_back(&e);
        }
      });
    };
    auto a = waiter("a");
    auto b = waiter("b");
    auto c = waiter("c");
    weft::yield_now();
    trace.push_back("set_exception");
    f.set_exception(std::make_exception_ptr(std::runtime_error("boom")));
    a.join();
    b.join();
    c.join();
  });
  EXPECT_EQ(trace,
            (trace_t{"a waits", "b waits", "c waits", "set_exception", "a got boom", "b got boom", "c got boom"}));
  ASSERT_EQ(caught.size(), 3u);
  EXPECT_EQ(caught[0], f.exception());
  EXPECT_EQ(caught[1], caught[0]);
  EXPECT_EQ(caught[2], caught[0]);
  EXPECT_EQ(addresses[1], addresses[0]);
  EXPECT_EQ(addresses[2], addresses[0]);
}

// asyncio.Future used from plain callbacks: result() and exception() of a
// pending future raise InvalidStateError; set_result twice, or
// set_exception after set_result, raises InvalidStateError; cancel() of a
// done future returns False.
TEST(asyncio_future, pending_reads_and_a_second_completion_raise_invalid_state) {
  loop lp({.virtual_time = true});
  trace_t trace;
  weft::future<std::string> f(lp);
  lp.call_soon([&] {
    try {
      f.result();
    } catch (const weft::invalid_state&) {
      trace.push_back("result: invalid_state");
    }
    try {
      f.exception();
    } catch (const weft::invalid_state&) {
      trace.push_back("exception: invalid_state");
    }
  });
  lp.call_later(1s, [&] { f.set_result("first"); });
  lp.call_later(2s, [&] {
    try {
      f.set_result("second");
    } catch (const weft::invalid_state&) {
      trace.push_back("set_result: invalid_state");
    }
    try {
      f.set_exception(std::make_exception_ptr(std::runtime_error("late")));
    } catch (const weft::invalid_state&) {
      trace.push_back("set_exception: invalid_state");
    }
    trace.push_back("cancel: " + std::to_string(f.cancel()));
    trace.push_back("result: " + f.result());
    lp.stop();
  });
  lp.run_forever();
  EXPECT_EQ(trace, (trace_t{"result: invalid_state", "exception: invalid_state", "set_result: invalid_state",
                            "set_exception: invalid_state", "cancel: 0", "result: first"}));
}

// fut.cancel(): True, then cancelled() and done(); result() and
// exception() raise CancelledError; awaiting tasks get CancelledError; done
// callbacks run.
TEST(asyncio_future, cancel_completes_it_with_cancelled) {
  loop lp({.virtual_time = true});
  trace_t trace;
  weft::future<int> f(lp);
  f.add_done_callback([&](weft::future<int>& g) { trace.push_back("cb cancelled=" + std::to_string(g.cancelled())); });
  lp.run_until_complete([&] {
    auto w = weft::spawn([&] {
      try {
        f.join();
      } catch (const weft::cancelled&) {
        trace.push_back("waiter cancelled");
      }
    });
    weft::yield_now();
    trace.push_back("cancel " + std::to_string(f.cancel()));
    trace.push_back("cancel again " + std::to_string(f.cancel()));
    w.join();
  });
  EXPECT_EQ(trace, (trace_t{"cancel 1", "cancel again 0", "cb cancelled=1", "waiter cancelled"}));
  EXPECT_TRUE(f.done());
  EXPECT_TRUE(f.cancelled());
  EXPECT_THROW(f.result(), weft::cancelled);
  EXPECT_THROW(f.exception(), weft::cancelled);
}

// task.cancel() of a task in `await fut` cancels fut (asyncio: the task
// cancels the future it waits on), so the other waiters and the callbacks
// see it cancelled too.
TEST(asyncio_future, cancelling_a_waiting_task_cancels_the_future) {
  loop lp({.virtual_time = true});
  trace_t trace;
  weft::future<int> f(lp);
  lp.run_until_complete([&] {
    auto first = weft::spawn([&] {
      try {
        f.join();
      } catch (const weft::cancelled&) {
        trace.push_back("first cancelled");
        throw;
      }
    });
    auto second = weft::spawn([&] {
      try {
        f.join();
      } catch (const weft::cancelled&) {
        trace.push_back("second cancelled");
      }
    });
    weft::yield_now();
    first.cancel();
    EXPECT_THROW(first.join(), weft::cancelled);
    second.join();
    EXPECT_TRUE(f.cancelled());
  });
  EXPECT_EQ(trace, (trace_t{"first cancelled", "second cancelled"}));
}

// asyncio.Future holding a value that cannot be copied: in weft a
// move-only result is handed out once, then invalid_state.
TEST(asyncio_future, a_move_only_result_is_taken_once) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([&] {
    weft::future<std::unique_ptr<int>> f;
    weft::call_soon([f]() mutable { f.set_result(std::make_unique<int>(5)); });
    EXPECT_EQ(*f.join(), 5);
    EXPECT_THROW(f.result(), weft::invalid_state);
  });
}

// Task.add_done_callback / remove_done_callback: a task's callbacks and
// the wake-ups of the tasks awaiting it come in registration order; a
// callback added after the task is done is scheduled at once.
TEST(asyncio_task, done_callbacks_and_waiters_run_in_registration_order) {
  loop lp({.virtual_time = true});
  trace_t trace;
  lp.run_until_complete([&] {
    auto t = weft::spawn([] {
      weft::sleep_for(1s);
      return 3;
    });
    t.add_done_callback([&](weft::task<int>& d) { trace.push_back("cb1 " + std::to_string(d.result())); });
    auto gone = t.add_done_callback([&](weft::task<int>&) { trace.push_back("removed"); });
    auto joiner = weft::spawn([&] { trace.push_back("joiner " + std::to_string(t.join())); });
    weft::yield_now();  // the joiner waits now, behind cb1
    t.add_done_callback([&](weft::task<int>&) { trace.push_back("cb2"); });
    EXPECT_EQ(t.remove_done_callback(gone), 1u);
    joiner.join();
    t.add_done_callback([&](weft::task<int>&) { trace.push_back("cb3 added late"); });
    weft::yield_now();
  });
  EXPECT_EQ(trace, (trace_t{"cb1 3", "joiner 3", "cb2", "cb3 added late"}));
}

// A callback that raises is reported as asyncio reports
// "Exception in callback <callback>", naming the user's callable.
struct failing_callback {
  void operator()(weft::future<int>&) const { throw std::runtime_error("bad"); }
};

TEST(asyncio_future, a_failing_done_callback_is_reported_by_its_type) {
  loop lp({.virtual_time = true});
  std::vector<std::string> messages;
  lp.set_exception_handler([&](const weft::exception_report& r) { messages.push_back(r.message); });
  weft::future<int> f(lp);
  f.add_done_callback(failing_callback{});
  f.set_result(1);
  run_for_turns(lp, 1);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0], "Exception in callback (anonymous namespace)::failing_callback");
}

// A future whose exception nobody retrieved is reported when its last
// handle goes ("Future exception was never retrieved"); one retrieved, or
// cancelled, is not.
TEST(asyncio_future, an_unretrieved_exception_is_reported) {
  loop lp({.virtual_time = true});
  std::vector<std::string> messages;
  lp.set_exception_handler([&](const weft::exception_report& r) { messages.push_back(r.message); });
  {
    weft::future<int> lost(lp);
    lost.set_exception(std::make_exception_ptr(std::runtime_error("lost")));
    weft::future<int> seen(lp);
    seen.set_exception(std::make_exception_ptr(std::runtime_error("seen")));
    EXPECT_NE(seen.exception(), nullptr);
    weft::future<int> cancelled(lp);
    cancelled.cancel();
  }
  EXPECT_EQ(messages, (std::vector<std::string>{"Future exception was never retrieved"}));
}

// A future is bound to its loop's thread, like a task handle.
TEST(asyncio_future, another_thread_is_refused) {
  loop lp({.virtual_time = true});
  weft::future<int> f(lp);
  bool refused = false;
  std::thread([&] {
    try {
      f.set_result(1);
    } catch (const weft::invalid_state&) {
      refused = true;
    }
  }).join();
  EXPECT_TRUE(refused);
  EXPECT_FALSE(f.done());
  EXPECT_THROW(weft::future<int>(), weft::invalid_state);  // no running loop
}

// Closing the loop drops the callbacks of a future still pending; the
// future can still be completed and read.
TEST(asyncio_future, a_future_outlives_its_loop) {
  trace_t trace;
  std::optional<weft::future<int>> f;
  {
    loop lp({.virtual_time = true});
    f.emplace(lp);
    f->add_done_callback([&](weft::future<int>&) { trace.push_back("never"); });
  }
  f->set_result(4);
  EXPECT_EQ(f->result(), 4);
  EXPECT_THROW(f->add_done_callback([](weft::future<int>&) {}), weft::invalid_state);
  EXPECT_TRUE(trace.empty());
}

// loop.run_until_complete(fut): runs the loop until the future is done and
// returns its result, or raises its exception.
TEST(asyncio_loop, run_until_complete_accepts_a_future) {
  loop lp({.virtual_time = true});
  weft::future<int> f(lp);
  lp.call_later(2s, [&] { f.set_result(9); });
  auto t0 = lp.now();
  EXPECT_EQ(lp.run_until_complete(f), 9);
  EXPECT_EQ(lp.now() - t0, 2s);
  weft::future<void> g(lp);
  lp.call_soon([&] { g.set_exception(std::make_exception_ptr(std::runtime_error("failed"))); });
  EXPECT_THROW(lp.run_until_complete(g), std::runtime_error);
}

// "Exception in callback bad(1)": asyncio names the failing callback; weft
// names it by the name given at scheduling, else by its type.
struct bad_callback {
  void operator()() const { throw std::runtime_error("bad"); }
};

TEST(asyncio_loop, a_failing_callback_is_reported_by_its_name_or_its_type) {
  loop lp({.virtual_time = true});
  std::vector<std::string> messages;
  lp.set_exception_handler([&](const weft::exception_report& r) { messages.push_back(r.message); });
  lp.call_soon(bad_callback{}, "bad(1)");
  lp.call_later(1s, bad_callback{});
  lp.call_at(
      lp.now() + 2s, [] { throw std::runtime_error("bad"); }, "lambda at 2s");
  lp.call_later(3s, [&] { lp.stop(); });
  lp.run_forever();
  EXPECT_EQ(messages, (std::vector<std::string>{"Exception in callback bad(1)",
                                                "Exception in callback (anonymous namespace)::bad_callback",
                                                "Exception in callback lambda at 2s"}));
}

}  // namespace
