// Sockets on the real reactor over loopback: data, errors, timeouts (virtual
// time), cancellation, closing under a waiter, the readiness a registration
// keeps, fairness.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <string>
#include <system_error>
#include <vector>

#include "net/syscalls.hpp"
#include "net_test_util.hpp"
#include "weft/error.hpp"
#include "weft/net/udp.hpp"
#include "weft/net/unix.hpp"
#include "weft/fd_wait.hpp"
#include "weft/stream.hpp"

namespace {

using namespace std::chrono_literals;
using weft::loop;
using namespace weft::net;
using weft::net::testing::bytes;
using weft::net::testing::tcp_pair;

static_assert(weft::stream<tcp_stream>);
static_assert(weft::stream<unix_stream>);

std::string read_all(stream_socket& s) {
  std::string out;
  char buf[65536];
  while (std::size_t n = s.read_some(std::as_writable_bytes(std::span(buf)))) out.append(buf, n);
  return out;
}

int error_of(auto&& fn) {
  try {
    fn();
  } catch (const std::system_error& e) {
    return e.code().value();
  }
  return 0;
}

class tcp_families : public ::testing::TestWithParam<const char*> {};

TEST_P(tcp_families, a_message_goes_both_ways_and_addresses_match) {
  loop lp;
  lp.run_until_complete([&] {
    auto [client, server] = tcp_pair(GetParam());
    EXPECT_EQ(client.local_address(), server.peer_address());
    EXPECT_EQ(client.peer_address(), server.local_address());
    client.write_all(bytes("ping"));
    std::string got(4, '\0');
    server.read_exact(bytes(got));
    EXPECT_EQ(got, "ping");
    server.write_all(bytes("pong"));
    client.shutdown_write();
    server.shutdown_write();
    EXPECT_EQ(read_all(client), "pong");
    EXPECT_EQ(read_all(server), "");  // end of stream, not an error
  });
}

INSTANTIATE_TEST_SUITE_P(loopback, tcp_families, ::testing::Values("127.0.0.1", "::1"));

TEST(tcp, connect_by_name_tries_the_resolved_addresses) {
  loop lp;
  lp.run_until_complete([&] {
    auto listener = tcp_listener::bind(address::ipv4("127.0.0.1", 0));
    auto client = tcp_stream::connect("localhost", listener.local_address().port(), 5s);
    auto server = listener.accept(5s);
    EXPECT_EQ(client.peer_address().port(), listener.local_address().port());
  });
}

TEST(tcp, connect_to_a_closed_port_is_econnrefused) {
  loop lp;
  lp.run_until_complete([&] {
    std::uint16_t port;
    {
      auto listener = tcp_listener::bind(address::ipv4("127.0.0.1", 0));
      port = listener.local_address().port();
    }
    EXPECT_EQ(error_of([&] { tcp_stream::connect(address::ipv4("127.0.0.1", port)); }), ECONNREFUSED);
  });
}

TEST(tcp, a_large_payload_survives_partial_reads_and_writes) {
  loop lp;
  lp.run_until_complete([&] {
    auto [client, server] = tcp_pair();
    client.set_send_buffer_size(16384);
    std::string payload(1 << 20, '\0');
    for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>(i * 7 + i / 4096);
    auto writer = weft::spawn([&, &c = client] {
      c.write_all(bytes(payload));
      c.shutdown_write();
    });
    std::string got;
    std::size_t reads = 0;
    char buf[1000];  // deliberately not a divisor of anything
    while (std::size_t n = server.read_some(std::as_writable_bytes(std::span(buf)))) {
      got.append(buf, n);
      ++reads;
    }
    writer.join();
    EXPECT_EQ(got.size(), payload.size());
    EXPECT_TRUE(got == payload);
    EXPECT_GT(reads, payload.size() / sizeof buf - 1);
  });
}

TEST(tcp, writev_writes_every_buffer_in_order) {
  loop lp;
  lp.run_until_complete([&] {
    auto [client, server] = tcp_pair();
    client.set_send_buffer_size(4096);
    std::string a(100000, 'a'), b(3, 'b'), c(200000, 'c');
    std::vector<iovec> iov = {{a.data(), a.size()}, {b.data(), 0}, {b.data(), b.size()}, {c.data(), c.size()}};
    auto writer = weft::spawn([&, &cl = client] {
      std::size_t n = cl.writev(iov);
      cl.shutdown_write();
      return n;
    });
    std::string got = read_all(server);
    EXPECT_EQ(writer.join(), a.size() + b.size() + c.size());
    EXPECT_TRUE(got == a + b + c);
  });
}

TEST(tcp, sendfile_sends_the_file_range) {
  loop lp;
  lp.run_until_complete([&] {
    auto [client, server] = tcp_pair();
    std::FILE* f = std::tmpfile();
    std::string content(300000, 'x');
    content[0] = 'A';
    content[299999] = 'Z';
    ASSERT_EQ(std::fwrite(content.data(), 1, content.size(), f), content.size());
    std::fflush(f);
    auto writer = weft::spawn([&, &s = server] {
      off_t offset = 1;
      std::size_t n = s.sendfile(::fileno(f), offset, 1000000);  // past the end: stops there
      s.shutdown_write();
      EXPECT_EQ(offset, 300000);
      return n;
    });
    std::string got = read_all(client);
    EXPECT_EQ(writer.join(), 299999u);
    EXPECT_TRUE(got == content.substr(1));
    std::fclose(f);
  });
}

TEST(tcp, sendfile_to_a_closed_peer_is_epipe_and_leaves_no_sigpipe_pending) {
  loop lp;
  lp.run_until_complete([&] {
    auto [client, server] = tcp_pair();
    std::FILE* f = std::tmpfile();
    std::string content(65536, 'x');
    ASSERT_EQ(std::fwrite(content.data(), 1, content.size(), f), content.size());
    std::fflush(f);
    client.close();
    weft::sleep_for(std::chrono::milliseconds(1));
    int err = error_of([&] {
      for (int i = 0; i < 100; ++i) {
        off_t offset = 0;
        server.sendfile(::fileno(f), offset, content.size());
      }
    });
    EXPECT_TRUE(err == EPIPE || err == ECONNRESET) << err;
    sigset_t pending;
    sigpending(&pending);
    EXPECT_EQ(sigismember(&pending, SIGPIPE), 0);
    std::fclose(f);
  });
}

TEST(tcp, a_read_times_out_on_virtual_time) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([&] {
    auto [client, server] = tcp_pair();
    auto start = lp.now();
    char buf[8];
    EXPECT_THROW(server.read_some(std::as_writable_bytes(std::span(buf)), 5s), weft::timeout_error);
    EXPECT_EQ(lp.now() - start, 5s);
    // The socket still works afterwards.
    client.write_all(bytes("x"));
    EXPECT_EQ(server.read_some(std::as_writable_bytes(std::span(buf)), 5s), 1u);
  });
}

