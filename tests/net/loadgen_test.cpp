// examples/net/loadgen against a plain blocking echo server on a thread of
// this test, so that only loadgen is under test.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <sstream>
#include <thread>
#include <vector>

#include "example_process.hpp"

namespace {

// Echoes on every connection (a thread each) until destroyed; counts bytes.
class echo_peer {
 public:
  echo_peer() {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&a), len) != 0 || ::listen(listener_, 64) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len) != 0)
      throw std::runtime_error("echo_peer: cannot listen");
    port_ = ntohs(a.sin_port);
    acceptor_ = std::thread([this] {
      for (;;) {
        int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) return;  // shutdown() below
        workers_.emplace_back([this, fd] {
          char buf[65536];
          ssize_t n;
          while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) {
            bytes_ += static_cast<std::size_t>(n);
            if (::send(fd, buf, static_cast<std::size_t>(n), MSG_NOSIGNAL) != n) break;
          }
          ::close(fd);
        });
      }
    });
  }
  ~echo_peer() {
    ::shutdown(listener_, SHUT_RDWR);
    acceptor_.join();
    for (auto& w : workers_) w.join();  // loadgen closed its connections when it exited
    ::close(listener_);
  }
  int port() const { return port_; }
  std::size_t bytes() const { return bytes_; }

 private:
  int listener_ = -1;
  int port_ = 0;
  std::atomic<std::size_t> bytes_{0};
  std::thread acceptor_;
  std::vector<std::thread> workers_;
};

// The figures of the table's row: requests, seconds, req/s, p50 ... max.
std::vector<double> table_row(const std::string& output, std::string& header) {
  std::istringstream in(output);
  std::string line, last, before;
  while (std::getline(in, line)) {
    before = last;
    last = line;
  }
  header = before;
  std::istringstream row(last);
  std::vector<double> v;
  double x;
  while (row >> x) v.push_back(x);
  return v;
}

}  // namespace

TEST(loadgen_example, sends_the_requested_count_and_prints_the_percentile_table) {
  echo_peer peer;
  weft::test::example_process gen({WEFT_EXAMPLE_LOADGEN, "--port", std::to_string(peer.port()), "--mode", "echo",
                                   "--size", "100", "--connections", "4", "--requests", "500"});
  std::string out = gen.read_rest();
  int status = gen.wait();
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << out;
  std::string header;
  std::vector<double> row = table_row(out, header);
  EXPECT_NE(header.find("p50 us"), std::string::npos) << out;
  EXPECT_NE(header.find("p99.9 us"), std::string::npos) << out;
  EXPECT_NE(header.find("max us"), std::string::npos) << out;
  ASSERT_EQ(row.size(), 8u) << out;
  EXPECT_EQ(row[0], 500);
  EXPECT_EQ(peer.bytes(), 500u * 100u);
  // Percentiles are ordered: p50 <= p90 <= p99 <= p99.9 <= max, and positive.
  EXPECT_GT(row[3], 0);
  for (std::size_t i = 4; i < 8; ++i) EXPECT_LE(row[i - 1], row[i]) << out;
}

TEST(loadgen_example, prints_plain_progress_lines_when_stdout_is_not_a_terminal) {
  echo_peer peer;
  weft::test::example_process gen(
      {WEFT_EXAMPLE_LOADGEN, "--port", std::to_string(peer.port()), "--connections", "2", "--duration", "1"});
  std::string first = gen.read_line();
  std::string out = first + "\n" + gen.read_rest();
  ASSERT_TRUE(WIFEXITED(gen.wait()));
  EXPECT_EQ(first.rfind("1s ", 0), 0u) << out;
  EXPECT_NE(first.find(" req/s"), std::string::npos) << out;
  EXPECT_EQ(out.find('\r'), std::string::npos) << "no terminal redraws in a pipe";
  std::string header;
  EXPECT_EQ(table_row(out, header).size(), 8u) << out;
}

TEST(loadgen_example, exits_1_and_names_the_error_when_nothing_listens) {
  int port;
  {
    echo_peer gone;
    port = gone.port();
  }
  weft::test::example_process gen({WEFT_EXAMPLE_LOADGEN, "--port", std::to_string(port), "--requests", "5"});
  gen.read_rest();
  int status = gen.wait();
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1);
}

TEST(loadgen_example, drives_the_echo_and_http_examples) {
  struct target {
    const char* server;
    std::vector<std::string> mode;
  } targets[] = {{WEFT_EXAMPLE_ECHO_SERVER, {"--mode", "echo"}},
                 {WEFT_EXAMPLE_HTTP_SERVER, {"--mode", "http", "--path", "/hello"}}};
  for (const target& t : targets) {
    weft::test::example_process server({t.server});
    int port = server.read_listening_port();
    std::vector<std::string> argv{WEFT_EXAMPLE_LOADGEN, "--port", std::to_string(port), "--connections", "8",
                                  "--requests",         "2000"};
    argv.insert(argv.end(), t.mode.begin(), t.mode.end());
    weft::test::example_process gen(argv);
    std::string out = gen.read_rest();
    int status = gen.wait();
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << t.server << "\n" << out;
    std::string header;
    std::vector<double> row = table_row(out, header);
    ASSERT_EQ(row.size(), 8u) << out;
    EXPECT_EQ(row[0], 2000) << t.server;
  }
}
