#include "weft/net/http.hpp"

#include <gtest/gtest.h>

#include <ctime>
#include <string>
#include <vector>

namespace http = weft::net::http;
using namespace std::string_literals;

namespace {

// The outcome of feeding a whole input: every request completed, and the
// final status (0 while the parser still waits for bytes).
struct outcome {
  std::vector<http::request> requests;
  int error = 0;
  std::size_t unused = 0;  // bytes left over after a failure
};

// Feeds `in` in pieces of `step` bytes (0: all at once), the way reads split it.
outcome parse(std::string_view in, std::size_t step = 0, http::limits l = {}) {
  http::request_parser p(l);
  outcome out;
  while (!in.empty()) {
    std::string_view piece = step == 0 ? in : in.substr(0, step);
    std::size_t used = 0;
    while (used < piece.size()) {
      std::size_t n = p.feed(piece.substr(used));
      used += n;
      if (p.done()) {
        out.requests.push_back(p.request());
        p.next();
      } else if (p.failed()) {
        out.error = p.error_status();
        out.unused = in.size() - used;
        return out;
      } else if (n == 0) {
        ADD_FAILURE() << "feed consumed nothing while neither done nor failed";
        return out;
      }
    }
    in.remove_prefix(piece.size());
  }
  return out;
}

int status_of(std::string_view in, http::limits l = {}) { return parse(in, 0, l).error; }

}  // namespace

TEST(http_parser, parses_a_get_with_its_fields) {
  outcome o = parse("GET /a/b?x=1 HTTP/1.1\r\nHost: example\r\nX-Thing:   two words \t\r\n\r\n");
  ASSERT_EQ(o.error, 0);
  ASSERT_EQ(o.requests.size(), 1u);
  const http::request& r = o.requests[0];
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.target, "/a/b?x=1");
  EXPECT_EQ(r.path(), "/a/b");
  EXPECT_EQ(r.version_minor, 1);
  ASSERT_EQ(r.headers.size(), 2u);
  EXPECT_EQ(r.find("x-THING"), "two words");
  EXPECT_EQ(r.find("host"), "example");
  EXPECT_FALSE(r.find("missing").has_value());
  EXPECT_TRUE(r.body.empty());
  EXPECT_TRUE(r.keep_alive);
}

TEST(http_parser, gives_the_same_request_whatever_the_split) {
  const std::string in =
      "POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;name=v\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n";
  for (std::size_t step : {1u, 2u, 3u, 7u, 64u, 0u}) {
    outcome o = parse(in, step);
    ASSERT_EQ(o.error, 0) << "step " << step;
    ASSERT_EQ(o.requests.size(), 1u) << "step " << step;
    EXPECT_EQ(o.requests[0].body, "hello world") << "step " << step;
    EXPECT_TRUE(o.requests[0].chunked);
    EXPECT_EQ(o.requests[0].find("x-trailer"), "t");
  }
}

TEST(http_parser, stops_at_the_end_of_a_request_so_pipelined_ones_follow) {
  std::string in =
      "GET /1 HTTP/1.1\r\nHost: h\r\n\r\nPOST /2 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"
      "GET /3 HTTP/1.1\r\nHost: h\r\n\r\n";
  http::request_parser p;
  std::size_t n = p.feed(in);
  ASSERT_TRUE(p.done());
  EXPECT_EQ(in.substr(n, 7), "POST /2");
  EXPECT_EQ(p.feed(std::string_view(in).substr(n)), 0u) << "a done parser takes nothing until next()";

  outcome o = parse(in);
  ASSERT_EQ(o.requests.size(), 3u);
  EXPECT_EQ(o.requests[0].target, "/1");
  EXPECT_EQ(o.requests[1].body, "abc");
  EXPECT_EQ(o.requests[2].target, "/3");
}

TEST(http_parser, a_truncated_request_waits_for_more_and_reports_idle_only_between_requests) {
  const std::string in = "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n12345";
  http::request_parser p;
  EXPECT_TRUE(p.idle());
  for (std::size_t cut = 1; cut < in.size(); ++cut) {
    http::request_parser q;
    EXPECT_EQ(q.feed(std::string_view(in).substr(0, cut)), cut);
    EXPECT_FALSE(q.done()) << cut;
    EXPECT_FALSE(q.failed()) << cut;
    EXPECT_FALSE(q.idle()) << cut;
  }
  p.feed(in);
  EXPECT_FALSE(p.done());
  p.feed("67890");
  ASSERT_TRUE(p.done());
  EXPECT_EQ(p.request().body, "1234567890");
  p.next();
  EXPECT_TRUE(p.idle());
}

