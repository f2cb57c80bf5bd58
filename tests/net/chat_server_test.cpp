// examples/net/chat_server driven over loopback: broadcast to the others
// only, a slow client dropped while the others go on, and the exit.
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "example_process.hpp"

using weft::test::connect_loopback;
using weft::test::read_until;
using weft::test::send_all;

namespace {

bool readable_within(int fd, int ms) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, ms) == 1;
}

// Makes sure the server has registered every client: `from` says "probe"
// until each of `to` has heard one, then "go"; each of `to` reads up to
// "go". Connections are accepted in their own tasks, so a line sent right
// after connecting may reach fewer clients than are connected.
void sync_clients(int from, const std::vector<int>& to) {
  for (int fd : to) {
    for (int tries = 0; !readable_within(fd, 20); ++tries) {
      ASSERT_LT(tries, 250) << "a client never heard the probe";
      send_all(from, "probe\n");
    }
  }
  send_all(from, "go\n");
  for (int fd : to) {
    std::string line;
    do line = read_until(fd, "\n");
    while (line == "probe\n");
    ASSERT_EQ(line, "go\n");
  }
}

class chat_server_example : public ::testing::Test {
 protected:
  void start(std::vector<std::string> extra = {}) {
    std::vector<std::string> argv{WEFT_EXAMPLE_CHAT_SERVER};
    argv.insert(argv.end(), extra.begin(), extra.end());
    server_ = std::make_unique<weft::test::example_process>(argv);
    port_ = server_->read_listening_port();
  }
  std::unique_ptr<weft::test::example_process> server_;
  int port_ = 0;
};

}  // namespace

TEST_F(chat_server_example, sends_each_line_to_every_other_client) {
  start();
  int a = connect_loopback(port_), b = connect_loopback(port_), c = connect_loopback(port_);
  sync_clients(a, {b, c});
  send_all(b, "from b\n");
  EXPECT_EQ(read_until(a, "\n"), "from b\n");
  EXPECT_EQ(read_until(c, "\n"), "from b\n");
  send_all(a, "from a\n");
  EXPECT_EQ(read_until(b, "\n"), "from a\n");
  EXPECT_EQ(read_until(c, "\n"), "from a\n");
  send_all(c, "from c\n");
  EXPECT_EQ(read_until(a, "\n"), "from c\n") << "a does not get its own line back";
  EXPECT_EQ(read_until(b, "\n"), "from c\n");
  for (int fd : {a, b, c}) ::close(fd);
}

TEST_F(chat_server_example, drops_a_client_that_does_not_read_and_keeps_serving_the_others) {
  start({"--queue", "4"});
  int a = connect_loopback(port_), b = connect_loopback(port_);
  // The slow client's receive buffer is small and it never reads after the sync.
  int slow = connect_loopback(port_, 4096);
  sync_clients(a, {b, slow});

  const std::string line = std::string(1000, 'x') + "\n";
  constexpr int lines = 3000;  // 3 MB: past any loopback socket buffers
  for (int i = 0; i < lines; ++i) {
    send_all(a, line);
    ASSERT_EQ(read_until(b, "\n"), line) << "line " << i;
  }
  // The slow client got part of it, then the end of its stream.
  std::string got = weft::test::read_to_end(slow);
  EXPECT_LT(got.size(), line.size() * lines);
  send_all(b, "still here\n");
  EXPECT_EQ(read_until(a, "\n"), "still here\n");
  for (int fd : {a, b, slow}) ::close(fd);
}

TEST_F(chat_server_example, exits_0_on_sigterm_with_clients_connected) {
  start();
  int a = connect_loopback(port_), b = connect_loopback(port_);
  sync_clients(a, {b});
  int status = server_->stop(SIGTERM);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(weft::test::read_to_end(b), "") << "the server closed the connection";
  ::close(a);
  ::close(b);
}
