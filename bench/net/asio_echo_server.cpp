// Boost.Asio peers of bench/echo_compare, one io_context on one thread:
//
//   asio_echo_server callbacks|spawn [HOST [PORT]]    (127.0.0.1, 0 = any free port)
//
// callbacks: the completion-handler style (async_read_some -> async_write
// -> async_read_some), as Asio's own echo example. spawn: one stackful
// coroutine per connection (boost::asio::spawn, Boost.Coroutine on
// Boost.Context), the style weft's fibers compare with most directly.
// Prints "listening on HOST:PORT" first and serves until killed.
// Boost 1.74's asio/awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio.hpp>
#include <boost/asio/spawn.hpp>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

class session : public std::enable_shared_from_this<session> {
 public:
  explicit session(tcp::socket s) : socket_(std::move(s)) {}
  void start() { read(); }

 private:
  void read() {
    socket_.async_read_some(asio::buffer(buf_),
                            [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
                              if (!ec) self->write(n);
                            });
  }
  void write(std::size_t n) {
    asio::async_write(socket_, asio::buffer(buf_, n),
                      [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                        if (!ec) self->read();
                      });
  }

  tcp::socket socket_;
  std::array<char, 64 * 1024> buf_;
};

void accept_callbacks(tcp::acceptor& acceptor) {
  acceptor.async_accept([&acceptor](boost::system::error_code ec, tcp::socket s) {
    if (!ec) {
      s.set_option(tcp::no_delay(true));
      std::make_shared<session>(std::move(s))->start();
    }
    accept_callbacks(acceptor);
  });
}

void serve_spawn(asio::io_context& io, tcp::acceptor& acceptor) {
  asio::spawn(io, [&](asio::yield_context yield) {
    for (;;) {
      boost::system::error_code ec;
      tcp::socket s(io);
      acceptor.async_accept(s, yield[ec]);
      if (ec) continue;
      s.set_option(tcp::no_delay(true));
      asio::spawn(io, [s = std::move(s)](asio::yield_context yield) mutable {
        std::array<char, 64 * 1024> buf;
        boost::system::error_code ec;
        for (;;) {
          std::size_t n = s.async_read_some(asio::buffer(buf), yield[ec]);
          if (ec) return;
          asio::async_write(s, asio::buffer(buf, n), yield[ec]);
          if (ec) return;
        }
      });
    }
  });
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode != "callbacks" && mode != "spawn") {
    std::fprintf(stderr, "usage: %s callbacks|spawn [HOST [PORT]]\n", argv[0]);
    return 2;
  }
  std::string host = argc > 2 ? argv[2] : "127.0.0.1";
  auto port = static_cast<unsigned short>(argc > 3 ? std::atoi(argv[3]) : 0);
  asio::io_context io(1);
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address(host), port));
  std::printf("listening on %s:%u\n", host.c_str(), acceptor.local_endpoint().port());
  std::fflush(stdout);
  if (mode == "callbacks") accept_callbacks(acceptor);
  else serve_spawn(io, acceptor);
  io.run();
}
