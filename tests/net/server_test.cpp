// serve(): one task per connection, the connection limit, timeouts against
// silent clients, graceful shutdown, and EMFILE survival.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "net_test_util.hpp"
#include "weft/net/http.hpp"
#include "weft/net/server.hpp"
#include "weft/sync/event.hpp"

namespace {

using namespace std::chrono_literals;
using weft::loop;
using namespace weft::net;
namespace http = weft::net::http;
using weft::net::testing::bytes;

void echo(tcp_stream& c) {
  char buf[4096];
  while (std::size_t n = c.read_some(std::as_writable_bytes(std::span(buf))))
    c.write_all(std::as_bytes(std::span(buf, n)));
}

std::string round_trip(tcp_stream& c, std::string_view msg) {
  c.write_all(bytes(msg), 10s);
  std::string got(msg.size(), '\0');
  c.read_exact(bytes(got), 10s);
  return got;
}

TEST(server, serves_each_connection_in_its_own_task) {
  loop lp;
  lp.run_until_complete([&] {
    auto srv = serve(tcp_listener::bind(address::ipv4("127.0.0.1", 0)), echo);
    std::vector<tcp_stream> clients;
    for (int i = 0; i < 5; ++i) clients.push_back(tcp_stream::connect(srv.local_address()));
    for (int i = 4; i >= 0; --i) EXPECT_EQ(round_trip(clients[i], "n" + std::to_string(i)), "n" + std::to_string(i));
    EXPECT_EQ(srv.connections(), 5u);
    EXPECT_EQ(srv.accepted(), 5u);
    clients.clear();
    EXPECT_EQ(srv.shutdown(10s), 0u);
    EXPECT_EQ(srv.connections(), 0u);
  });
}

TEST(server, a_handler_failing_otherwise_than_by_io_is_reported) {
  loop lp;
  std::vector<std::string> reports;
  lp.set_exception_handler([&](const weft::exception_report& r) {
    try {
      if (r.error) std::rethrow_exception(r.error);
    } catch (const std::exception& e) {
      reports.push_back(r.task_name + ": " + e.what());
    }
  });
  lp.run_until_complete([&] {
    auto srv = serve(tcp_listener::bind(address::ipv4("127.0.0.1", 0)), [](tcp_stream& c) {
      char b;
      c.read_exact(std::as_writable_bytes(std::span(&b, 1)));
      if (b == 'x') throw std::runtime_error("bad request");
    });
    auto reset = tcp_stream::connect(srv.local_address());
    reset.set_linger(true, 0);
    reset.close();                                     // the handler gets ECONNRESET: not reported
    tcp_stream::connect(srv.local_address()).close();  // end_of_stream: not reported
    auto bad = tcp_stream::connect(srv.local_address());
    bad.write_all(bytes("x"));
    char c;
    EXPECT_EQ(bad.read_some(std::as_writable_bytes(std::span(&c, 1)), 10s), 0u);  // closed after the throw
    EXPECT_EQ(srv.shutdown(10s), 0u);
  });
  EXPECT_EQ(reports, (std::vector<std::string>{"server.connection: bad request"}));
}

TEST(server, at_the_connection_limit_the_next_waits_for_a_free_slot) {
  loop lp;
  lp.run_until_complete([&] {
    auto srv = serve(tcp_listener::bind(address::ipv4("127.0.0.1", 0)), echo, {.max_connections = 1});
    auto first = tcp_stream::connect(srv.local_address());
    EXPECT_EQ(round_trip(first, "a"), "a");
    auto second = tcp_stream::connect(srv.local_address());  // in the backlog
    second.write_all(bytes("b"));
    char c;
    EXPECT_THROW(second.read_some(std::as_writable_bytes(std::span(&c, 1)), 20ms), weft::timeout_error);
    EXPECT_EQ(srv.accepted(), 1u);
    first.close();
    EXPECT_EQ(second.read_some(std::as_writable_bytes(std::span(&c, 1)), 10s), 1u);
    EXPECT_EQ(c, 'b');
    EXPECT_EQ(srv.accepted(), 2u);
    second.close();
    EXPECT_EQ(srv.shutdown(10s), 0u);
  });
}

TEST(server, a_silent_client_is_dropped_after_the_idle_timeout) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([&] {
    auto srv = serve(tcp_listener::bind(address::ipv4("127.0.0.1", 0)), echo, {.idle_timeout = 30s});
    auto client = tcp_stream::connect(srv.local_address());
    auto start = lp.now();
    char c;
    EXPECT_EQ(client.read_some(std::as_writable_bytes(std::span(&c, 1))), 0u);  // the server closed it
    EXPECT_EQ(lp.now() - start, 30s);
    EXPECT_EQ(srv.shutdown(1s), 0u);
  });
}

