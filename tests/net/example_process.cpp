#include "example_process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <utility>

extern char** environ;

namespace weft::test {
namespace {

[[noreturn]] void fail(const char* what) { throw std::system_error(errno, std::generic_category(), what); }

}  // namespace

example_process::example_process(std::vector<std::string> argv) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) fail("pipe2");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  std::vector<char*> args;
  for (std::string& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  int err = ::posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (err != 0) {
    ::close(fds[0]);
    throw std::system_error(err, std::generic_category(), "posix_spawn " + argv[0]);
  }
  out_ = fds[0];
}

example_process::~example_process() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  if (out_ >= 0) ::close(out_);
}

bool example_process::fill(std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd p{out_, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) == 0)
      throw std::runtime_error("example: stdout stayed silent; so far: " + pending_);
    char buf[4096];
    ssize_t n = ::read(out_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("read");
    pending_.append(buf, static_cast<std::size_t>(n));
    return n > 0;
  }
}

std::string example_process::read_line(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::size_t nl;
  while ((nl = pending_.find('\n')) == std::string::npos)
    if (!fill(deadline)) return std::exchange(pending_, {});
  std::string line = pending_.substr(0, nl);
  pending_.erase(0, nl + 1);
  return line;
}

std::string example_process::read_rest(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (fill(deadline)) {
  }
  return std::exchange(pending_, {});
}

int example_process::read_listening_port() {
  std::string line = read_line();
  const std::string prefix = "listening on ";
  if (line.compare(0, prefix.size(), prefix) != 0)
    throw std::runtime_error("example: first line is not 'listening on HOST:PORT': " + line);
  return std::stoi(line.substr(line.rfind(':') + 1));
}

int example_process::stop(int sig, std::chrono::milliseconds timeout) {
  ::kill(pid_, sig);
  return wait(timeout);
}

int example_process::wait(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      pid_ = -1;
      return status;
    }
    if (r < 0) fail("waitpid");
    if (std::chrono::steady_clock::now() > deadline) throw std::runtime_error("example: did not exit in time");
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

int connect_loopback(int port, int receive_buffer) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) fail("socket");
  if (receive_buffer > 0) ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    int err = errno;
    ::close(fd);
    throw std::system_error(err, std::generic_category(), "connect");
  }
  return fd;
}

void send_all(int fd, const std::string& data) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("send");
    sent += static_cast<std::size_t>(n);
  }
}

namespace {
// One recv into `out`; false at end of stream or reset. Throws on timeout.
bool recv_some(int fd, std::string& out, std::size_t max) {
  char buf[65536];
  for (;;) {
    ssize_t n = ::recv(fd, buf, std::min(max, sizeof buf), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) throw std::runtime_error("recv: timed out");
    if (n < 0 && errno == ECONNRESET) return false;
    if (n < 0) fail("recv");
    out.append(buf, static_cast<std::size_t>(n));
    return n > 0;
  }
}
}  // namespace

std::string read_until(int fd, const std::string& suffix) {
  std::string out;
  while (out.size() < suffix.size() || out.compare(out.size() - suffix.size(), suffix.size(), suffix) != 0)
    if (!recv_some(fd, out, 1)) break;
  return out;
}

std::string read_exact(int fd, std::size_t n) {
  std::string out;
  while (out.size() < n && recv_some(fd, out, n - out.size())) {
  }
  return out;
}

std::string read_to_end(int fd) {
  std::string out;
  while (recv_some(fd, out, 65536)) {
  }
  return out;
}

}  // namespace weft::test
