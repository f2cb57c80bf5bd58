// TLS over any weft::stream (a tcp_stream, a unix_stream, ...), itself a
// weft::stream: OpenSSL does the protocol on a pair of memory BIOs and
// this class moves the ciphertext between those BIOs and the stream with
// the stream's own read_some and write_some. OpenSSL never touches the
// fd, so a wait for the network suspends only the calling task, as any
// weft socket operation does, and timeouts and cancellation are the
// stream's. An example (issue 15), not weft's API.
//
//   auto ctx = examples::tls_context::client("ca.pem");
//   auto conn = weft::net::tcp_stream::connect("localhost", 4433);
//   examples::tls_stream tls(conn, ctx, "localhost");
//   tls.handshake();                      // optional: the first read or write does it
//   weft::write_all(tls, bytes);
//   std::size_t n = tls.read_some(buf);   // 0: the peer sent close_notify
//   tls.close();                          // close_notify, then closes conn
//
// Errors: TLS failures raise examples::tls_error (tls_context.hpp);
// errors of the stream underneath (std::system_error, weft::timeout_error,
// weft::cancelled) pass through unchanged. After a tls_error the session is
// dead: close() then only closes the stream. A connection that ends
// without the peer's close_notify raises tls_error from read_some
// ("unexpected eof while reading"), since an attacker can cut a TCP
// connection but cannot forge close_notify (Python's ssl module raises
// SSLEOFError the same way).
//
// Ownership: wraps a stream it does not own (it must outlive this object),
// as weft::net::buffered_reader does; owns its SSL, which owns both BIOs
// and holds a reference to the context's SSL_CTX. The destructor does no
// I/O and leaves the stream open; close() closes it.
//
// Threads and tasks: the stream's thread rules (weft's sockets: tasks of
// the loop that uses them). One task may read while another writes
// (an echo can stream both ways); two reads or two writes at once, or
// anything else during the handshake, raise weft::invalid_state.
#pragma once

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <arpa/inet.h>

#include <algorithm>
#include <cstddef>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include <weft/error.hpp>
#include <weft/stream.hpp>

#include "tls_context.hpp"

namespace examples {

template <weft::stream S>
class tls_stream {
 public:
  // Client or server as `ctx` was made. A client checks the server's
  // certificate against `server_name` (a DNS name, sent as SNI too, or an
  // IP address); a client with an empty name checks the chain only.
  tls_stream(S& s, const tls_context& ctx, const std::string& server_name = {})
      : s_(s), ssl_(SSL_new(ctx.get())), in_(17 * 1024) {
    if (!ssl_) throw tls_error("tls: SSL_new");
    BIO* rbio = BIO_new(BIO_s_mem());
    BIO* wbio = BIO_new(BIO_s_mem());
    if (rbio == nullptr || wbio == nullptr) {
      BIO_free(rbio);
      BIO_free(wbio);
      throw tls_error("tls: BIO_new");
    }
    SSL_set_bio(ssl_.get(), rbio, wbio);  // the SSL owns both from here
    if (SSL_is_server(ssl_.get()) != 0) {
      SSL_set_accept_state(ssl_.get());
    } else {
      SSL_set_connect_state(ssl_.get());
      if (!server_name.empty()) expect_name(server_name);
    }
  }
  tls_stream(const tls_stream&) = delete;
  tls_stream& operator=(const tls_stream&) = delete;

  // Runs the handshake to its end (a client: and verifies the server).
  // tls_error if it fails; the alert that says why has been sent.
  void handshake() {
    in_use reading(reading_, busy(), "tls_stream::handshake");
    in_use writing(writing_, false, "tls_stream::handshake");
    drive([](SSL* s) { return SSL_do_handshake(s); });
  }

  // Some plaintext (at most one record: 16 KiB), or 0 once the peer has
  // sent close_notify.
  std::size_t read_some(std::span<std::byte> into) {
    in_use reading(reading_, handshaking(), "tls_stream::read_some");
    if (into.empty()) return 0;
    int n = drive([&](SSL* s) { return SSL_read(s, into.data(), clamp(into.size())); });
    return static_cast<std::size_t>(n);
  }

  // Encrypts up to one record of `data` (16 KiB) and writes the ciphertext
  // to the stream; returns how many bytes of `data` it took. Cancelled or
  // failed while writing to the stream, those bytes are already inside the
  // TLS session: the rest of their ciphertext goes out ahead of the next
  // operation's, so the record stream stays intact.
  std::size_t write_some(std::span<const std::byte> data) {
    in_use writing(writing_, handshaking(), "tls_stream::write_some");
    if (data.empty()) return 0;
    int n = drive([&](SSL* s) { return SSL_write(s, data.data(), clamp(std::min(data.size(), record_size))); });
    if (n == 0) throw tls_error("tls: write after the session ended");
    return static_cast<std::size_t>(n);
  }

  // Sends close_notify (once, if the handshake finished and no TLS error
  // happened), then closes the stream, which happens even if sending
  // fails. Does not wait for the peer's close_notify: a peer reading on
  // sees read_some() == 0, a peer that has closed too is not waited for.
  void close() {
    struct close_stream {
      S& s;
      ~close_stream() { s.close(); }
    } at_end{s_};
    if (failed_ || SSL_is_init_finished(ssl_.get()) == 0 || (SSL_get_shutdown(ssl_.get()) & SSL_SENT_SHUTDOWN) != 0)
      return;
    in_use writing(writing_, false, "tls_stream::close");
    ERR_clear_error();
    if (SSL_shutdown(ssl_.get()) < 0) fail(SSL_ERROR_SSL);
    flush();
  }

