// examples/net/tls_stream.hpp in one loop over loopback: both ends are
// tls_streams, the certificate is made at test time. Round trips with
// partial transfers, certificate and name checks, close_notify, truncation,
// errors of the stream underneath, cancellation and timeouts.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <system_error>

#include "net_test_util.hpp"
#include "test_certificate.hpp"
#include "tls_stream.hpp"
#include "weft/error.hpp"
#include "weft/net/unix.hpp"
#include "weft/stream.hpp"

namespace {

using namespace std::chrono_literals;
using examples::tls_context;
using examples::tls_error;
using examples::tls_stream;
using weft::loop;
using weft::net::tcp_stream;
using weft::net::testing::bytes;
using weft::net::testing::patterned;
using weft::net::testing::tcp_pair;

static_assert(weft::stream<tls_stream<tcp_stream>>);
static_assert(weft::stream<tls_stream<weft::net::unix_stream>>);

// One certificate for the binary (made on first use).
const weft::test::test_certificate& cert() {
  static const weft::test::test_certificate c;
  return c;
}
const tls_context& server_context() {
  static const tls_context ctx = tls_context::server(cert().cert_file(), cert().key_file());
  return ctx;
}
const tls_context& client_context() {
  static const tls_context ctx = tls_context::client(cert().cert_file());
  return ctx;
}

// Runs both handshakes, the server's in a task of its own.
template <class S>
void handshake_both(tls_stream<S>& client, tls_stream<S>& server) {
  auto t = weft::spawn([&] { server.handshake(); });
  client.handshake();
  t.join();
}

// A TLS connection over loopback TCP, both ends in this loop, made in a
// task; the client expects `name`. No handshake yet.
struct tls_connection {
  explicit tls_connection(const std::string& name = "localhost", std::pair<tcp_stream, tcp_stream> tcp = tcp_pair())
      : c(std::move(tcp.first)),
        s(std::move(tcp.second)),
        client(c, client_context(), name),
        server(s, server_context()) {}
  tcp_stream c, s;  // the client's and the server's TCP ends
  tls_stream<tcp_stream> client, server;
};

// Runs body(connection) in a task of a new loop, both handshakes done.
void with_connection(auto body, weft::loop_options options = {}, const std::string& name = "localhost") {
  loop lp(options);
  lp.run_until_complete([&] {
    tls_connection t(name);
    handshake_both(t.client, t.server);
    body(t);
  });
}

std::string read_text(auto& s, std::size_t max = 64) {
  std::string out(max, '\0');
  out.resize(s.read_some(bytes(out)));
  return out;
}

// A tcp_stream whose reads and writes move at most 1021 bytes each, so
// that every TLS record crosses it in several partial transfers.
struct chopping_stream {
  static constexpr std::size_t most = 1021;
  tcp_stream& s;
  std::size_t read_some(std::span<std::byte> into) { return s.read_some(into.first(std::min(into.size(), most))); }
  std::size_t write_some(std::span<const std::byte> data) {
    return s.write_some(data.first(std::min(data.size(), most)));
  }
  void close() { s.close(); }
};

TEST(tls_stream, echoes_small_and_1_mib_payloads_through_partial_reads_and_writes) {
  loop lp;
  lp.run_until_complete([&] {
    auto [c, s] = tcp_pair();
    chopping_stream server_side{s}, client_side{c};
    tls_stream server(server_side, server_context());
    auto echo = weft::spawn([&] {
      std::array<std::byte, 16384> buf;
      while (std::size_t n = server.read_some(buf)) weft::write_all(server, std::span(buf).first(n));
      server.close();
    });
    tls_stream client(client_side, client_context(), "localhost");
    weft::write_all(client, bytes("hello"));
    std::string hello(5, '\0');
    weft::read_exact(client, bytes(hello));
    EXPECT_EQ(hello, "hello");

    std::string big = patterned(1 << 20);
    std::size_t writes = 0;
    auto writer = weft::spawn([&] {
      for (auto rest = bytes(big); !rest.empty(); ++writes) rest = rest.subspan(client.write_some(rest));
    });
    std::string back;
    std::size_t reads = 0, largest_read = 0;
    std::array<std::byte, 65536> buf;
    while (back.size() < big.size()) {
      std::size_t n = client.read_some(buf);
      ASSERT_GT(n, 0u);
      back.append(reinterpret_cast<const char*>(buf.data()), n);
      largest_read = std::max(largest_read, n);
      ++reads;
    }
    writer.join();
    EXPECT_TRUE(back == big);
    EXPECT_EQ(writes, big.size() / 16384);  // one record per write_some
    EXPECT_LE(largest_read, 16384u);        // one record per read_some
    EXPECT_GE(reads, big.size() / 16384);
    client.close();
    echo.join();
  });
}

TEST(tls_stream, works_over_a_unix_socketpair_too) {
  loop lp;
  lp.run_until_complete([&] {
    auto [a, b] = weft::net::socketpair();
    tls_stream client(a, client_context(), "localhost");
    tls_stream server(b, server_context());
    handshake_both(client, server);
    weft::write_all(client, bytes("over unix"));
    EXPECT_EQ(read_text(server), "over unix");
  });
}

TEST(tls_stream, a_client_accepts_the_certificate_by_ip_address_in_its_alt_names) {
  with_connection(
      [](tls_connection& t) {
        auto& [c, s, client, server] = t;
        weft::write_all(server, bytes("ok"));
        EXPECT_EQ(read_text(client), "ok");
      },
      {}, "127.0.0.1");
}

// The client's handshake fails with tls_error whose message names the
// verification failure; the server gets the client's alert as tls_error.
void expect_rejected(const tls_context& client_ctx, const std::string& name, const std::string& reason) {
  auto [c, s] = tcp_pair();
  tls_stream client(c, client_ctx, name);
  tls_stream server(s, server_context());
  auto t = weft::spawn([&] { server.handshake(); });
  try {
    client.handshake();
    ADD_FAILURE() << "handshake with " << name << " succeeded";
  } catch (const tls_error& e) {
    EXPECT_NE(std::string(e.what()).find("certificate verify failed (" + reason + ")"), std::string::npos) << e.what();
    EXPECT_NE(e.code(), 0u);
  }
  EXPECT_THROW(t.join(), tls_error);
}

TEST(tls_stream, a_client_rejects_a_certificate_for_another_name) {
  loop lp;
  lp.run_until_complete([&] {
    expect_rejected(client_context(), "example.com", "hostname mismatch");
    expect_rejected(client_context(), "127.0.0.2", "IP address mismatch");
  });
}

TEST(tls_stream, a_client_rejects_a_certificate_it_does_not_trust) {
  loop lp;
  lp.run_until_complete([&] {
    weft::test::test_certificate other;
    expect_rejected(tls_context::client(other.cert_file()), "localhost", "self-signed certificate");
  });
}

TEST(tls_stream, close_notify_makes_read_some_return_0) {
  with_connection([](tls_connection& t) {
    auto& [c, s, client, server] = t;
    weft::write_all(server, bytes("bye"));
    server.close();
    EXPECT_FALSE(s.is_open());
    EXPECT_EQ(read_text(client), "bye");
    EXPECT_EQ(read_text(client), "");
    EXPECT_EQ(read_text(client), "");  // and stays at the end
  });
}

TEST(tls_stream, an_abrupt_close_without_close_notify_is_a_tls_error) {
  with_connection([](tls_connection& t) {
    auto& [c, s, client, server] = t;
    weft::write_all(server, bytes("partial"));
    s.close();  // FIN, no close_notify: what an attacker cutting the connection produces
    EXPECT_EQ(read_text(client), "partial");
    try {
      read_text(client);
      ADD_FAILURE() << "no error after a truncated stream";
    } catch (const tls_error& e) {
      EXPECT_NE(std::string(e.what()).find("unexpected eof while reading"), std::string::npos) << e.what();
    }
    EXPECT_THROW(read_text(client), tls_error);
  });
}

TEST(tls_stream, an_abrupt_close_during_the_handshake_is_a_tls_error) {
  loop lp;
  lp.run_until_complete([&] {
    tls_connection t;
    t.s.close();
    EXPECT_THROW(t.client.handshake(), tls_error);
  });
}

TEST(tls_stream, errors_of_the_stream_underneath_pass_through_as_system_error) {
  with_connection([](tls_connection& t) {
    auto& [c, s, client, server] = t;
    s.set_linger(true, 0);
    s.close();  // RST
    try {
      read_text(client);
      ADD_FAILURE() << "no error after a reset";
    } catch (const std::system_error& e) {
      EXPECT_EQ(e.code().value(), ECONNRESET);
    }
  });
}

TEST(tls_stream, cancelling_a_task_blocked_in_a_read_raises_cancelled_and_the_session_goes_on) {
  with_connection([](tls_connection& t) {
    auto& [c, s, client, server] = t;
    auto reader = weft::spawn([&] { return read_text(client); });
    weft::yield_now();  // the reader finds nothing and waits
    EXPECT_FALSE(reader.done());
    // A second reader at once is refused.
    EXPECT_THROW(read_text(client), weft::invalid_state);
    reader.cancel();
    EXPECT_THROW(reader.join(), weft::cancelled);
    weft::write_all(server, bytes("after"));
    EXPECT_EQ(read_text(client), "after");
  });
}

TEST(tls_stream, a_second_task_is_refused_during_the_handshake) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([&] {
    tls_connection t;
    t.c.set_read_timeout(1s);  // were the write let in, it would wait for ever
    // The first read runs the client's handshake: it sends its hello and
    // waits for the server.
    auto first = weft::spawn([&] { return read_text(t.client); });
    weft::yield_now();
    EXPECT_FALSE(first.done());
    EXPECT_THROW(t.client.write_some(bytes("x")), weft::invalid_state);
    EXPECT_THROW(t.client.handshake(), weft::invalid_state);
    t.server.handshake();
    weft::write_all(t.server, bytes("hi"));
    EXPECT_EQ(first.join(), "hi");
    weft::write_all(t.client, bytes("after"));  // once the handshake is done, anyone may write
    EXPECT_EQ(read_text(t.server), "after");
  });
}

