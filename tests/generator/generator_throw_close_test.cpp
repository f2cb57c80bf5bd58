// throw_in, close, destruction and re-entry: how a generator is stopped
// from outside, and what it may refuse.
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "weft/generator.hpp"

namespace {

using weft::generator;
using weft::generator_state;
using weft::yielder;

struct recorder {
  std::vector<std::string>* log;
  std::string name;
  ~recorder() { log->push_back("~" + name); }
};

// --- throw_in ---------------------------------------------------------------

TEST(generator_throw, a_caught_exception_lets_the_body_yield_again_and_throw_in_returns_that_value) {
  generator<std::string> g([](yielder<std::string>& y) {
    for (;;) {
      try {
        y.yield("running");
      } catch (const std::invalid_argument& e) {
        y.yield(std::string("caught ") + e.what());
      }
    }
  });
  EXPECT_EQ(g.next(), "running");
  EXPECT_EQ(g.throw_in(std::invalid_argument("bad")), "caught bad");
  EXPECT_EQ(g.next(), "running");
  EXPECT_EQ(g.state(), generator_state::suspended);
}

TEST(generator_throw, an_uncaught_exception_comes_out_with_its_type_and_closes_the_generator) {
  std::vector<std::string> log;
  generator<int> g([&](yielder<int>& y) {
    recorder r{&log, "frame"};
    y.yield(1);
    log.push_back("not reached");
  });
  EXPECT_EQ(g.next(), 1);
  EXPECT_THROW(g.throw_in(std::out_of_range("oops")), std::out_of_range);
  EXPECT_EQ(log, (std::vector<std::string>{"~frame"}));
  EXPECT_EQ(g.state(), generator_state::closed);
  EXPECT_THROW(g.next(), weft::stop_iteration);
}

TEST(generator_throw, an_exception_ptr_is_rethrown_as_the_original_object) {
  struct payload {
    int value;
  };
  generator<int> g([](yielder<int>& y) { y.yield(0); });
  g.next();
  try {
    g.throw_in(std::make_exception_ptr(payload{41}));
    FAIL() << "nothing came out";
  } catch (const payload& p) {
    EXPECT_EQ(p.value, 41);
  }
}

TEST(generator_throw, throwing_into_a_created_generator_closes_it_without_running_the_body) {
  bool ran = false;
  generator<int> g([&](yielder<int>& y) {
    ran = true;
    y.yield(1);
  });
  EXPECT_THROW(g.throw_in(std::runtime_error("early")), std::runtime_error);
  EXPECT_FALSE(ran);
  EXPECT_EQ(g.state(), generator_state::closed);
  EXPECT_THROW(g.next(), weft::stop_iteration);
}

TEST(generator_throw, throwing_into_a_closed_generator_raises_in_the_caller) {
  generator<int> g([](yielder<int>&) {});
  EXPECT_EQ(g.try_next(), std::nullopt);
  EXPECT_THROW(g.throw_in(std::length_error("late")), std::length_error);
  EXPECT_THROW(g.try_throw_in(std::length_error("late")), std::length_error);
}

TEST(generator_throw, a_body_that_catches_and_returns_ends_with_stop_iteration_carrying_its_value) {
  generator<int, void, std::string> g([](yielder<int>& y) -> std::string {
    try {
      y.yield(1);
    } catch (const std::runtime_error& e) {
      return std::string("handled ") + e.what();
    }
    return "unreached";
  });
  g.next();
  try {
    g.throw_in(std::runtime_error("x"));
    FAIL() << "no stop_iteration";
  } catch (const weft::stop_iteration_with<std::string>& e) {
    EXPECT_EQ(e.value, "handled x");
  }
}

TEST(generator_throw, try_throw_in_reports_a_return_as_empty) {
  generator<int, void, int> g([](yielder<int>& y) {
    try {
      y.yield(1);
    } catch (int code) {
      y.yield(code);
      return code * 2;
    }
    return 0;
  });
  g.next();
  EXPECT_EQ(g.try_throw_in(21), std::optional<int>(21));
  EXPECT_EQ(g.try_next(), std::nullopt);
  EXPECT_EQ(*g.return_value(), 42);
}

TEST(generator_throw, a_null_exception_ptr_is_refused) {
  generator<int> g([](yielder<int>& y) { y.yield(1); });
  g.next();
  EXPECT_THROW(g.throw_in(std::exception_ptr{}), std::invalid_argument);
  EXPECT_EQ(g.state(), generator_state::suspended);
}

// --- close --------------------------------------------------------------------

// Python 3.11:
//   def g():
//       try: yield 1
//       except GeneratorExit as e: seen.append(e.args); raise
//   a = g(); next(a); a.throw(GeneratorExit("shutting down"))
//       -> the body sees ('shutting down',); the caller gets that GeneratorExit
//   b = g(); next(b); b.close()
//       -> the body sees (): close() raises a GeneratorExit without a message
TEST(generator_close, a_generator_exit_thrown_in_carries_its_message_and_the_one_close_raises_has_none) {
  std::vector<std::string> seen;
  auto body = [&](yielder<int>& y) {
    try {
      y.yield(1);
    } catch (const weft::generator_exit& e) {
      seen.push_back(e.has_message() ? "message '" + std::string(e.message()) + "'" : "no message");
      seen.push_back(e.what());
      throw;
    }
  };
  generator<int> a(body);
  a.next();
  try {
    a.throw_in(weft::generator_exit("shutting down"));
    FAIL() << "throw_in did not throw";
  } catch (const weft::generator_exit& e) {
    EXPECT_EQ(e.message(), "shutting down");
  }
  generator<int> b(body);
  b.next();
  b.close();
  EXPECT_EQ(seen,
            (std::vector<std::string>{"message 'shutting down'", "shutting down", "no message", "generator_exit"}));
}

TEST(generator_close, close_raises_generator_exit_so_destructors_and_finally_blocks_run) {
  std::vector<std::string> log;
  generator<int> g([&](yielder<int>& y) {
    recorder r{&log, "outer"};
    try {
      y.yield(1);
      y.yield(2);
    } catch (...) {
      log.push_back("finally");
      throw;
    }
  });
  EXPECT_EQ(g.next(), 1);
  g.close();
  EXPECT_EQ(log, (std::vector<std::string>{"finally", "~outer"}));
  EXPECT_EQ(g.state(), generator_state::closed);
  EXPECT_THROW(g.next(), weft::stop_iteration);
}

TEST(generator_close, the_exception_raised_at_the_yield_is_generator_exit_not_a_std_exception) {
  std::string seen;
  generator<int> g([&](yielder<int>& y) {
    try {
      y.yield(1);
    } catch (const std::exception&) {
      seen = "std::exception";
      throw;
    } catch (const weft::generator_exit& e) {
      seen = e.what();
      throw;
    }
  });
  g.next();
  g.close();
  EXPECT_EQ(seen, "generator_exit");
}

TEST(generator_close, a_body_that_swallows_generator_exit_and_yields_makes_close_throw) {
  const int call_first_line = __LINE__ + 1;  // clang places a call at its first line
  generator<int> g(
      [](yielder<int>& y) {
        for (;;) {
          try {
            y.yield(1);
          } catch (const weft::generator_exit&) {
            // ignored: keeps yielding
          }
        }
      },
      {.name = "stubborn"});
  const int call_last_line = __LINE__ - 1;  // GCC places a call at its closing line
  g.next();
  try {
    g.close();
    FAIL() << "close did not throw";
  } catch (const weft::generator_ignored_exit& e) {
    EXPECT_NE(std::string(e.what()).find("'stubborn' ignored generator_exit"), std::string::npos) << e.what();
  }
  EXPECT_EQ(g.state(), generator_state::suspended);
  EXPECT_EQ(g.next(), 1);
  testing::internal::CaptureStderr();
  g = generator<int>{};  // destroys the stubborn one: forced unwind
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("'stubborn' ignored generator_exit while being destroyed"), std::string::npos) << err;
  // ... and says where it was made, like a task's spawn location.
  const std::string at = "(created at " __FILE__ ":";
  EXPECT_TRUE(err.find(at + std::to_string(call_first_line) + ")") != std::string::npos ||
              err.find(at + std::to_string(call_last_line) + ")") != std::string::npos)
      << err;
}

