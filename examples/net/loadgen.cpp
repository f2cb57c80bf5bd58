// A load generator on weft: N connections, each a task that sends a request
// and waits for its whole answer, over and over, against an echo server or
// an HTTP server.
//
//   loadgen --port 8080 --mode http --path /hello --connections 100 --duration 10
//   loadgen --port 7000 --mode echo --size 64 --connections 10 --requests 100000
//
// It runs for --duration seconds or until --requests answers came, whichever
// is set (--requests wins). On a terminal a progress line is redrawn every
// second; otherwise one plain line is printed per second. At the end it
// prints a table: requests, seconds, req/s and latency percentiles (p50,
// p90, p99, p99.9, max) in microseconds, from the last byte of a request
// written to the last byte of its answer read. Exits 1 if any connection
// failed (after printing the table and the first error).
#include <weft/loop.hpp>
#include <weft/net/buffered.hpp>
#include <weft/net/tcp.hpp>
#include <weft/error.hpp>
#include <weft/task.hpp>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <string>
#include <vector>

#include "flags.hpp"

namespace {

using clock_type = std::chrono::steady_clock;

struct run_state {
  std::vector<std::uint64_t> latencies_ns;  // one per answered request
  std::uint64_t to_start = 0;               // requests not yet started, when counted
  bool counted = false;                     // --requests given
  clock_type::time_point deadline;          // when not counted
  std::string first_error;
  std::size_t failed_connections = 0;

  // Whether a connection may send one more request.
  bool more() {
    if (counted) {
      if (to_start == 0) return false;
      --to_start;
      return true;
    }
    return clock_type::now() < deadline;
  }
};

std::span<const std::byte> bytes(std::string_view s) { return std::as_bytes(std::span(s.data(), s.size())); }

// Reads one HTTP response (status line, fields, Content-Length body);
// throws std::runtime_error for anything else (chunked answers included).
void read_http_response(weft::net::buffered_reader<weft::net::tcp_stream>& in, std::string& body) {
  std::string head = in.read_until("\r\n\r\n", 64 * 1024);
  if (head.compare(0, 9, "HTTP/1.1 ") != 0 && head.compare(0, 9, "HTTP/1.0 ") != 0)
    throw std::runtime_error("not an HTTP response: " + head.substr(0, 40));
  std::size_t length = 0;
  bool have_length = false;
  std::size_t at = 0;
  while ((at = head.find("\r\n", at)) != std::string::npos) {
    at += 2;
    // Field names are case-insensitive: compare lowercased.
    std::string name;
    for (std::size_t i = at; i < head.size() && head[i] != ':' && head[i] != '\r'; ++i)
      name.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(head[i]))));
    if (name == "content-length") {
      length = std::stoul(head.substr(at + name.size() + 1));
      have_length = true;
    }
  }
  if (!have_length) throw std::runtime_error("HTTP response without Content-Length");
  body.resize(length);
  in.read_exact(std::as_writable_bytes(std::span(body)));
}

void connection(const weft::net::address& to, const examples::flags& f, run_state& st) {
  weft::net::tcp_stream conn = weft::net::tcp_stream::connect(to, std::chrono::seconds(10));
  conn.set_nodelay(true);
  const bool http = f.text("mode") == "http";
  const std::string request = http ? "GET " + f.text("path") + " HTTP/1.1\r\nHost: " + f.text("host") + "\r\n\r\n"
                                   : std::string(static_cast<std::size_t>(f.number("size")), 'x');
  weft::net::buffered_reader in(conn);
  std::string answer(request.size(), '\0');
  while (st.more()) {
    conn.write_all(bytes(request));
    auto sent = clock_type::now();
    if (http) {
      read_http_response(in, answer);
    } else {
      in.read_exact(std::as_writable_bytes(std::span(answer)));
    }
    st.latencies_ns.push_back(static_cast<std::uint64_t>((clock_type::now() - sent).count()));
  }
}