TEST(server, shutdown_cancels_what_is_still_running_after_the_grace) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([&] {
    auto srv = serve(tcp_listener::bind(address::ipv4("127.0.0.1", 0)), echo);
    auto quiet = tcp_stream::connect(srv.local_address());
    EXPECT_EQ(round_trip(quiet, "x"), "x");  // being served, now waits for more
    auto start = lp.now();
    EXPECT_EQ(srv.shutdown(5s), 1u);
    EXPECT_EQ(lp.now() - start, 5s);
    char c;
    EXPECT_EQ(quiet.read_some(std::as_writable_bytes(std::span(&c, 1))), 0u);
    // The listener is closed.
    EXPECT_THROW(tcp_stream::connect(srv.local_address()), std::system_error);
  });
}

TEST(server, graceful_shutdown_loses_no_response_already_being_written) {
  loop lp;
  const std::string response(2 << 20, 'r');
  lp.run_until_complete([&] {
    weft::event writing("writing");
    auto srv = serve(tcp_listener::bind(address::ipv4("127.0.0.1", 0)), [&](tcp_stream& c) {
      char req;
      c.read_exact(std::as_writable_bytes(std::span(&req, 1)));
      writing.set();
      c.write_all(bytes(response));
    });
    auto client = tcp_stream::connect(srv.local_address());
    client.write_all(bytes("?"));
    writing.wait();
    auto stopper = weft::spawn([&] { return srv.shutdown(60s); });
    std::string got;
    char buf[1000];
    while (std::size_t n = client.read_some(std::as_writable_bytes(std::span(buf)), 60s)) {
      got.append(buf, n);
      weft::yield_now();  // a slow reader
    }
    EXPECT_EQ(stopper.join(), 0u);
    EXPECT_EQ(got.size(), response.size());
  });
}

// An HTTP/1.1 keep-alive handler in the shape of examples/net/http_server:
// only the wait for the first bytes of a request after the first is idle
// (a new connection's client is about to send one). Each answer takes
// `work` (virtual time), then sends `body`, saying "Connection: close" once
// the server is stopping; the idle() after it then ends the connection.
server::connection_handler keep_alive_http(loop::duration work, const std::string& body, weft::event& working) {
  return [work, &body, &working](tcp_stream& c, server_connection& sc) {
    http::request_parser parser;
    bool answered = false;
    char buf[4096];
    for (;;) {
      std::size_t n = 0;
      if (answered && parser.idle()) {
        auto idle = sc.idle();
        n = c.read_some(std::as_writable_bytes(std::span(buf)));
      } else {
        n = c.read_some(std::as_writable_bytes(std::span(buf)));
      }
      if (n == 0) return;
      for (std::string_view in(buf, n); !in.empty();) {
        in.remove_prefix(parser.feed(in));
        if (parser.failed()) return;
        if (!parser.done()) break;
        working.set();
        weft::sleep_for(work);
        std::string head = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) +
                           (sc.stopping() ? "\r\nConnection: close" : "") + "\r\n\r\n";
        c.write_all(bytes(head + body));
        parser.next();
        answered = true;
      }
    }
  };
}

constexpr std::string_view get_request = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";

// Sends a GET and reads the whole answer, up to the end of its body.
std::string http_get(tcp_stream& c, std::size_t body_size) {
  c.write_all(bytes(get_request), 60s);
  std::string got;
  char buf[65536];
  for (;;) {
    std::size_t head_end = got.find("\r\n\r\n");
    if (head_end != std::string::npos && got.size() == head_end + 4 + body_size) return got;
    std::size_t n = c.read_some(std::as_writable_bytes(std::span(buf)), 60s);
    if (n == 0) return got;
    got.append(buf, n);
  }
}

