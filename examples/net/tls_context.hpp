// OpenSSL configuration for the TLS example (examples/net/tls_stream.hpp):
// the TLS error type, owning handles for OpenSSL objects, and tls_context,
// one SSL_CTX set up as a server (certificate and key) or as a client that
// verifies the server. An example, not weft's API: weft itself does not
// link OpenSSL.
//
//   auto server_ctx = examples::tls_context::server("cert.pem", "key.pem");
//   auto client_ctx = examples::tls_context::client("ca.pem");
//
// Ownership: a tls_context owns its SSL_CTX; every SSL made from it takes
// its own reference (SSL_new), so streams may outlive the context.
// Threads: build a context on one thread; once built it is only read, and
// OpenSSL allows one SSL_CTX to serve SSL objects on any thread.
//
// Limits: TLS 1.2 and 1.3 only, no renegotiation, no session resumption
// (the server issues no tickets), no ALPN, no client certificates.
#pragma once

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace examples {

// A TLS failure: a handshake that failed (a certificate the client does
// not trust, a name that does not match, an alert from the peer), a
// corrupt record, or a connection that ended without the peer's
// close_notify (a truncation). what() carries OpenSSL's error strings and,
// when certificate verification failed, the reason
// ("... certificate verify failed (hostname mismatch)"). Errors of the
// stream under TLS are not turned into this: they stay std::system_error.
class tls_error : public std::runtime_error {
 public:
  // `what`, every error in this thread's OpenSSL queue (which it empties),
  // then `reason`; code() is the first queued error (0 if there was none).
  explicit tls_error(std::string_view what, std::string_view reason = {})
      : tls_error(std::string(what), reason, ERR_peek_error()) {}
  // OpenSSL's packed error code (ERR_GET_REASON(code()) is an SSL_R_*).
  unsigned long code() const noexcept { return code_; }

 private:
  tls_error(std::string what, std::string_view reason, unsigned long first)
      : std::runtime_error(drain_queue(std::move(what)).append(reason)), code_(first) {}
  static std::string drain_queue(std::string what) {
    while (unsigned long e = ERR_get_error()) {
      char text[256];
      ERR_error_string_n(e, text, sizeof text);
      what += ": ";
      what += text;
    }
    return what;
  }

  unsigned long code_;
};

// Owning handles: each frees its object (dropping one reference) when it
// goes, so no path forgets to.
struct ssl_ctx_free {
  void operator()(SSL_CTX* c) const noexcept { SSL_CTX_free(c); }
};
struct ssl_free {
  void operator()(SSL* s) const noexcept { SSL_free(s); }
};
using ssl_ctx_ptr = std::unique_ptr<SSL_CTX, ssl_ctx_free>;
using ssl_ptr = std::unique_ptr<SSL, ssl_free>;

class tls_context {
 public:
  // A server: the certificate chain (leaf first) and the private key, both
  // PEM files. tls_error if either cannot be read or they do not match.
  static tls_context server(const std::string& cert_chain_file, const std::string& key_file) {
    tls_context c(TLS_server_method());
    if (SSL_CTX_use_certificate_chain_file(c.get(), cert_chain_file.c_str()) != 1)
      throw tls_error("tls: certificate " + cert_chain_file);
    if (SSL_CTX_use_PrivateKey_file(c.get(), key_file.c_str(), SSL_FILETYPE_PEM) != 1)
      throw tls_error("tls: private key " + key_file);
    if (SSL_CTX_check_private_key(c.get()) != 1) throw tls_error("tls: key does not match the certificate");
    SSL_CTX_set_num_tickets(c.get(), 0);
    return c;
  }

  // A client that verifies the server's certificate chain against the CA
  // certificates in `ca_file` (PEM; empty: the system's trust store) and,
  // per stream, the server's name (see tls_stream).
  static tls_context client(const std::string& ca_file = {}) {
    tls_context c(TLS_client_method());
    int ok = ca_file.empty() ? SSL_CTX_set_default_verify_paths(c.get())
                             : SSL_CTX_load_verify_locations(c.get(), ca_file.c_str(), nullptr);
    if (ok != 1) throw tls_error("tls: trusted certificates " + (ca_file.empty() ? "(system)" : ca_file));
    SSL_CTX_set_verify(c.get(), SSL_VERIFY_PEER, nullptr);
    return c;
  }

  SSL_CTX* get() const noexcept { return ctx_.get(); }

 private:
  explicit tls_context(const SSL_METHOD* method) : ctx_(SSL_CTX_new(method)) {
    if (!ctx_) throw tls_error("tls: SSL_CTX_new");
    SSL_CTX_set_min_proto_version(ctx_.get(), TLS1_2_VERSION);
    SSL_CTX_set_options(ctx_.get(), SSL_OP_NO_RENEGOTIATION);
  }

  ssl_ctx_ptr ctx_;
};

}  // namespace examples
