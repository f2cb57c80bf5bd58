// The reactor's two ways to wait for a socket, in one binary and one run:
//   BM_socket_pingpong/registered   weft::net sockets: the fd joins epoll once
//                                   (edge-triggered) and waits cost no
//                                   epoll_ctl.
//   BM_socket_pingpong/per_wait     the same exchange on raw fds through
//                                   wait_readable: an EPOLL_CTL_ADD and a DEL
//                                   per wait (what a level-triggered
//                                   registration needs too, as MODs, so as not
//                                   to spin on a writable socket).
// Two tasks of one loop bounce 64 bytes over a Unix socket pair; an
// iteration is one round trip (two waits, two polls).
#include <benchmark/benchmark.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstddef>

#include "weft/net/unix.hpp"
#include "weft/stream.hpp"
#include "weft/fd_wait.hpp"

namespace {

constexpr std::size_t message = 64;

void BM_socket_pingpong_registered(benchmark::State& state) {
  weft::loop lp;
  lp.run_until_complete([&] {
    auto [a, b] = weft::net::socketpair();
    auto echo = weft::spawn([&s = b] {
      std::array<std::byte, message> buf;
      try {
        for (;;) {
          s.read_exact(buf);
          s.write_all(buf);
        }
      } catch (const weft::end_of_stream&) {
      }
    });
    std::array<std::byte, message> buf{};
    for (auto _ : state) {
      a.write_all(buf);
      a.read_exact(buf);
    }
    a.close();
    echo.join();
  });
}

// read/write of exactly `message` bytes on a raw non-blocking fd, waiting
// through wait_readable/wait_writable on EAGAIN.
bool raw_transfer(int fd, std::byte* p, bool reading) {
  std::size_t done = 0;
  while (done < message) {
    ssize_t n = reading ? ::read(fd, p + done, message - done) : ::write(fd, p + done, message - done);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
    } else if (n == 0) {
      return false;
    } else if (errno == EAGAIN) {
      reading ? weft::wait_readable(fd) : weft::wait_writable(fd);
    } else if (errno != EINTR) {
      return false;
    }
  }
  return true;
}

void BM_socket_pingpong_per_wait(benchmark::State& state) {
  weft::loop lp;
  lp.run_until_complete([&] {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) != 0) {
      state.SkipWithError("socketpair");
      return;
    }
    auto echo = weft::spawn([fd = fds[1]] {
      std::array<std::byte, message> buf;
      while (raw_transfer(fd, buf.data(), true) && raw_transfer(fd, buf.data(), false)) {
      }
    });
    std::array<std::byte, message> buf{};
    for (auto _ : state) {
      raw_transfer(fds[0], buf.data(), false);
      raw_transfer(fds[0], buf.data(), true);
    }
    ::close(fds[0]);
    echo.join();
    ::close(fds[1]);
  });
}

BENCHMARK(BM_socket_pingpong_registered)->Name("BM_socket_pingpong/registered");
BENCHMARK(BM_socket_pingpong_per_wait)->Name("BM_socket_pingpong/per_wait");

}  // namespace