TEST(tcp, accept_times_out_on_virtual_time) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([&] {
    auto listener = tcp_listener::bind(address::ipv4("127.0.0.1", 0));
    auto start = lp.now();
    EXPECT_THROW(listener.accept(2s), weft::timeout_error);
    EXPECT_EQ(lp.now() - start, 2s);
  });
}

TEST(tcp, cancelling_a_read_in_the_middle_raises_cancelled) {
  loop lp;
  lp.run_until_complete([&] {
    auto [client, server] = tcp_pair();
    auto reader = weft::spawn([&, &s = server] {
      std::string got(10, '\0');
      s.read_exact(bytes(got));  // gets 3 bytes, then waits
    });
    client.write_all(bytes("abc"));
    weft::sleep_for(1ms);
    EXPECT_FALSE(reader.done());
    reader.cancel();
    EXPECT_THROW(reader.join(), weft::cancelled);
    // The connection is still usable.
    client.write_all(bytes("d"));
    char c;
    EXPECT_EQ(server.read_some(std::as_writable_bytes(std::span(&c, 1))), 1u);
    EXPECT_EQ(c, 'd');
  });
}

TEST(tcp, cancelling_a_write_in_the_middle_raises_cancelled_and_reports_progress_to_nobody) {
  loop lp;
  lp.run_until_complete([&] {
    auto [client, server] = tcp_pair();
    client.set_send_buffer_size(4096);
    server.set_receive_buffer_size(4096);
    std::string big(8 << 20, 'w');
    auto writer = weft::spawn([&, &c = client] { c.write_all(bytes(big)); });
    weft::sleep_for(1ms);  // the writer fills the buffers and waits
    EXPECT_FALSE(writer.done());
    writer.cancel();
    EXPECT_THROW(writer.join(), weft::cancelled);
  });
}

TEST(tcp, a_peer_reset_is_econnreset) {
  loop lp;
  lp.run_until_complete([&] {
    auto [client, server] = tcp_pair();
    server.set_linger(true, 0);
    server.close();  // RST
    char buf[8];
    EXPECT_EQ(error_of([&] { client.read_some(std::as_writable_bytes(std::span(buf))); }), ECONNRESET);
  });
}

