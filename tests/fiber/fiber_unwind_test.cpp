// Destroying a suspended fiber unwinds it: destructors run, in order.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "weft/fiber.hpp"

namespace {

using weft::fiber;
namespace this_fiber = weft::this_fiber;

struct recorder {
  std::vector<std::string>* log;
  std::string name;
  ~recorder() { log->push_back("~" + name); }
};

TEST(fiber_unwind, destroying_a_suspended_fiber_runs_its_destructors_innermost_first) {
  std::vector<std::string> log;
  {
    fiber f([&] {
      recorder outer{&log, "outer"};
      auto nested = [&] {
        recorder inner{&log, "inner"};
        this_fiber::suspend();
        log.push_back("not reached");
      };
      nested();
    });
    f.resume();
    EXPECT_TRUE(log.empty());
  }
  EXPECT_EQ(log, (std::vector<std::string>{"~inner", "~outer"}));
}

TEST(fiber_unwind, catch_std_exception_does_not_stop_the_unwind) {
  bool caught = false;
  bool after = false;
  {
    fiber f([&] {
      try {
        this_fiber::suspend();
      } catch (const std::exception&) {
        caught = true;
      }
      after = true;
    });
    f.resume();
  }
  EXPECT_FALSE(caught);
  EXPECT_FALSE(after);
}

TEST(fiber_unwind, a_destructor_may_suspend_during_the_unwind) {
  std::vector<std::string> log;
  struct suspending_guard {
    std::vector<std::string>* log;
    ~suspending_guard() {
      log->push_back("guard start");
      this_fiber::suspend();  // returns: the destroyer keeps resuming
      log->push_back("guard end");
    }
  };
  {
    fiber f([&] {
      suspending_guard g{&log};
      this_fiber::suspend();
    });
    f.resume();
  }
  EXPECT_EQ(log, (std::vector<std::string>{"guard start", "guard end"}));
}

TEST(fiber_unwind, destroying_a_created_fiber_destroys_its_callable_without_running_it) {
  auto token = std::make_shared<int>(5);
  std::weak_ptr<int> watch = token;
  bool ran = false;
  {
    fiber f([t = std::move(token), &ran] { ran = true; });
    EXPECT_FALSE(watch.expired());
  }
  EXPECT_TRUE(watch.expired());
  EXPECT_FALSE(ran);
}

TEST(fiber_unwind, finished_fiber_has_destroyed_its_callable) {
  auto token = std::make_shared<int>(5);
  std::weak_ptr<int> watch = token;
  fiber f([t = std::move(token)] {});
  f.resume();
  EXPECT_TRUE(watch.expired());
}

}  // namespace
