#include "weft/net/server.hpp"

#include <cerrno>
#include <list>
#include <string>
#include <system_error>
#include <utility>

#include "loop/loop_core.hpp"
#include "weft/error.hpp"
#include "weft/stream.hpp"
#include "weft/sync/event.hpp"

namespace weft::net {

// Shared by the server object, its accept task and its connection tasks
// (each holds a reference), so that whichever ends last frees it.
struct server::state {
  tcp_listener listener;
  // A connection task, and its server_connection while its handler runs.
  struct live_connection {
    task<void> runner;
    server_connection* connection = nullptr;
  };

  static server_connection connection_for(const state& s) noexcept { return server_connection(s); }
  static bool idle(const live_connection& c) noexcept { return c.connection && c.connection->idle_; }

  server::source next;  // if set, accept from it instead of the listener
  connection_handler serve_one;
  server_options options;
  task<void> acceptor;
  std::list<live_connection> live;  // unfinished connection tasks
  std::size_t accepted = 0;
  event slot_free{"server.slot"};     // set when a connection ends
  event all_ended{"server.drained"};  // set while `live` is empty
  bool stopped = false;
};

namespace {

bool out_of_resources(int err) { return err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM; }

void report(const std::string& message) {
  if (weft::detail::loop_core* core = weft::detail::current_core)
    core->report({message, "server", std::current_exception(), {}, {}});
}

using live_iterator = std::list<server::state::live_connection>::iterator;

void connection_main(const std::shared_ptr<server::state>& s, live_iterator self, tcp_stream conn) {
  server_connection connection = server::state::connection_for(*s);  // outlives its entry in `live`
  self->connection = &connection;
  struct leave {
    const std::shared_ptr<server::state>& s;
    live_iterator self;
    ~leave() {
      s->live.erase(self);  // drops this task's handle; the loop holds it while it runs
      s->slot_free.set();
      if (s->live.empty()) s->all_ended.set();
    }
  } on_exit{s, self};
  conn.set_read_timeout(s->options.read_timeout ? s->options.read_timeout : s->options.idle_timeout);
  conn.set_write_timeout(s->options.idle_timeout);
  try {
    s->serve_one(conn, connection);
  } catch (const timeout_error&) {
  } catch (const end_of_stream&) {
  } catch (const std::system_error&) {
  }
}

// No UBSan vptr check here: it probes memory through a pipe, which fails
// for want of a descriptor in exactly the EMFILE episodes this code handles,
// and then reports the caught exception's vptr as invalid.
__attribute__((no_sanitize("vptr"))) void accept_main(const std::shared_ptr<server::state>& s) {
  bool exhausted = false;  // in an episode of EMFILE and friends
  for (;;) {
    while (s->live.size() >= s->options.max_connections) {
      s->slot_free.clear();
      s->slot_free.wait();
    }
    tcp_stream conn;
    try {
      conn = s->next ? s->next() : s->listener.accept();
      if (s->next && !conn.is_open()) return;  // the source is done
    } catch (const std::system_error& e) {
      if (!out_of_resources(e.code().value())) throw;
      if (!exhausted) report("Server accept failed, backing off: " + std::string(e.what()));
      exhausted = true;
    }
    if (!conn.is_open()) {
      sleep_for(s->options.accept_backoff);  // outside the handler: it must not suspend with an exception caught
      continue;
    }
    exhausted = false;
    ++s->accepted;
    s->all_ended.clear();
    s->live.emplace_back();
    auto self = std::prev(s->live.end());
    self->runner = spawn([s, self, c = std::move(conn)]() mutable { connection_main(s, self, std::move(c)); },
                         {.name = "server.connection"});
  }
}

server::connection_handler ignoring_connection(server::handler h) {
  return [h = std::move(h)](tcp_stream& c, server_connection&) { h(c); };
}

}  // namespace

server::server(tcp_listener listener, handler h, server_options options)
    : server(std::move(listener), ignoring_connection(std::move(h)), options) {}

server::server(tcp_listener listener, connection_handler h, server_options options)
    : server(source(), std::move(h), options) {
  state_->listener = std::move(listener);
}

server::server(source next, handler h, server_options options)
    : server(std::move(next), ignoring_connection(std::move(h)), options) {}

server::server(source next, connection_handler h, server_options options) : state_(std::make_shared<state>()) {
  state_->next = std::move(next);
  state_->serve_one = std::move(h);
  state_->options = options;
  state_->all_ended.set();
  state_->acceptor = spawn([s = state_] { accept_main(s); }, {.name = "server.accept"});
}

server::~server() {
  if (!state_ || state_->stopped) return;
  state_->stopped = true;
  state_->acceptor.cancel();
  for (auto& c : state_->live) c.runner.cancel();
}

address server::local_address() const { return state_->listener.local_address(); }
std::size_t server::connections() const noexcept { return state_->live.size(); }
std::size_t server::accepted() const noexcept { return state_->accepted; }

std::size_t server::shutdown(loop::duration grace) {
  state& s = *state_;
  if (s.stopped) return 0;
  s.stopped = true;
  s.acceptor.cancel();
  try {
    s.acceptor.join();
  } catch (const cancelled&) {
  }
  s.listener.close();
  for (auto& c : s.live)
    if (state::idle(c)) c.runner.cancel();  // waiting for a request that may never come
  if (s.all_ended.wait_for(grace)) return 0;
  std::size_t cancelled_count = s.live.size();
  for (auto& c : s.live) c.runner.cancel();
  s.all_ended.wait();
  return cancelled_count;
}

server_connection::idle_scope server_connection::idle() {
  if (server_.stopped) throw cancelled("weft: the server is shutting down");
  return idle_scope(*this);
}

bool server_connection::stopping() const noexcept { return server_.stopped; }

}  // namespace weft::net
