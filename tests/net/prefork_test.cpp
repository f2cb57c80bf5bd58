// prefork_supervisor with real worker processes (prefork_test_worker) over
// loopback: restarts, kill -9 under load, graceful replacement, stop. The
// supervisor and the load clients are tasks of the test's loop; every wait
// is for an event (a worker ready or reaped, a number of answers) bounded by
// a timeout, never a sleep.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "net/restart_backoff.hpp"
#include "net_test_util.hpp"
#include "weft/net/prefork.hpp"
#include "weft/sync/event.hpp"
#include "weft/sync/queue.hpp"
#include "weft/task.hpp"

namespace {

using namespace std::chrono_literals;
using weft::loop;
using namespace weft::net;
using weft::net::testing::bytes;
using kind = prefork_event::kind;

constexpr auto bound = 20s;  // any single wait longer than this is a failure

TEST(restart_backoff, doubles_while_workers_die_young_and_resets_after_a_stable_run) {
  detail::restart_backoff b(100ms, 1s, 10s);
  EXPECT_EQ(b.after_exit(1ms), 100ms);
  EXPECT_EQ(b.after_exit(1ms), 200ms);
  EXPECT_EQ(b.after_exit(2s), 400ms);
  EXPECT_EQ(b.after_exit(0ms), 800ms);
  EXPECT_EQ(b.after_exit(0ms), 1s);
  EXPECT_EQ(b.after_exit(0ms), 1s);
  EXPECT_EQ(b.after_exit(10s), 100ms);
  EXPECT_EQ(b.after_exit(0ms), 200ms);
}

// One request on a fresh connection.
struct attempt {
  bool answered = false;
  pid_t pid = -1;
  int generation = 0;
  std::uint16_t client_port = 0;  // 0: connect itself failed
  std::string error;
};

attempt ask(const address& server) {
  attempt a;
  try {
    tcp_stream c = tcp_stream::connect(server, 10s);
    a.client_port = c.local_address().port();
    c.write_all(bytes("ping\n"), 10s);
    std::string reply;
    char buf[64];
    while (reply.find('\n') == std::string::npos) {
      std::size_t n = c.read_some(std::as_writable_bytes(std::span(buf)), 10s);
      if (n == 0) throw std::runtime_error("closed without an answer");
      reply.append(buf, n);
    }
    std::istringstream(reply) >> a.pid >> a.generation;
    a.answered = true;
  } catch (const std::exception& e) {
    a.error = e.what();
  }
  return a;
}

// A supervisor of prefork_test_worker running in a task, its events in a
// queue, and load clients.
class prefork : public ::testing::Test {
 protected:
  // `options`: workers, back-off; the rest is set here.
  void start(prefork_options options, std::vector<std::string> argv = {WEFT_PREFORK_TEST_WORKER}) {
    options.handle_signals = false;
    options.on_event = [this](const prefork_event& e) {
      events_.put_nowait(e);
      event_times_.push_back(weft::loop::current()->now());
    };
    sup_ = std::make_unique<prefork_supervisor>(tcp_listener::bind(address::ipv4("127.0.0.1", 0)), std::move(argv),
                                                std::move(options));
    server_ = sup_->local_address();
    run_ = weft::spawn([this] { sup_->run(); });
  }
  void start(std::size_t workers, std::vector<std::string> extra_args = {}) {
    std::vector<std::string> argv{WEFT_PREFORK_TEST_WORKER};
    argv.insert(argv.end(), extra_args.begin(), extra_args.end());
    start({.workers = workers, .restart_delay = 10ms}, std::move(argv));
  }

  // The next event; fails the test if none comes within `bound`.
  prefork_event next_event() {
    auto e = events_.try_get_for(bound);
    if (!e) throw std::runtime_error("no prefork event within the bound");
    return *e;
  }
  // Skips events until one of kind `what` (and generation, if given).
  prefork_event next(kind what, std::uint64_t generation = 0) {
    for (;;) {
      prefork_event e = next_event();
      if (e.what == what && (generation == 0 || e.generation == generation)) return e;
    }
  }

  void start_load(int clients) {
    for (int i = 0; i < clients; ++i)
      clients_.push_back(weft::spawn([this] {
        while (!stop_load_) {
          attempt a = ask(server_);
          if (a.answered) {
            ++answered_;
            generations_.insert(a.generation);
          } else {
            failures_.push_back(a);
          }
          if (answered_ >= target_) progress_.set();
        }
      }));
  }
  // Waits until `more` further requests have been answered.
  void wait_for_answers(std::size_t more) {
    progress_.clear();
    target_ = answered_ + more;
    ASSERT_TRUE(progress_.wait_for(bound)) << answered_ << " answered, " << failures_.size() << " failed";
  }
  void stop_load() {
    stop_load_ = true;
    for (auto& c : clients_) c.join();
  }