TEST(generator_close, a_body_that_catches_generator_exit_and_returns_closes_quietly) {
  generator<int, void, int> g([](yielder<int>& y) {
    try {
      y.yield(1);
    } catch (const weft::generator_exit&) {
      return 99;
    }
    return 0;
  });
  g.next();
  g.close();
  EXPECT_EQ(g.state(), generator_state::closed);
  ASSERT_TRUE(g.return_value().has_value());
  EXPECT_EQ(*g.return_value(), 99);
}

// Python 3.11:
//   def g():
//       try: yield 1
//       except GeneratorExit: return 99
//   it = g(); next(it); it.close()
//   next(it)       -> StopIteration, .value is None
//   it.send(None)  -> StopIteration, .value is None
TEST(generator_close, after_a_close_during_which_the_body_returned_next_reports_exhaustion_without_the_value) {
  generator<int, int, int> g([](yielder<int, int>& y) {
    try {
      y.yield(1);
    } catch (const weft::generator_exit&) {
      return 99;
    }
    return 0;
  });
  EXPECT_EQ(g.next(), 1);
  g.close();
  std::vector<std::string> seen;
  for (int i = 0; i < 2; ++i) {
    try {
      if (i == 0) g.next();
      else g.send(7);
      seen.push_back("value");
    } catch (const weft::stop_iteration_with<int>& e) {
      seen.push_back("stop_iteration_with " + std::to_string(e.value));
    } catch (const weft::stop_iteration&) {
      seen.push_back("stop_iteration");
    }
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"stop_iteration", "stop_iteration"}));
  EXPECT_EQ(g.try_next(), std::nullopt);
  ASSERT_TRUE(g.return_value().has_value());
  EXPECT_EQ(*g.return_value(), 99);
}