TEST(tcp, writing_to_a_closed_peer_is_epipe_without_sigpipe) {
  loop lp;
  lp.run_until_complete([&] {
    auto [client, server] = tcp_pair();
    server.close();
    weft::sleep_for(1ms);
    // The first write may still be accepted; a later one reports the close.
    int err = error_of([&] {
      for (int i = 0; i < 100; ++i) client.write_all(bytes("data"));
    });
    EXPECT_TRUE(err == EPIPE || err == ECONNRESET) << err;
  });
}

TEST(tcp, closing_a_socket_under_a_waiter_wakes_it_and_the_fd_number_is_reusable) {
  loop lp;
  lp.run_until_complete([&] {
    auto [client, server] = tcp_pair();
    std::vector<weft::task<int>> waiters;
    for (int i = 0; i < 2; ++i)
      waiters.push_back(weft::spawn([&s = server] {
        char buf[8];
        return error_of([&] { s.read_some(std::as_writable_bytes(std::span(buf))); });
      }));
    weft::yield_now();
    int number = server.native_handle();
    server.close();
    for (auto& w : waiters) EXPECT_EQ(w.join(), ECANCELED);
    // A new socket gets the same number and can be waited on.
    auto [c2, s2] = tcp_pair();
    EXPECT_TRUE(c2.native_handle() == number || s2.native_handle() == number);
    tcp_stream& same = c2.native_handle() == number ? c2 : s2;
    tcp_stream& other = c2.native_handle() == number ? s2 : c2;
    auto reader = weft::spawn([&] {
      char c;
      return same.read_some(std::as_writable_bytes(std::span(&c, 1)));
    });
    weft::yield_now();
    other.write_all(bytes("!"));
    EXPECT_EQ(reader.join(), 1u);
  });
}

TEST(tcp, a_waiter_woken_by_data_but_closed_before_it_runs_gets_operation_canceled) {
  loop lp;
  lp.run_until_complete([&] {
    auto [a, b] = socketpair();
    auto reader = weft::spawn([&s = b] {
      char buf[8];
      return error_of([&] { s.read_some(std::as_writable_bytes(std::span(buf))); });
    });
    weft::yield_now();  // the reader waits
    a.write_all(bytes("x"));
    weft::yield_now();  // the poll behind this yield queues the reader after us
    b.close();
    EXPECT_EQ(reader.join(), ECANCELED);
  });
}

TEST(tcp, a_task_waiting_on_a_socket_shows_in_the_dump) {
  loop lp;
  lp.run_until_complete([&] {
    auto [a, b] = socketpair();
    auto reader = weft::spawn([&s = b] {
      char c;
      s.read_some(std::as_writable_bytes(std::span(&c, 1)));
    });
    weft::yield_now();
    std::string dump = lp.dump();
    EXPECT_NE(dump.find("fd readable socket fd " + std::to_string(b.native_handle())), std::string::npos) << dump;
    a.close();
    reader.join();
  });
}

TEST(tcp, operations_on_a_closed_socket_are_ebadf) {
  loop lp;
  lp.run_until_complete([&] {
    auto [client, server] = tcp_pair();
    client.close();
    char buf[1];
    EXPECT_EQ(error_of([&] { client.read_some(std::as_writable_bytes(std::span(buf))); }), EBADF);
  });
}

// Counts the socket layer's recv calls on one fd, passing them through.
struct counting_recv {
  static inline int fd = -1;
  static inline int calls = 0;
  static ssize_t recv(int f, void* buf, size_t len, int flags) {
    if (f == fd) ++calls;
    return detail::libc_syscalls.recv(f, buf, len, flags);
  }
  explicit counting_recv(int f) {
    fd = f;
    calls = 0;
    detail::sys.recv = &recv;
  }
  ~counting_recv() { detail::sys = detail::libc_syscalls; }
  counting_recv(const counting_recv&) = delete;
  counting_recv& operator=(const counting_recv&) = delete;
};

// An echo task on `server`, `rounds` pings from `client`, then end of
// stream; returns the recv calls the echo task made.
int echo_recvs(stream_socket& client, stream_socket& server, int rounds) {
  counting_recv counting(server.native_handle());
  auto echo = weft::spawn([&s = server] {
    std::array<std::byte, 64> buf;
    while (std::size_t n = s.read_some(buf)) s.write_all(std::span(buf).first(n));
  });
  std::string back(4, '\0');
  for (int i = 0; i < rounds; ++i) {
    client.write_all(bytes("ping"));
    client.read_exact(bytes(back));
    EXPECT_EQ(back, "ping");
  }
  client.shutdown_write();
  echo.join();
  return counting.calls;
}

