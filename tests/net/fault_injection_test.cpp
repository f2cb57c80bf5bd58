// Faults injected through the socket layer's syscall table
// (src/net/syscalls.hpp), each with the behaviour it must produce.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <cerrno>
#include <string>
#include <system_error>

#include "net/syscalls.hpp"
#include "net_test_util.hpp"
#include "weft/net/unix.hpp"

namespace {

using weft::loop;
using namespace weft::net;
using weft::net::detail::libc_syscalls;
using weft::net::detail::sys;
using weft::net::testing::bytes;

// The schedule: each call of a faulted syscall takes the next entry; 0 means
// "pass through", a positive value a short transfer of at most that many
// bytes, a negative one fails with that errno.
struct schedule {
  static inline std::vector<int> steps;
  static inline std::size_t calls = 0;
  static int next() {
    int s = calls < steps.size() ? steps[calls] : 0;
    ++calls;
    return s;
  }
};

struct faults {
  explicit faults(std::vector<int> steps) {
    schedule::steps = std::move(steps);
    schedule::calls = 0;
  }
  ~faults() { sys = libc_syscalls; }
};

// Takes the next step: its fault, or `call` with `len` cut short.
template <class Call>
ssize_t apply_step(size_t len, Call call) {
  int s = schedule::next();
  if (s < 0) {
    errno = -s;
    return -1;
  }
  if (s > 0 && len > static_cast<size_t>(s)) len = static_cast<size_t>(s);
  return call(len);
}

ssize_t faulty_recv(int fd, void* buf, size_t len, int flags) {
  return apply_step(len, [&](size_t n) { return libc_syscalls.recv(fd, buf, n, flags); });
}

ssize_t faulty_send(int fd, const void* buf, size_t len, int flags) {
  return apply_step(len, [&](size_t n) { return libc_syscalls.send(fd, buf, n, flags); });
}

int faulty_accept4(int fd, sockaddr* a, socklen_t* l, int flags) {
  return static_cast<int>(apply_step(0, [&](size_t) { return libc_syscalls.accept4(fd, a, l, flags); }));
}

TEST(faults, eintr_on_recv_is_retried_at_once) {
  loop lp;
  lp.run_until_complete([&] {
    auto [a, b] = socketpair();
    a.write_all(bytes("hi"));
    faults f({-EINTR, -EINTR, 0});
    sys.recv = &faulty_recv;
    std::string got(2, '\0');
    b.read_exact(bytes(got));
    EXPECT_EQ(got, "hi");
    EXPECT_EQ(schedule::calls, 3u);
  });
}

TEST(faults, eagain_on_recv_waits_for_the_next_readiness) {
  loop lp;
  lp.run_until_complete([&] {
    auto [a, b] = socketpair();
    faults f({-EAGAIN, 0});
    sys.recv = &faulty_recv;
    auto reader = weft::spawn([&s = b] {
      char c;
      return s.read_some(std::as_writable_bytes(std::span(&c, 1)));
    });
    weft::yield_now();
    EXPECT_EQ(schedule::calls, 1u);  // got EAGAIN, now waits
    EXPECT_FALSE(reader.done());
    a.write_all(bytes("x"));
    EXPECT_EQ(reader.join(), 1u);
    EXPECT_EQ(schedule::calls, 2u);
  });
}

TEST(faults, short_writes_and_reads_still_move_every_byte) {
  loop lp;
  lp.run_until_complete([&] {
    auto [a, b] = socketpair();
    faults f({3, 1, 2, 5, 4, 3, 2, 1});
    sys.send = &faulty_send;
    a.write_all(bytes("0123456789"));
    EXPECT_EQ(schedule::calls, 4u);  // 3 + 1 + 2 + 4 (of 5 allowed)
    sys.send = libc_syscalls.send;
    sys.recv = &faulty_recv;
    std::string got(10, '\0');
    b.read_exact(bytes(got));
    EXPECT_EQ(got, "0123456789");
    EXPECT_EQ(schedule::calls, 8u);  // 4 + 3 + 2 + 1
  });
}

TEST(faults, short_reads_that_leave_bytes_on_a_registered_socket_still_move_every_byte) {
  loop lp;
  lp.run_until_complete([&] {
    auto [a, b] = socketpair();
    std::string got(10, '\0');
    auto reader = weft::spawn([&, &s = b] { s.read_exact(bytes(got)); });
    weft::yield_now();  // the reader waits: b is registered
    // Cut short with bytes left, unlike the kernel's recv: the socket layer
    // must not take a short read for an empty queue.
    faults f({4, 3, 2, 1});
    sys.recv = &faulty_recv;
    sys.short_recv_empties = false;
    a.write_all(bytes("0123456789"));
    reader.join();
    EXPECT_EQ(got, "0123456789");
    EXPECT_EQ(schedule::calls, 4u);
  });
}

TEST(faults, econnreset_on_recv_is_a_system_error_with_that_code) {
  loop lp;
  lp.run_until_complete([&] {
    auto [a, b] = socketpair();
    a.write_all(bytes("lost"));
    faults f({-ECONNRESET});
    sys.recv = &faulty_recv;
    char buf[8];
    try {
      b.read_some(std::as_writable_bytes(std::span(buf)));
      ADD_FAILURE() << "no error";
    } catch (const std::system_error& e) {
      EXPECT_EQ(e.code().value(), ECONNRESET);
    }
  });
}

TEST(faults, emfile_on_accept_throws_and_the_listener_keeps_working) {
  loop lp;
  lp.run_until_complete([&] {
    auto listener = tcp_listener::bind(address::ipv4("127.0.0.1", 0));
    auto client = tcp_stream::connect(listener.local_address());
    faults f({-EMFILE, 0});
    sys.accept4 = &faulty_accept4;
    try {
      listener.accept();
      ADD_FAILURE() << "no error";
    } catch (const std::system_error& e) {
      EXPECT_EQ(e.code().value(), EMFILE);
    }
    auto server = listener.accept();  // the pending connection is still there
    EXPECT_EQ(server.peer_address(), client.local_address());
    EXPECT_EQ(schedule::calls, 2u);
  });
}

TEST(faults, econnaborted_on_accept_is_skipped) {
  loop lp;
  lp.run_until_complete([&] {
    auto listener = tcp_listener::bind(address::ipv4("127.0.0.1", 0));
    auto client = tcp_stream::connect(listener.local_address());
    faults f({-ECONNABORTED, 0});
    sys.accept4 = &faulty_accept4;
    auto server = listener.accept();
    EXPECT_EQ(server.peer_address(), client.local_address());
    EXPECT_EQ(schedule::calls, 2u);
  });
}

}  // namespace