TEST(generator_close, another_exception_raised_during_close_comes_out_of_close) {
  generator<int> g([](yielder<int>& y) {
    try {
      y.yield(1);
    } catch (const weft::generator_exit&) {
      throw std::runtime_error("cleanup failed");
    }
  });
  g.next();
  EXPECT_THROW(g.close(), std::runtime_error);
  EXPECT_EQ(g.state(), generator_state::closed);
  g.close();  // closed: nothing more
}

TEST(generator_close, close_on_a_created_generator_closes_it_without_running_the_body) {
  bool ran = false;
  generator<int> g([&](yielder<int>& y) {
    ran = true;
    y.yield(1);
  });
  g.close();
  EXPECT_FALSE(ran);
  EXPECT_EQ(g.state(), generator_state::closed);
  EXPECT_THROW(g.next(), weft::stop_iteration);
}

TEST(generator_close, close_on_a_finished_or_empty_generator_does_nothing) {
  generator<int, void, int> g([](yielder<int>&) { return 5; });
  EXPECT_EQ(g.try_next(), std::nullopt);
  g.close();
  g.close();
  EXPECT_EQ(g.state(), generator_state::closed);
  EXPECT_EQ(*g.return_value(), 5);
  generator<int> empty;
  empty.close();
  EXPECT_EQ(empty.state(), generator_state::closed);
}

TEST(generator_close, destroying_a_suspended_generator_closes_it) {
  std::vector<std::string> log;
  {
    generator<int> g([&](yielder<int>& y) {
      recorder r{&log, "frame"};
      try {
        y.yield(1);
      } catch (const weft::generator_exit&) {
        log.push_back("generator_exit");
        throw;
      }
    });
    g.next();
  }
  EXPECT_EQ(log, (std::vector<std::string>{"generator_exit", "~frame"}));
}

TEST(generator_close, destroying_a_created_generator_destroys_its_body_unrun) {
  auto token = std::make_shared<int>(1);
  std::weak_ptr<int> watch = token;
  bool ran = false;
  {
    generator<int> g([token = std::move(token), &ran](yielder<int>& y) {
      ran = true;
      y.yield(*token);
    });
    EXPECT_FALSE(watch.expired());
  }
  EXPECT_TRUE(watch.expired());
  EXPECT_FALSE(ran);
}

TEST(generator_close, a_destructor_that_meets_an_exception_during_close_reports_it_on_stderr) {
  testing::internal::CaptureStderr();
  {
    generator<int> g(
        [](yielder<int>& y) {
          try {
            y.yield(1);
          } catch (const weft::generator_exit&) {
            throw std::runtime_error("disk full");
          }
        },
        {.name = "writer"});
    g.next();
  }
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("'writer' threw while being closed by its destructor: disk full"), std::string::npos) << err;
}

// Python: sys.unraisablehook(unraisable) receives what the close() run by a
// suspended generator's __del__ raised, with the generator as .object;
// nothing reaches stderr while a hook is installed.
std::vector<std::string>* unraisable_log = nullptr;

void record_unraisable(const weft::unraisable& u) noexcept {
  std::string what;
  try {
    std::rethrow_exception(u.error);
  } catch (const weft::generator_ignored_exit&) {
    what = "generator_ignored_exit";
  } catch (const std::runtime_error& e) {
    what = std::string("runtime_error ") + e.what();
  } catch (...) {
    what = "other";
  }
  unraisable_log->push_back(std::string(u.name) + ": " + what + " at line " + std::to_string(u.created_at.line()));
  EXPECT_STREQ(u.created_at.file_name(), __FILE__);
  EXPECT_NE(u.id, 0u);
}