  // Declared before the supervisor and the tasks that use them, so that
  // they outlive them when a failed assertion leaves a test early.
  loop lp_;
  weft::queue<prefork_event> events_;
  std::vector<loop::time_point> event_times_;  // when each event was reported, in order
  bool stop_load_ = false;
  std::size_t answered_ = 0;
  std::size_t target_ = 0;
  weft::event progress_;
  std::set<int> generations_;
  std::vector<attempt> failures_;
  std::unique_ptr<prefork_supervisor> sup_;
  address server_;
  weft::task<void> run_;
  std::vector<weft::task<void>> clients_;
};

std::string describe(const std::vector<attempt>& failures) {
  std::string out;
  for (const attempt& a : failures) out += "port " + std::to_string(a.client_port) + ": " + a.error + "; ";
  return out;
}

TEST_F(prefork, workers_share_the_port_and_answer) {
  lp_.run_until_complete([&] {
    start(2);
    std::set<pid_t> ready{next(kind::ready).pid, next(kind::ready).pid};
    EXPECT_EQ(ready.size(), 2u);
    std::vector<pid_t> pids = sup_->worker_pids();
    EXPECT_EQ(std::set<pid_t>(pids.begin(), pids.end()), ready);
    for (int i = 0; i < 20; ++i) {
      attempt a = ask(server_);
      ASSERT_TRUE(a.answered) << a.error;
      EXPECT_TRUE(ready.contains(a.pid)) << a.pid;
      EXPECT_EQ(a.generation, 1);
    }
    sup_->stop();
    run_.join();
  });
}

TEST_F(prefork, a_worker_killed_with_sigkill_is_restarted_in_its_slot) {
  lp_.run_until_complete([&] {
    start(2);
    prefork_event victim = next(kind::ready);
    next(kind::ready);
    ASSERT_EQ(::kill(victim.pid, SIGKILL), 0);
    prefork_event gone = next(kind::exited);
    EXPECT_EQ(gone.pid, victim.pid);
    EXPECT_EQ(gone.returncode, -SIGKILL);
    prefork_event restarted = next(kind::ready);
    EXPECT_EQ(restarted.slot, victim.slot);
    EXPECT_NE(restarted.pid, victim.pid);
    EXPECT_EQ(sup_->worker_pids().size(), 2u);
    EXPECT_TRUE(ask(server_).answered);
    sup_->stop();
    run_.join();
  });
}

// The client ports of the TCP connections that process `pid` holds open:
// those it has accepted (from its view, the peer's port).
std::set<std::uint16_t> accepted_client_ports(pid_t pid) {
  namespace fs = std::filesystem;
  std::set<std::string> inodes;
  for (const auto& fd : fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd")) {
    std::error_code ec;
    std::string target = fs::read_symlink(fd.path(), ec).string();
    if (!ec && target.starts_with("socket:[")) inodes.insert(target.substr(8, target.size() - 9));
  }
  std::set<std::uint16_t> ports;
  std::ifstream table("/proc/net/tcp");
  std::string line;
  std::getline(table, line);  // the header
  while (std::getline(table, line)) {
    std::istringstream row(line);
    std::string sl, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
    row >> sl >> local >> remote >> state >> queues >> timer >> retransmits >> uid >> timeout >> inode;
    if (inodes.contains(inode))
      ports.insert(static_cast<std::uint16_t>(std::stoul(remote.substr(remote.find(':') + 1), nullptr, 16)));
  }
  return ports;
}

// kill -9 of a worker in the middle of a load run: the only connections
// that may fail are those the killed worker had accepted itself. To know
// exactly which those are, the worker is stopped (SIGSTOP) first and its
// open connections read from /proc; the load goes on, served by the other
// worker, and then it is killed. With a listening socket per worker
// (SO_REUSEPORT, tcp_migrate_req 0), connections queued for the stopped
// worker would be reset by the kill, and fail this test.
TEST_F(prefork, kill_9_under_load_fails_only_the_killed_workers_own_connections) {
  lp_.run_until_complete([&] {
    start(2);
    prefork_event victim = next(kind::ready);
    next(kind::ready);
    start_load(4);
    wait_for_answers(200);
    ASSERT_EQ(::kill(victim.pid, SIGSTOP), 0);
    siginfo_t info{};
    ASSERT_EQ(::waitid(P_PID, static_cast<id_t>(victim.pid), &info, WSTOPPED), 0);  // blocks until it has stopped
    std::set<std::uint16_t> held = accepted_client_ports(victim.pid);
    start_load(2);          // the first clients may all wait on connections the stopped worker holds
    wait_for_answers(100);  // while it is stopped, the other worker serves
    ASSERT_EQ(::kill(victim.pid, SIGKILL), 0);
    EXPECT_EQ(next(kind::exited).pid, victim.pid);
    EXPECT_EQ(next(kind::ready).slot, victim.slot);
    wait_for_answers(200);
    stop_load();
    for (const attempt& f : failures_)
      EXPECT_TRUE(held.contains(f.client_port))
          << "a connection the killed worker had not accepted failed: " << f.client_port << ": " << f.error;
    EXPECT_LE(failures_.size(), held.size());
    EXPECT_GE(answered_, 500u);
    sup_->stop();
    run_.join();
  });
}

TEST_F(prefork, reload_replaces_every_worker_and_drops_no_request) {
  lp_.run_until_complete([&] {
    start(2);
    std::set<pid_t> old{next(kind::ready).pid, next(kind::ready).pid};
    start_load(4);
    wait_for_answers(100);
    sup_->reload();
    std::set<pid_t> replaced, fresh;
    std::size_t stopped = 0;
    while (replaced.size() < 2 || fresh.size() < 2) {
      prefork_event e = next_event();
      if (e.what == kind::ready) {
        EXPECT_EQ(e.generation, 2u);
        fresh.insert(e.pid);
      }
      if (e.what == kind::stopping) {
        EXPECT_TRUE(old.contains(e.pid));
        EXPECT_LT(stopped++, fresh.size()) << "an old worker was stopped before its replacement was ready";
      }
      if (e.what == kind::exited) {
        EXPECT_TRUE(old.contains(e.pid));
        EXPECT_EQ(e.returncode, 0) << "an old worker did not drain and exit by itself";
        replaced.insert(e.pid);
      }
    }
    wait_for_answers(100);
    stop_load();
    EXPECT_TRUE(failures_.empty()) << describe(failures_);
    EXPECT_EQ(generations_, (std::set<int>{1, 2}));
    std::vector<pid_t> now = sup_->worker_pids();
    EXPECT_EQ(std::set<pid_t>(now.begin(), now.end()), fresh);
    sup_->stop();
    run_.join();
  });
}

TEST_F(prefork, a_replacement_that_fails_to_start_leaves_its_predecessor_serving) {
  lp_.run_until_complete([&] {
    start(1, {"--fail-from-generation", "2"});
    prefork_event first = next(kind::ready);
    sup_->reload();
    prefork_event failed = next(kind::exited);
    EXPECT_EQ(failed.generation, 2u);
    EXPECT_EQ(failed.returncode, 3);
    EXPECT_EQ(sup_->worker_pids(), std::vector<pid_t>{first.pid});
    attempt a = ask(server_);
    EXPECT_TRUE(a.answered) << a.error;
    EXPECT_EQ(a.pid, first.pid);
    sup_->stop();
    run_.join();
  });
}

TEST_F(prefork, stop_ends_every_worker_and_run_returns) {
  lp_.run_until_complete([&] {
    start(3);
    std::set<pid_t> started;
    for (int i = 0; i < 3; ++i) started.insert(next(kind::ready).pid);
    sup_->stop();
    run_.join();
    std::set<pid_t> exited;
    while (auto e = events_.try_get())
      if (e->what == kind::exited) {
        EXPECT_EQ(e->returncode, 0);
        exited.insert(e->pid);
      }
    EXPECT_EQ(exited, started);
    EXPECT_TRUE(sup_->worker_pids().empty());
  });
}

TEST_F(prefork, a_worker_that_keeps_crashing_is_restarted_after_growing_delays) {
  lp_.run_until_complete([&] {
    start({.workers = 1, .restart_delay = 20ms, .max_restart_delay = 80ms},
          {WEFT_PREFORK_TEST_WORKER, "--fail-from-generation", "1"});
    // Each restart comes no sooner than the back-off says: 20, 40, 80, 80 ms.
    std::vector<loop::duration> gaps;
    std::size_t index = 0;
    loop::time_point exited_at{};
    while (gaps.size() < 4) {
      prefork_event e = next_event();
      loop::time_point at = event_times_[index++];
      EXPECT_NE(e.what, kind::ready);
      if (e.what == kind::exited) {
        EXPECT_EQ(e.returncode, 3);
        exited_at = at;
      }
      if (e.what == kind::started && exited_at != loop::time_point{}) gaps.push_back(at - exited_at);
    }
    const loop::duration least[] = {20ms, 40ms, 80ms, 80ms};
    for (std::size_t i = 0; i < 4; ++i) EXPECT_GE(gaps[i], least[i]) << "restart " << i;
    sup_->stop();
    run_.join();
  });
}

TEST_F(prefork, run_throws_enoent_when_the_worker_program_is_missing) {
  lp_.run_until_complete([&] {
    start({.workers = 2}, {"/nonexistent/weft-prefork-worker"});
    try {
      run_.join();
      ADD_FAILURE() << "run() returned";
    } catch (const std::system_error& e) {
      EXPECT_EQ(e.code().value(), ENOENT);
    }
    EXPECT_TRUE(sup_->worker_pids().empty());
  });
}

}  // namespace
