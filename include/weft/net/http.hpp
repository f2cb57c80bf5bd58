// An incremental HTTP/1.1 request parser (RFC 9112), for servers.
//
//   weft::net::http::request_parser parser;
//   std::string_view in = bytes_just_read;
//   while (!in.empty()) {
//     in.remove_prefix(parser.feed(in));
//     if (parser.done()) { handle(parser.request()); parser.next(); }
//     else if (parser.failed()) { reply(parser.error_status()); close(); break; }
//   }
//
// Bytes may arrive in any split, one at a time included; feed() stops at the
// end of a complete request, so the bytes after it (a pipelined request)
// stay with the caller. Every size the peer controls is bounded by `limits`,
// and a request over one fails with the status RFC 9110 gives for it:
//   400 malformed (bad syntax, bad or conflicting framing, missing Host)
//   413 body (Content-Length or chunked total) over limits::max_body
//   414 request line over limits::max_request_line
//   431 header section over limits::max_header_bytes or max_headers
//   501 a transfer coding other than chunked
//   505 an HTTP version other than 1.0 and 1.1
// After a failure the connection's framing is lost: reply and close.
//
// No I/O, no allocation beyond the request it builds: a value type that
// any one thread may use at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace weft::net::http {

struct limits {
  std::size_t max_request_line = 8 * 1024;   // bytes, the line ending excluded
  std::size_t max_header_bytes = 16 * 1024;  // all header lines (and trailers) together
  std::size_t max_headers = 100;             // header and trailer fields
  std::size_t max_body = 1024 * 1024;        // bytes after chunked decoding
};

struct header {
  std::string name;   // as sent; compare with iequals()
  std::string value;  // leading and trailing blanks removed
};

struct request {
  std::string method;           // case-sensitive token: "GET"
  std::string target;           // as sent: "/a%20b?x=1", "*", "http://h/p"
  int version_minor = 1;        // HTTP/1.<version_minor>: 0 or 1
  std::vector<header> headers;  // in order; trailers of a chunked body follow them
  std::string body;             // decoded when chunked
  bool keep_alive = true;       // per the version and the Connection header
  bool chunked = false;

  // The first field named `name` (case-insensitive), or nullopt.
  std::optional<std::string_view> find(std::string_view name) const;
  // The target up to '?': "/a%20b".
  std::string_view path() const;
};

class request_parser {
 public:
  explicit request_parser(limits l = {}) : limits_(l) {}

  // Consumes a prefix of `data` and returns its length. Consumes nothing
  // once done() or failed(): call next() after handling a request.
  std::size_t feed(std::string_view data);

  bool done() const noexcept { return state_ == state::done; }
  bool failed() const noexcept { return state_ == state::failed; }
  // True between requests: nothing of the next one has been read, so a
  // peer that closes now ended the connection cleanly.
  bool idle() const noexcept { return state_ == state::request_line && line_.empty() && skipped_ == 0; }

  // The parsed request; valid while done().
  http::request& request() noexcept { return request_; }
  const http::request& request() const noexcept { return request_; }
  // Forgets the request and waits for the next one.
  void next();

  // When failed(): the status to answer with, and why (for logs).
  int error_status() const noexcept { return error_status_; }
  std::string_view error_reason() const noexcept { return error_reason_; }

 private:
  enum class state {
    request_line,
    header_line,
    body,
    chunk_size,
    chunk_data,
    chunk_data_end,
    trailer_line,
    done,
    failed
  };

  // Appends from `data` up to a line feed. Returns the bytes taken and sets
  // `complete` when the line (in line_, ending removed) is whole.
  std::size_t take_line(std::string_view data, std::size_t limit, int over_status, bool& complete);
  void parse_request_line();
  void parse_header_line(bool trailer);
  void end_of_headers();
  void parse_chunk_size();
  void fail(int status, const char* reason);

  limits limits_;
  state state_ = state::request_line;
  http::request request_;
  std::string line_;
  std::size_t header_bytes_ = 0;  // header section so far, line endings included
  std::size_t skipped_ = 0;       // empty lines before the request line
  std::uint64_t remaining_ = 0;   // body or chunk bytes still to read
  std::optional<std::uint64_t> content_length_;
  int error_status_ = 0;
  const char* error_reason_ = "";
};

// ASCII case-insensitive equality, as field names and tokens compare.
bool iequals(std::string_view a, std::string_view b) noexcept;

// The reason phrase of a status code ("Not Found"), or "Unknown".
std::string_view reason_phrase(int status) noexcept;

// `t` (seconds since the epoch) as an HTTP-date in IMF-fixdate form, "Sun,
// 06 Nov 1994 08:49:37 GMT" (RFC 9110, 5.6.7), whatever the C locale.
std::string format_date(std::time_t t);

// The value of a Date field for now, which an origin server with a clock
// must send in every response (RFC 9110, 6.6.1). Formatted at most once a
// second per thread, so a busy server pays one time() per response. The
// view stays valid until the next call on the same thread.
std::string_view current_date();

// The file-system path, relative to a document root, that a request target
// names; nullopt when it could name anything outside the root or is not a
// plain origin-form path. Percent-escapes are decoded first, so "%2e%2e"
// counts as "..", and a decoded NUL, a backslash or a ".." segment is
// refused. "/" and "/a/" map to "" and "a/" (the caller picks an index).
std::optional<std::string> relative_path(std::string_view target);

}  // namespace weft::net::http
