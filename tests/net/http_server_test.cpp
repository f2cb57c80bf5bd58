// examples/net/http_server driven over loopback: keep-alive, pipelining,
// static files, the document root's boundary, the size limits and the exit.
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "example_process.hpp"

namespace fs = std::filesystem;
using namespace std::string_literals;
using weft::test::connect_loopback;
using weft::test::read_exact;
using weft::test::read_to_end;
using weft::test::read_until;
using weft::test::send_all;

namespace {

struct response {
  int status = 0;
  std::string head;
  std::string body;
};

// Reads one response with a Content-Length body.
response read_response(int fd) {
  response r;
  r.head = read_until(fd, "\r\n\r\n");
  if (r.head.size() < 12) return r;
  r.status = std::stoi(r.head.substr(9, 3));
  auto at = r.head.find("Content-Length: ");
  if (at != std::string::npos) r.body = read_exact(fd, std::stoul(r.head.substr(at + 16)));
  return r;
}

void write_file(const fs::path& p, const std::string& content) { std::ofstream(p, std::ios::binary) << content; }

class http_server_example : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "weft-http-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    fs::create_directories(dir_ / "root" / "dir");
    write_file(dir_ / "secret", "outside the root\n");
    write_file(dir_ / "root" / "file.txt", "a static file\n");
    write_file(dir_ / "root" / "dir" / "index.html", "<p>index</p>\n");
    big_.resize(3 * 1024 * 1024 + 7);
    for (std::size_t i = 0; i < big_.size(); ++i) big_[i] = static_cast<char>('a' + i % 26);
    write_file(dir_ / "root" / "big.bin", big_);
    fs::create_symlink("../secret", dir_ / "root" / "out");
    fs::create_symlink(dir_ / "secret", dir_ / "root" / "out_absolute");
    fs::create_symlink("file.txt", dir_ / "root" / "inside");
    server_ = std::make_unique<weft::test::example_process>(
        std::vector<std::string>{WEFT_EXAMPLE_HTTP_SERVER, "--root", (dir_ / "root").string()});
    port_ = server_->read_listening_port();
  }
  void TearDown() override {
    server_.reset();
    fs::remove_all(dir_);
  }

  // One request on a fresh connection.
  response get(const std::string& target) {
    int fd = connect_loopback(port_);
    send_all(fd, "GET " + target + " HTTP/1.1\r\nHost: t\r\n\r\n");
    response r = read_response(fd);
    ::close(fd);
    return r;
  }

  // Sends raw bytes, reads one response, and whether the server then closed.
  response send_raw(const std::string& bytes, bool& closed) {
    int fd = connect_loopback(port_);
    send_all(fd, bytes);
    response r = read_response(fd);
    closed = read_to_end(fd).empty();
    ::close(fd);
    return r;
  }

  fs::path dir_;
  std::string big_;
  std::unique_ptr<weft::test::example_process> server_;
  int port_ = 0;
};

}  // namespace