TEST(generator_close, a_destructor_whose_close_raises_hands_the_exception_to_the_unraisable_hook) {
  std::vector<std::string> log;
  unraisable_log = &log;
  weft::unraisable_hook previous = weft::set_unraisable_hook(&record_unraisable);
  testing::internal::CaptureStderr();
  auto fails_to_close = [](yielder<int>& y) {
    try {
      y.yield(1);
    } catch (const weft::generator_exit&) {
      throw std::runtime_error("disk full");
    }
  };
  auto ignores_close = [](yielder<int>& y) {
    for (;;) {
      try {
        y.yield(1);
      } catch (const weft::generator_exit&) {
      }
    }
  };
  int writer_line = 0;
  int stubborn_line = 0;
  {
    writer_line = __LINE__ + 1;
    generator<int> writer(fails_to_close, {.name = "writer"});
    writer.next();
    stubborn_line = __LINE__ + 1;
    generator<int> stubborn(ignores_close, {.name = "stubborn"});
    stubborn.next();
  }
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(weft::set_unraisable_hook(previous), &record_unraisable);
  unraisable_log = nullptr;
  EXPECT_EQ(log, (std::vector<std::string>{
                     "stubborn: generator_ignored_exit at line " + std::to_string(stubborn_line),
                     "writer: runtime_error disk full at line " + std::to_string(writer_line),
                 }));
  EXPECT_EQ(err, "");
}

TEST(generator_close, a_destructor_that_yields_during_close_is_let_finish_by_the_next_close) {
  std::vector<std::string> log;
  struct yielding_guard {
    yielder<int>* y;
    std::vector<std::string>* log;
    ~yielding_guard() {
      log->push_back("guard yields");
      y->yield(-1);
      log->push_back("guard resumed");
    }
  };
  generator<int> g([&](yielder<int>& y) {
    yielding_guard guard{&y, &log};
    y.yield(1);
  });
  EXPECT_EQ(g.next(), 1);
  // The generator_exit unwinds into the guard, which yields: ignored.
  EXPECT_THROW(g.close(), weft::generator_ignored_exit);
  EXPECT_EQ(g.state(), generator_state::suspended);
  // A second close cannot raise inside a destructor that is part of an
  // unwind: its yield returns, and the first generator_exit finishes the body.
  testing::internal::CaptureStderr();
  g.close();
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
  EXPECT_EQ(g.state(), generator_state::closed);
  EXPECT_EQ(log, (std::vector<std::string>{"guard yields", "guard resumed"}));
}

// --- re-entry -------------------------------------------------------------------

TEST(generator_reentry, a_running_generator_refuses_next_send_throw_and_close_from_its_own_body) {
  generator<int, int>* self = nullptr;
  std::vector<std::string> refused;
  generator<int, int> g(
      [&](yielder<int, int>& y) {
        auto attempt = [&](const char* what, auto&& op) {
          try {
            op();
          } catch (const weft::generator_already_executing& e) {
            refused.push_back(what);
            EXPECT_NE(std::string(e.what()).find("'looper' already executing"), std::string::npos) << e.what();
          }
        };
        attempt("next", [&] { self->next(); });
        attempt("try_next", [&] { self->try_next(); });
        attempt("send", [&] { self->send(1); });
        attempt("try_send", [&] { self->try_send(1); });
        attempt("throw_in", [&] { self->throw_in(std::runtime_error("x")); });
        attempt("close", [&] { self->close(); });
        y.yield(0);
      },
      {.name = "looper"});
  self = &g;
  EXPECT_EQ(g.next(), 0);
  EXPECT_EQ(refused, (std::vector<std::string>{"next", "try_next", "send", "try_send", "throw_in", "close"}));
  EXPECT_EQ(g.state(), generator_state::suspended);
}

TEST(generator_reentry, a_generator_reentered_through_another_generator_refuses) {
  generator<int>* outer_ptr = nullptr;
  generator<int> inner([&](yielder<int>& y) {
    EXPECT_EQ(outer_ptr->state(), generator_state::running);
    EXPECT_THROW(outer_ptr->next(), weft::generator_already_executing);
    y.yield(2);
  });
  generator<int> outer([&](yielder<int>& y) { y.yield(inner.next() * 10); });
  outer_ptr = &outer;
  EXPECT_EQ(outer.next(), 20);
}

TEST(generator_reentry, iteration_over_a_running_generator_refuses) {
  generator<int>* self = nullptr;
  bool refused = false;
  generator<int> g([&](yielder<int>& y) {
    try {
      for (int v : *self) (void)v;
    } catch (const weft::generator_already_executing&) {
      refused = true;
    }
    y.yield(1);
  });
  self = &g;
  EXPECT_EQ(g.next(), 1);
  EXPECT_TRUE(refused);
}

}  // namespace
