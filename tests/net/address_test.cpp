// weft::net::address: parsing and printing.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <stdexcept>

#include "weft/net/address.hpp"

namespace {

using weft::net::address;

TEST(address, ipv4_prints_host_and_port) {
  address a = address::ipv4("127.0.0.1", 8080);
  EXPECT_EQ(a.family(), AF_INET);
  EXPECT_EQ(a.port(), 8080);
  EXPECT_EQ(a.to_string(), "127.0.0.1:8080");
}

TEST(address, ipv6_prints_in_brackets_and_accepts_them) {
  EXPECT_EQ(address::ipv6("::1", 80).to_string(), "[::1]:80");
  EXPECT_EQ(address::parse("[::1]", 80), address::ipv6("::1", 80));
  EXPECT_EQ(address::parse("::1", 80).family(), AF_INET6);
}

TEST(address, unix_path_prints_the_path) {
  address a = address::unix_path("/run/x.sock");
  EXPECT_EQ(a.family(), AF_UNIX);
  EXPECT_EQ(a.to_string(), "/run/x.sock");
  EXPECT_EQ(a.port(), 0);
}

TEST(address, names_and_garbage_are_invalid_argument) {
  EXPECT_THROW(address::parse("localhost", 1), std::invalid_argument);
  EXPECT_THROW(address::ipv4("1.2.3", 1), std::invalid_argument);
  EXPECT_THROW(address::unix_path(std::string(200, 'x')), std::invalid_argument);
}

}  // namespace
