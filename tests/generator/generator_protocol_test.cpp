// next, send, exhaustion and return values, state: Python's generator
// protocol point by point, in both the throwing and the try_ forms.
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <source_location>
#include <string>
#include <utility>
#include <vector>

#include "weft/generator.hpp"

namespace {

using weft::generator;
using weft::generator_state;
using weft::yielder;

generator<int> count_to(int n, std::vector<std::string>* log = nullptr) {
  return generator<int>([n, log](yielder<int>& y) {
    if (log) log->push_back("start");
    for (int i = 1; i <= n; ++i) y.yield(i);
    if (log) log->push_back("end");
  });
}

// A factory that passes its caller's location on, so that reports about the
// generator name the user's line (as Python's traceback and the
// unraisablehook's .object name the user's generator, not a library helper).
generator<int> countdown(int from, std::source_location where = std::source_location::current()) {
  return generator<int>(
      [from](yielder<int>& y) {
        for (int i = from; i > 0; --i) y.yield(i);
      },
      {.name = "countdown"}, where);
}

TEST(generator_protocol, a_factory_can_pass_its_callers_location_as_the_creation_site) {
  const int line = __LINE__ + 1;
  generator<int> g = countdown(2);
  EXPECT_EQ(g.created_at().line(), static_cast<std::uint_least32_t>(line));
  EXPECT_STREQ(g.created_at().file_name(), __FILE__);
  EXPECT_STREQ(g.created_at().function_name(), std::source_location::current().function_name());
  generator<int> direct([](yielder<int>& y) { y.yield(1); });
  EXPECT_EQ(direct.created_at().line(), static_cast<std::uint_least32_t>(__LINE__ - 1));
}

TEST(generator_protocol, creating_a_generator_runs_nothing) {
  std::vector<std::string> log;
  generator<int> g = count_to(3, &log);
  EXPECT_TRUE(log.empty());
  EXPECT_EQ(g.state(), generator_state::created);
}

TEST(generator_protocol, next_runs_to_each_yield_and_hands_out_the_value) {
  std::vector<std::string> log;
  generator<int> g = count_to(3, &log);
  EXPECT_EQ(g.next(), 1);
  EXPECT_EQ(log, (std::vector<std::string>{"start"}));
  EXPECT_EQ(g.state(), generator_state::suspended);
  EXPECT_EQ(g.next(), 2);
  EXPECT_EQ(g.next(), 3);
  EXPECT_EQ(log, (std::vector<std::string>{"start"}));
}

TEST(generator_protocol, exhaustion_throws_stop_iteration_and_keeps_throwing_it) {
  std::vector<std::string> log;
  generator<int> g = count_to(1, &log);
  EXPECT_EQ(g.next(), 1);
  EXPECT_THROW(g.next(), weft::stop_iteration);
  EXPECT_EQ(log, (std::vector<std::string>{"start", "end"}));
  EXPECT_EQ(g.state(), generator_state::closed);
  EXPECT_THROW(g.next(), weft::stop_iteration);
  EXPECT_THROW(g.next(), weft::stop_iteration);
}

TEST(generator_protocol, try_next_reports_exhaustion_as_empty_every_time) {
  generator<int> g = count_to(2);
  EXPECT_EQ(g.try_next(), std::optional<int>(1));
  EXPECT_EQ(g.try_next(), std::optional<int>(2));
  EXPECT_EQ(g.try_next(), std::nullopt);
  EXPECT_EQ(g.try_next(), std::nullopt);
  EXPECT_EQ(g.state(), generator_state::closed);
}

TEST(generator_protocol, yield_evaluates_to_the_sent_value_and_to_empty_after_next) {
  std::vector<std::optional<std::string>> received;
  generator<int, std::string> g([&](yielder<int, std::string>& y) {
    for (int i = 0;; ++i) received.push_back(y.yield(i));
  });
  EXPECT_EQ(g.next(), 0);
  EXPECT_EQ(g.send("a"), 1);
  EXPECT_EQ(g.next(), 2);
  EXPECT_EQ(g.send(std::string("b")), 3);
  EXPECT_EQ(g.send(std::nullopt), 4);  // Python's send(None)
  EXPECT_EQ(received, (std::vector<std::optional<std::string>>{"a", std::nullopt, "b", std::nullopt}));
}

TEST(generator_protocol, sending_to_a_just_created_generator_throws_and_leaves_it_untouched) {
  bool started = false;
  generator<int, int> g([&](yielder<int, int>& y) {
    started = true;
    int got = y.yield(0).value_or(-1);
    y.yield(got);
  });
  EXPECT_THROW(g.send(5), weft::generator_not_started);
  EXPECT_THROW(g.try_send(5), weft::generator_not_started);
  EXPECT_FALSE(started);
  EXPECT_EQ(g.state(), generator_state::created);
  // Still usable: prime it, then send.
  EXPECT_EQ(g.send(std::nullopt), 0);
  EXPECT_EQ(g.send(7), 7);
}

TEST(generator_protocol, not_started_error_names_the_generator) {
  generator<int, int> g([](yielder<int, int>& y) { y.yield(0); }, {.name = "averager"});
  try {
    g.send(1);
    FAIL() << "send to a created generator did not throw";
  } catch (const weft::generator_not_started& e) {
    EXPECT_NE(std::string(e.what()).find("'averager'"), std::string::npos) << e.what();
  }
}

// Python: g.send(x) takes what a yield evaluated to, None included, and
// g.send(None) is next(g). A relay passes on what it received:
//   def relay(target):
//       x = yield next(target)
//       while True: x = yield target.send(x)
//   r = relay(total()); next(r); r.send(5); r.send(None); r.send(2)
TEST(generator_protocol, send_takes_what_a_yield_received_and_an_empty_one_is_next) {
  std::vector<std::string> received;
  generator<int, int> total([&](yielder<int, int>& y) {
    int sum = 0;
    for (;;) {
      std::optional<int> v = y.yield(sum);
      received.push_back(v ? std::to_string(*v) : "none");
      if (v) sum += *v;
    }
  });
  generator<int, int> relay([&](yielder<int, int>& y) {
    std::optional<int> x = y.yield(total.next());
    for (;;) x = y.yield(total.send(x));
  });
  EXPECT_EQ(relay.next(), 0);
  EXPECT_EQ(relay.send(5), 5);
  EXPECT_EQ(relay.next(), 5);
  EXPECT_EQ(relay.send(2), 7);
  std::optional<int> none;
  EXPECT_EQ(total.try_send(none), std::optional<int>(7));
  EXPECT_EQ(total.try_send(std::optional<int>(3)), std::optional<int>(10));
  EXPECT_EQ(received, (std::vector<std::string>{"5", "none", "2", "none", "3"}));
}

TEST(generator_protocol, first_stop_iteration_carries_the_return_value_later_ones_do_not) {
  generator<int, void, std::string> g([](yielder<int>& y) -> std::string {
    y.yield(1);
    return "done";
  });
  EXPECT_EQ(g.next(), 1);
  try {
    g.next();
    FAIL() << "no stop_iteration";
  } catch (const weft::stop_iteration_with<std::string>& e) {
    EXPECT_EQ(e.value, "done");
  }
  try {
    g.next();
    FAIL() << "no stop_iteration";
  } catch (const weft::stop_iteration_with<std::string>&) {
    FAIL() << "a second stop_iteration carried the value again";
  } catch (const weft::stop_iteration&) {
  }
  ASSERT_TRUE(g.return_value().has_value());
  EXPECT_EQ(*g.return_value(), "done");
}

// Python: `except StopIteration as e: e.value` works whatever returned it;
// the first StopIteration after `return "done"` has .value == "done", later
// ones have None.
TEST(generator_protocol, the_stop_value_is_reachable_from_the_base_stop_iteration) {
  generator<int, void, std::string> g([](yielder<int>& y) -> std::string {
    y.yield(1);
    return "done";
  });
  EXPECT_EQ(g.next(), 1);
  std::vector<std::string> seen;
  for (int i = 0; i < 2; ++i) {
    try {
      g.next();
      seen.push_back("value");
    } catch (const weft::stop_iteration& e) {
      const std::string* value = e.value_if<std::string>();
      seen.push_back(e.has_value() ? "has_value" : "no value");
      seen.push_back(value != nullptr ? *value : "null");
      seen.push_back(e.value_if<int>() == nullptr ? "not an int" : "an int");
    }
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"has_value", "done", "not an int", "no value", "null", "not an int"}));
}

