// examples/net/tls_echo_server driven over loopback by a weft client task
// through tls_stream, with a certificate made at test time.
#include <signal.h>
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <string>

#include "example_process.hpp"
#include "net_test_util.hpp"
#include "test_certificate.hpp"
#include "tls_stream.hpp"

namespace {

using examples::tls_context;
using examples::tls_stream;
using weft::net::tcp_stream;
using weft::net::testing::bytes;
using weft::test::example_process;
using weft::test::test_certificate;

// The server on a free port with `cert`'s certificate and key.
example_process start_server(const test_certificate& cert) {
  return example_process(
      {WEFT_EXAMPLE_TLS_ECHO_SERVER, "--port", "0", "--cert", cert.cert_file(), "--key", cert.key_file()});
}

// Runs body(tls) in a task of a new loop: a TLS client of the server on
// `port` that trusts the certificates in `ca_file` and expects "localhost".
void with_client(int port, const std::string& ca_file, auto body) {
  weft::loop lp;
  lp.run_until_complete([&] {
    auto ctx = tls_context::client(ca_file);
    auto conn = tcp_stream::connect("127.0.0.1", static_cast<std::uint16_t>(port));
    tls_stream tls(conn, ctx, "localhost");
    body(tls);
  });
}

std::string echo(tls_stream<tcp_stream>& tls, const std::string& text) {
  weft::write_all(tls, bytes(text));
  std::string back(text.size(), '\0');
  weft::read_exact(tls, bytes(back));
  return back;
}

void expect_exit_status(int status, int code) {
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), code);
}

TEST(tls_echo_server_example, echoes_small_and_large_payloads_then_exits_0_on_sigterm) {
  test_certificate cert;
  example_process server = start_server(cert);
  with_client(server.read_listening_port(), cert.cert_file(), [](tls_stream<tcp_stream>& tls) {
    EXPECT_EQ(echo(tls, "hello"), "hello");
    // 1 MiB both ways at once: a writer task and this one reading.
    std::string big = weft::net::testing::patterned(1 << 20);
    auto writer = weft::spawn([&] { weft::write_all(tls, bytes(big)); });
    std::string back(big.size(), '\0');
    weft::read_exact(tls, bytes(back));
    writer.join();
    EXPECT_TRUE(back == big);
    tls.close();
  });
  expect_exit_status(server.stop(SIGTERM), 0);
}

TEST(tls_echo_server_example, a_client_that_does_not_trust_it_fails_and_the_server_serves_on) {
  test_certificate cert;
  test_certificate other;
  example_process server = start_server(cert);
  int port = server.read_listening_port();
  with_client(port, other.cert_file(), [](tls_stream<tcp_stream>& tls) {
    EXPECT_THROW(tls.handshake(), examples::tls_error);
    tls.close();
  });
  with_client(port, cert.cert_file(), [](tls_stream<tcp_stream>& tls) {
    EXPECT_EQ(echo(tls, "still here"), "still here");
    tls.close();
  });
  expect_exit_status(server.stop(SIGINT), 0);
}

TEST(tls_echo_server_example, exits_2_when_the_key_cannot_be_loaded) {
  test_certificate cert;
  example_process server(
      {WEFT_EXAMPLE_TLS_ECHO_SERVER, "--cert", cert.cert_file(), "--key", cert.cert_file() + ".missing"});
  EXPECT_EQ(server.read_rest(), "");
  expect_exit_status(server.wait(), 2);
}

}  // namespace
