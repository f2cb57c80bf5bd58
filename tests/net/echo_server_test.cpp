// examples/net/echo_server driven over loopback, alone and by loadgen.
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "example_process.hpp"

using weft::test::connect_loopback;
using weft::test::read_exact;
using weft::test::send_all;

TEST(echo_server_example, echoes_small_and_large_payloads_then_exits_0_on_sigint) {
  weft::test::example_process server({WEFT_EXAMPLE_ECHO_SERVER, "--host", "127.0.0.1", "--port", "0"});
  int port = server.read_listening_port();
  int fd = connect_loopback(port);
  send_all(fd, "hello");
  EXPECT_EQ(read_exact(fd, 5), "hello");
  // 4 MiB written while it is read back: far past the socket buffers, so
  // the server's reads and writes are partial.
  std::string big(4 << 20, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7 % 251);
  std::thread writer([&] { send_all(fd, big); });
  std::string back = read_exact(fd, big.size());
  writer.join();
  EXPECT_TRUE(back == big);
  ::close(fd);
  int status = server.stop(SIGINT);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(echo_server_example, serves_on_two_loops_with_either_way_of_accepting) {
  for (const char* accept : {"reuseport", "handoff"}) {
    weft::test::example_process server(
        {WEFT_EXAMPLE_ECHO_SERVER, "--host", "127.0.0.1", "--port", "0", "--loops", "2", "--accept", accept});
    int port = server.read_listening_port();
    // Several connections at once: the kernel (reuseport) or the acceptor
    // (handoff, in turn) spreads them over both loops.
    std::vector<int> fds;
    for (int i = 0; i < 8; ++i) fds.push_back(connect_loopback(port));
    for (int i = 0; i < 8; ++i) send_all(fds[static_cast<std::size_t>(i)], "hello " + std::to_string(i));
    for (int i = 0; i < 8; ++i) {
      std::string want = "hello " + std::to_string(i);
      EXPECT_EQ(read_exact(fds[static_cast<std::size_t>(i)], want.size()), want) << accept;
      ::close(fds[static_cast<std::size_t>(i)]);
    }
    int status = server.stop(SIGINT);
    ASSERT_TRUE(WIFEXITED(status)) << accept;
    EXPECT_EQ(WEXITSTATUS(status), 0) << accept;
  }
}

TEST(echo_server_example, refuses_zero_loops_and_an_unknown_way_of_accepting) {
  for (std::vector<std::string> args : {std::vector<std::string>{"--loops", "0"}, {"--accept", "magic"}}) {
    args.insert(args.begin(), WEFT_EXAMPLE_ECHO_SERVER);
    weft::test::example_process server(args);
    EXPECT_EQ(server.read_rest(), "");
    int status = server.wait();
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 2);
  }
}
