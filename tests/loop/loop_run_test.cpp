// Entry points, run-queue order, callbacks, stop, close, deadlock.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <latch>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "weft/detail/loop/park.hpp"
#include "weft/detail/sanitizer.hpp"
#include "weft/fd_wait.hpp"
#include "weft/loop.hpp"
#include "weft/sync/event.hpp"

namespace {

using namespace std::chrono_literals;
using weft::loop;

TEST(loop_run, run_until_complete_returns_the_main_result) {
  loop lp;
  EXPECT_EQ(lp.run_until_complete([] { return 42; }), 42);
}

TEST(loop_run, run_until_complete_rethrows_the_main_exception_with_its_type) {
  loop lp;
  EXPECT_THROW(lp.run_until_complete([]() -> int { throw std::out_of_range("x"); }), std::out_of_range);
}

TEST(loop_run, spawned_tasks_start_in_fifo_order_and_interleave_at_yields) {
  loop lp;
  std::vector<std::string> trace;
  lp.run_until_complete([&] {
    auto worker = [&](std::string name) {
      return [&trace, name] {
        for (int i = 0; i < 2; ++i) {
          trace.push_back(name + std::to_string(i));
          weft::yield_now();
        }
      };
    };
    auto a = weft::spawn(worker("a"));
    auto b = weft::spawn(worker("b"));
    auto c = weft::spawn(worker("c"));
    a.join();
    b.join();
    c.join();
  });
  EXPECT_EQ(trace, (std::vector<std::string>{"a0", "b0", "c0", "a1", "b1", "c1"}));
}

TEST(loop_run, call_soon_callbacks_and_tasks_share_one_fifo) {
  loop lp;
  std::vector<int> order;
  lp.run_until_complete([&] {
    lp.call_soon([&] { order.push_back(1); });
    auto t = weft::spawn([&] { order.push_back(2); });
    lp.call_soon([&] { order.push_back(3); });
    t.join();
    order.push_back(4);
  });
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3, 4}));
}

// Long enough that the loop fetches ahead while it runs the queue
// (prefetch_ahead), with tasks that have run and parked, new ones, and
// callbacks mixed: the order must be the same.
TEST(loop_run, a_long_queue_of_tasks_and_callbacks_keeps_fifo_order) {
  loop lp;
  std::vector<int> order;
  lp.run_until_complete([&] {
    std::vector<weft::task<void>> tasks;
    for (int i = 0; i < 60; ++i) {
      if (i % 3 == 2) lp.call_soon([&order, i] { order.push_back(i); });
      else
        tasks.push_back(weft::spawn([&order, i] {
          order.push_back(i);
          weft::yield_now();
          order.push_back(100 + i);
        }));
    }
    for (auto& t : tasks) t.join();
  });
  std::vector<int> expected;
  for (int i = 0; i < 60; ++i) expected.push_back(i);
  for (int i = 0; i < 60; ++i)
    if (i % 3 != 2) expected.push_back(100 + i);
  EXPECT_EQ(order, expected);
}

// Read inside and after a run: the loop's slack while it runs, the
// thread's own again afterwards.
long thread_timer_slack() { return ::prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0); }

