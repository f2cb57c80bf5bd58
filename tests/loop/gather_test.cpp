// weft::gather: results in argument order, first exception, return_exceptions,
// cancellation in both directions; and gather_future, the gather as an object.
#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <variant>
#include <vector>

#include "weft/future.hpp"
#include "weft/gather.hpp"
#include "weft/loop.hpp"
#include "weft/timeout.hpp"

namespace {

using namespace std::chrono_literals;
using weft::loop;
using trace_t = std::vector<std::string>;

auto after(std::chrono::seconds d, int value) {
  return [d, value] {
    weft::sleep_for(d);
    return value;
  };
}

TEST(gather, returns_results_in_argument_order_after_running_them_concurrently) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([&] {
    auto t0 = lp.now();
    auto [a, b, c] = weft::gather(after(3s, 1), after(1s, 2), after(2s, 3));
    EXPECT_EQ(lp.now() - t0, 3s);
    EXPECT_EQ(a, 1);
    EXPECT_EQ(b, 2);
    EXPECT_EQ(c, 3);
  });
}

TEST(gather, takes_tasks_and_callables_and_gives_monostate_for_void) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([&] {
    auto word = weft::spawn([] {
      weft::sleep_for(1s);
      return std::string("word");
    });
    bool ran = false;
    auto result = weft::gather(word, [&] { ran = true; });
    static_assert(std::is_same_v<decltype(result), std::tuple<std::string, std::monostate>>);
    EXPECT_EQ(std::get<0>(result), "word");
    EXPECT_TRUE(ran);
    EXPECT_EQ(weft::gather(), std::tuple<>());
  });
}

TEST(gather, the_first_exception_propagates_at_once_and_the_others_keep_running) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([&] {
    auto t0 = lp.now();
    auto slow = weft::spawn(after(5s, 7));
    auto failing = weft::spawn([]() -> int {
      weft::sleep_for(1s);
      throw std::runtime_error("boom");
    });
    try {
      weft::gather(slow, failing);
      FAIL() << "no exception";
    } catch (const std::runtime_error& e) {
      EXPECT_STREQ(e.what(), "boom");
    }
    EXPECT_EQ(lp.now() - t0, 1s);
    EXPECT_FALSE(slow.done());
    EXPECT_FALSE(slow.cancelled());
    EXPECT_EQ(slow.join(), 7);
    EXPECT_EQ(lp.now() - t0, 5s);
  });
}

TEST(gather, the_first_exception_is_the_first_in_completion_order) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([&] {
    auto late = weft::spawn([]() -> int {
      weft::sleep_for(2s);
      throw std::logic_error("late");
    });
    auto early = weft::spawn([]() -> int {
      weft::sleep_for(1s);
      throw std::out_of_range("early");
    });
    EXPECT_THROW(weft::gather(late, early), std::out_of_range);
    EXPECT_THROW(late.join(), std::logic_error);
  });
}

TEST(gather, ties_in_one_turn_are_broken_by_completion_order_not_argument_order) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([&] {
    auto first_to_fail = weft::spawn([]() -> int {
      weft::sleep_for(1s);
      throw std::out_of_range("first");
    });
    auto second_to_fail = weft::spawn([]() -> int {
      weft::sleep_for(1s);
      throw std::logic_error("second");
    });
    EXPECT_THROW(weft::gather(second_to_fail, first_to_fail), std::out_of_range);
    EXPECT_THROW(second_to_fail.join(), std::logic_error);
  });
}

TEST(gather, return_exceptions_waits_for_all_and_returns_outcomes) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([&] {
    auto t0 = lp.now();
    auto [ok, bad, nothing] = weft::gather(
        weft::return_exceptions, after(2s, 5),
        []() -> int {
          weft::sleep_for(1s);
          throw std::invalid_argument("bad input");
        },
        [] { weft::sleep_for(3s); });
    EXPECT_EQ(lp.now() - t0, 3s);
    ASSERT_TRUE(ok.has_value());
    EXPECT_EQ(*ok, 5);
    EXPECT_EQ(ok.error(), nullptr);
    EXPECT_FALSE(bad.has_value());
    EXPECT_THROW(bad.value(), std::invalid_argument);
    EXPECT_TRUE(nothing.has_value());
    static_assert(std::is_same_v<decltype(nothing), weft::outcome<void>>);
  });
}

TEST(gather, a_cancelled_child_counts_as_failed_with_cancelled) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([&] {
    auto victim = weft::spawn(after(10s, 1));
    auto other = weft::spawn(after(2s, 2));
    lp.call_later(1s, [victim]() mutable { victim.cancel(); });
    EXPECT_THROW(weft::gather(victim, other), weft::cancelled);
    auto [v, o] = weft::gather(weft::return_exceptions, victim, other);
    EXPECT_THROW(v.value(), weft::cancelled);
    EXPECT_EQ(*o, 2);
  });
}

