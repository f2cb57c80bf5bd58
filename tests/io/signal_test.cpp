// Signals into the loop: signal_set waits, the kernel's delivery order,
// timeouts on virtual time, cancellation, masks, and signal_handler.
//
// Every test leaves the thread's signal mask as it found it (gtest runs
// them all on one thread). Signals are sent with raise(), pthread_kill()
// or kill(getpid()); the binary starts no other thread that could take a
// process-directed one.
#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "weft/signal.hpp"

namespace {

using namespace std::chrono_literals;
using weft::loop;

bool blocked(int s) {
  sigset_t mask;
  ::pthread_sigmask(SIG_BLOCK, nullptr, &mask);
  return sigismember(&mask, s) == 1;
}

bool pending(int s) {
  sigset_t set;
  ::sigpending(&set);
  return sigismember(&set, s) == 1;
}

struct captured_reports {
  std::vector<weft::exception_report> reports;
  void attach(loop& lp) {
    lp.set_exception_handler([this](const weft::exception_report& r) { reports.push_back(r); });
  }
};

TEST(signal_set, a_signal_raised_before_wait_is_returned_at_once) {
  weft::signal_set set({SIGUSR1});
  ::raise(SIGUSR1);
  loop lp;
  EXPECT_EQ(lp.run_until_complete([&] { return set.wait(); }), SIGUSR1);
}

TEST(signal_set, wait_suspends_only_the_task_until_the_signal_arrives) {
  weft::signal_set set({SIGUSR1, SIGUSR2});
  loop lp;
  std::vector<std::string> trace;
  lp.run_until_complete([&] {
    auto waiter = weft::spawn([&] {
      trace.push_back("waiting");
      int s = set.wait();
      trace.push_back("got " + std::to_string(s));
    });
    weft::yield_now();
    weft::yield_now();
    EXPECT_FALSE(waiter.done());
    EXPECT_NE(lp.dump().find("waiting on signal signal_set fd " + std::to_string(set.fd())), std::string::npos)
        << lp.dump();
    trace.push_back("raising");
    ::raise(SIGUSR2);
    waiter.join();
  });
  EXPECT_EQ(trace, (std::vector<std::string>{"waiting", "raising", "got " + std::to_string(SIGUSR2)}));
}

TEST(signal_set, process_and_thread_directed_signals_are_both_delivered) {
  weft::signal_set set({SIGHUP, SIGTERM});
  loop lp;
  std::vector<int> got = lp.run_until_complete([&] {
    std::vector<int> seen;
    ::kill(::getpid(), SIGTERM);
    seen.push_back(set.wait());
    ::pthread_kill(::pthread_self(), SIGHUP);
    seen.push_back(set.wait());
    return seen;
  });
  EXPECT_EQ(got, (std::vector<int>{SIGTERM, SIGHUP}));
}

TEST(signal_set, pending_signals_come_one_per_wait_lowest_number_first) {
  weft::signal_set set({SIGHUP, SIGUSR1, SIGUSR2});
  ::raise(SIGUSR2);
  ::raise(SIGHUP);
  ::raise(SIGUSR1);
  ::raise(SIGUSR1);  // a standard signal counts once while pending
  loop lp;
  std::vector<int> got = lp.run_until_complete([&] {
    std::vector<int> seen;
    for (int i = 0; i < 3; ++i) seen.push_back(set.wait());
    return seen;
  });
  EXPECT_EQ(got, (std::vector<int>{SIGHUP, SIGUSR1, SIGUSR2}));
  EXPECT_EQ(set.try_take(), std::nullopt);
}

TEST(signal_set, realtime_signals_queue_each_occurrence) {
  weft::signal_set set({SIGRTMIN});
  ::raise(SIGRTMIN);
  ::raise(SIGRTMIN);
  ::raise(SIGRTMIN);
  loop lp;
  int count = lp.run_until_complete([&] {
    int n = 0;
    while (set.wait_for(0ms)) ++n;
    return n;
  });
  EXPECT_EQ(count, 3);
}

TEST(signal_set, wait_for_times_out_on_virtual_time) {
  weft::signal_set set({SIGUSR1});
  loop lp({.virtual_time = true});
  auto real_start = std::chrono::steady_clock::now();
  auto start = lp.now();
  std::optional<int> got = lp.run_until_complete([&] { return set.wait_for(10s); });
  EXPECT_EQ(got, std::nullopt);
  EXPECT_EQ(lp.now() - start, 10s);
  EXPECT_LT(std::chrono::steady_clock::now() - real_start, 1s);
}

TEST(signal_set, wait_for_returns_a_signal_raised_before_the_deadline) {
  weft::signal_set set({SIGUSR1});
  loop lp({.virtual_time = true});
  auto start = lp.now();
  std::optional<int> got = lp.run_until_complete([&] {
    auto raiser = weft::spawn([] {
      weft::sleep_for(3s);
      ::raise(SIGUSR1);
    });
    auto s = set.wait_for(1h);
    raiser.join();
    return s;
  });
  EXPECT_EQ(got, SIGUSR1);
  EXPECT_EQ(lp.now() - start, 3s);
}

TEST(signal_set, cancelling_a_waiting_task_raises_cancelled_and_frees_the_fd) {
  weft::signal_set set({SIGUSR1});
  loop lp;
  lp.run_until_complete([&] {
    auto waiter = weft::spawn([&] { return set.wait(); });
    weft::yield_now();
    EXPECT_TRUE(waiter.cancel());
    EXPECT_THROW(waiter.join(), weft::cancelled);
    // The fd is free for another waiter (a second waiter on it would be
    // invalid_state), and the signal still arrives.
    ::raise(SIGUSR1);
    EXPECT_EQ(set.wait(), SIGUSR1);
  });
}

TEST(signal_set, a_pending_cancellation_wins_over_a_pending_signal) {
  weft::signal_set set({SIGUSR1});
  loop lp;
  lp.run_until_complete([&] {
    bool shielded = false;
    auto waiter = weft::spawn([&] {
      {
        weft::cancellation_shield shield;
        shielded = true;
        weft::yield_now();
      }
      return set.wait();
    });
    while (!shielded) weft::yield_now();
    ::raise(SIGUSR1);
    waiter.cancel();
    EXPECT_THROW(waiter.join(), weft::cancelled);
    EXPECT_EQ(set.try_take(), SIGUSR1);  // still there for the next wait
  });
}

TEST(signal_set, wait_outside_a_task_is_invalid_state) {
  weft::signal_set set({SIGUSR1});
  EXPECT_THROW(set.wait(), weft::invalid_state);
  EXPECT_THROW(set.wait_for(1s), weft::invalid_state);
}

TEST(signal_set, invalid_signals_are_invalid_argument) {
  EXPECT_THROW(weft::signal_set({SIGKILL}), std::invalid_argument);
  EXPECT_THROW(weft::signal_set({SIGUSR1, SIGSTOP}), std::invalid_argument);
  EXPECT_THROW(weft::signal_set({0}), std::invalid_argument);
  EXPECT_THROW(weft::signal_set({-3}), std::invalid_argument);
  EXPECT_THROW(weft::signal_set({NSIG}), std::invalid_argument);
  EXPECT_THROW(weft::signal_set({}), std::invalid_argument);
  EXPECT_THROW(weft::block_signals({SIGKILL}), std::invalid_argument);
  EXPECT_FALSE(blocked(SIGUSR1));  // a refused set left no trace
}

TEST(signal_set, blocks_its_signals_and_unblocks_them_when_destroyed) {
  ASSERT_FALSE(blocked(SIGUSR1));
  {
    weft::signal_set set({SIGUSR1});
    EXPECT_TRUE(blocked(SIGUSR1));
    EXPECT_GE(set.fd(), 0);
  }
  EXPECT_FALSE(blocked(SIGUSR1));
}

TEST(signal_set, overlapping_sets_destroyed_in_any_order_keep_what_the_other_needs) {
  auto first = std::make_unique<weft::signal_set>(std::initializer_list<int>{SIGUSR1});
  auto second = std::make_unique<weft::signal_set>(std::initializer_list<int>{SIGUSR1, SIGUSR2});
  first.reset();
  EXPECT_TRUE(blocked(SIGUSR1));  // the second still reads it
  EXPECT_TRUE(blocked(SIGUSR2));
  ::raise(SIGUSR1);
  EXPECT_EQ(second->try_take(), SIGUSR1);
  second.reset();
  EXPECT_FALSE(blocked(SIGUSR1));
  EXPECT_FALSE(blocked(SIGUSR2));
}

TEST(signal_set, a_signal_left_pending_is_discarded_not_delivered_by_default) {
  {
    weft::signal_set set({SIGUSR1});
    ::raise(SIGUSR1);
    EXPECT_TRUE(pending(SIGUSR1));
  }  // unblocking it now would run SIGUSR1's default action: end the process
  EXPECT_FALSE(pending(SIGUSR1));
  EXPECT_FALSE(blocked(SIGUSR1));
}

TEST(signal_set, block_signals_keeps_them_blocked_after_a_set_goes) {
  ASSERT_FALSE(blocked(SIGUSR2));
  weft::block_signals({SIGUSR2});
  { weft::signal_set set({SIGUSR2}); }
  EXPECT_TRUE(blocked(SIGUSR2));
  // Also when block_signals comes while a set holds the signal.
  {
    sigset_t usr2;
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    ::pthread_sigmask(SIG_UNBLOCK, &usr2, nullptr);
    weft::signal_set set({SIGUSR2});
    weft::block_signals({SIGUSR2});
  }
  EXPECT_TRUE(blocked(SIGUSR2));
  sigset_t usr2;
  sigemptyset(&usr2);
  sigaddset(&usr2, SIGUSR2);
  ::pthread_sigmask(SIG_UNBLOCK, &usr2, nullptr);  // restore for the next tests
}

TEST(signal_set, threads_started_while_a_set_lives_inherit_the_block) {
  weft::signal_set set({SIGUSR1});
  bool blocked_in_thread = false;
  std::thread([&] { blocked_in_thread = blocked(SIGUSR1); }).join();
  EXPECT_TRUE(blocked_in_thread);
}

// --- signal_handler -------------------------------------------------------

TEST(signal_handler, runs_the_callback_on_the_loop_thread_for_each_signal) {
  loop lp({.virtual_time = true});
  std::vector<int> seen;
  std::vector<std::thread::id> threads;
  lp.run_until_complete([&] {
    weft::signal_handler h({SIGUSR1, SIGUSR2}, [&](int s) {
      seen.push_back(s);
      threads.push_back(std::this_thread::get_id());
    });
    ::raise(SIGUSR1);
    weft::sleep_for(1ms);  // the handler's task runs before time moves on
    EXPECT_EQ(seen, (std::vector<int>{SIGUSR1}));
    ::raise(SIGUSR2);
    ::raise(SIGUSR1);
    weft::sleep_for(1ms);
  });
  EXPECT_EQ(seen, (std::vector<int>{SIGUSR1, SIGUSR1, SIGUSR2}));
  for (auto id : threads) EXPECT_EQ(id, std::this_thread::get_id());
  // The handle is gone but its task has not run since: it still owns the
  // fd, so the signals stay blocked until the task ends.
  EXPECT_TRUE(blocked(SIGUSR1));
  lp.run_until_complete([] { weft::yield_now(); });
  EXPECT_FALSE(blocked(SIGUSR1));
  EXPECT_FALSE(blocked(SIGUSR2));
}

TEST(signal_handler, after_cancel_the_callback_is_never_called) {
  loop lp({.virtual_time = true});
  int calls = 0;
  lp.run_until_complete([&] {
    weft::signal_handler h({SIGUSR1}, [&](int) { ++calls; });
    ::raise(SIGUSR1);
    weft::sleep_for(1ms);
    EXPECT_EQ(calls, 1);
    h.cancel();
    ::raise(SIGUSR1);
    weft::sleep_for(1ms);
    EXPECT_EQ(calls, 1);
    h.cancel();  // idempotent
  });
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(pending(SIGUSR1));
}

TEST(signal_handler, destroyed_with_a_signal_ready_the_callback_is_not_called) {
  loop lp({.virtual_time = true});
  int calls = 0;
  lp.run_until_complete([&] {
    {
      weft::signal_handler h({SIGUSR1}, [&](int) { ++calls; });
      weft::yield_now();  // its task waits on the fd
      ::raise(SIGUSR1);
    }
    weft::sleep_for(1ms);
  });
  EXPECT_EQ(calls, 0);
  EXPECT_FALSE(blocked(SIGUSR1));
  EXPECT_FALSE(pending(SIGUSR1));
}

TEST(signal_handler, an_exception_is_reported_and_handling_goes_on) {
  loop lp({.virtual_time = true});
  captured_reports seen;
  seen.attach(lp);
  int calls = 0;
  lp.run_until_complete([&] {
    weft::signal_handler h({SIGUSR1}, [&](int) {
      if (++calls == 1) throw std::runtime_error("handler failed");
    });
    ::raise(SIGUSR1);
    weft::sleep_for(1ms);
    ::raise(SIGUSR1);
    weft::sleep_for(1ms);
  });
  EXPECT_EQ(calls, 2);
  ASSERT_EQ(seen.reports.size(), 1u);
  EXPECT_EQ(seen.reports[0].message, "Exception in signal handler");
  EXPECT_EQ(seen.reports[0].task_name, "signal_handler");
  EXPECT_THROW(std::rethrow_exception(seen.reports[0].error), std::runtime_error);
}

TEST(signal_handler, the_callback_may_destroy_its_own_handle) {
  // Keeps SIGUSR1 blocked once the handler is gone (else its default
  // action would end the test), and collects what the handler left.
  weft::signal_set after({SIGUSR1});
  loop lp({.virtual_time = true});
  std::optional<weft::signal_handler> h;
  int calls = 0;
  lp.run_until_complete([&] {
    h.emplace(std::initializer_list<int>{SIGUSR1}, [&](int) {
      ++calls;
      h.reset();
    });
    ::raise(SIGUSR1);
    weft::sleep_for(1ms);
    ::raise(SIGUSR1);
    weft::sleep_for(1ms);
  });
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(h.has_value());
  EXPECT_EQ(after.try_take(), SIGUSR1);
}

TEST(signal_handler, the_callback_may_wait_like_any_task) {
  loop lp({.virtual_time = true});
  std::vector<int> seen;
  auto start = lp.now();
  lp.run_until_complete([&] {
    weft::signal_handler h({SIGHUP}, [&](int s) {
      weft::sleep_for(5s);  // e.g. flush before reopening logs
      seen.push_back(s);
    });
    ::raise(SIGHUP);
    weft::sleep_for(10s);
  });
  EXPECT_EQ(seen, (std::vector<int>{SIGHUP}));
  EXPECT_EQ(lp.now() - start, 10s);
}

TEST(signal_handler, a_loop_closed_with_a_handler_installed_ends_it_quietly) {
  captured_reports seen;
  std::optional<weft::signal_handler> h;
  int calls = 0;
  {
    loop lp;
    seen.attach(lp);
    lp.run_until_complete([&] { h.emplace(std::initializer_list<int>{SIGUSR1}, [&](int) { ++calls; }); });
    // run_until_complete returned although the handler's task still waits.
    ::raise(SIGUSR1);
    lp.close();  // cancels the handler's task; no report, no hang
  }
  EXPECT_TRUE(seen.reports.empty());
  EXPECT_EQ(calls, 0);
  h.reset();  // after the loop is gone
  EXPECT_FALSE(blocked(SIGUSR1));
  EXPECT_FALSE(pending(SIGUSR1));
}

TEST(signal_handler, keeps_handling_across_runs_of_the_loop) {
  loop lp({.virtual_time = true});
  std::optional<weft::signal_handler> h;
  std::vector<int> seen;
  lp.run_until_complete([&] { h.emplace(std::initializer_list<int>{SIGUSR2}, [&](int s) { seen.push_back(s); }); });
  ::raise(SIGUSR2);
  lp.run_until_complete([] { weft::sleep_for(1ms); });
  EXPECT_EQ(seen, (std::vector<int>{SIGUSR2}));
  lp.run_until_complete([&] {
    h.reset();
    weft::yield_now();  // the handler's task ends, closing its signalfd
  });
  EXPECT_FALSE(blocked(SIGUSR2));
}

TEST(signal_handler, outside_a_running_loop_is_invalid_state_and_empty_is_invalid_argument) {
  EXPECT_THROW(weft::signal_handler({SIGUSR1}, [](int) {}), weft::invalid_state);
  loop lp;
  lp.run_until_complete(
      [] { EXPECT_THROW(weft::signal_handler({SIGUSR1}, std::function<void(int)>()), std::invalid_argument); });
  EXPECT_FALSE(blocked(SIGUSR1));
}

}  // namespace
