// libFuzzer target for weft::net::http::request_parser (tests/fuzz/README.md).
//
// The first input byte picks how the rest is split and which limits apply;
// the rest is fed once whole and once in pieces, and both runs must see the
// same requests and the same failure: a parser whose answer depends on how
// reads split the stream would let two peers disagree on where a request
// ends. Every target that relative_path() accepts must stay below the root.
#include "weft/net/http.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace http = weft::net::http;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

// One line per request or failure: what a server would act on.
std::string run(std::string_view in, std::size_t step, const http::limits& l) {
  http::request_parser p(l);
  std::string log;
  while (!in.empty()) {
    std::string_view piece = in.substr(0, step);
    std::size_t used = p.feed(piece);
    check(used <= piece.size());
    in.remove_prefix(used);
    if (p.done()) {
      const http::request& r = p.request();
      log += r.method + ' ' + r.target + ' ' + std::to_string(r.version_minor) + ' ' + std::to_string(r.keep_alive) +
             std::to_string(r.chunked) + ' ' + std::to_string(r.headers.size());
      for (const http::header& h : r.headers) log += '|' + h.name + ':' + h.value;
      log += '|' + std::to_string(r.body.size()) + ':' + r.body + '\n';
      check(r.body.size() <= l.max_body);
      check(r.headers.size() <= l.max_headers);
      if (auto rel = http::relative_path(r.target)) {
        check(rel->find('\0') == std::string::npos);
        check(rel->empty() || rel->front() != '/');
        check(("/" + *rel + "/").find("/../") == std::string::npos);
      }
      p.next();
    } else if (p.failed()) {
      check(p.error_status() >= 400 && p.error_status() < 600);
      return log + "failed " + std::to_string(p.error_status()) + '\n';
    } else {
      check(used == piece.size());  // waiting for more means it took everything
    }
  }
  return log;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::size_t step = (data[0] & 15u) + 1;
  http::limits l;
  if (data[0] & 16u) l = {.max_request_line = 40, .max_header_bytes = 80, .max_headers = 4, .max_body = 32};
  std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  check(run(in, in.size(), l) == run(in, step, l));
  return 0;
}
