// Many idle connections on one loop (issue 15's C100K): a weft echo server
// (weft::net::serve, one task per connection) and, in the same process and
// loop, N bare client sockets connected to it from 127.0.0.1 ... 127.0.0.K
// (several source addresses get past the ephemeral port range). Once every
// connection has been accepted and its task waits for data, prints the RSS
// added per connection; then every client sends one byte and waits for its
// echo. Exits non-zero if a connection or an echo is missing.
//
//   c100k [--connections N] [--sources K] [--max-rss-per-connection KIB]
//
// Needs 2N + 64 descriptors: RLIMIT_NOFILE is raised to its hard limit, and
// the program stops with a message if that is not enough (raise the hard
// limit with `ulimit -Hn` as root, or prlimit).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

#include "weft/fd_wait.hpp"
#include "weft/loop.hpp"
#include "weft/net/server.hpp"

namespace {

using namespace std::chrono_literals;

struct options {
  long connections = 100'000;
  long sources = 0;                   // 0: one per 25,000 connections
  double max_rss_per_connection = 0;  // KiB; 0: no limit
};

options parse(int argc, char** argv) {
  options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--connections") == 0) o.connections = std::strtol(argv[i + 1], nullptr, 10);
    else if (std::strcmp(argv[i], "--sources") == 0) o.sources = std::strtol(argv[i + 1], nullptr, 10);
    else if (std::strcmp(argv[i], "--max-rss-per-connection") == 0)
      o.max_rss_per_connection = std::strtod(argv[i + 1], nullptr);
    else {
      std::fprintf(stderr, "usage: c100k [--connections N] [--sources K] [--max-rss-per-connection KIB]\n");
      std::exit(2);
    }
  }
  if (o.sources <= 0) o.sources = o.connections / 25'000 + 1;
  return o;
}

long rss_kib() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  return -1;
}

// Raises the soft descriptor limit to the hard one; false if that is short
// of `needed`.
bool enough_descriptors(rlim_t needed) {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return false;
  lim.rlim_cur = lim.rlim_max;
  if (::setrlimit(RLIMIT_NOFILE, &lim) != 0) return false;
  if (lim.rlim_cur >= needed) return true;
  std::fprintf(stderr,
               "c100k: needs %llu descriptors, the hard limit is %llu (raise it as root: ulimit -Hn, prlimit)\n",
               static_cast<unsigned long long>(needed), static_cast<unsigned long long>(lim.rlim_cur));
  return false;
}

// A non-blocking client socket from 127.0.0.(1 + source), connecting to
// `port`; the loopback handshake completes without the client's help.
int open_client(long source, std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "c100k: socket");
  sockaddr_in from{};
  from.sin_family = AF_INET;
  from.sin_addr.s_addr = htonl(INADDR_LOOPBACK + static_cast<std::uint32_t>(source));
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  to.sin_port = htons(port);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0 ||
      (::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0 && errno != EINPROGRESS)) {
    int err = errno;
    ::close(fd);
    throw std::system_error(err, std::generic_category(), "c100k: connect");
  }
  return fd;
}

// Sends one byte on every client and waits for each echo; returns how many
// came back.
long echo_once(const std::vector<int>& clients) {
  for (int fd : clients) {
    char byte = 'x';
    while (::send(fd, &byte, 1, MSG_NOSIGNAL) != 1) weft::wait_writable(fd, 10s);
  }
  long echoed = 0;
  for (int fd : clients) {
    char byte = 0;
    for (;;) {
      ssize_t n = ::recv(fd, &byte, 1, 0);
      if (n == 1) {
        ++echoed;
        break;
      }
      if (n == 0 || (errno != EAGAIN && errno != EINTR)) break;
      if (!weft::wait_readable(fd, 10s)) break;
    }
  }
  return echoed;
}

void echo(weft::net::tcp_stream& c) {
  std::byte buf[64];
  while (std::size_t n = c.read_some(buf)) c.write_all(std::span(buf, n));
}

}  // namespace

int main(int argc, char** argv) {
  options opt = parse(argc, argv);
  if (!enough_descriptors(static_cast<rlim_t>(2 * opt.connections + 64))) return 2;
  weft::loop lp;
  long accepted = 0, echoed = 0;
  double per_connection = 0, connect_s = 0, echo_s = 0;
  lp.run_until_complete([&] {
    auto listener = weft::net::tcp_listener::bind(weft::net::address::ipv4("127.0.0.1", 0));
    std::uint16_t port = listener.local_address().port();
    auto srv =
        weft::net::serve(std::move(listener), echo, {.max_connections = static_cast<std::size_t>(opt.connections)});
    long before = rss_kib();
    auto t0 = std::chrono::steady_clock::now();
    std::vector<int> clients;
    clients.reserve(static_cast<std::size_t>(opt.connections));
    for (long i = 0; i < opt.connections; ++i) {
      clients.push_back(open_client(i % opt.sources, port));
      if (i % 256 == 255) weft::yield_now();  // let the server accept as we go
    }
    auto deadline = t0 + 120s;
    while (static_cast<long>(srv.accepted()) < opt.connections && std::chrono::steady_clock::now() < deadline)
      weft::sleep_for(1ms);
    weft::sleep_for(100ms);  // every handler reaches its first read and parks
    accepted = static_cast<long>(srv.connections());
    auto t1 = std::chrono::steady_clock::now();
    per_connection = static_cast<double>(rss_kib() - before) / static_cast<double>(opt.connections);
    echoed = echo_once(clients);
    auto t2 = std::chrono::steady_clock::now();
    connect_s = std::chrono::duration<double>(t1 - t0).count();
    echo_s = std::chrono::duration<double>(t2 - t1).count();
    for (int fd : clients) ::close(fd);
    srv.shutdown(5s);
  });
  std::printf("c100k: %ld connections on one loop (%ld source addresses), %ld served at once\n", opt.connections,
              opt.sources, accepted);
  std::printf("RSS per connection: %.2f KiB (server task, socket and registration; client sockets are bare fds)\n",
              per_connection);
  std::printf("time: %.2f s to connect and park every handler, %.2f s for one echo on each (%ld echoed)\n", connect_s,
              echo_s, echoed);
  bool ok = accepted == opt.connections && echoed == opt.connections &&
            (opt.max_rss_per_connection <= 0 || per_connection <= opt.max_rss_per_connection);
  return ok ? 0 : 1;
}