std::string read_to_end(tcp_stream& c) {
  std::string got;
  char buf[65536];
  while (std::size_t n = c.read_some(std::as_writable_bytes(std::span(buf)), 60s)) got.append(buf, n);
  return got;
}

// `n` clients of `srv` that each got one answer (of `body_size` bytes) and
// keep their connection: idle, between requests.
std::vector<tcp_stream> idle_clients(const server& srv, int n, std::size_t body_size) {
  std::vector<tcp_stream> clients;
  for (int i = 0; i < n; ++i) {
    clients.push_back(tcp_stream::connect(srv.local_address()));
    std::string answer = http_get(clients.back(), body_size);
    EXPECT_TRUE(answer.starts_with("HTTP/1.1 200 OK\r\n") && answer.size() > body_size) << answer.substr(0, 100);
  }
  return clients;
}

TEST(server, shutdown_closes_idle_keep_alive_connections_at_once) {
  loop lp({.virtual_time = true});
  const std::string body = "hello";
  weft::event working("working");
  lp.run_until_complete([&] {
    auto srv = serve(tcp_listener::bind(address::ipv4("127.0.0.1", 0)), keep_alive_http(1s, body, working));
    std::vector<tcp_stream> clients = idle_clients(srv, 3, body.size());
    auto start = lp.now();
    EXPECT_EQ(srv.shutdown(30s), 0u);
    EXPECT_EQ(lp.now() - start, 0s);
    EXPECT_EQ(srv.connections(), 0u);
    for (auto& c : clients) EXPECT_EQ(read_to_end(c), "");  // closed, nothing sent
  });
}

TEST(server, shutdown_lets_a_request_in_progress_finish_whole_while_idle_ones_close) {
  loop lp({.virtual_time = true});
  const std::string body = weft::net::testing::patterned(1 << 20);
  weft::event working("working");
  lp.run_until_complete([&] {
    auto srv = serve(tcp_listener::bind(address::ipv4("127.0.0.1", 0)), keep_alive_http(2s, body, working));
    std::vector<tcp_stream> idle = idle_clients(srv, 2, body.size());
    auto busy = tcp_stream::connect(srv.local_address());
    busy.write_all(bytes(get_request));
    working.clear();
    working.wait();  // the handler is answering it
    auto start = lp.now();
    auto stopper = weft::spawn([&] { return srv.shutdown(30s); });
    for (auto& c : idle) {
      EXPECT_EQ(read_to_end(c), "");
      EXPECT_EQ(lp.now() - start, 0s);
    }
    std::string got = read_to_end(busy);  // up to the close after the answer
    EXPECT_EQ(lp.now() - start, 2s);
    EXPECT_EQ(got, "HTTP/1.1 200 OK\r\nContent-Length: 1048576\r\nConnection: close\r\n\r\n" + body);
    EXPECT_EQ(stopper.join(), 0u);
    EXPECT_EQ(lp.now() - start, 2s);
  });
}

TEST(server, shutdown_answers_the_first_request_of_a_connection_accepted_before_it) {
  loop lp({.virtual_time = true});
  const std::string body = "x";
  weft::event working("working");
  lp.run_until_complete([&] {
    auto srv = serve(tcp_listener::bind(address::ipv4("127.0.0.1", 0)), keep_alive_http(1s, body, working));
    auto fresh = tcp_stream::connect(srv.local_address());
    while (srv.connections() == 0) weft::yield_now();  // accepted; its request not sent yet
    auto start = lp.now();
    auto stopper = weft::spawn([&] { return srv.shutdown(30s); });
    weft::sleep_for(2s);
    fresh.write_all(bytes(get_request));
    EXPECT_EQ(read_to_end(fresh), "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nConnection: close\r\n\r\nx");
    EXPECT_EQ(stopper.join(), 0u);
    EXPECT_EQ(lp.now() - start, 3s);
  });
}

