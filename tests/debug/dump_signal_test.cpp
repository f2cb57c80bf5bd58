// loop_options::dump_signal: the loop writes its dump to stderr at the turn
// after the signal, from a signal raised inside a task or sent by another
// thread while the loop is blocked in the reactor.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <regex>
#include <stdexcept>
#include <string>
#include <thread>

#include "weft/loop.hpp"
#include "weft/fd_wait.hpp"
#include "weft/stack.hpp"
#include "weft/sync/event.hpp"

namespace {

using namespace std::chrono_literals;

// Sends fd 2 to a temporary file while alive; text() reads what came.
class stderr_capture {
 public:
  stderr_capture() {
    std::fflush(stderr);
    file_ = std::tmpfile();
    saved_ = ::dup(STDERR_FILENO);
    if (file_ == nullptr || saved_ < 0 || ::dup2(::fileno(file_), STDERR_FILENO) < 0)
      throw std::runtime_error("stderr_capture: cannot redirect fd 2");
  }
  ~stderr_capture() {
    restore();
    if (file_ != nullptr) std::fclose(file_);
  }
  stderr_capture(const stderr_capture&) = delete;
  stderr_capture& operator=(const stderr_capture&) = delete;

  void restore() {
    if (saved_ < 0) return;
    std::fflush(stderr);
    ::dup2(saved_, STDERR_FILENO);
    ::close(saved_);
    saved_ = -1;
  }

  // Everything written to fd 2 so far; any thread.
  std::string text() const {
    std::string out;
    char buffer[4096];
    for (off_t at = 0;;) {
      ssize_t n = ::pread(::fileno(file_), buffer, sizeof buffer, at);
      if (n <= 0) break;
      out.append(buffer, static_cast<std::size_t>(n));
      at += n;
    }
    return out;
  }