  S& next_layer() noexcept { return s_; }
  SSL* native_handle() const noexcept { return ssl_.get(); }

 private:
  // A record's worth of plaintext: one write_some encrypts no more, so the
  // write BIO never holds more than about one record.
  static constexpr std::size_t record_size = 16 * 1024;

  // Marks one direction as in use for the life of an operation; a second
  // task entering it, or any task entering while `conflict` holds, gets
  // invalid_state.
  class in_use {
   public:
    in_use(bool& flag, bool conflict, const char* op) : flag_(flag) {
      if (flag || conflict)
        throw weft::invalid_state(std::string(op) +
                                  ": another task is using the stream (one reader and one writer at a time, "
                                  "one task during the handshake)");
      flag_ = true;
    }
    ~in_use() { flag_ = false; }
    in_use(const in_use&) = delete;
    in_use& operator=(const in_use&) = delete;

   private:
    bool& flag_;
  };

  bool busy() const noexcept { return reading_ || writing_; }
  // A handshake still to run may need both directions.
  bool handshaking() const noexcept { return SSL_is_init_finished(ssl_.get()) == 0 && busy(); }
  static int clamp(std::size_t n) noexcept { return static_cast<int>(std::min<std::size_t>(n, 1 << 30)); }

  void expect_name(const std::string& name) {
    in6_addr ip;
    bool numeric = ::inet_pton(AF_INET, name.c_str(), &ip) == 1 || ::inet_pton(AF_INET6, name.c_str(), &ip) == 1;
    bool ok = numeric ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_.get()), name.c_str()) == 1
                      : SSL_set1_host(ssl_.get(), name.c_str()) == 1 &&
                            SSL_set_tlsext_host_name(ssl_.get(), name.c_str()) == 1;
    if (!ok) throw tls_error("tls: server name " + name);
  }

  // Calls `op` (an SSL_* call) until it completes: whatever it wrote goes
  // to the stream, and each SSL_ERROR_WANT_READ pulls more ciphertext from
  // it. Returns op's result, or 0 for the peer's close_notify.
  template <class Op>
  int drive(Op op) {
    for (;;) {
      ERR_clear_error();
      int r = op(ssl_.get());
      int err = r > 0 ? SSL_ERROR_NONE : SSL_get_error(ssl_.get(), r);
      if (err != SSL_ERROR_NONE && err != SSL_ERROR_WANT_READ && err != SSL_ERROR_ZERO_RETURN) fail(err);
      flush();
      if (err == SSL_ERROR_NONE) return r;
      if (err == SSL_ERROR_ZERO_RETURN) return 0;
      // From here the read BIO reports end of input, so the next op fails
      // with SSL_R_UNEXPECTED_EOF_WHILE_READING instead of asking again.
      if (!fill()) BIO_set_mem_eof_return(SSL_get_rbio(ssl_.get()), 0);
    }
  }

  // Throws the tls_error for SSL_get_error's `err`. The session is dead
  // from here; OpenSSL has queued an alert saying why, which is sent if the
  // stream still takes it (if not, the TLS error is still what the caller
  // learns).
  [[noreturn]] void fail(int err) {
    failed_ = true;
    std::string what = "tls";
    if (err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) what += ": unexpected eof while reading";
    long verify = SSL_get_verify_result(ssl_.get());
    tls_error e(what,
                verify == X509_V_OK ? std::string() : std::string(" (") + X509_verify_cert_error_string(verify) + ")");
    try {
      flush();
    } catch (const std::system_error&) {
    }
    throw e;
  }

  // Writes every byte the write BIO holds to the stream. The task already
  // flushing (the other direction's) sends them too, so this one returns.
  void flush() {
    if (flushing_) return;
    flushing_ = true;
    struct done {
      bool& flag;
      ~done() { flag = false; }
    } at_end{flushing_};
    BIO* wbio = SSL_get_wbio(ssl_.get());
    for (;;) {
      if (out_done_ == out_.size()) {
        out_.resize(BIO_ctrl_pending(wbio));
        out_done_ = 0;
        if (out_.empty()) return;
        BIO_read(wbio, out_.data(), static_cast<int>(out_.size()));  // a memory BIO gives all it holds
      }
      out_done_ += s_.write_some(std::span<const std::byte>(out_).subspan(out_done_));
    }
  }

  // One read of the stream into the read BIO; false at end of stream.
  bool fill() {
    std::size_t n = s_.read_some(std::span(in_));
    if (n > 0) BIO_write(SSL_get_rbio(ssl_.get()), in_.data(), static_cast<int>(n));  // a memory BIO takes all
    return n > 0;
  }

  S& s_;
  ssl_ptr ssl_;
  std::vector<std::byte> in_;   // ciphertext read from the stream, on its way into the read BIO
  std::vector<std::byte> out_;  // ciphertext taken from the write BIO; out_[out_done_..] not yet written
  std::size_t out_done_ = 0;
  bool reading_ = false;
  bool writing_ = false;
  bool flushing_ = false;
  bool failed_ = false;
};

}  // namespace examples