// Python: next(g, default) swallows the StopIteration; its .value tells
// "returned a value just now" from "was already finished". The try_ forms
// tell them apart through returned_just_now(), and consume the value's
// report as next(g, default) does: a later next() raises a plain
// StopIteration.
TEST(generator_protocol, try_forms_tell_a_return_just_now_from_an_earlier_end) {
  generator<int, int, int> g([](yielder<int, int>& y) {
    y.yield(1);
    return 42;
  });
  std::vector<std::string> seen;
  auto note = [&](std::optional<int> r) {
    seen.push_back(r ? std::to_string(*r) : std::string(g.returned_just_now() ? "returned now" : "already finished"));
  };
  note(g.try_next());
  note(g.try_send(3));
  note(g.try_next());
  note(g.try_send(4));
  EXPECT_EQ(seen, (std::vector<std::string>{"1", "returned now", "already finished", "already finished"}));
  EXPECT_THROW(
      {
        try {
          g.next();
        } catch (const weft::stop_iteration& e) {
          EXPECT_FALSE(e.has_value());
          throw;
        }
      },
      weft::stop_iteration);
  EXPECT_EQ(*g.return_value(), 42);

  generator<int> plain([](yielder<int>& y) { y.yield(1); });
  EXPECT_EQ(plain.try_next(), std::optional<int>(1));
  EXPECT_EQ(plain.try_next(), std::nullopt);
  EXPECT_FALSE(plain.returned_just_now());  // ended without a value
}

