// A line-based chat server on weft (issue 15): every line a client sends
// goes to every other client connected at the time.
//
//   chat_server [--host 127.0.0.1] [--port 0] [--loops 1] [--queue 256]
//
// Each client has a reader (the connection's task) and a writer task fed
// by a bounded queue of lines. Broadcasting never waits: a client whose
// queue is full (--queue lines behind, its socket buffer full too) is too
// slow and is dropped, so one stalled reader cannot hold up the others.
// Lines over 4 KiB end their sender's connection.
//
// Prints "listening on HOST:PORT" first, serves until SIGINT or SIGTERM,
// then closes every connection (chat clients never finish by themselves,
// so the grace period is short) and exits 0.
#include <weft/error.hpp>
#include <weft/net/buffered.hpp>
#include <weft/net/tcp.hpp>
#include <weft/sync/queue.hpp>
#include <weft/task.hpp>

#include <memory>
#include <set>
#include <string>
#include <system_error>

#include "serve_main.hpp"

namespace {

using line_ptr = std::shared_ptr<const std::string>;

struct client {
  client(weft::net::tcp_stream& c, std::size_t queue_lines) : conn(c), out(queue_lines) {}
  weft::net::tcp_stream& conn;  // owned by the server's connection task, which outlives the writer
  weft::queue<line_ptr> out;    // lines waiting for the writer
};

// Every client, touched only by tasks of the one loop.
class room {
 public:
  explicit room(std::size_t queue_lines) : queue_lines_(queue_lines) {}

  void serve(weft::net::tcp_stream& conn) {
    client me(conn, queue_lines_);
    members_.insert(&me);
    auto writer = weft::spawn([&me] {
      for (;;) {
        line_ptr line = me.out.get();
        me.conn.write_all(std::as_bytes(std::span(line->data(), line->size())));
      }
    });
    try {
      weft::net::buffered_reader in(conn);
      while (auto line = in.read_line(4096)) broadcast(me, std::make_shared<const std::string>(*line + "\n"));
    } catch (const weft::net::limit_exceeded&) {
      // an over-long line: this client goes
    } catch (const std::system_error&) {
      // reset, or dropped by broadcast(): closed under our read
    } catch (...) {
      leave(me, writer);  // cancelled by the server's shutdown
      throw;
    }
    leave(me, writer);
  }

 private:
  void broadcast(client& from, const line_ptr& line) {
    for (client* c : members_)
      if (c != &from && c->conn.is_open() && !c->out.try_put(line)) c->conn.close();  // too slow: dropped
  }

  // Also runs when the connection is cancelled (shutdown): the shield lets
  // the writer be joined before `me`, which it uses, goes away.
  void leave(client& me, weft::task<void>& writer) {
    members_.erase(&me);
    weft::cancellation_shield shield;
    writer.cancel();
    try {
      writer.join();
    } catch (const std::exception&) {
      // cancelled, or its write failed: the client is gone either way
    }
  }

  std::size_t queue_lines_;
  std::set<client*> members_;
};

}  // namespace

int main(int argc, char** argv) {
  examples::flags f(argc, argv, examples::server_flags({{"queue", {"256", "lines a client may fall behind"}}}));
  if (f.number("queue") < 1) {
    std::fprintf(stderr, "--queue: at least 1\n");
    return 2;
  }
  room everyone(static_cast<std::size_t>(f.number("queue")));
  return examples::serve_until_signal(
      f, [&](weft::net::tcp_stream& conn) { everyone.serve(conn); }, {}, std::chrono::milliseconds(100));
}
