// examples/net/echo_server driven over loopback, alone and by loadgen.
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <string>
#include <thread>

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

TEST(echo_server_example, refuses_more_than_one_loop_for_now) {
  weft::test::example_process server({WEFT_EXAMPLE_ECHO_SERVER, "--loops", "2"});
  EXPECT_EQ(server.read_rest(), "");
  int status = server.wait();
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2);
}
