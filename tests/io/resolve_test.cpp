// Name resolution on the executor, with loopback names only (no network).
#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <stdexcept>
#include <string>

#include "weft/loop.hpp"
#include "weft/resolve.hpp"

namespace {

using weft::loop;

bool is_loopback(const weft::resolved_address& a) {
  if (a.family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&a.addr);
    return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
  }
  if (a.family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&a.addr);
    return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr) != 0;
  }
  return false;
}

TEST(resolve, a_numeric_ipv4_address_resolves_to_itself) {
  loop lp;
  auto found = lp.run_until_complete([] {
    return weft::resolve("127.0.0.1", "80", {.family = AF_INET, .socktype = SOCK_STREAM, .flags = AI_NUMERICHOST});
  });
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].family, AF_INET);
  EXPECT_EQ(found[0].socktype, SOCK_STREAM);
  EXPECT_EQ(found[0].protocol, IPPROTO_TCP);
  EXPECT_EQ(found[0].addr_len, sizeof(sockaddr_in));
  EXPECT_EQ(found[0].port(), 80);
  EXPECT_EQ(found[0].host(), "127.0.0.1");
  EXPECT_EQ(found[0].to_string(), "127.0.0.1:80");
}

TEST(resolve, a_numeric_ipv6_address_prints_in_brackets) {
  loop lp;
  auto found = lp.run_until_complete(
      [] { return weft::resolve("::1", "443", {.socktype = SOCK_STREAM, .flags = AI_NUMERICHOST}); });
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].family, AF_INET6);
  EXPECT_EQ(found[0].to_string(), "[::1]:443");
}

TEST(resolve, localhost_gives_loopback_addresses_with_the_port) {
  loop lp;
  auto found = lp.run_until_complete([] { return weft::resolve("localhost", "8080", {.socktype = SOCK_STREAM}); });
  ASSERT_FALSE(found.empty());
  for (const auto& a : found) {
    EXPECT_TRUE(is_loopback(a)) << a.to_string();
    EXPECT_EQ(a.port(), 8080);
    EXPECT_EQ(a.socktype, SOCK_STREAM);
  }
}

TEST(resolve, datagram_hints_are_passed_on) {
  loop lp;
  auto found = lp.run_until_complete([] {
    return weft::resolve("127.0.0.1", "53", {.family = AF_INET, .socktype = SOCK_DGRAM, .flags = AI_NUMERICHOST});
  });
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].socktype, SOCK_DGRAM);
  EXPECT_EQ(found[0].protocol, IPPROTO_UDP);
}

TEST(resolve, a_service_alone_gives_the_passive_any_address) {
  loop lp;
  auto found = lp.run_until_complete(
      [] { return weft::resolve("", "9000", {.family = AF_INET, .socktype = SOCK_STREAM, .flags = AI_PASSIVE}); });
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].to_string(), "0.0.0.0:9000");
}

TEST(resolve, a_failure_is_resolve_error_with_the_gai_text) {
  loop lp;
  lp.run_until_complete([] {
    try {
      weft::resolve("not-an-address", "80", {.flags = AI_NUMERICHOST});
      ADD_FAILURE() << "resolved";
    } catch (const weft::resolve_error& e) {
      EXPECT_EQ(e.code(), EAI_NONAME);
      std::string what = e.what();
      EXPECT_NE(what.find("not-an-address"), std::string::npos) << what;
      EXPECT_NE(what.find(::gai_strerror(EAI_NONAME)), std::string::npos) << what;
    }
    try {
      weft::resolve("127.0.0.1", "http", {.flags = AI_NUMERICHOST | AI_NUMERICSERV});
      ADD_FAILURE() << "resolved";
    } catch (const weft::resolve_error& e) {
      EXPECT_EQ(e.code(), EAI_NONAME);
    }
  });
}

TEST(resolve, neither_host_nor_service_is_invalid_argument) {
  loop lp;
  lp.run_until_complete([] { EXPECT_THROW(weft::resolve("", ""), std::invalid_argument); });
}

}  // namespace