 private:
  std::FILE* file_ = nullptr;
  int saved_ = -1;
};

void* current_handler(int signal) {
  struct sigaction action {};
  ::sigaction(signal, nullptr, &action);
  return reinterpret_cast<void*>(action.sa_handler);
}

// Each task runs on a default stack and has touched at least its top (the
// fiber's control block), far from all of it.
const std::string stack_words = "stack " +
                                std::to_string(weft::default_stack_size(weft::stack_mode::automatic) / 1024) +
                                " KiB, high water [1-9][0-9]? KiB";

TEST(dump_signal, a_signal_raised_in_a_task_dumps_every_task_at_the_next_turn) {
  stderr_capture capture;
  {
    weft::loop lp({.dump_signal = SIGUSR1});
    weft::event never("never set");
    lp.spawn([&] { never.wait(); }, {.name = "waiter"});
    lp.spawn([] { weft::sleep_for(1h); }, {.name = "sleeper"});
    lp.run_until_complete([] {
      weft::yield_now();  // the others park
      std::raise(SIGUSR1);
      weft::yield_now();  // the dump is written before this task runs again
    });
  }
  capture.restore();
  std::string text = capture.text();
  // Only the dump's lines: close() may report more below it.
  EXPECT_TRUE(std::regex_search(text, std::regex("weft: dump of loop 0x[0-9a-f]+ on signal " + std::to_string(SIGUSR1) +
                                                 " \\([^)]+\\), 3 tasks\n")))
      << text;
  EXPECT_TRUE(
      std::regex_search(text, std::regex("  task #[0-9]+ 'waiter' waiting on sync event 'never set' for [0-9]+ ms"
                                         " \\(spawned at [^ ]*dump_signal_test.cpp:[0-9]+\\) " +
                                         stack_words + "\n")))
      << text;
  EXPECT_TRUE(std::regex_search(text, std::regex("  task #[0-9]+ 'sleeper' waiting on sleep for [0-9]+ ms"
                                                 " \\(spawned at [^ ]*dump_signal_test.cpp:[0-9]+\\) " +
                                                 stack_words + "\n")))
      << text;
  EXPECT_TRUE(std::regex_search(
      text, std::regex("  task #[0-9]+ 'main' ready \\(spawned at [^ ]+:[0-9]+\\) " + stack_words + "\n")))
      << text;
}

TEST(dump_signal, a_signal_from_another_thread_wakes_a_loop_blocked_in_the_reactor) {
  int pipe_fds[2];
  ASSERT_EQ(::pipe2(pipe_fds, O_CLOEXEC), 0);
  stderr_capture capture;
  std::atomic<bool> reading{false};
  bool dumped = false;
  {
    weft::loop lp({.dump_signal = SIGUSR1});
    std::thread sender([&] {
      while (!reading.load()) std::this_thread::yield();
      // The loop sleeps in epoll_wait with no timeout until the dump shows.
      // The signal is sent again every 100 ms: under ThreadSanitizer one
      // that lands before the loop thread enters epoll_wait is sometimes
      // held back by TSan's signal deferral and never handed to the handler
      // (seen with GCC 12's libtsan; never without TSan).
      auto next_signal = std::chrono::steady_clock::now();
      for (auto give_up = next_signal + 10s; std::chrono::steady_clock::now() < give_up;) {
        if (capture.text().find("'reader' waiting on fd readable fd ") != std::string::npos) {
          dumped = true;
          break;
        }
        if (std::chrono::steady_clock::now() >= next_signal) {
          ::kill(::getpid(), SIGUSR1);
          next_signal += 100ms;
        }
        std::this_thread::sleep_for(1ms);
      }
      char byte = 1;
      EXPECT_EQ(::write(pipe_fds[1], &byte, 1), 1);
    });
    lp.run_until_complete(
        [&] {
          reading.store(true);
          weft::wait_readable(pipe_fds[0]);
        },
        {.name = "reader"});
    sender.join();
  }
  capture.restore();
  ::close(pipe_fds[0]);
  ::close(pipe_fds[1]);
  EXPECT_TRUE(dumped) << capture.text();
  EXPECT_TRUE(
      std::regex_search(capture.text(), std::regex("  task #[0-9]+ 'reader' waiting on fd readable fd " +
                                                   std::to_string(pipe_fds[0]) + " for [0-9]+ ms \\(spawned at ")))
      << capture.text();
}

// A loop with no timers reads its clock only when it blocks; a task that
// parks after the loop slept must not be reported as waiting since before.
TEST(dump_signal, the_time_waited_counts_from_the_park_after_the_loop_blocked) {
  using clock = std::chrono::steady_clock;
  int first[2], second[2];
  ASSERT_EQ(::pipe2(first, O_CLOEXEC), 0);
  ASSERT_EQ(::pipe2(second, O_CLOEXEC), 0);
  stderr_capture capture;
  clock::time_point woken, seen;
  {
    weft::loop lp({.dump_signal = SIGUSR1});
    std::thread sender([&] {
      char byte = 1;
      std::this_thread::sleep_for(100ms);  // the loop blocks in epoll_wait meanwhile
      woken = clock::now();
      EXPECT_EQ(::write(first[1], &byte, 1), 1);
      std::this_thread::sleep_for(20ms);
      ::kill(::getpid(), SIGUSR1);
      for (auto give_up = clock::now() + 10s; clock::now() < give_up;) {
        if (capture.text().find(" ms (spawned at ") != std::string::npos) break;
        std::this_thread::sleep_for(1ms);
      }
      seen = clock::now();
      EXPECT_EQ(::write(second[1], &byte, 1), 1);
    });
    lp.run_until_complete([&] {
      weft::wait_readable(first[0]);
      weft::wait_readable(second[0]);  // parks at or after `woken`
    });
    sender.join();
  }
  capture.restore();
  for (int fd : {first[0], first[1], second[0], second[1]}) ::close(fd);
  std::smatch m;
  std::string text = capture.text();
  ASSERT_TRUE(std::regex_search(text, m, std::regex("'main' waiting on fd readable fd [0-9]+ for ([0-9]+) ms")))
      << text;
  // Parked after `woken`, dumped before `seen`: at most that long (rounded
  // up to the ms). Dated from the loop's start it would be 100 ms more.
  auto bound = std::chrono::ceil<std::chrono::milliseconds>(seen - woken).count();
  EXPECT_LE(std::stoll(m[1]), bound) << text;
}

TEST(dump_signal, the_previous_action_is_back_when_the_last_loop_using_the_signal_is_gone) {
  void* before = current_handler(SIGUSR2);
  {
    weft::loop a({.dump_signal = SIGUSR2});
    void* installed = current_handler(SIGUSR2);
    EXPECT_NE(installed, before);
    {
      weft::loop b({.dump_signal = SIGUSR2});
      EXPECT_EQ(current_handler(SIGUSR2), installed);
    }
    EXPECT_EQ(current_handler(SIGUSR2), installed);  // a still uses it
  }
  EXPECT_EQ(current_handler(SIGUSR2), before);
}

TEST(dump_signal, is_off_by_default_and_leaves_the_signal_alone) {
  void* before = current_handler(SIGUSR1);
  weft::loop lp;
  EXPECT_EQ(current_handler(SIGUSR1), before);
}

TEST(dump_signal, a_fault_signal_or_a_non_signal_is_refused) {
  EXPECT_THROW(weft::loop({.dump_signal = SIGSEGV}), std::invalid_argument);
  EXPECT_THROW(weft::loop({.dump_signal = -1}), std::invalid_argument);
  EXPECT_THROW(weft::loop({.dump_signal = SIGKILL}), std::system_error);
}

}  // namespace