TEST(readiness, a_short_read_spares_the_recv_that_would_find_nothing) {
  loop lp;
  lp.run_until_complete([&] {
    // One recv per ping (4 bytes of 64 asked: the queue is empty, so the
    // next read waits for the next edge without a recv), one that finds
    // nothing after the first ping, which the echo read before its socket
    // was registered (the registration comes with the first wait), and one
    // that reads the end of stream. Without the rule: 20 more, 41.
    auto [a, b] = socketpair();
    EXPECT_EQ(echo_recvs(a, b, 20), 20 + 1 + 1);
    auto [client, server] = tcp_pair();
    EXPECT_EQ(echo_recvs(client, server, 20), 20 + 1 + 1);
  });
}

TEST(readiness, bytes_and_end_of_stream_in_one_read_still_end_the_stream) {
  // The short read that takes the last bytes also takes the end of stream;
  // the read after it must return 0, not wait for an edge. Both orders: the
  // end of stream seen by the poll that wakes the reader, or arriving after
  // it (its edge still to come). A 1 s timeout on virtual time turns a
  // reader that waits for good into a timeout_error.
  for (bool eof_after_the_wake : {false, true}) {
    loop lp({.virtual_time = true});
    lp.run_until_complete([&] {
      auto [a, b] = socketpair();
      auto reader = weft::spawn([&s = b] {
        std::string got;
        char buf[64];
        while (std::size_t n = s.read_some(std::as_writable_bytes(std::span(buf)), 1s)) got.append(buf, n);
        return got;
      });
      weft::yield_now();  // the reader waits, registered
      a.write_all(bytes("last"));
      if (eof_after_the_wake) weft::yield_now();  // the poll behind this yield wakes the reader after us
      a.shutdown_write();
      EXPECT_EQ(reader.join(), "last") << "eof after the wake: " << eof_after_the_wake;
    });
  }
}

TEST(fairness, a_task_that_always_finds_data_yields_after_the_budget) {
  loop lp;
  lp.run_until_complete([&] {
    auto [a, b] = socketpair();
    std::string data(1000, 'x');
    a.write_all(bytes(data));
    int reads = 0;
    int reads_when_other_ran = -1;
    auto busy = weft::spawn([&, &s = b] {
      char c;
      for (int i = 0; i < 1000; ++i) {
        s.read_some(std::as_writable_bytes(std::span(&c, 1)));
        ++reads;
      }
    });
    auto other = weft::spawn([&] { reads_when_other_ran = reads; });
    busy.join();
    other.join();
    EXPECT_EQ(reads_when_other_ran, static_cast<int>(io_budget));
  });
}

TEST(udp, datagrams_carry_their_sender) {
  loop lp;
  lp.run_until_complete([&] {
    auto receiver = udp_socket::bind(address::ipv4("127.0.0.1", 0));
    auto sender = udp_socket::bind(address::ipv4("127.0.0.1", 0));
    auto got = weft::spawn([&] {
      char buf[64];
      datagram d = receiver.receive_from(std::as_writable_bytes(std::span(buf)), 5s);
      return std::make_pair(std::string(buf, d.size), d.from);
    });
    weft::yield_now();
    EXPECT_EQ(sender.send_to(bytes("hello"), receiver.local_address()), 5u);
    auto [text, from] = got.join();
    EXPECT_EQ(text, "hello");
    EXPECT_EQ(from, sender.local_address());
  });
}

TEST(unix_sockets, stream_listener_and_datagram_pair_work) {
  loop lp;
  std::string path = ::testing::TempDir() + "weft_unix_" + std::to_string(::getpid()) + ".sock";
  lp.run_until_complete([&] {
    auto listener = unix_listener::bind(path);
    auto client = unix_stream::connect(path);
    auto server = listener.accept(5s);
    client.write_all(bytes("over unix"));
    client.shutdown_write();
    EXPECT_EQ(read_all(server), "over unix");
    auto [d1, d2] = datagram_socketpair();
    d1.send(bytes("one"));
    d1.send(bytes("two"));
    char buf[16];
    EXPECT_EQ(d2.receive(std::as_writable_bytes(std::span(buf))), 3u);
    EXPECT_EQ(std::string(buf, 3), "one");
    EXPECT_EQ(d2.receive(std::as_writable_bytes(std::span(buf))), 3u);
  });
  ::unlink(path.c_str());
}

TEST(tcp, a_socket_outliving_its_loop_closes_safely) {
  tcp_stream kept;
  {
    loop lp;
    lp.run_until_complete([&] {
      auto [client, server] = tcp_pair();
      auto reader = weft::spawn([&s = server] {
        char c;
        s.read_some(std::as_writable_bytes(std::span(&c, 1)), 1ms);
      });
      EXPECT_THROW(reader.join(), weft::timeout_error);  // server is registered now
      kept = std::move(server);
    });
  }
  EXPECT_TRUE(kept.is_open());
  kept.close();
  EXPECT_FALSE(kept.is_open());
}

}  // namespace