TEST(http_parser, accepts_bare_line_feeds_and_leading_empty_lines) {
  outcome o = parse("\r\n\nGET / HTTP/1.1\nHost: h\n\n");
  ASSERT_EQ(o.error, 0);
  ASSERT_EQ(o.requests.size(), 1u);
  EXPECT_EQ(o.requests[0].find("host"), "h");
  EXPECT_EQ(status_of("\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
}

TEST(http_parser, keep_alive_follows_the_version_and_connection_header) {
  auto keep = [](std::string_view in) {
    outcome o = parse(in);
    EXPECT_EQ(o.error, 0) << in;
    return !o.requests.empty() && o.requests[0].keep_alive;
  };
  EXPECT_TRUE(keep("GET / HTTP/1.1\r\nHost: h\r\n\r\n"));
  EXPECT_FALSE(keep("GET / HTTP/1.1\r\nHost: h\r\nConnection: Close\r\n\r\n"));
  EXPECT_FALSE(keep("GET / HTTP/1.1\r\nHost: h\r\nConnection: upgrade, close\r\n\r\n"));
  EXPECT_FALSE(keep("GET / HTTP/1.0\r\n\r\n"));
  EXPECT_TRUE(keep("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"));
  EXPECT_FALSE(keep("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n"));
  // A later 1.x minor is served as 1.1.
  EXPECT_TRUE(keep("GET / HTTP/1.7\r\nHost: h\r\n\r\n"));
}

TEST(http_parser, malformed_requests_get_400) {
  const char* bad[] = {
      "GET\r\n\r\n",
      "GET /\r\n\r\n",
      "GET  / HTTP/1.1\r\nHost: h\r\n\r\n",      // two spaces
      "GET / HTTP/1.1 \r\nHost: h\r\n\r\n",      // trailing space
      "G(T / HTTP/1.1\r\nHost: h\r\n\r\n",       // not a token
      "GET /a\x01 HTTP/1.1\r\nHost: h\r\n\r\n",  // control in target
      "GET / HTTP/1.1\rX\r\nHost: h\r\n\r\n",    // bare CR
      "GET / HTTQ/1.1\r\nHost: h\r\n\r\n",
      "GET / HTTP/1.x\r\nHost: h\r\n\r\n",
      "GET / HTTP/11\r\nHost: h\r\n\r\n",
      "GET / HTTP/1.1\r\n\r\n",  // no Host in 1.1
      "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
      "GET / HTTP/1.1\r\nHost : h\r\n\r\n",            // space before colon
      "GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n",  // obs-fold
      "GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: h\r\n: empty\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: h\r\nX: a\x7f\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1x\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: \r\n\r\n",
      "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
      "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3, 4\r\n\r\nabcd",
      "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3 x\r\n",
      "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n",
      "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n;x\r\n",
  };
  // A NUL in the target, which a C string cannot hold.
  EXPECT_EQ(status_of("GET /a\0b HTTP/1.1\r\nHost: h\r\n\r\n"s), 400);
  for (const char* in : bad) EXPECT_EQ(status_of(in), 400) << in;
}

TEST(http_parser, repeated_equal_content_lengths_are_one_length) {
  outcome o = parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3, 3\r\nContent-Length: 3\r\n\r\nabc");
  ASSERT_EQ(o.error, 0);
  ASSERT_EQ(o.requests.size(), 1u);
  EXPECT_EQ(o.requests[0].body, "abc");
}

TEST(http_parser, unknown_transfer_codings_get_501) {
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n"), 501);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"), 501);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"),
            501);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:\r\n\r\n"), 501);
}

TEST(http_parser, other_http_versions_get_505) {
  EXPECT_EQ(status_of("GET / HTTP/2.0\r\nHost: h\r\n\r\n"), 505);
  EXPECT_EQ(status_of("GET / HTTP/0.9\r\n\r\n"), 505);
}

TEST(http_parser, an_overlong_request_line_gets_414_before_its_end_arrives) {
  http::limits l{.max_request_line = 32};
  std::string line = "GET /" + std::string(32 - 14, 'a') + " HTTP/1.1";  // exactly 32
  ASSERT_EQ(line.size(), 32u);
  EXPECT_EQ(status_of(line + "\r\nHost: h\r\n\r\n", l), 0);
  EXPECT_EQ(status_of("GET /a" + line.substr(5) + "\r\nHost: h\r\n\r\n", l), 414);
  // Without any line end: the parser must not keep buffering.
  http::request_parser p(l);
  std::string endless(1000, 'a');
  std::size_t used = p.feed(endless);
  EXPECT_TRUE(p.failed());
  EXPECT_EQ(p.error_status(), 414);
  EXPECT_LE(used, endless.size());
}

