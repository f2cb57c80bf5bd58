// weft::gather: results in argument order, first exception, return_exceptions,
// cancellation in both directions.
#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <tuple>
#include <variant>
#include <vector>

#include "weft/gather.hpp"
#include "weft/loop.hpp"
#include "weft/timeout.hpp"

namespace {

using namespace std::chrono_literals;
using weft::loop;

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

}  // namespace
