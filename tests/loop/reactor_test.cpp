// Waiting for file descriptors: pipes on the real reactor.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <system_error>

#include "weft/reactor.hpp"

namespace {

using namespace std::chrono_literals;
using weft::loop;

struct pipe_pair {
  int fds[2] = {-1, -1};
  pipe_pair() {
    if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe2");
  }
  ~pipe_pair() {
    for (int fd : fds)
      if (fd >= 0) ::close(fd);
  }
  int r() const { return fds[0]; }
  int w() const { return fds[1]; }
};

TEST(reactor, a_reader_sleeps_until_a_writer_task_writes) {
  loop lp;
  pipe_pair p;
  std::string got = lp.run_until_complete([&] {
    auto reader = weft::spawn([&] {
      EXPECT_TRUE(weft::wait_readable(p.r()));
      char buf[16];
      ssize_t n = ::read(p.r(), buf, sizeof buf);
      return std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
    });
    weft::yield_now();  // the reader is now waiting
    EXPECT_FALSE(reader.done());
    EXPECT_EQ(::write(p.w(), "hello", 5), 5);
    return reader.join();
  });
  EXPECT_EQ(got, "hello");
}

TEST(reactor, wait_times_out_and_returns_false) {
  loop lp;
  pipe_pair p;
  auto t0 = std::chrono::steady_clock::now();
  bool ready = lp.run_until_complete([&] { return weft::wait_readable(p.r(), 5ms); });
  EXPECT_FALSE(ready);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 5ms);
}

TEST(reactor, a_pipe_with_room_is_writable_at_once) {
  loop lp;
  pipe_pair p;
  EXPECT_TRUE(lp.run_until_complete([&] { return weft::wait_writable(p.w(), 1s); }));
}

TEST(reactor, hangup_counts_as_readable) {
  loop lp;
  pipe_pair p;
  ::close(p.fds[1]);
  p.fds[1] = -1;
  EXPECT_TRUE(lp.run_until_complete([&] { return weft::wait_readable(p.r(), 1s); }));
}

TEST(reactor, cancelling_a_waiting_reader_unregisters_it) {
  loop lp;
  pipe_pair p;
  lp.run_until_complete([&] {
    auto reader = weft::spawn([&] { weft::wait_readable(p.r()); });
    weft::yield_now();
    reader.cancel();
    EXPECT_THROW(reader.join(), weft::cancelled);
    // The fd is free again for another reader.
    EXPECT_EQ(::write(p.w(), "x", 1), 1);
    EXPECT_TRUE(weft::wait_readable(p.r(), 1s));
  });
}

TEST(reactor, a_second_reader_on_the_same_fd_is_invalid_state) {
  loop lp;
  pipe_pair p;
  lp.run_until_complete([&] {
    auto first = weft::spawn([&] { weft::wait_readable(p.r()); });
    weft::yield_now();
    EXPECT_THROW(weft::wait_readable(p.r()), weft::invalid_state);
    first.cancel();
    EXPECT_THROW(first.join(), weft::cancelled);
  });
}

TEST(reactor, a_regular_file_is_refused_with_eperm) {
  loop lp;
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  lp.run_until_complete([&] {
    try {
      weft::wait_readable(::fileno(f));
      ADD_FAILURE() << "a regular file was accepted";
    } catch (const std::system_error& e) {
      EXPECT_EQ(e.code().value(), EPERM);
    }
  });
  std::fclose(f);
}

TEST(reactor, a_bad_fd_is_refused_with_ebadf) {
  loop lp;
  lp.run_until_complete([&] {
    try {
      weft::wait_readable(-1);
      ADD_FAILURE() << "fd -1 was accepted";
    } catch (const std::system_error& e) {
      EXPECT_EQ(e.code().value(), EBADF);
    }
  });
}

TEST(reactor, close_fd_wakes_both_waiters_with_operation_canceled_and_frees_the_number) {
  loop lp;
  pipe_pair p;
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
  // Fill the send side, so that a writer waits too.
  char chunk[4096] = {};
  while (::write(fds[1], chunk, sizeof chunk) > 0) {
  }
  lp.run_until_complete([&] {
    auto waiter = [](int fd, bool read) {
      return weft::spawn([fd, read] {
        try {
          read ? weft::wait_readable(fd) : weft::wait_writable(fd);
          return 0;
        } catch (const std::system_error& e) {
          return e.code() == std::errc::operation_canceled ? 1 : -1;
        }
      });
    };
    // fds[1] never becomes readable (nobody writes to fds[0]) nor writable.
    auto reader = waiter(fds[1], true);
    auto writer = waiter(fds[1], false);
    weft::yield_now();
    int number = fds[1];
    weft::close_fd(fds[1]);
    EXPECT_EQ(reader.join(), 1);
    EXPECT_EQ(writer.join(), 1);
    // A new fd with the same number can be waited on.
    int again = ::dup(p.w());
    ASSERT_EQ(again, number);
    EXPECT_TRUE(weft::wait_writable(again, 1s));
    ::close(again);
  });
  ::close(fds[0]);
}

}  // namespace