TEST(loop_run, a_run_sets_the_timer_slack_and_puts_the_threads_back) {
  ASSERT_EQ(::prctl(PR_SET_TIMERSLACK, 30'000UL, 0, 0, 0), 0);
  loop lp({.timer_slack = 7us});
  EXPECT_EQ(lp.run_until_complete([] { return thread_timer_slack(); }), 7'000);
  EXPECT_EQ(thread_timer_slack(), 30'000);
  loop by_default;
  EXPECT_EQ(by_default.run_until_complete([] { return thread_timer_slack(); }), 1'000);
  EXPECT_EQ(thread_timer_slack(), 30'000);
  loop untouched({.timer_slack = 0ns});
  EXPECT_EQ(untouched.run_until_complete([] { return thread_timer_slack(); }), 30'000);
  ::prctl(PR_SET_TIMERSLACK, 0UL, 0, 0, 0);  // the process default again
}

TEST(loop_run, run_forever_runs_until_stop) {
  loop lp;
  int ticks = 0;
  std::function<void()> tick = [&] {
    if (++ticks == 5) lp.stop();
    else lp.call_soon(tick);
  };
  lp.call_soon(tick);
  lp.run_forever();
  EXPECT_EQ(ticks, 5);
  EXPECT_FALSE(lp.is_running());
}

TEST(loop_run, running_a_running_loop_again_is_invalid_state) {
  loop lp;
  EXPECT_THROW(lp.run_until_complete([&] { lp.run_until_complete([] {}); }), weft::invalid_state);
}

TEST(loop_run, spawn_outside_a_running_loop_is_invalid_state) {
  EXPECT_THROW(weft::spawn([] {}), weft::invalid_state);
  EXPECT_THROW(weft::sleep_for(1ms), weft::invalid_state);
}

TEST(loop_run, exception_in_a_callback_goes_to_the_handler_and_the_loop_goes_on) {
  loop lp;
  std::vector<std::string> reports;
  lp.set_exception_handler([&](const weft::exception_report& r) { reports.push_back(r.message); });
  bool after = false;
  lp.call_soon([] { throw std::runtime_error("boom"); });
  lp.run_until_complete([&] {
    weft::yield_now();
    after = true;
  });
  EXPECT_TRUE(after);
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].rfind("Exception in callback ", 0), 0u) << reports[0];
}

TEST(loop_run, close_cancels_live_tasks_and_lets_them_clean_up) {
  std::vector<std::string> log;
  {
    loop lp;
    lp.run_until_complete([&] {
      weft::spawn([&] {
        try {
          weft::sleep_for(1h);
        } catch (const weft::cancelled&) {
          log.push_back("cleanup");
          throw;
        }
      }).detach();
      weft::yield_now();  // let it start sleeping
    });
    lp.close();
    log.push_back("closed");
    EXPECT_THROW(lp.call_soon([] {}), weft::invalid_state);
  }
  EXPECT_EQ(log, (std::vector<std::string>{"cleanup", "closed"}));
}

TEST(loop_run, close_returns_as_soon_as_the_cancelled_tasks_have_finished) {
  loop lp;
  lp.run_until_complete([] { weft::spawn([] { weft::sleep_for(1h); }).detach(); });
  auto t0 = std::chrono::steady_clock::now();
  lp.close();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 100ms);  // not the 1 s grace period
}

TEST(loop_run, close_unwinds_a_task_that_ignores_cancellation) {
  struct witness {
    bool* flag;
    ~witness() { *flag = true; }
  };
  bool destroyed = false;
  loop lp({.virtual_time = true});
  auto t0 = lp.now();
  lp.run_until_complete([&] {
    weft::spawn([&] {
      witness w{&destroyed};
      for (;;) {
        try {
          weft::sleep_for(1h);
        } catch (const weft::cancelled&) {
          // swallowed: the task keeps waiting
        }
      }
    }).detach();
    weft::yield_now();
  });
  lp.close();
  EXPECT_TRUE(destroyed);
  EXPECT_EQ(lp.now() - t0, 1s);  // the default grace period, then forced unwind
}

TEST(loop_run, deadlock_is_raised_and_names_every_waiting_task) {
  loop lp;
  try {
    lp.run_until_complete([] {
      weft::spawn(
          [] {
            weft::detail::park({weft::detail::wait_kind::primitive, "event", "other-event"});
          },
          {.name = "helper"})
          .detach();
      weft::detail::park({weft::detail::wait_kind::primitive, "event", "never-set"});
    });
    FAIL() << "no deadlock raised";
  } catch (const weft::deadlock_error& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("'main' waiting on sync event 'never-set'"), std::string::npos) << what;
    EXPECT_NE(what.find("'helper' waiting on sync event 'other-event'"), std::string::npos) << what;
  }
}

TEST(loop_run, an_idle_loop_with_a_pending_timer_is_not_deadlocked) {
  loop lp({.virtual_time = true});
  auto start = lp.now();
  lp.run_until_complete([] { weft::sleep_for(5s); });
  EXPECT_EQ(lp.now() - start, 5s);
}

TEST(loop_run, call_soon_threadsafe_wakes_a_loop_blocked_on_a_keep_alive) {
  loop lp;
  std::thread other;
  int got = lp.run_until_complete([&] {
    int value = 0;
    auto waiter = weft::spawn([&] {
      weft::detail::park({weft::detail::wait_kind::primitive, "remote", ""});
      return value;
    });
    weft::yield_now();
    loop::keep_alive alive(lp);
    auto* target = weft::detail::access::state(waiter);
    other = std::thread([&lp, alive, target, &value] {
      lp.call_soon_threadsafe([target, &value] {
        value = 7;
        weft::detail::unpark(target);
      });
    });
    return waiter.join();
  });
  other.join();
  EXPECT_EQ(got, 7);
}

// The loop's wake eventfd, told apart from every other eventfd of the
// process by being the one its constructor added.
std::set<int> open_eventfds() {
  std::set<int> fds;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    if (std::filesystem::read_symlink(entry.path(), ec).string() == "anon_inode:[eventfd]")
      fds.insert(std::stoi(entry.path().filename().string()));
  }
  return fds;
}

// What the kernel says the eventfd's counter holds (hex in fdinfo).
std::uint64_t eventfd_count(int fd) {
  std::ifstream in("/proc/self/fdinfo/" + std::to_string(fd));
  for (std::string line; std::getline(in, line);)
    if (line.rfind("eventfd-count:", 0) == 0) return std::stoull(line.substr(14), nullptr, 16);
  throw std::runtime_error("no eventfd-count for fd " + std::to_string(fd));
}

// The loop's eventfd among those opened by making it.
int wake_eventfd(const std::set<int>& before) {
  std::set<int> after = open_eventfds();
  std::vector<int> made;
  std::set_difference(after.begin(), after.end(), before.begin(), before.end(), std::back_inserter(made));
  if (made.size() != 1) throw std::runtime_error("the loop opened " + std::to_string(made.size()) + " eventfds");
  return made[0];
}

// The scheduling state of one of this process's threads (R, S, D ...).
char thread_state(pid_t tid) {
  std::ifstream in("/proc/self/task/" + std::to_string(tid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return stat.at(stat.rfind(')') + 2);
}

TEST(loop_run, a_burst_of_call_soon_threadsafe_to_a_loop_not_asleep_writes_no_eventfd) {
  std::set<int> before = open_eventfds();
  loop lp;
  int fd = wake_eventfd(before);
  int ran = 0;
  auto burst = [&] {
    std::thread([&] {
      for (int i = 0; i < 100; ++i) lp.call_soon_threadsafe([&ran] { ++ran; });
    }).join();
  };
  for (int round = 1; round <= 2; ++round) {
    std::uint64_t start = eventfd_count(fd);
    burst();  // the loop is not running: it looks at its queue before it sleeps
    EXPECT_EQ(eventfd_count(fd) - start, 0u) << "round " << round;
    lp.run_until_complete([] {
      weft::yield_now();
      weft::yield_now();
    });  // takes the batch and runs it
    EXPECT_EQ(ran, 100 * round);
  }
}

// Where a sleeping thread of this process sleeps in the kernel
// (/proc/.../wchan: futex_do_wait, do_epoll_wait ...).
std::string kernel_wait_of(pid_t tid) {
  std::ifstream in("/proc/self/task/" + std::to_string(tid) + "/wchan");
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

struct burst_seen {
  std::uint64_t eventfd_writes;
  std::string slept_in;  // the loop thread's wchan before the burst
};

// A burst of 100 call_soon_threadsafe to a loop asleep in its poll, with
// (watch_an_fd) or without a task waiting on a pipe meanwhile. The first
// message wakes the loop and holds it awake, in its callback, until the
// burst is over: every later one finds it awake.
burst_seen burst_to_a_sleeping_loop(bool watch_an_fd) {
  std::set<int> before = open_eventfds();
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2");
  std::latch made(1), burst_sent(1);
  std::atomic<pid_t> loop_tid{0};
  std::atomic<loop*> target{nullptr};
  std::atomic<weft::event*> all_ran{nullptr};
  int ran = 0;  // the loop thread's
  auto count = [&] {
    if (++ran == 100) all_ran.load()->set();
  };
  std::thread loop_thread([&] {
    loop lp;
    weft::event done;
    all_ran = &done;
    target = &lp;
    loop_tid = ::gettid();
    made.count_down();
    loop::keep_alive alive(lp);
    lp.run_until_complete([&] {
      std::optional<weft::task<void>> reader;
      if (watch_an_fd) reader = weft::spawn([&] { weft::wait_readable(pipe_fds[0]); });
      done.wait();  // asleep in the poll until the first message
      if (reader) reader->join();
    });
    EXPECT_EQ(ran, 100);
  });
  made.wait();
  int fd = wake_eventfd(before);
  // Asleep in its poll: in epoll_wait or on its futex (a brief sleep on
  // the way there, on a lock, shows neither).
  burst_seen seen{0, {}};
  auto in_its_poll = [&] {
    seen.slept_in = kernel_wait_of(loop_tid);
    return thread_state(loop_tid) == 'S' &&
           (seen.slept_in.find("epoll") != std::string::npos || seen.slept_in.find("futex") != std::string::npos);
  };
  for (auto give_up = std::chrono::steady_clock::now() + 10s; !in_its_poll();) {
    if (std::chrono::steady_clock::now() > give_up) throw std::runtime_error("never asleep: " + seen.slept_in);
    std::this_thread::yield();
  }
  std::uint64_t start = eventfd_count(fd);
  target.load()->call_soon_threadsafe([&] {
    burst_sent.wait();
    count();
  });
  for (int i = 1; i < 100; ++i) target.load()->call_soon_threadsafe(count);
  seen.eventfd_writes = eventfd_count(fd) - start;
  burst_sent.count_down();
  char byte = 1;
  EXPECT_EQ(::write(pipe_fds[1], &byte, 1), 1);
  loop_thread.join();
  ::close(pipe_fds[0]);
  ::close(pipe_fds[1]);
  return seen;
}

TEST(loop_run, a_burst_to_a_loop_asleep_in_epoll_writes_the_eventfd_once) {
  burst_seen seen = burst_to_a_sleeping_loop(true);
  EXPECT_NE(seen.slept_in.find("epoll"), std::string::npos) << seen.slept_in;
  EXPECT_EQ(seen.eventfd_writes, 1u);
}

// With no fd waited on, the loop sleeps on a futex, which is cheaper to
// wake than an epoll wait: the burst wakes it without the eventfd.
TEST(loop_run, a_burst_to_a_loop_with_no_fd_waited_on_wakes_its_futex_not_the_eventfd) {
  burst_seen seen = burst_to_a_sleeping_loop(false);
#if defined(WEFT_TSAN)
  EXPECT_EQ(seen.eventfd_writes, 1u);  // no futex sleep under TSan (src/loop/reactor_epoll.cpp)
#else
  EXPECT_NE(seen.slept_in.find("futex"), std::string::npos) << seen.slept_in;
  EXPECT_EQ(seen.eventfd_writes, 0u);
#endif
}

}  // namespace