TEST(server, shutdown_counts_exactly_the_connections_cancelled_after_the_grace) {
  loop lp({.virtual_time = true});
  const std::string body = "x";
  weft::event working("working");
  weft::event stuck_working("stuck");
  lp.run_until_complete([&] {
    auto quick = keep_alive_http(1s, body, working);
    auto slow = keep_alive_http(60s, body, stuck_working);
    std::size_t served = 0;
    // The first three connections answer in 1 s, the next two in 60 s.
    auto srv = serve(tcp_listener::bind(address::ipv4("127.0.0.1", 0)),
                     [&](tcp_stream& c, server_connection& sc) { (served++ < 3 ? quick : slow)(c, sc); });
    std::vector<tcp_stream> clients;
    for (int i = 0; i < 5; ++i) clients.push_back(tcp_stream::connect(srv.local_address()));
    EXPECT_EQ(http_get(clients[0], 1).size(), 39u);  // idle from here on
    working.clear();
    for (int i = 1; i < 5; ++i) clients[i].write_all(bytes(get_request));
    while (!stuck_working.is_set() || !working.is_set()) weft::yield_now();
    auto start = lp.now();
    EXPECT_EQ(srv.shutdown(5s), 2u);  // the two 60 s answers; not the idle one, not the 1 s ones
    EXPECT_EQ(lp.now() - start, 5s);
    EXPECT_EQ(read_to_end(clients[0]), "");
    for (int i = 1; i < 3; ++i) EXPECT_EQ(read_to_end(clients[i]).size(), 58u);  // with Connection: close
    for (int i = 3; i < 5; ++i) EXPECT_EQ(read_to_end(clients[i]), "");
  });
}

// In a child whose RLIMIT_NOFILE leaves room for 2 connections: 4 clients
// connect; the server hits EMFILE, reports it once per episode, keeps the
// listener and serves the others as the first ones leave. Exit status: the
// reports counted.
TEST(server, survives_emfile_without_dropping_the_listener) {
  int port_pipe[2];
  ASSERT_EQ(::pipe(port_pipe), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(port_pipe[0]);
    int reports = 0;
    loop lp;
    lp.set_exception_handler([&](const weft::exception_report& r) {
      if (r.message.find("accept failed") != std::string::npos) ++reports;
    });
    lp.run_until_complete([&] {
      auto srv = serve(tcp_listener::bind(address::ipv4("127.0.0.1", 0)), echo, {.accept_backoff = 5ms});
      std::uint16_t port = srv.local_address().port();
      // Room for exactly two more descriptors from here: fill the holes
      // below the highest open fd, then allow two above it.
      int highest = 0;
      for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd"))
        highest = std::max(highest, std::stoi(entry.path().filename().string()));
      int d;
      while ((d = ::dup(0)) < highest) {
      }
      if (d > highest) ::close(d);  // no hole left: give it back
      rlimit lim{static_cast<rlim_t>(highest + 3), static_cast<rlim_t>(highest + 3)};
      ::setrlimit(RLIMIT_NOFILE, &lim);
      (void)!::write(port_pipe[1], &port, sizeof port);
      while (srv.accepted() < 4) weft::sleep_for(5ms);
      while (srv.connections() > 0) weft::sleep_for(5ms);
      srv.shutdown(1s);
    });
    ::_exit(reports);
  }
  ::close(port_pipe[1]);
  std::uint16_t port = 0;
  ASSERT_EQ(::read(port_pipe[0], &port, sizeof port), static_cast<ssize_t>(sizeof port));
  ::close(port_pipe[0]);
  loop lp;
  lp.run_until_complete([&] {
    std::vector<tcp_stream> clients;
    for (int i = 0; i < 4; ++i) clients.push_back(tcp_stream::connect(address::ipv4("127.0.0.1", port), 10s));
    // The first two are served; the others wait in the backlog while the
    // server is out of descriptors (episode 1). Each close lets one more in,
    // and the accept after it fails again (episodes 2 and 3: Linux takes the
    // descriptor before it looks at the queue, so the accept after client 3's
    // fails too, with nothing pending).
    EXPECT_EQ(round_trip(clients[0], "0"), "0");
    EXPECT_EQ(round_trip(clients[1], "1"), "1");
    clients[0].close();
    EXPECT_EQ(round_trip(clients[2], "2"), "2");
    clients[1].close();
    EXPECT_EQ(round_trip(clients[3], "3"), "3");
    clients.clear();
  });
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 3);  // one report per episode, not per failed accept
}

}  // namespace
