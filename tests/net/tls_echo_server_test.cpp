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

using weft::net::testing::bytes;

TEST(tls_echo_server_example, echoes_small_and_large_payloads_then_exits_0_on_sigterm) {
  weft::test::test_certificate cert;
  weft::test::example_process server(
      {WEFT_EXAMPLE_TLS_ECHO_SERVER, "--port", "0", "--cert", cert.cert_file(), "--key", cert.key_file()});
  int port = server.read_listening_port();
  weft::loop lp;
  lp.run_until_complete([&] {
    auto ctx = examples::tls_context::client(cert.cert_file());
    auto conn = weft::net::tcp_stream::connect("127.0.0.1", static_cast<std::uint16_t>(port));
    examples::tls_stream tls(conn, ctx, "localhost");
    weft::write_all(tls, bytes("hello"));
    std::string got(5, '\0');
    weft::read_exact(tls, bytes(got));
    EXPECT_EQ(got, "hello");
    // 1 MiB both ways at once: a writer task and this one reading.
    std::string big(1 << 20, '\0');
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 13 % 241);
    auto writer = weft::spawn([&] { weft::write_all(tls, bytes(big)); });
    std::string back(big.size(), '\0');
    weft::read_exact(tls, bytes(back));
    writer.join();
    EXPECT_TRUE(back == big);
    tls.close();
  });
  int status = server.stop(SIGTERM);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(tls_echo_server_example, a_client_that_does_not_trust_it_fails_and_the_server_serves_on) {
  weft::test::test_certificate cert;
  weft::test::test_certificate other;
  weft::test::example_process server(
      {WEFT_EXAMPLE_TLS_ECHO_SERVER, "--port", "0", "--cert", cert.cert_file(), "--key", cert.key_file()});
  int port = server.read_listening_port();
  weft::loop lp;
  lp.run_until_complete([&] {
    auto distrustful = examples::tls_context::client(other.cert_file());
    auto conn = weft::net::tcp_stream::connect("127.0.0.1", static_cast<std::uint16_t>(port));
    examples::tls_stream tls(conn, distrustful, "localhost");
    EXPECT_THROW(tls.handshake(), examples::tls_error);
    tls.close();
    auto ctx = examples::tls_context::client(cert.cert_file());
    auto conn2 = weft::net::tcp_stream::connect("127.0.0.1", static_cast<std::uint16_t>(port));
    examples::tls_stream tls2(conn2, ctx, "localhost");
    weft::write_all(tls2, bytes("still here"));
    std::string got(10, '\0');
    weft::read_exact(tls2, bytes(got));
    EXPECT_EQ(got, "still here");
    tls2.close();
  });
  int status = server.stop(SIGINT);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(tls_echo_server_example, exits_2_when_the_key_cannot_be_loaded) {
  weft::test::test_certificate cert;
  weft::test::example_process server(
      {WEFT_EXAMPLE_TLS_ECHO_SERVER, "--cert", cert.cert_file(), "--key", cert.cert_file() + ".missing"});
  EXPECT_EQ(server.read_rest(), "");
  int status = server.wait();
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2);
}

}  // namespace
