// The worker that tests/net/prefork_test.cpp's supervisors start. Each
// connection gets one answer, "PID GENERATION\n", to one line it sends, so a
// client knows which worker of which generation served it.
//
//   prefork_test_worker [--fail-from-generation G]
//
// --fail-from-generation: a worker of generation G or later exits with
// status 3 before it is ready (a replacement that fails to start).
// Outside a supervisor: exit status 2.
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <string_view>

#include "weft/loop.hpp"
#include "weft/net/prefork.hpp"
#include "weft/net/server.hpp"

namespace {

void answer(weft::net::tcp_stream& c, const std::string& reply) {
  std::string line;
  char buf[256];
  while (line.find('\n') == std::string::npos) {
    std::size_t n = c.read_some(std::as_writable_bytes(std::span(buf)));
    if (n == 0) return;
    line.append(buf, n);
  }
  c.write_all(std::as_bytes(std::span(reply.data(), reply.size())));
}

}  // namespace

int main(int argc, char** argv) {
  auto w = weft::net::prefork_worker::attach();
  if (!w) return 2;
  if (argc == 3 && std::string_view(argv[1]) == "--fail-from-generation" &&
      w->generation() >= std::strtoull(argv[2], nullptr, 10))
    return 3;
  weft::loop lp;
  return lp.run_until_complete([&] {
    const std::string reply = std::to_string(::getpid()) + " " + std::to_string(w->generation()) + "\n";
    auto srv = weft::net::serve(w->take_listener(), [&](weft::net::tcp_stream& c) { answer(c, reply); });
    w->ready();
    w->wait_for_stop();
    srv.shutdown(std::chrono::seconds(5));
    return 0;
  });
}