TEST(gather, cancelling_the_gathering_task_cancels_the_children_and_waits_for_them) {
  loop lp({.virtual_time = true});
  std::vector<std::string> log;
  lp.run_until_complete([&] {
    auto child = [&](std::string name) {
      return [&log, name] {
        try {
          weft::sleep_for(1h);
        } catch (const weft::cancelled&) {
          weft::cancellation_shield shield;
          weft::sleep_for(1s);  // cleanup takes a while
          log.push_back(name + " cleaned up");
          throw;
        }
      };
    };
    auto a = weft::spawn(child("a"));
    auto b = weft::spawn(child("b"));
    auto gatherer = weft::spawn([&] {
      try {
        weft::gather(a, b);
      } catch (const weft::cancelled&) {
        log.push_back("gather cancelled");
        throw;
      }
    });
    weft::sleep_for(5s);
    gatherer.cancel();
    EXPECT_THROW(gatherer.join(), weft::cancelled);
    EXPECT_TRUE(a.cancelled());
    EXPECT_TRUE(b.cancelled());
  });
  EXPECT_EQ(log, (std::vector<std::string>{"a cleaned up", "b cleaned up", "gather cancelled"}));
}

TEST(gather, a_timeout_around_gather_cancels_the_children) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([&] {
    auto a = weft::spawn(after(10s, 1));
    auto b = weft::spawn(after(1s, 2));
    auto t0 = lp.now();
    EXPECT_THROW(weft::with_timeout(3s, [&] { return weft::gather(a, b); }), weft::timeout_error);
    EXPECT_EQ(lp.now() - t0, 3s);
    EXPECT_TRUE(a.cancelled());
    EXPECT_EQ(b.result(), 2);
  });
}

TEST(gather, the_vector_forms_return_vectors_in_order) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([&] {
    std::vector<weft::task<int>> tasks;
    for (int i = 0; i < 4; ++i) tasks.push_back(weft::spawn(after(std::chrono::seconds(4 - i), i * 10)));
    EXPECT_EQ(weft::gather(tasks), (std::vector<int>{0, 10, 20, 30}));
    tasks.push_back(weft::spawn([]() -> int { throw std::runtime_error("x"); }));
    auto outcomes = weft::gather(weft::return_exceptions, tasks);
    ASSERT_EQ(outcomes.size(), 5u);
    EXPECT_EQ(*outcomes[3], 30);
    EXPECT_THROW(outcomes[4].value(), std::runtime_error);
    EXPECT_TRUE(weft::gather(std::vector<weft::task<int>>{}).empty());
  });
}

TEST(gather, exceptions_it_returns_or_raises_are_not_reported_as_unretrieved) {
  loop lp({.virtual_time = true});
  std::vector<std::string> reports;
  lp.set_exception_handler([&](const weft::exception_report& r) { reports.push_back(r.message); });
  lp.run_until_complete([&] {
    EXPECT_THROW(weft::gather([]() -> int { throw std::runtime_error("raised"); }), std::runtime_error);
    auto [o] = weft::gather(weft::return_exceptions, []() -> int { throw std::runtime_error("returned"); });
    EXPECT_FALSE(o.has_value());
  });
  lp.close();
  EXPECT_TRUE(reports.empty());
}

TEST(gather, a_later_failure_of_another_child_is_still_reported) {
  loop lp({.virtual_time = true});
  std::vector<std::string> reports;
  lp.set_exception_handler([&](const weft::exception_report& r) { reports.push_back(r.message); });
  lp.run_until_complete([&] {
    EXPECT_THROW(weft::gather(
                     [] {
                       weft::sleep_for(1s);
                       throw std::runtime_error("first");
                     },
                     [] {
                       weft::sleep_for(2s);
                       throw std::runtime_error("second");
                     }),
                 std::runtime_error);
    weft::sleep_for(5s);
  });
  lp.close();
  EXPECT_EQ(reports, (std::vector<std::string>{"Task exception was never retrieved"}));
}

// --- the future asyncio.gather returns (issue 17 item 16): each test names
// the Python construct it mirrors.