TEST_F(http_server_example, answers_the_fixed_route_twice_on_one_connection) {
  int fd = connect_loopback(port_);
  for (int i = 0; i < 2; ++i) {
    send_all(fd, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
    response r = read_response(fd);
    EXPECT_EQ(r.status, 200) << r.head;
    EXPECT_EQ(r.body, "Hello, World!");
    EXPECT_EQ(r.head.find("Connection: close"), std::string::npos);
  }
  ::close(fd);
}

TEST_F(http_server_example, every_response_carries_a_date_as_rfc_9110_requires) {
  int fd = connect_loopback(port_);
  send_all(fd, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\nGET /missing HTTP/1.1\r\nHost: t\r\n\r\n");
  for (int status : {200, 404}) {
    response r = read_response(fd);
    EXPECT_EQ(r.status, status);
    std::size_t at = r.head.find("\r\nDate: ");
    ASSERT_NE(at, std::string::npos) << r.head;
    std::string value = r.head.substr(at + 8, r.head.find("\r\n", at + 2) - at - 8);
    EXPECT_EQ(value.size(), 29u) << value;  // "Sun, 06 Nov 1994 08:49:37 GMT"
    EXPECT_EQ(value.substr(25), " GMT") << value;
  }
  ::close(fd);
}

TEST_F(http_server_example, answers_pipelined_requests_in_order) {
  int fd = connect_loopback(port_);
  send_all(fd,
           "GET /file.txt HTTP/1.1\r\nHost: t\r\n\r\nGET /hello HTTP/1.1\r\nHost: t\r\n\r\n"
           "HEAD /file.txt HTTP/1.1\r\nHost: t\r\n\r\nGET /dir/ HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_EQ(read_response(fd).body, "a static file\n");
  EXPECT_EQ(read_response(fd).body, "Hello, World!");
  std::string head = read_until(fd, "\r\n\r\n");  // HEAD: the file's head, no body
  EXPECT_EQ(head.substr(0, 12), "HTTP/1.1 200");
  EXPECT_NE(head.find("Content-Length: 14\r\n"), std::string::npos) << head;
  EXPECT_EQ(read_response(fd).body, "<p>index</p>\n");
  ::close(fd);
}

TEST_F(http_server_example, sends_a_large_file_whole) {
  response r = get("/big.bin");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body.size(), big_.size());
  EXPECT_TRUE(r.body == big_);
  EXPECT_EQ(get("/dir").body, "<p>index</p>\n");
  EXPECT_EQ(get("/inside").body, "a static file\n") << "a symlink that stays inside the root is served";
  EXPECT_EQ(get("/missing").status, 404);
}

// Files up to 16 KiB are copied into the answer, larger ones go by
// sendfile: both sides of the line, each followed by a pipelined request.
TEST_F(http_server_example, serves_files_on_both_sides_of_the_copy_limit_whole_and_in_order) {
  int fd = connect_loopback(port_);
  for (std::size_t size :
       {std::size_t{0}, std::size_t{1}, std::size_t{16383}, std::size_t{16384}, std::size_t{16385}}) {
    std::string name = "sized" + std::to_string(size);
    write_file(dir_ / "root" / name, big_.substr(size % 26, size));
    send_all(fd, "GET /" + name + " HTTP/1.1\r\nHost: t\r\n\r\nGET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
    response file = read_response(fd);
    EXPECT_EQ(file.status, 200) << name;
    EXPECT_TRUE(file.body == big_.substr(size % 26, size)) << name << ": " << file.body.size() << " bytes";
    EXPECT_EQ(read_response(fd).body, "Hello, World!") << "after " << name;
  }
  ::close(fd);
}

// A figure of /proc/PID/status ("VmHWM:", "VmRSS:"), in KiB.
long status_kib(pid_t pid, const std::string& field) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind(field, 0) == 0) return std::stol(line.substr(field.size()));
  return -1;
}

// Hundreds of pipelined requests for a copied file arrive in one read; the
// server must not gather all their answers before it writes. Gathered, a
// read's worth of answers is about 8 MiB.
TEST_F(http_server_example, pipelined_answers_are_written_before_they_pile_up) {
  std::string content = big_.substr(0, 16384);
  write_file(dir_ / "root" / "copied.bin", content);
  constexpr int requests = 700;  // 23 KB of requests, about 11 MB of answers
  std::string burst;
  for (int i = 0; i < requests; ++i) burst += "GET /copied.bin HTTP/1.1\r\nHost: t\r\n\r\n";
  auto serve_burst = [&] {
    int fd = connect_loopback(port_);
    send_all(fd, burst);
    for (int i = 0; i < requests; ++i) {
      response r = read_response(fd);
      ASSERT_EQ(r.status, 200) << "answer " << i;
      ASSERT_TRUE(r.body == content) << "answer " << i;
    }
    ::close(fd);
  };
  // A first burst warms up what any burst needs (a sanitizer's shadow and
  // bookkeeping among it); a connection's answer buffer dies with it. Then
  // the peak is reset (clear_refs "5") and a second burst measured.
  serve_burst();
  std::ofstream("/proc/" + std::to_string(server_->pid()) + "/clear_refs") << "5";
  long before = status_kib(server_->pid(), "VmRSS:");
  ASSERT_GT(before, 0);
  serve_burst();
  EXPECT_LT(status_kib(server_->pid(), "VmHWM:") - before, 2 * 1024) << "KiB more at the peak";
}

TEST_F(http_server_example, serves_nothing_outside_the_root) {
  for (const char* target :
       {"/../secret", "/%2e%2e/secret", "/dir/../../secret", "/%2E%2E%2fsecret", "/dir%2f..%2f..%2fsecret", "/out",
        "/out_absolute", "/file.txt%00.html", "/..\\secret", "//../secret"}) {
    response r = get(target);
    EXPECT_EQ(r.status, 404) << target;
    EXPECT_EQ(r.body.find("outside"), std::string::npos) << target;
  }
  bool closed = false;
  response nul = send_raw("GET /file.txt\0 HTTP/1.1\r\nHost: t\r\n\r\n"s, closed);
  EXPECT_EQ(nul.status, 400);
}

TEST_F(http_server_example, answers_requests_over_the_limits_and_closes) {
  struct {
    std::string request;
    int status;
  } cases[] = {
      {"GET /" + std::string(9000, 'a') + " HTTP/1.1\r\nHost: t\r\n\r\n", 414},
      {"GET / HTTP/1.1\r\nHost: t\r\nX: " + std::string(20000, 'v') + "\r\n\r\n", 431},
      {"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5000000\r\n\r\n", 413},
      {"GET / HTTP/2.0\r\nHost: t\r\n\r\n", 505},
      {"GET / HTTP/1.1\r\n\r\n", 400},
      {"NONSENSE\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n", 501},
      {"DELETE /file.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", 405},
  };
  for (const auto& c : cases) {
    bool closed = false;
    response r = send_raw(c.request, closed);
    EXPECT_EQ(r.status, c.status) << c.request.substr(0, 40);
    EXPECT_TRUE(closed) << c.status;
    EXPECT_NE(r.head.find("Connection: close"), std::string::npos) << r.head;
  }
}

TEST_F(http_server_example, closes_after_http_1_0_and_connection_close) {
  bool closed = false;
  response r = send_raw("GET /hello HTTP/1.0\r\n\r\n", closed);
  EXPECT_EQ(r.head.substr(0, 12), "HTTP/1.0 200");
  EXPECT_EQ(r.body, "Hello, World!");
  EXPECT_TRUE(closed);
  r = send_raw("GET /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\nGET /hello HTTP/1.1\r\nHost: t\r\n\r\n",
               closed);
  EXPECT_EQ(r.body, "Hello, World!");
  EXPECT_TRUE(closed) << "nothing is answered after Connection: close";
  // HTTP/1.0 with keep-alive stays open for a second request.
  int fd = connect_loopback(port_);
  send_all(fd, "GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  r = read_response(fd);
  EXPECT_NE(r.head.find("Connection: keep-alive"), std::string::npos);
  send_all(fd, "GET /hello HTTP/1.0\r\n\r\n");
  EXPECT_EQ(read_response(fd).body, "Hello, World!");
  ::close(fd);
}

TEST_F(http_server_example, exits_0_on_sigterm_and_sigint) {
  EXPECT_EQ(get("/hello").status, 200);
  int status = server_->stop(SIGTERM);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  weft::test::example_process again({WEFT_EXAMPLE_HTTP_SERVER});
  again.read_listening_port();
  status = again.stop(SIGINT);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}