TEST(http_parser, an_oversized_header_section_gets_431) {
  http::limits l{.max_header_bytes = 64, .max_headers = 3};
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: h\r\nX: " + std::string(40, 'v') + "\r\n\r\n", l), 0);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: h\r\nX: " + std::string(60, 'v') + "\r\n\r\n", l), 431);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", l), 431);
  // The same section fed a byte at a time is counted once, not once per piece.
  EXPECT_EQ(parse("GET / HTTP/1.1\r\nHost: h\r\nX: " + std::string(40, 'v') + "\r\n\r\n", 1, l).error, 0);
  // A field that never ends.
  http::request_parser p(l);
  p.feed("GET / HTTP/1.1\r\nX: ");
  p.feed(std::string(100, 'v'));
  EXPECT_EQ(p.error_status(), 431);
  // Trailers count against the same limits.
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nT: " +
                          std::string(40, 't') + "\r\n\r\n",
                      l),
            431);
}

TEST(http_parser, an_oversized_body_gets_413_before_it_is_read) {
  http::limits l{.max_body = 10};
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n0123456789", l), 0);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n", l), 413);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999999\r\n\r\n", l), 413);
  const std::string chunked = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
  EXPECT_EQ(status_of(chunked + "6\r\n012345\r\n4\r\n6789\r\n0\r\n\r\n", l), 0);
  EXPECT_EQ(status_of(chunked + "6\r\n012345\r\n5\r\n", l), 413);
  EXPECT_EQ(status_of(chunked + "fffffffffffffffffffffffff\r\n", l), 413);
}

TEST(http_parser, a_failed_parser_consumes_nothing_more) {
  http::request_parser p;
  p.feed("BAD\r\n");
  ASSERT_TRUE(p.failed());
  EXPECT_EQ(p.error_status(), 400);
  EXPECT_FALSE(p.error_reason().empty());
  EXPECT_FALSE(p.request().keep_alive);
  EXPECT_EQ(p.feed("GET / HTTP/1.1\r\n"), 0u);
}

TEST(http_relative_path, maps_targets_inside_the_root) {
  EXPECT_EQ(http::relative_path("/"), "");
  EXPECT_EQ(http::relative_path("/index.html?v=2"), "index.html");
  EXPECT_EQ(http::relative_path("/a//b/./c"), "a/b/c");
  EXPECT_EQ(http::relative_path("/dir/"), "dir/");
  EXPECT_EQ(http::relative_path("/a%20b"), "a b");
}

TEST(http_relative_path, refuses_anything_that_could_leave_the_root) {
  for (const char* t :
       {"/../etc/passwd", "/a/../../b", "/..", "/%2e%2e/x", "/%2E%2e", "/a/%2e%2e/%2e%2e/x", "/%2e%2e%2fetc", "/a%00b",
        "/a\\..\\b", "/%5c..", "/a%2", "/a%zz", "etc/passwd", "http://h/x", "*"})
    EXPECT_FALSE(http::relative_path(t).has_value()) << t;
}

TEST(http_date, formats_imf_fixdate_as_rfc_9110_spells_it) {
  EXPECT_EQ(http::format_date(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");  // RFC 9110's example
  EXPECT_EQ(http::format_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(http::format_date(951782400), "Tue, 29 Feb 2000 00:00:00 GMT");
}

TEST(http_date, current_date_is_the_clock_formatted) {
  std::time_t before = std::time(nullptr);
  std::string now(http::current_date());
  std::time_t after = std::time(nullptr);
  EXPECT_TRUE(now == http::format_date(before) || now == http::format_date(after)) << now;
}

TEST(http_reason_phrase, names_the_statuses_the_parser_returns) {
  EXPECT_EQ(http::reason_phrase(400), "Bad Request");
  EXPECT_EQ(http::reason_phrase(413), "Content Too Large");
  EXPECT_EQ(http::reason_phrase(414), "URI Too Long");
  EXPECT_EQ(http::reason_phrase(431), "Request Header Fields Too Large");
  EXPECT_EQ(http::reason_phrase(501), "Not Implemented");
  EXPECT_EQ(http::reason_phrase(505), "HTTP Version Not Supported");
  EXPECT_EQ(http::reason_phrase(799), "Unknown");
}
