// The request parser is a state machine over lines (request line, fields,
// chunk sizes) and counted runs of bytes (bodies, chunk data). A line is
// gathered in line_ until its line feed arrives, so no state depends on
// where the peer's writes were split. Every byte the peer sends is counted
// against a limit before it is stored.
#include "weft/net/http.hpp"

#include <algorithm>
#include <cstring>

namespace weft::net::http {
namespace {

bool is_tchar(unsigned char c) noexcept {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != 0;
}

bool is_token(std::string_view s) noexcept {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return is_tchar(static_cast<unsigned char>(c)); });
}

// field-value characters: visible, obs-text, space and tab; no other CTL.
bool is_field_char(unsigned char c) noexcept { return c == '\t' || (c >= 0x20 && c != 0x7f); }

bool is_blank(char c) noexcept { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Calls fn(element) for each element of a comma-separated list, blanks
// trimmed, empty elements skipped (RFC 9110 5.6.1).
template <class Fn>
void for_each_element(std::string_view list, Fn fn) {
  while (!list.empty()) {
    std::size_t comma = list.find(',');
    std::string_view element = trim(list.substr(0, comma));
    if (!element.empty()) fn(element);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
}

constexpr std::uint64_t no_value = ~std::uint64_t{0};

// A decimal Content-Length element; values past 2^63 saturate (they are
// over any body limit anyway), no_value when not all digits.
std::uint64_t parse_length(std::string_view s) noexcept {
  if (s.empty()) return no_value;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return no_value;
    v = v > (std::uint64_t{1} << 59) ? (std::uint64_t{1} << 63) : v * 10 + static_cast<unsigned>(c - '0');
  }
  return v;
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) noexcept {
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [&](char x, char y) { return lower(x) == lower(y); });
}

std::optional<std::string_view> request::find(std::string_view name) const {
  for (const header& h : headers)
    if (iequals(h.name, name)) return h.value;
  return std::nullopt;
}

std::string_view request::path() const { return std::string_view(target).substr(0, target.find('?')); }

void request_parser::fail(int status, const char* reason) {
  state_ = state::failed;
  error_status_ = status;
  error_reason_ = reason;
  request_.keep_alive = false;
}

void request_parser::next() {
  request_.method.clear();
  request_.target.clear();
  request_.version_minor = 1;
  request_.headers.clear();
  request_.body.clear();
  request_.keep_alive = true;
  request_.chunked = false;
  line_.clear();
  header_bytes_ = 0;
  skipped_ = 0;
  remaining_ = 0;
  content_length_.reset();
  state_ = state::request_line;
}

std::size_t request_parser::take_line(std::string_view data, std::size_t limit, int over_status, bool& complete) {
  const void* lf = std::memchr(data.data(), '\n', data.size());
  std::size_t n = lf ? static_cast<std::size_t>(static_cast<const char*>(lf) - data.data()) + 1 : data.size();
  if (line_.size() + n > limit) {
    fail(over_status, over_status == 400 ? "line too long" : "request line or header section too long");
    complete = false;
    return n;
  }
  complete = lf != nullptr;
  line_.append(data.data(), complete ? n - 1 : n);
  if (complete && !line_.empty() && line_.back() == '\r') line_.pop_back();
  return n;
}

void request_parser::parse_request_line() {
  std::string_view line = line_;
  if (line.size() > limits_.max_request_line) return fail(414, "request line too long");
  std::size_t sp1 = line.find(' ');
  std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return fail(400, "request line is not: method target version");
  std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  if (!is_token(method)) return fail(400, "bad method");
  if (target.empty() || !std::all_of(target.begin(), target.end(), [](char c) {
        auto u = static_cast<unsigned char>(c);
        return u > 0x20 && u != 0x7f;
      }))
    return fail(400, "bad request target");
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || version[6] != '.' || version[5] < '0' ||
      version[5] > '9' || version[7] < '0' || version[7] > '9')
    return fail(400, "bad HTTP version");
  // A higher 1.x minor is served as 1.1 (RFC 9110 2.5); other majors are not HTTP/1.
  if (version[5] != '1') return fail(505, "HTTP version not supported");
  request_.method = method;
  request_.target = target;
  request_.version_minor = version[7] == '0' ? 0 : 1;
  state_ = state::header_line;
}

void request_parser::parse_header_line(bool trailer) {
  std::string_view line = line_;
  if (line.empty()) {
    if (trailer) {
      state_ = state::done;
    } else {
      end_of_headers();
    }
    return;
  }
  if (is_blank(line.front())) return fail(400, "obsolete line folding");
  std::size_t colon = line.find(':');
  if (colon == std::string_view::npos || !is_token(line.substr(0, colon))) return fail(400, "bad field name");
  std::string_view value = trim(line.substr(colon + 1));
  if (!std::all_of(value.begin(), value.end(), [](char c) { return is_field_char(static_cast<unsigned char>(c)); }))
    return fail(400, "bad field value");
  if (request_.headers.size() >= limits_.max_headers) return fail(431, "too many header fields");
  request_.headers.push_back({std::string(line.substr(0, colon)), std::string(value)});
}