TEST(generator_protocol, try_forms_leave_the_return_value_in_return_value) {
  generator<int, int, int> g([](yielder<int, int>& y) {
    int sum = 0;
    while (auto v = y.yield(sum)) sum += *v;
    return sum;
  });
  EXPECT_FALSE(g.return_value().has_value());
  EXPECT_EQ(g.try_next(), std::optional<int>(0));
  EXPECT_EQ(g.try_send(4), std::optional<int>(4));
  EXPECT_EQ(g.try_send(5), std::optional<int>(9));
  EXPECT_EQ(g.try_next(), std::nullopt);  // next() sends nothing: the loop ends
  ASSERT_TRUE(g.return_value().has_value());
  EXPECT_EQ(*g.return_value(), 9);
  EXPECT_EQ(g.try_send(1), std::nullopt);
  EXPECT_EQ(*g.return_value(), 9);
}

TEST(generator_protocol, send_after_exhaustion_reports_exhaustion) {
  generator<int, int> g([](yielder<int, int>& y) { y.yield(1); });
  EXPECT_EQ(g.next(), 1);
  EXPECT_THROW(g.send(2), weft::stop_iteration);
  EXPECT_THROW(g.send(3), weft::stop_iteration);
  EXPECT_EQ(g.try_send(4), std::nullopt);
}

TEST(generator_protocol, a_body_that_returns_at_once_is_exhausted_on_the_first_next) {
  generator<int, void, int> g([](yielder<int>&) { return 42; });
  try {
    g.next();
    FAIL() << "no stop_iteration";
  } catch (const weft::stop_iteration_with<int>& e) {
    EXPECT_EQ(e.value, 42);
  }
  EXPECT_EQ(g.state(), generator_state::closed);
}

TEST(generator_protocol, state_follows_created_running_suspended_closed) {
  std::vector<generator_state> seen;
  generator<int>* self = nullptr;
  generator<int> g([&](yielder<int>& y) {
    seen.push_back(self->state());
    y.yield(1);
    seen.push_back(self->state());
  });
  self = &g;
  seen.push_back(g.state());
  g.next();
  seen.push_back(g.state());
  EXPECT_EQ(g.try_next(), std::nullopt);
  seen.push_back(g.state());
  EXPECT_EQ(seen, (std::vector<generator_state>{generator_state::created, generator_state::running,
                                                generator_state::suspended, generator_state::running,
                                                generator_state::closed}));
  EXPECT_EQ(weft::to_string(generator_state::created), "created");
  EXPECT_EQ(weft::to_string(generator_state::running), "running");
  EXPECT_EQ(weft::to_string(generator_state::suspended), "suspended");
  EXPECT_EQ(weft::to_string(generator_state::closed), "closed");
}

TEST(generator_protocol, void_yield_generators_take_values_and_return_a_result) {
  // Python: `ch = yield` in a loop, return what was collected.
  generator<void, char, std::string> collect([](yielder<void, char>& y) {
    std::string text;
    while (auto c = y.yield()) text += *c;
    return text;
  });
  collect.next();
  EXPECT_TRUE(collect.try_send('h'));
  EXPECT_TRUE(collect.try_send('i'));
  EXPECT_FALSE(collect.try_next());
  EXPECT_EQ(*collect.return_value(), "hi");
}

TEST(generator_protocol, yielded_strings_are_handed_out_whole_and_lvalues_stay_intact) {
  std::string kept = "kept";
  generator<std::string> g([&](yielder<std::string>& y) {
    y.yield(kept);                   // an lvalue: copied, the original stays
    y.yield(std::string(100, 'x'));  // a temporary: moved out
    y.yield("literal");
  });
  EXPECT_EQ(g.next(), "kept");
  EXPECT_EQ(kept, "kept");
  EXPECT_EQ(g.next(), std::string(100, 'x'));
  EXPECT_EQ(g.next(), "literal");
}

TEST(generator_protocol, move_only_values_are_yielded_sent_and_returned) {
  generator<std::unique_ptr<int>, std::unique_ptr<int>, std::unique_ptr<int>> g(
      [](yielder<std::unique_ptr<int>, std::unique_ptr<int>>& y) {
        auto got = y.yield(std::make_unique<int>(1));
        return std::move(*got);
      });
  std::unique_ptr<int> first = g.next();
  ASSERT_TRUE(first);
  EXPECT_EQ(*first, 1);
  try {
    g.send(std::make_unique<int>(2));
    FAIL() << "no stop_iteration";
  } catch (weft::stop_iteration_with<std::unique_ptr<int>>& e) {
    ASSERT_TRUE(e.value);
    EXPECT_EQ(*e.value, 2);
  }
}