// outer = asyncio.gather(a, b); two tasks `await outer`, a done callback
// watches it: each waiter gets the results in argument order, after the
// slowest child; done() turns true.
TEST(asyncio_gather_future, several_tasks_await_one_gather) {
  loop lp({.virtual_time = true});
  trace_t trace;
  lp.run_until_complete([&] {
    auto t0 = lp.now();
    auto outer = weft::gather_future(after(2s, 1), after(1s, 2));
    static_assert(std::is_same_v<decltype(outer), weft::future<std::tuple<int, int>>>);
    outer.add_done_callback([&](auto& g) { trace.push_back("callback done=" + std::to_string(g.done())); });
    auto waiter = [&](std::string name) {
      return weft::spawn([&, name] {
        auto [x, y] = outer.join();
        trace.push_back(name + " " + std::to_string(x) + "," + std::to_string(y));
      });
    };
    auto w1 = waiter("w1");
    auto w2 = waiter("w2");
    weft::yield_now();
    EXPECT_FALSE(outer.done());
    w1.join();
    w2.join();
    EXPECT_EQ(lp.now() - t0, 2s);
    EXPECT_TRUE(outer.done());
    EXPECT_FALSE(outer.cancelled());
    EXPECT_EQ(outer.result(), std::make_tuple(1, 2));
  });
  EXPECT_EQ(trace, (trace_t{"callback done=1", "w1 1,2", "w2 1,2"}));
}

// outer.cancel() cancels every child not done and returns True; the
// awaiting task gets CancelledError; as in Python 3.11, outer.cancelled()
// stays False and outer.exception() is the CancelledError. A second
// cancel() of the done outer returns False.
TEST(asyncio_gather_future, cancel_cancels_the_children) {
  loop lp({.virtual_time = true});
  trace_t trace;
  lp.run_until_complete([&] {
    auto quick = weft::spawn([] { return 1; });
    auto slow = weft::spawn([&] {
      try {
        weft::sleep_for(1h);
      } catch (const weft::cancelled&) {
        trace.push_back("slow cancelled");
        throw;
      }
      return 2;
    });
    weft::yield_now();  // quick is done, slow sleeps
    auto outer = weft::gather_future(quick, slow);
    auto waiter = weft::spawn([&] {
      try {
        outer.join();
      } catch (const weft::cancelled&) {
        trace.push_back("waiter cancelled");
      }
    });
    weft::yield_now();
    trace.push_back("cancel " + std::to_string(outer.cancel()));
    waiter.join();
    EXPECT_TRUE(slow.cancelled());
    EXPECT_FALSE(quick.cancelled());
    EXPECT_TRUE(outer.done());
    EXPECT_FALSE(outer.cancelled());
    EXPECT_THROW(outer.result(), weft::cancelled);
    EXPECT_THROW(std::rethrow_exception(outer.exception()), weft::cancelled);
    EXPECT_FALSE(outer.cancel());
  });
  EXPECT_EQ(trace, (trace_t{"cancel 1", "slow cancelled", "waiter cancelled"}));
}

// A task in `await asyncio.gather(...)` that is cancelled cancels the
// gather, hence its children.
TEST(asyncio_gather_future, cancelling_a_waiter_cancels_the_children) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([&] {
    auto a = weft::spawn(after(1h, 1));
    auto b = weft::spawn(after(1h, 2));
    auto outer = weft::gather_future(std::vector{a, b});
    auto waiter = weft::spawn([&] { return outer.join(); });
    weft::yield_now();
    waiter.cancel();
    EXPECT_THROW(waiter.join(), weft::cancelled);
    EXPECT_TRUE(a.cancelled());
    EXPECT_TRUE(b.cancelled());
    EXPECT_TRUE(outer.done());
  });
}

// asyncio.gather(a, b): the first child to fail completes the outer
// future with that exception object while the other runs on; with
// return_exceptions=True it waits for all and hands back the outcomes.
TEST(asyncio_gather_future, first_failure_or_every_outcome) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([&] {
    auto t0 = lp.now();
    auto fails = weft::spawn([]() -> int {
      weft::sleep_for(1s);
      throw std::runtime_error("boom");
    });
    auto slow = weft::spawn(after(3s, 7));
    auto outer = weft::gather_future(fails, slow);
    auto all = weft::gather_future(weft::return_exceptions, std::vector{fails, slow});
    EXPECT_THROW(outer.join(), std::runtime_error);
    EXPECT_EQ(lp.now() - t0, 1s);
    EXPECT_EQ(outer.exception(), fails.exception());
    EXPECT_FALSE(slow.done());
    auto outcomes = all.join();
    EXPECT_EQ(lp.now() - t0, 3s);
    ASSERT_EQ(outcomes.size(), 2u);
    EXPECT_FALSE(outcomes[0].has_value());
    EXPECT_EQ(*outcomes[1], 7);
    EXPECT_EQ(weft::gather_future().join(), std::tuple<>());  // gather() of nothing
  });
}

}  // namespace
