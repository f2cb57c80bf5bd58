// Subprocesses on the loop: pipes as streams, return codes, kill through the
// pidfd, waiting that suspends only the task, timeouts on virtual time.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <string>
#include <system_error>
#include <vector>

#include "weft/error.hpp"
#include "weft/loop.hpp"
#include "weft/process.hpp"
#include "weft/task.hpp"

namespace {

using namespace std::chrono_literals;

std::string read_all(weft::pipe_stream& s) {
  std::string out;
  std::byte buf[256];
  while (std::size_t n = s.read_some(buf)) out.append(reinterpret_cast<const char*>(buf), n);
  return out;
}

void write_all(weft::pipe_stream& s, std::string_view text) {
  auto bytes = std::as_bytes(std::span(text.data(), text.size()));
  while (!bytes.empty()) bytes = bytes.subspan(s.write_some(bytes));
}

TEST(process, pipes_carry_stdin_to_stdout_and_the_exit_status_comes_back) {
  weft::loop lp;
  lp.run_until_complete([] {
    auto p = weft::process::spawn({"cat"}, {.pipe_stdin = true, .pipe_stdout = true});
    write_all(p.stdin_pipe(), "hello through cat\n");
    p.stdin_pipe().close();
    EXPECT_EQ(read_all(p.stdout_pipe()), "hello through cat\n");
    EXPECT_EQ(p.wait(), 0);
    EXPECT_EQ(p.returncode(), 0);
  });
}

TEST(process, return_codes_are_the_exit_status_or_minus_the_signal) {
  weft::loop lp;
  lp.run_until_complete([] {
    auto exits = weft::process::spawn({"sh", "-c", "echo oops >&2; exit 3"}, {.pipe_stderr = true});
    EXPECT_EQ(read_all(exits.stderr_pipe()), "oops\n");
    EXPECT_EQ(exits.wait(), 3);
    auto sleeper = weft::process::spawn({"sleep", "30"});
    sleeper.kill(SIGTERM);
    EXPECT_EQ(sleeper.wait(), -SIGTERM);
    sleeper.kill(SIGTERM);  // once waited for: nothing to signal, no error
  });
}

TEST(process, the_environment_is_the_given_one) {
  weft::loop lp;
  lp.run_until_complete([] {
    auto p =
        weft::process::spawn({"/usr/bin/env"}, {.pipe_stdout = true, .env = std::vector<std::string>{"ONLY=this"}});
    EXPECT_EQ(read_all(p.stdout_pipe()), "ONLY=this\n");
    EXPECT_EQ(p.wait(), 0);
  });
}

TEST(process, a_missing_program_throws_enoent_and_an_empty_argv_invalid_argument) {
  weft::loop lp;
  lp.run_until_complete([] {
    try {
      weft::process::spawn({"/nonexistent/weft-no-such-program"});
      ADD_FAILURE() << "spawned a missing program";
    } catch (const std::system_error& e) {
      EXPECT_EQ(e.code().value(), ENOENT);
    }
    EXPECT_THROW(weft::process::spawn({}), std::invalid_argument);
  });
}

// On virtual time: the wait gives up at its timeout while the child still
// runs, other tasks run meanwhile, and after kill() the wait sees -SIGKILL.
TEST(process, wait_for_times_out_suspending_only_its_task_then_kill_ends_the_child) {
  weft::loop lp({.virtual_time = true});
  lp.run_until_complete([&] {
    auto p = weft::process::spawn({"sleep", "30"});
    int ticks = 0;
    auto side = weft::spawn([&] {
      for (int i = 0; i < 5; ++i) {
        weft::sleep_for(10ms);
        ++ticks;
      }
    });
    auto start = lp.now();
    EXPECT_EQ(p.wait_for(100ms), std::nullopt);
    EXPECT_EQ(lp.now() - start, 100ms);
    EXPECT_EQ(ticks, 5);
    side.join();
    p.kill(SIGKILL);
    // (Not wait_for: virtual time would pass its timeout before the kernel
    // has ended the child in real time.)
    EXPECT_EQ(p.wait(), -SIGKILL);
  });
}

TEST(process, a_read_with_a_timeout_throws_timeout_error) {
  weft::loop lp({.virtual_time = true});
  lp.run_until_complete([] {
    auto p = weft::process::spawn({"sleep", "30"}, {.pipe_stdout = true});
    std::byte buf[16];
    EXPECT_THROW(p.stdout_pipe().read_some(buf, 50ms), weft::timeout_error);
  });  // the destructor kills and reaps the child
}

TEST(process, pass_fds_become_3_4_in_order_and_nothing_else_is_inherited) {
  weft::loop lp;
  lp.run_until_complete([] {
    int first[2], second[2];
    ASSERT_EQ(::pipe2(first, O_CLOEXEC | O_NONBLOCK), 0);
    ASSERT_EQ(::pipe2(second, O_CLOEXEC | O_NONBLOCK), 0);
    weft::pipe_stream from_first(first[0]), from_second(second[0]);
    auto p =
        weft::process::spawn({"sh", "-c", "echo three >&3; echo four >&4; { echo >&5; } 2>/dev/null || echo 5-closed"},
                             {.pipe_stdout = true, .pass_fds = {first[1], second[1]}});
    ::close(first[1]);
    ::close(second[1]);
    EXPECT_EQ(read_all(from_first), "three\n");
    EXPECT_EQ(read_all(from_second), "four\n");
    EXPECT_EQ(read_all(p.stdout_pipe()), "5-closed\n");
    EXPECT_EQ(p.wait(), 0);
  });
}

}  // namespace
