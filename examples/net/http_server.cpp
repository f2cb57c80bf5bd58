// An HTTP/1.1 server on weft (issue 15): keep-alive, pipelining, size
// limits, a fixed-response route and static files (small ones copied into
// the answer, larger ones sent with sendfile).
//
//   http_server [--host 127.0.0.1] [--port 0] [--loops 1] [--root DIR] [--processes N]
//
//   GET /hello      "Hello, World!" (13 bytes, text/plain), from memory
//   GET /<path>     the file <path> under --root (a directory: its index.html)
//
// Requests are parsed by weft::net::http::request_parser with its default
// limits (414, 431, 413, 400, 501, 505 answer requests over them, and the
// connection closes). Answers to pipelined requests that arrive together
// go out together, in order, in writes of about 64 KiB at most.
//
// No path outside the root is served, whatever the request says: targets
// are percent-decoded and refused on any ".." segment, NUL or backslash
// (http::relative_path), and files open with openat2(RESOLVE_BENEATH), so
// neither a symlink nor a ".." the kernel would follow leaves the root.
//
// Prints "listening on HOST:PORT" first, serves until SIGINT or SIGTERM,
// closes keep-alive connections idle between two requests at once, lets
// requests in flight finish (up to 5 s; their answers say "Connection:
// close") and exits 0.
//
// --processes N: N pre-forked worker processes serve the port under a
// supervisor, which replaces them on SIGHUP (prefork_main.hpp).
#include <weft/error.hpp>
#include <weft/net/http.hpp>
#include <weft/net/tcp.hpp>

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "prefork_main.hpp"
#include "serve_main.hpp"

namespace http = weft::net::http;

namespace {

std::span<const std::byte> bytes(std::string_view s) { return std::as_bytes(std::span(s.data(), s.size())); }

// An fd closed when the scope ends.
struct file_descriptor {
  int fd = -1;
  ~file_descriptor() {
    if (fd >= 0) ::close(fd);
  }
};

// Opens `path` for reading strictly below the directory `root`: any step
// (symlinks and ".." included) that would resolve outside it fails (EXDEV).
int open_beneath(int root, const std::string& path) {
  open_how how{};
  how.flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  return static_cast<int>(::syscall(SYS_openat2, root, path.c_str(), &how, sizeof how));
}

void append_head(std::string& out, int status, const http::request& r, std::string_view type, std::size_t length) {
  out += r.version_minor == 0 ? "HTTP/1.0 " : "HTTP/1.1 ";
  out += std::to_string(status);
  out += ' ';
  out += http::reason_phrase(status);
  out += "\r\nServer: weft\r\nDate: ";
  out += http::current_date();
  out += "\r\nContent-Type: ";
  out += type;
  out += "\r\nContent-Length: ";
  out += std::to_string(length);
  // 1.1 keeps the connection by default and 1.0 closes it: say so only
  // where the answer differs from that default.
  if (!r.keep_alive && r.version_minor == 1) out += "\r\nConnection: close";
  if (r.keep_alive && r.version_minor == 0) out += "\r\nConnection: keep-alive";
  out += "\r\n\r\n";
}

void append_error(std::string& out, int status, const http::request& r) {
  std::string body = std::string(http::reason_phrase(status)) + "\n";
  append_head(out, status, r, "text/plain", body.size());
  out += body;
}

class connection {
 public:
  connection(weft::net::tcp_stream& conn, weft::net::server_connection& served, int root)
      : conn_(conn), served_(served), root_(root) {}

  void serve() {
    conn_.set_nodelay(true);
    std::array<char, 16 * 1024> buf;
    for (;;) {
      std::size_t n = read_some(buf);
      if (n == 0) return;  // the peer closed (mid-request or not: nothing to answer)
      std::string_view in(buf.data(), n);
      while (!in.empty()) {
        in.remove_prefix(parser_.feed(in));
        if (parser_.failed()) {
          append_error(out_, parser_.error_status(), parser_.request());
          flush();
          linger_close();
          return;
        }
        if (!parser_.done()) break;
        if (served_.stopping()) parser_.request().keep_alive = false;  // the answer says so
        bool keep = answer(parser_.request());
        answered_ = true;
        parser_.next();
        if (!keep) {
          flush();
          linger_close();  // requests pipelined after this one go unanswered
          return;
        }
        // Answers wait to go out together, but not without bound: a read
        // can hold hundreds of requests, each for a copied file.
        if (out_.size() >= batched_answer_bytes) flush();
      }
      flush();
    }
  }

 private:
  // Between requests (one answered, nothing of the next one read, every
  // answer written) the connection is idle: a shutdown closes it at once,
  // and a client retries a request lost so on a reused connection. A new
  // connection is not idle: its client connected to send a request (nginx
  // draws the same line).
  std::size_t read_some(std::span<char> buf) {
    if (!answered_ || !parser_.idle()) return conn_.read_some(std::as_writable_bytes(buf));
    auto idle = served_.idle();
    return conn_.read_some(std::as_writable_bytes(buf));
  }