TEST(tls_stream, a_write_cancelled_half_way_leaves_the_record_stream_intact) {
  with_connection([](tls_connection& t) {
    auto& [c, s, client, server] = t;
    c.set_send_buffer_size(4096);
    std::string big = patterned(1 << 20);
    std::size_t returned = 0;  // bytes write_some reported taken
    auto writer = weft::spawn([&] {
      for (auto rest = bytes(big); !rest.empty(); rest = bytes(big).subspan(returned))
        returned += client.write_some(rest);
    });
    weft::yield_now();  // the writer fills the socket buffers and waits inside a record
    EXPECT_FALSE(writer.done());
    writer.cancel();
    EXPECT_THROW(writer.join(), weft::cancelled);
    ASSERT_LT(returned, big.size());
    auto reader = weft::spawn([&] {
      std::string got;
      std::array<std::byte, 16384> buf;
      while (std::size_t n = server.read_some(buf)) got.append(reinterpret_cast<const char*>(buf.data()), n);
      return got;
    });
    weft::write_all(client, bytes("tail"));  // first the rest of the cut record
    client.close();
    std::string got = reader.join();
    ASSERT_GE(got.size(), returned + 4);
    EXPECT_TRUE(got.compare(0, got.size() - 4, big, 0, got.size() - 4) == 0);
    EXPECT_EQ(got.substr(got.size() - 4), "tail");
  });
}

TEST(tls_stream, a_read_timeout_of_the_stream_underneath_passes_through) {
  with_connection(
      [](tls_connection& t) {
        auto& [c, s, client, server] = t;
        c.set_read_timeout(5s);
        auto start = loop::current()->now();
        EXPECT_THROW(read_text(client), weft::timeout_error);
        EXPECT_EQ(loop::current()->now() - start, 5s);
        weft::write_all(server, bytes("late"));
        EXPECT_EQ(read_text(client), "late");
      },
      {.virtual_time = true});
}

}  // namespace
