// weft::process and weft::pipe_stream (include/weft/process.hpp).
//
// The child is started with posix_spawn (vfork-like, so spawning from a
// large process stays cheap) and then watched through a pidfd: the pidfd
// becomes readable when the child exits, which the loop waits on like any
// descriptor, and signals go through it, so a pid reused after the child
// was reaped is never hit.
#include "weft/process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <system_error>
#include <utility>

#include "weft/error.hpp"
#include "weft/fd_wait.hpp"

extern char** environ;

#ifndef P_PIDFD
#define P_PIDFD 3  // waitid() on a pidfd (Linux 5.4); older headers lack the name
#endif

namespace weft {

namespace {

[[noreturn]] void throw_errno(int err, const char* what) {
  throw std::system_error(err, std::generic_category(), what);
}

// Owns what spawn() builds until the process object takes it.
struct spawn_attributes {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  spawn_attributes() {
    ::posix_spawn_file_actions_init(&actions);
    ::posix_spawnattr_init(&attr);
  }
  ~spawn_attributes() {
    ::posix_spawn_file_actions_destroy(&actions);
    ::posix_spawnattr_destroy(&attr);
  }
  spawn_attributes(const spawn_attributes&) = delete;
  spawn_attributes& operator=(const spawn_attributes&) = delete;
};

// A pipe: [0] read end, [1] write end, both close-on-exec.
struct fd_pair {
  int fd[2] = {-1, -1};
  ~fd_pair() {
    for (int f : fd)
      if (f >= 0) ::close(f);
  }
  void open() {
    if (::pipe2(fd, O_CLOEXEC) != 0) throw_errno(errno, "weft::process: pipe2");
  }
  int take(int end) { return std::exchange(fd[end], -1); }
};

int return_code(const siginfo_t& info) { return info.si_code == CLD_EXITED ? info.si_status : -info.si_status; }

}  // namespace

pipe_stream::pipe_stream(pipe_stream&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}

pipe_stream& pipe_stream::operator=(pipe_stream&& o) noexcept {
  if (this != &o) {
    close();
    fd_ = std::exchange(o.fd_, -1);
  }
  return *this;
}

pipe_stream::~pipe_stream() { close(); }

void pipe_stream::close() noexcept {
  if (fd_ >= 0) ::close(std::exchange(fd_, -1));
}

std::size_t pipe_stream::read_some(std::span<std::byte> into, std::optional<loop::duration> timeout) {
  for (;;) {
    ssize_t n = ::read(fd_, into.data(), into.size());
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno == EINTR) continue;
    if (errno != EAGAIN) throw_errno(errno, "weft::pipe_stream: read");
    if (!wait_readable(fd_, timeout)) throw timeout_error();
  }
}

std::size_t pipe_stream::write_some(std::span<const std::byte> from, std::optional<loop::duration> timeout) {
  for (;;) {
    ssize_t n = ::write(fd_, from.data(), from.size());
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno == EINTR) continue;
    if (errno != EAGAIN) throw_errno(errno, "weft::pipe_stream: write");
    if (!wait_writable(fd_, timeout)) throw timeout_error();
  }
}