double percentile_us(const std::vector<std::uint64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  auto rank = static_cast<std::size_t>(p / 100.0 * static_cast<double>(sorted.size() - 1) + 0.5);
  return static_cast<double>(sorted[std::min(rank, sorted.size() - 1)]) / 1000.0;
}

}  // namespace

int main(int argc, char** argv) {
  examples::flags f(argc, argv,
                    {{"host", {"127.0.0.1", "server address (numeric IPv4 or IPv6)"}},
                     {"port", {"", "server port"}},
                     {"mode", {"echo", "echo or http"}},
                     {"connections", {"10", "concurrent connections"}},
                     {"duration", {"10", "seconds to run, unless --requests is given"}},
                     {"requests", {"0", "stop after this many answers (0: use --duration)"}},
                     {"size", {"64", "echo: bytes per request"}},
                     {"path", {"/", "http: the path to GET"}}});
  if (f.text("port").empty() || (f.text("mode") != "echo" && f.text("mode") != "http") || f.number("connections") < 1 ||
      f.number("size") < 1 || f.number("duration") < 1 || f.number("requests") < 0) {
    std::fprintf(stderr, "loadgen: need --port, --mode echo|http, and positive counts (--help)\n");
    return 2;
  }
  const auto address = weft::net::address::parse(f.text("host"), static_cast<std::uint16_t>(f.number("port")));
  const bool terminal = ::isatty(STDOUT_FILENO) == 1;
  run_state st;
  st.counted = f.number("requests") > 0;
  st.to_start = static_cast<std::uint64_t>(f.number("requests"));
  st.latencies_ns.reserve(st.counted ? st.to_start : 1 << 20);

  weft::loop lp;
  double seconds = lp.run_until_complete([&] {
    auto start = clock_type::now();
    st.deadline = start + std::chrono::seconds(f.number("duration"));
    std::vector<weft::task<void>> conns;
    for (long long i = 0; i < f.number("connections"); ++i)
      conns.push_back(weft::spawn([&] {
        try {
          connection(address, f, st);
        } catch (const std::exception& e) {
          if (st.first_error.empty()) st.first_error = e.what();
          ++st.failed_connections;
        }
      }));
    // Progress once a second while connections run.
    auto progress = weft::spawn([&] {
      std::size_t last = 0;
      for (int second = 1;; ++second) {
        weft::sleep_until(start + std::chrono::seconds(second));
        std::size_t done = st.latencies_ns.size();
        std::printf(terminal ? "\r%4ds %12zu requests %10zu req/s \x1b[K" : "%ds %zu requests %zu req/s\n", second,
                    done, done - last);
        std::fflush(stdout);
        last = done;
      }
    });
    for (auto& c : conns) c.join();
    progress.cancel();
    try {
      progress.join();
    } catch (const weft::cancelled&) {
    }
    if (terminal) std::printf("\n");
    return std::chrono::duration<double>(clock_type::now() - start).count();
  });

  std::vector<std::uint64_t>& lat = st.latencies_ns;
  std::sort(lat.begin(), lat.end());
  std::printf("%10s %8s %10s %9s %9s %9s %9s %9s\n", "requests", "seconds", "req/s", "p50 us", "p90 us", "p99 us",
              "p99.9 us", "max us");
  std::printf("%10zu %8.2f %10.0f %9.1f %9.1f %9.1f %9.1f %9.1f\n", lat.size(), seconds,
              static_cast<double>(lat.size()) / seconds, percentile_us(lat, 50), percentile_us(lat, 90),
              percentile_us(lat, 99), percentile_us(lat, 99.9), percentile_us(lat, 100));
  if (st.failed_connections > 0) {
    std::fprintf(stderr, "loadgen: %zu connections failed; first: %s\n", st.failed_connections, st.first_error.c_str());
    return 1;
  }
  return 0;
}