TEST(generator_protocol, a_moved_generator_keeps_running_and_gets_the_return_value) {
  generator<int, void, int> g([](yielder<int>& y) {
    y.yield(1);
    y.yield(2);
    return 3;
  });
  EXPECT_EQ(g.next(), 1);
  generator<int, void, int> moved(std::move(g));
  EXPECT_EQ(g.state(), generator_state::closed);
  EXPECT_FALSE(g.valid());
  EXPECT_EQ(moved.next(), 2);
  generator<int, void, int> assigned;
  assigned = std::move(moved);
  EXPECT_EQ(assigned.try_next(), std::nullopt);
  ASSERT_TRUE(assigned.return_value().has_value());
  EXPECT_EQ(*assigned.return_value(), 3);
}

TEST(generator_protocol, exceptions_from_the_body_reach_the_caller_once_with_their_type) {
  struct custom_error {
    int code;
  };
  generator<int> g([](yielder<int>& y) {
    y.yield(1);
    throw custom_error{7};
  });
  EXPECT_EQ(g.next(), 1);
  try {
    g.next();
    FAIL() << "the body's exception did not come out";
  } catch (const custom_error& e) {
    EXPECT_EQ(e.code, 7);
  }
  EXPECT_EQ(g.state(), generator_state::closed);
  EXPECT_THROW(g.next(), weft::stop_iteration);
}

TEST(generator_protocol, exceptions_from_the_body_come_out_of_the_try_forms_too) {
  generator<int, int> g([](yielder<int, int>& y) {
    y.yield(1);
    throw std::out_of_range("body");
  });
  EXPECT_EQ(g.try_next(), std::optional<int>(1));
  EXPECT_THROW(g.try_send(2), std::out_of_range);
  EXPECT_EQ(g.try_next(), std::nullopt);
}

TEST(generator_protocol, stop_iteration_escaping_the_body_becomes_a_runtime_error_pep_479) {
  generator<int> inner([](yielder<int>&) {});
  generator<int> outer([&](yielder<int>& y) {
    y.yield(inner.next());  // inner is empty: stop_iteration escapes
  });
  try {
    outer.next();
    FAIL() << "nothing came out";
  } catch (const weft::generator_raised_stop_iteration& e) {
    EXPECT_THROW(std::rethrow_if_nested(e), weft::stop_iteration);
  } catch (const weft::stop_iteration&) {
    FAIL() << "stop_iteration leaked out as the outer generator's end";
  }
  EXPECT_EQ(outer.state(), generator_state::closed);
}

TEST(generator_protocol, a_yield_inside_a_catch_block_keeps_each_sides_current_exception) {
  generator<std::string> g([](yielder<std::string>& y) {
    try {
      throw std::runtime_error("inside");
    } catch (const std::exception& e) {
      y.yield(e.what());
      // Resumed from a caller that is itself in a catch block: ours is intact.
      try {
        throw;
      } catch (const std::runtime_error& again) {
        y.yield(again.what());
      }
    }
  });
  EXPECT_EQ(g.next(), "inside");
  EXPECT_EQ(std::current_exception(), nullptr);
  try {
    throw std::logic_error("outside");
  } catch (const std::logic_error&) {
    EXPECT_EQ(g.next(), "inside");
    try {
      throw;
    } catch (const std::logic_error& mine) {
      EXPECT_STREQ(mine.what(), "outside");
    }
  }
}

TEST(generator_protocol, generator_name_is_the_fiber_name) {
  generator<int> g(
      [](yielder<int>& y) {
        EXPECT_EQ(y.name(), "walker");
        y.yield(1);
      },
      {.name = "walker"});
  EXPECT_EQ(g.name(), "walker");
  EXPECT_EQ(g.next(), 1);
}

TEST(generator_protocol, a_generator_with_a_small_stack_runs) {
  generator<int> g([](yielder<int>& y) { y.yield(5); },
                   {.name = "small", .stack_size = 64 * 1024, .stack = weft::stack_mode::guarded});
  EXPECT_EQ(g.next(), 5);
  EXPECT_GT(g.stack_high_water(), 0u);
}

TEST(generator_protocol, a_generator_on_a_dense_stack_runs) {
  generator<int> g(
      [](yielder<int>& y) {
        for (int i = 0; i < 3; ++i) y.yield(i);
      },
      {.name = "dense", .stack_size = 64 * 1024, .stack = weft::stack_mode::dense});
  std::vector<int> seen(g.begin(), g.end());
  EXPECT_EQ(seen, (std::vector<int>{0, 1, 2}));
}

}  // namespace