process process::spawn(const std::vector<std::string>& argv, const process_options& options) {
  if (argv.empty() || argv[0].empty()) throw std::invalid_argument("weft::process::spawn: empty argv");
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<char*> envp;
  if (options.env) {
    for (const std::string& e : *options.env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
  }

  spawn_attributes sa;
  fd_pair pipes[3];
  const bool piped[3] = {options.pipe_stdin, options.pipe_stdout, options.pipe_stderr};
  for (int i = 0; i < 3; ++i) {
    if (!piped[i]) continue;
    pipes[i].open();
    int child_end = pipes[i].fd[i == 0 ? 0 : 1];
    ::posix_spawn_file_actions_adddup2(&sa.actions, child_end, i);  // dup2 clears close-on-exec
  }
  // Each passed fd goes through a duplicate numbered above every target, so
  // that no dup2 overwrites a source that a later one still reads.
  const int first_free = 3 + static_cast<int>(options.pass_fds.size());
  std::vector<fd_pair> passed(options.pass_fds.size());  // fd[0]: the duplicate
  for (std::size_t i = 0; i < options.pass_fds.size(); ++i) {
    passed[i].fd[0] = ::fcntl(options.pass_fds[i], F_DUPFD_CLOEXEC, first_free);
    if (passed[i].fd[0] < 0) throw_errno(errno, "weft::process: pass_fds");
    ::posix_spawn_file_actions_adddup2(&sa.actions, passed[i].fd[0], 3 + static_cast<int>(i));
  }
  ::posix_spawn_file_actions_addclosefrom_np(&sa.actions, first_free);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  ::posix_spawnattr_setsigmask(&sa.attr, &none);
  ::posix_spawnattr_setsigdefault(&sa.attr, &all);
  ::posix_spawnattr_setflags(&sa.attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  process p;
  int rc = ::posix_spawnp(&p.pid_, args[0], &sa.actions, &sa.attr, args.data(), options.env ? envp.data() : environ);
  if (rc != 0) throw_errno(rc, "weft::process::spawn");
  // Only this process can reap the child, so its pid cannot be reused
  // before the pidfd pins it.
  p.pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, p.pid_, 0));
  if (p.pidfd_ < 0) {
    int err = errno;
    ::kill(p.pid_, SIGKILL);
    ::waitpid(p.pid_, nullptr, 0);
    p.pid_ = -1;
    throw_errno(err, "weft::process: pidfd_open");
  }
  pipe_stream* ends[3] = {&p.stdin_, &p.stdout_, &p.stderr_};
  for (int i = 0; i < 3; ++i) {
    if (!piped[i]) continue;
    int mine = pipes[i].take(i == 0 ? 1 : 0);
    ::fcntl(mine, F_SETFL, ::fcntl(mine, F_GETFL) | O_NONBLOCK);
    *ends[i] = pipe_stream(mine);
  }
  return p;
}

process::process(process&& o) noexcept
    : pid_(std::exchange(o.pid_, -1)),
      pidfd_(std::exchange(o.pidfd_, -1)),
      returncode_(o.returncode_),
      stdin_(std::move(o.stdin_)),
      stdout_(std::move(o.stdout_)),
      stderr_(std::move(o.stderr_)) {}

process& process::operator=(process&& o) noexcept {
  if (this != &o) {
    process old(std::move(*this));  // reaps and closes what this held
    pid_ = std::exchange(o.pid_, -1);
    pidfd_ = std::exchange(o.pidfd_, -1);
    returncode_ = o.returncode_;
    stdin_ = std::move(o.stdin_);
    stdout_ = std::move(o.stdout_);
    stderr_ = std::move(o.stderr_);
  }
  return *this;
}

process::~process() {
  if (pidfd_ < 0) return;
  if (!returncode_) {
    ::syscall(SYS_pidfd_send_signal, pidfd_, SIGKILL, nullptr, 0);
    siginfo_t info{};
    while (::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd_), &info, WEXITED) != 0 && errno == EINTR) {
    }
  }
  ::close(pidfd_);
}

bool process::reap() {
  if (returncode_) return true;
  siginfo_t info{};
  if (::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd_), &info, WEXITED | WNOHANG) != 0) {
    if (errno == EINTR) return false;
    throw_errno(errno, "weft::process: waitid");
  }
  if (info.si_pid == 0) return false;  // still running
  returncode_ = return_code(info);
  return true;
}

int process::wait() {
  while (!reap()) wait_readable(pidfd_);
  return *returncode_;
}

std::optional<int> process::wait_for(loop::duration timeout) {
  loop* lp = loop::current();
  const auto deadline = lp->now() + timeout;
  while (!reap()) {
    auto now = lp->now();
    if (now >= deadline || !wait_readable(pidfd_, deadline - now)) {
      if (reap()) break;
      return std::nullopt;
    }
  }
  return returncode_;
}

void process::kill(int signal) {
  if (returncode_) return;
  if (::syscall(SYS_pidfd_send_signal, pidfd_, signal, nullptr, 0) != 0 && errno != ESRCH)
    throw_errno(errno, "weft::process: pidfd_send_signal");
}

}  // namespace weft