  // Appends (or sends) the answer to `r`; false if the connection must close after it.
  bool answer(const http::request& r) {
    const bool head = r.method == "HEAD";
    if (r.method != "GET" && !head) {
      append_error(out_, 405, r);
    } else if (r.path() == "/hello") {
      static constexpr std::string_view hello = "Hello, World!";
      append_head(out_, 200, r, "text/plain", hello.size());
      if (!head) out_ += hello;
    } else {
      send_file(r, head);
    }
    return r.keep_alive;
  }

  void send_file(const http::request& r, bool head) {
    std::optional<std::string> rel = http::relative_path(r.target);
    if (!rel || root_ < 0) return append_error(out_, 404, r);
    if (rel->empty() || rel->back() == '/') *rel += "index.html";
    file_descriptor file{open_beneath(root_, *rel)};
    struct stat st {};
    if (file.fd >= 0 && ::fstat(file.fd, &st) == 0 && S_ISDIR(st.st_mode)) {
      ::close(file.fd);
      file.fd = open_beneath(root_, *rel + "/index.html");
      st = {};
      if (file.fd >= 0) ::fstat(file.fd, &st);  // a failure leaves st not a regular file
    }
    if (file.fd < 0 || !S_ISREG(st.st_mode)) return append_error(out_, 404, r);
    auto size = static_cast<std::size_t>(st.st_size);
    std::size_t answer_at = out_.size();
    append_head(out_, 200, r, "application/octet-stream", size);
    if (head) return;
    if (size > copied_file_bytes) {
      if (!send_file_after_head(file.fd, size))
        throw std::runtime_error("http_server: " + *rel + " shrank while being sent");
      return;
    }
    if (int err = append_file(file.fd, size); err != 0) {
      out_.resize(answer_at);  // the answers before this one still go
      flush();
      if (err > 0) throw std::system_error(err, std::generic_category(), "http_server: read " + *rel);
      throw std::runtime_error("http_server: " + *rel + " shrank while being read");
    }
  }

  // A file this small is read into the answer: one read costs less than
  // sendfile's extra system calls (the head's own write, and blocking
  // SIGPIPE around it), and head and body then leave in one segment.
  static constexpr std::size_t copied_file_bytes = 16 * 1024;
  // How much of the answers to pipelined requests waits for the next one.
  static constexpr std::size_t batched_answer_bytes = 64 * 1024;

  // Appends the first `size` bytes of `fd` to the answer. Returns 0, or -1
  // if the file ended first, or the errno of a read that failed.
  int append_file(int fd, std::size_t size) {
    std::size_t at = out_.size();
    out_.resize(at + size);
    for (std::size_t got = 0; got < size;) {
      ssize_t n = ::pread(fd, out_.data() + at + got, size - got, static_cast<off_t>(got));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return errno;
      if (n == 0) return -1;
      got += static_cast<std::size_t>(n);
    }
    return 0;
  }

  // Sends the answers so far, then `size` bytes of `fd`; false if the file
  // ended first.
  bool send_file_after_head(int fd, std::size_t size) {
    flush();
    off_t offset = 0;
    return conn_.sendfile(fd, offset, size) == size;
  }

  // Closing with unread input would send a reset, which can destroy the
  // error answer before the client reads it: send FIN, then read and drop
  // what the client still sends, for a bounded time and amount (nginx's
  // lingering_close).
  void linger_close() {
    conn_.shutdown_write();
    std::array<std::byte, 16 * 1024> sink;
    std::size_t dropped = 0;
    try {
      while (dropped < 1024 * 1024) {
        std::size_t n = conn_.read_some(sink, std::chrono::seconds(1));
        if (n == 0) break;
        dropped += n;
      }
    } catch (const weft::timeout_error&) {
    }
  }

  void flush() {
    if (out_.empty()) return;
    conn_.write_all(bytes(out_));
    out_.clear();
  }

  weft::net::tcp_stream& conn_;
  weft::net::server_connection& served_;
  int root_;
  http::request_parser parser_;
  std::string out_;  // answers not yet written
  bool answered_ = false;
};

}  // namespace

int main(int argc, char** argv) {
  std::optional<weft::net::prefork_worker> worker = weft::net::prefork_worker::attach();
  examples::flags f(argc, argv,
                    examples::server_flags({{"root", {"", "document root for static files"}},
                                            {"processes", {"0", "worker processes (0: serve in this one)"}}}));
  file_descriptor root;
  if (!f.text("root").empty()) {
    root.fd = ::open(f.text("root").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root.fd < 0) {
      std::perror(("--root " + f.text("root")).c_str());
      return 2;
    }
  }
  if (!worker && f.number("processes") > 0)  // after --root is checked, which each worker opens again
    return examples::supervise(f, static_cast<std::size_t>(f.number("processes")), argc, argv);
  weft::net::server::connection_handler handler = [&](weft::net::tcp_stream& conn,
                                                      weft::net::server_connection& served) {
    connection(conn, served, root.fd).serve();
  };
  // A client that stops sending for 30 s mid-request or between requests is dropped.
  const weft::net::server_options options{.idle_timeout = std::chrono::seconds(30)};
  if (worker) return examples::serve_as_worker(*worker, handler, options);
  return examples::serve_until_signal(f, handler, options);
}
