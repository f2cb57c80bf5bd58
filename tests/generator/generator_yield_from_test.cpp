// yield_from: PEP 380 delegation. Every next, send, throw_in and close
// reaches the delegate; its return value is the expression's value.
#include <gtest/gtest.h>

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "weft/generator.hpp"

namespace {

using weft::generator;
using weft::generator_state;
using weft::yielder;

using echo_gen = generator<std::string, std::string, int>;

// Yields "<tag>:<what it last received>" and counts what it got; returns
// the count when sent "stop".
echo_gen echo(std::string tag, std::vector<std::string>* log) {
  return echo_gen([tag, log](yielder<std::string, std::string>& y) {
    int received = 0;
    std::string last = "-";
    for (;;) {
      std::optional<std::string> in;
      try {
        in = y.yield(tag + ":" + last);
      } catch (const std::runtime_error& e) {
        log->push_back(tag + " caught " + e.what());
        last = "caught";
        continue;
      } catch (const weft::generator_exit&) {
        log->push_back(tag + " closing");
        throw;
      }
      if (!in) {
        last = "none";
        continue;
      }
      if (*in == "stop") return received;
      ++received;
      last = *in;
    }
  });
}

TEST(generator_yield_from, the_delegates_values_come_out_and_its_return_value_is_the_result) {
  generator<int, void, int> sub([](yielder<int>& y) {
    y.yield(1);
    y.yield(2);
    return 30;
  });
  std::vector<int> results;
  generator<int> outer([&](yielder<int>& y) {
    y.yield(0);
    results.push_back(y.yield_from(sub));
    y.yield(3);
  });
  std::vector<int> seen;
  for (int v : outer) seen.push_back(v);
  EXPECT_EQ(seen, (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(results, (std::vector<int>{30}));
  EXPECT_EQ(sub.state(), generator_state::closed);
}

TEST(generator_yield_from, sends_are_forwarded_to_the_delegate) {
  std::vector<std::string> log;
  std::vector<int> results;
  generator<std::string, std::string> outer([&](yielder<std::string, std::string>& y) {
    results.push_back(y.yield_from(echo("a", &log)));
    results.push_back(y.yield_from(echo("b", &log)));
  });
  EXPECT_EQ(outer.next(), "a:-");
  EXPECT_EQ(outer.send("x"), "a:x");
  EXPECT_EQ(outer.next(), "a:none");
  EXPECT_EQ(outer.send("y"), "a:y");
  EXPECT_EQ(outer.send("stop"), "b:-");  // a returns 2; b starts
  EXPECT_EQ(outer.send("z"), "b:z");
  EXPECT_EQ(outer.try_send("stop"), std::nullopt);
  EXPECT_EQ(results, (std::vector<int>{2, 1}));
}

TEST(generator_yield_from, throw_in_reaches_the_delegate_which_may_handle_it) {
  std::vector<std::string> log;
  generator<std::string, std::string> outer(
      [&](yielder<std::string, std::string>& y) { y.yield_from(echo("a", &log)); });
  EXPECT_EQ(outer.next(), "a:-");
  EXPECT_EQ(outer.throw_in(std::runtime_error("boom")), "a:caught");
  EXPECT_EQ(log, (std::vector<std::string>{"a caught boom"}));
  EXPECT_EQ(outer.state(), generator_state::suspended);
}

TEST(generator_yield_from, an_exception_the_delegate_does_not_handle_propagates_into_the_outer_body) {
  std::vector<std::string> log;
  generator<std::string, std::string> outer([&](yielder<std::string, std::string>& y) {
    try {
      y.yield_from(echo("a", &log));
    } catch (const std::logic_error& e) {
      y.yield(std::string("outer caught ") + e.what());
    }
  });
  outer.next();
  EXPECT_EQ(outer.throw_in(std::logic_error("unhandled")), "outer caught unhandled");
  EXPECT_EQ(log, (std::vector<std::string>{}));
}

TEST(generator_yield_from, an_exception_from_the_delegates_body_propagates_with_its_type) {
  generator<int> sub([](yielder<int>& y) {
    y.yield(1);
    throw std::overflow_error("sub failed");
  });
  generator<int> outer([&](yielder<int>& y) { y.yield_from(sub); });
  EXPECT_EQ(outer.next(), 1);
  EXPECT_THROW(outer.next(), std::overflow_error);
  EXPECT_EQ(outer.state(), generator_state::closed);
  EXPECT_EQ(sub.state(), generator_state::closed);
}

TEST(generator_yield_from, close_closes_the_delegate_then_the_outer_generator) {
  std::vector<std::string> log;
  generator<std::string, std::string> outer([&](yielder<std::string, std::string>& y) {
    try {
      y.yield_from(echo("a", &log));
    } catch (const weft::generator_exit&) {
      log.push_back("outer closing");
      throw;
    }
  });
  outer.next();
  outer.close();
  EXPECT_EQ(log, (std::vector<std::string>{"a closing", "outer closing"}));
  EXPECT_EQ(outer.state(), generator_state::closed);
}

TEST(generator_yield_from, a_delegate_ignoring_generator_exit_makes_the_outer_close_throw) {
  generator<int> sub(
      [](yielder<int>& y) {
        for (;;) {
          try {
            y.yield(1);
          } catch (const weft::generator_exit&) {
          }
        }
      },
      {.name = "sub"});
  generator<int> outer([&](yielder<int>& y) { y.yield_from(sub); }, {.name = "outer"});
  outer.next();
  try {
    outer.close();
    FAIL() << "close did not throw";
  } catch (const weft::generator_ignored_exit& e) {
    // The delegate's refusal, raised inside outer, escapes outer's body.
    EXPECT_NE(std::string(e.what()).find("'sub'"), std::string::npos) << e.what();
  }
  EXPECT_EQ(outer.state(), generator_state::closed);
  EXPECT_EQ(sub.state(), generator_state::suspended);
  testing::internal::CaptureStderr();
  sub = generator<int>{};
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("'sub' ignored generator_exit while being destroyed"), std::string::npos) << err;
}

// PEP 380, Python 3.11: a GeneratorExit thrown into a delegating generator
// is not thrown into the delegate; the delegate is closed (so a value it
// returns is dropped) and the GeneratorExit is raised in the delegator.
//   def sub():
//       try: yield 1; yield 2
//       except GeneratorExit: log.append("sub closing"); return 5
//   def outer():
//       try: r = yield from sub(); log.append(f"outer resumed with {r}"); yield 3
//       except GeneratorExit: log.append("outer got GeneratorExit"); raise
//   g = outer(); next(g)
//   g.throw(GeneratorExit("bye"))  -> raises that GeneratorExit; log: sub
//                                     closing, outer got GeneratorExit
TEST(generator_yield_from, throwing_generator_exit_in_closes_the_delegate_then_raises_it_in_the_outer_body) {
  std::vector<std::string> log;
  generator<int> outer([&](yielder<int>& y) {
    try {
      int r = y.yield_from(generator<int, void, int>([&](yielder<int>& s) {
        try {
          s.yield(1);
          s.yield(2);
        } catch (const weft::generator_exit&) {
          log.push_back("sub closing");
          return 5;
        }
        return 0;
      }));
      log.push_back("outer resumed with " + std::to_string(r));
      y.yield(3);
    } catch (const weft::generator_exit&) {
      log.push_back("outer got generator_exit");
      throw;
    }
  });
  EXPECT_EQ(outer.next(), 1);
  try {
    outer.throw_in(weft::generator_exit("bye"));
    FAIL() << "throw_in did not throw";
  } catch (const weft::generator_exit& e) {
    EXPECT_EQ(e.message(), "bye");  // the one thrown in, not the delegate's close
  }
  EXPECT_EQ(log, (std::vector<std::string>{"sub closing", "outer got generator_exit"}));
  EXPECT_EQ(outer.state(), generator_state::closed);
}

// PEP 380, Python 3.11: the delegate yields again when closed, so closing it
// raises RuntimeError("generator ignored GeneratorExit") in outer at the
// delegation point, and that (not GeneratorExit) comes out of g.throw().
//   def sub():
//       while True:
//           try: yield 1
//           except GeneratorExit: log.append("sub ignores")
//   def outer():
//       try: yield from s
//       except RuntimeError: log.append("outer got RuntimeError"); raise
TEST(generator_yield_from, throwing_generator_exit_in_raises_what_closing_the_delegate_raised) {
  std::vector<std::string> log;
  generator<int> sub(
      [&](yielder<int>& y) {
        for (;;) {
          try {
            y.yield(1);
          } catch (const weft::generator_exit&) {
            log.push_back("sub ignores");
          }
        }
      },
      {.name = "sub"});
  generator<int> outer([&](yielder<int>& y) {
    try {
      y.yield_from(sub);
    } catch (const weft::generator_ignored_exit&) {
      log.push_back("outer got generator_ignored_exit");
      throw;
    }
  });
  EXPECT_EQ(outer.next(), 1);
  EXPECT_THROW(outer.throw_in(weft::generator_exit{}), weft::generator_ignored_exit);
  EXPECT_EQ(log, (std::vector<std::string>{"sub ignores", "outer got generator_ignored_exit"}));
  EXPECT_EQ(outer.state(), generator_state::closed);
  EXPECT_EQ(sub.state(), generator_state::suspended);
  testing::internal::CaptureStderr();
  sub = generator<int>{};
  testing::internal::GetCapturedStderr();
}

TEST(generator_yield_from, delegation_nests_and_values_come_from_the_innermost) {
  auto leaf = [](int base) {
    return generator<int, void, int>([base](yielder<int>& y) {
      y.yield(base);
      y.yield(base + 1);
      return base * 10;
    });
  };
  generator<int, void, int> middle([&](yielder<int>& y) {
    int a = y.yield_from(leaf(1));
    int b = y.yield_from(leaf(5));
    return a + b;
  });
  int total = 0;
  generator<int> top([&](yielder<int>& y) { total = y.yield_from(middle); });
  std::vector<int> seen(top.begin(), top.end());
  EXPECT_EQ(seen, (std::vector<int>{1, 2, 5, 6}));
  EXPECT_EQ(total, 60);
}

TEST(generator_yield_from, a_delegate_that_was_already_started_continues_where_it_was) {
  generator<int, void, int> sub([](yielder<int>& y) {
    y.yield(1);
    y.yield(2);
    y.yield(3);
    return 4;
  });
  EXPECT_EQ(sub.next(), 1);
  generator<int> outer([&](yielder<int>& y) { y.yield(y.yield_from(sub)); });
  std::vector<int> seen(outer.begin(), outer.end());
  EXPECT_EQ(seen, (std::vector<int>{2, 3, 4}));
}

TEST(generator_yield_from, an_exhausted_delegate_returns_its_value_at_once) {
  generator<int, void, int> sub([](yielder<int>&) { return 8; });
  EXPECT_EQ(sub.try_next(), std::nullopt);
  generator<int> outer([&](yielder<int>& y) { y.yield(y.yield_from(sub)); });
  EXPECT_EQ(outer.next(), 8);
}

TEST(generator_yield_from, a_delegate_closed_without_a_value_is_an_error_when_a_value_is_expected) {
  generator<int, void, int> sub([](yielder<int>& y) {
    y.yield(1);
    return 2;
  });
  sub.next();
  sub.close();
  generator<int> outer([&](yielder<int>& y) { y.yield(y.yield_from(sub)); });
  EXPECT_THROW(outer.next(), std::logic_error);
}

TEST(generator_yield_from, delegating_to_itself_is_refused_as_already_executing) {
  generator<int>* self = nullptr;
  generator<int> g([&](yielder<int>& y) {
    EXPECT_THROW(y.yield_from(*self), weft::generator_already_executing);
    y.yield(1);
  });
  self = &g;
  EXPECT_EQ(g.next(), 1);
}

TEST(generator_yield_from, void_yielding_delegates_forward_sent_values) {
  auto take_word = [] {
    return generator<void, char, std::string>([](yielder<void, char>& y) {
      std::string word;
      for (;;) {
        char c = y.yield().value_or(' ');
        if (c == ' ') return word;
        word += c;
      }
    });
  };
  std::vector<std::string> words;
  generator<void, char> splitter([&](yielder<void, char>& y) {
    for (;;) words.push_back(y.yield_from(take_word()));
  });
  splitter.next();
  for (char c : std::string("ab cde f ")) splitter.send(c);
  EXPECT_EQ(words, (std::vector<std::string>{"ab", "cde", "f"}));
}

}  // namespace