void request_parser::end_of_headers() {
  int hosts = 0;
  bool has_transfer_encoding = false;
  bool bad_coding = false;
  bool close = false;
  bool keep_alive = false;
  for (const header& h : request_.headers) {
    if (iequals(h.name, "host")) {
      ++hosts;
    } else if (iequals(h.name, "content-length")) {
      // "5, 5" is one length sent twice; different lengths are a smuggling attempt.
      bool bad = false;
      for_each_element(h.value, [&](std::string_view e) {
        std::uint64_t v = parse_length(e);
        if (v == no_value || (content_length_ && *content_length_ != v)) bad = true;
        content_length_ = v;
      });
      if (bad || !content_length_) return fail(400, "bad Content-Length");
    } else if (iequals(h.name, "transfer-encoding")) {
      // Only chunked is understood, and it must be the one coding: chunked
      // after another coding would leave a body nobody here can decode.
      // Each Transfer-Encoding field adds codings to the list; an empty
      // list is as bad as an unknown coding.
      bool any = false;
      for_each_element(h.value, [&](std::string_view e) {
        any = true;
        if (has_transfer_encoding || !iequals(e, "chunked")) bad_coding = true;
        has_transfer_encoding = true;
      });
      if (!any) bad_coding = true;
      if (bad_coding) return fail(501, "transfer coding not implemented");
    } else if (iequals(h.name, "connection")) {
      for_each_element(h.value, [&](std::string_view e) {
        close = close || iequals(e, "close");
        keep_alive = keep_alive || iequals(e, "keep-alive");
      });
    }
  }
  if (hosts > 1 || (hosts == 0 && request_.version_minor == 1)) return fail(400, "need exactly one Host");
  // Both framings at once, or chunked in HTTP/1.0, leave the body's end
  // ambiguous between peers (request smuggling): refuse (RFC 9112 6.1, 6.3).
  bool chunked = has_transfer_encoding;
  if (chunked && (content_length_ || request_.version_minor == 0)) return fail(400, "ambiguous message framing");
  request_.keep_alive = !close && (request_.version_minor == 1 || keep_alive);
  request_.chunked = chunked;
  if (chunked) {
    state_ = state::chunk_size;
  } else if (content_length_ && *content_length_ > 0) {
    if (*content_length_ > limits_.max_body) return fail(413, "body too large");
    remaining_ = *content_length_;
    request_.body.reserve(static_cast<std::size_t>(remaining_));
    state_ = state::body;
  } else {
    state_ = state::done;
  }
}

void request_parser::parse_chunk_size() {
  std::string_view line = line_;
  std::uint64_t size = 0;
  std::size_t digits = 0;
  for (; digits < line.size() && hex_value(line[digits]) >= 0; ++digits) {
    if (size > limits_.max_body) return fail(413, "body too large");
    size = size * 16 + static_cast<unsigned>(hex_value(line[digits]));
  }
  // chunk-ext is read and dropped; it may only hold field characters.
  std::string_view rest = trim(line.substr(digits));
  if (digits == 0 || (!rest.empty() && rest.front() != ';') ||
      !std::all_of(rest.begin(), rest.end(), [](char c) { return is_field_char(static_cast<unsigned char>(c)); }))
    return fail(400, "bad chunk size");
  if (size > limits_.max_body - request_.body.size()) return fail(413, "body too large");
  if (size == 0) {
    state_ = state::trailer_line;
    return;
  }
  remaining_ = size;
  state_ = state::chunk_data;
}

std::size_t request_parser::feed(std::string_view data) {
  std::size_t used = 0;
  bool complete = false;
  while (used < data.size()) {
    std::string_view rest = data.substr(used);
    switch (state_) {
      case state::done:
      case state::failed: return used;
      case state::request_line:
        // +2: the CR LF, which the limit does not count.
        used += take_line(rest, limits_.max_request_line + 2, 414, complete);
        if (!complete) break;
        if (line_.empty()) {
          // Empty lines before a request are ignored (RFC 9112 2.2), a bounded number of them.
          if (++skipped_ > 4) fail(400, "too many empty lines");
        } else {
          parse_request_line();
        }
        line_.clear();
        break;
      case state::header_line:
      case state::trailer_line: {
        // header_bytes_ already counts the part of this line in line_.
        std::size_t n = take_line(rest, limits_.max_header_bytes - header_bytes_ + line_.size(), 431, complete);
        used += n;
        header_bytes_ += n;
        if (!complete) break;
        parse_header_line(state_ == state::trailer_line);
        line_.clear();
        break;
      }
      case state::body:
      case state::chunk_data: {
        std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, rest.size()));
        request_.body.append(rest.data(), n);
        used += n;
        remaining_ -= n;
        if (remaining_ == 0) state_ = state_ == state::body ? state::done : state::chunk_data_end;
        break;
      }
      case state::chunk_size:
        used += take_line(rest, limits_.max_request_line, 400, complete);
        if (!complete) break;
        parse_chunk_size();
        line_.clear();
        break;
      case state::chunk_data_end:
        used += take_line(rest, 2, 400, complete);
        if (!complete) break;
        if (!line_.empty()) fail(400, "chunk data longer than its size");
        else state_ = state::chunk_size;
        break;
    }
  }
  return used;
}

std::string_view reason_phrase(int status) noexcept {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
  }
}

std::optional<std::string> relative_path(std::string_view target) {
  target = target.substr(0, target.find('?'));
  if (target.empty() || target.front() != '/') return std::nullopt;
  std::string decoded;
  decoded.reserve(target.size());
  for (std::size_t i = 0; i < target.size(); ++i) {
    char c = target[i];
    if (c == '%') {
      if (i + 2 >= target.size()) return std::nullopt;
      int hi = hex_value(target[i + 1]);
      int lo = hex_value(target[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    }
    if (c == '\0' || c == '\\') return std::nullopt;
    decoded.push_back(c);
  }
  std::string out;
  std::string_view rest = decoded;
  while (!rest.empty()) {
    std::size_t slash = rest.find('/');
    std::string_view segment = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
    if (segment == "..") return std::nullopt;
    if (segment.empty() || segment == ".") continue;
    if (!out.empty()) out.push_back('/');
    out.append(segment);
  }
  if (!out.empty() && decoded.back() == '/') out.push_back('/');
  return out;
}

}  // namespace weft::net::http
