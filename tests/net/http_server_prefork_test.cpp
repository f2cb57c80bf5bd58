// examples/net/http_server --processes N driven over loopback: workers
// answer, SIGHUP replaces them while a client keeps sending requests and
// none is dropped, SIGTERM ends everything, and workers do not outlive a
// supervisor killed with SIGKILL.
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "example_process.hpp"

using weft::test::connect_loopback;
using weft::test::read_until;
using weft::test::send_all;

namespace {

constexpr auto bound = std::chrono::seconds(20);

// One line of the supervisor's "worker SLOT pid PID generation G WHAT [STATUS]".
struct worker_line {
  int slot = -1;
  pid_t pid = -1;
  int generation = 0;
  std::string what;
  int status = 0;
};

worker_line parse(const std::string& line) {
  worker_line w;
  std::istringstream in(line);
  std::string word;
  in >> word >> w.slot >> word >> w.pid >> word >> w.generation >> w.what >> w.status;
  return w;
}

// The supervisor's worker lines, read as they are needed and kept, since
// the events of different slots interleave.
class supervisor_log {
 public:
  explicit supervisor_log(weft::test::example_process& p) : p_(p) {}

  // Reads lines until `count` workers of `generation` have reported `what`;
  // returns their pids. An "exited" must be a clean exit (status 0).
  std::set<pid_t> await(const std::string& what, int generation, std::size_t count) {
    for (;;) {
      std::set<pid_t> pids;
      for (const worker_line& w : seen_)
        if (w.what == what && w.generation == generation) pids.insert(w.pid);
      if (pids.size() >= count) return pids;
      std::string line = p_.read_line(bound);
      if (line.empty()) throw std::runtime_error("supervisor output ended");
      seen_.push_back(parse(line));
      EXPECT_TRUE(seen_.back().what != "exited" || seen_.back().status == 0) << line;
    }
  }

 private:
  weft::test::example_process& p_;
  std::vector<worker_line> seen_;
};

// True if GET /hello on a fresh connection is answered.
bool hello(int port) {
  try {
    int fd = connect_loopback(port);
    send_all(fd, "GET /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    std::string got = read_until(fd, "Hello, World!");
    ::close(fd);
    return got.starts_with("HTTP/1.1 200") && got.ends_with("Hello, World!");
  } catch (const std::exception&) {
    return false;
  }
}

// A thread sending requests one after another until stopped.
class load {
 public:
  explicit load(int port)
      : thread_([this, port] {
          while (!stop_) {
            bool ok = hello(port);
            std::lock_guard lock(mutex_);
            (ok ? answered_ : failed_)++;
            changed_.notify_all();
          }
        }) {}
  ~load() { finish(); }
  // Waits until `more` further requests have been answered.
  bool wait_for_answers(std::size_t more) {
    std::unique_lock lock(mutex_);
    std::size_t target = answered_ + more;
    return changed_.wait_for(lock, bound, [&] { return answered_ >= target; });
  }
  void finish() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  std::size_t failed() {
    std::lock_guard lock(mutex_);
    return failed_;
  }

 private:
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::condition_variable changed_;
  std::size_t answered_ = 0;
  std::size_t failed_ = 0;
  std::thread thread_;  // last: starts once the rest is built
};

}  // namespace

TEST(http_server_prefork, sighup_replaces_the_workers_without_dropping_a_request_and_sigterm_ends_all) {
  weft::test::example_process server({WEFT_EXAMPLE_HTTP_SERVER, "--processes", "2"});
  int port = server.read_listening_port();
  supervisor_log log(server);
  std::set<pid_t> first = log.await("ready", 1, 2);
  load client(port);
  ASSERT_TRUE(client.wait_for_answers(50));
  ASSERT_EQ(::kill(server.pid(), SIGHUP), 0);
  std::set<pid_t> second = log.await("ready", 2, 2);
  EXPECT_EQ(log.await("exited", 1, 2), first);
  ASSERT_TRUE(client.wait_for_answers(50));
  client.finish();
  EXPECT_EQ(client.failed(), 0u);

  ASSERT_EQ(::kill(server.pid(), SIGTERM), 0);
  EXPECT_EQ(log.await("exited", 2, 2), second);
  int status = server.wait();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

TEST(http_server_prefork, workers_end_when_the_supervisor_is_killed) {
  weft::test::example_process server({WEFT_EXAMPLE_HTTP_SERVER, "--processes", "2"});
  int port = server.read_listening_port();
  std::set<pid_t> workers = supervisor_log(server).await("ready", 1, 2);
  EXPECT_TRUE(hello(port));
  // Pinned now, while the supervisor has not reaped them: no reused pid.
  std::vector<int> pidfds;
  for (pid_t pid : workers) {
    int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    ASSERT_GE(fd, 0) << pid;
    pidfds.push_back(fd);
  }
  server.stop(SIGKILL);
  for (int fd : pidfds) {
    pollfd p{fd, POLLIN, 0};
    bool ended = ::poll(&p, 1, static_cast<int>(std::chrono::milliseconds(bound).count())) == 1;
    EXPECT_TRUE(ended) << "a worker outlived its supervisor";
    if (!ended) ::syscall(SYS_pidfd_send_signal, fd, SIGKILL, nullptr, 0);  // leave no process behind
    ::close(fd);
  }
}
