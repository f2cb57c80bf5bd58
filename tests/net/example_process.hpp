// Running an examples/net program as a child process and talking to it
// over loopback with plain blocking sockets, each bounded by a timeout, so
// that a test drives the example exactly as a user would. Test thread only.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace weft::test {

class example_process {
 public:
  // Starts `argv` with stdout on a pipe (stderr inherited).
  explicit example_process(std::vector<std::string> argv);
  // Kills the child (SIGKILL) if it still runs, and reaps it.
  ~example_process();
  example_process(const example_process&) = delete;
  example_process& operator=(const example_process&) = delete;

  // The next line of the child's stdout, without "\n"; "" at end of output.
  // Throws std::runtime_error after `timeout`.
  std::string read_line(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // All the rest of stdout, until the child closes it.
  std::string read_rest(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // The port of a first line "listening on HOST:PORT" (the server convention).
  int read_listening_port();
  // Sends `sig` and waits for the exit; returns the wait status.
  int stop(int sig, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Waits for the exit; returns the wait status.
  int wait(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  pid_t pid() const noexcept { return pid_; }

 private:
  // Appends what the pipe has to pending_; false at end of output.
  bool fill(std::chrono::steady_clock::time_point deadline);

  pid_t pid_ = -1;
  int out_ = -1;
  std::string pending_;  // read from the pipe, not yet returned
};

// A blocking loopback connection whose reads and writes time out after 10 s;
// a receive_buffer other than 0 sets SO_RCVBUF before connecting.
int connect_loopback(int port, int receive_buffer = 0);
void send_all(int fd, const std::string& data);
// Reads until `data` ends with `suffix`, the peer closes, or the timeout.
std::string read_until(int fd, const std::string& suffix);
// Reads exactly n bytes (fewer only if the peer closes).
std::string read_exact(int fd, std::size_t n);
// Reads until the peer closes (or resets).
std::string read_to_end(int fd);

}  // namespace weft::test
