// buffered_reader and buffered_writer over a Unix socket pair.
#include <gtest/gtest.h>

#include <string>

#include "net_test_util.hpp"
#include "weft/net/buffered.hpp"
#include "weft/net/unix.hpp"

namespace {

using weft::loop;
using namespace weft::net;
using weft::net::testing::bytes;

static_assert(weft::stream<buffered_reader<unix_stream>>);
static_assert(weft::stream<buffered_writer<unix_stream>>);

TEST(buffered_reader, lines_split_across_reads_and_the_last_without_newline) {
  loop lp;
  lp.run_until_complete([&] {
    auto [a, b] = socketpair();
    auto writer = weft::spawn([&w = a] {
      for (const char* piece : {"fir", "st\r\nsec", "ond\n\nla", "st"}) {
        w.write_all(bytes(piece));
        weft::sleep_for(std::chrono::milliseconds(1));
      }
      w.shutdown_write();
    });
    buffered_reader in(b, 4);  // tiny: forces growth and compaction
    std::vector<std::string> lines;
    while (auto line = in.read_line(100)) lines.push_back(*line);
    writer.join();
    EXPECT_EQ(lines, (std::vector<std::string>{"first", "second", "", "last"}));
  });
}

TEST(buffered_reader, read_until_keeps_the_delimiter_and_enforces_the_limit) {
  loop lp;
  lp.run_until_complete([&] {
    auto [a, b] = socketpair();
    a.write_all(bytes("GET / HTTP/1.1\r\n\r\nbody-without-end"));
    a.shutdown_write();
    buffered_reader in(b);
    EXPECT_EQ(in.read_until("\r\n\r\n", 100), "GET / HTTP/1.1\r\n\r\n");
    EXPECT_THROW(in.read_until("\r\n", 5), limit_exceeded);
    EXPECT_EQ(in.buffered(), 16u);  // kept
    try {
      in.read_until("\r\n", 100);
      ADD_FAILURE() << "no end_of_stream";
    } catch (const weft::end_of_stream& e) {
      EXPECT_EQ(e.bytes_read(), 16u);
    }
  });
}

TEST(buffered_reader, read_exact_mixes_buffered_and_fresh_bytes) {
  loop lp;
  lp.run_until_complete([&] {
    auto [a, b] = socketpair();
    a.write_all(bytes("head\n0123456789"));
    buffered_reader in(b);
    EXPECT_EQ(in.read_line(), "head");
    std::string ten(10, '\0');
    in.read_exact(bytes(ten));
    EXPECT_EQ(ten, "0123456789");
    a.close();
    std::string more(1, '\0');
    EXPECT_THROW(in.read_exact(bytes(more)), weft::end_of_stream);
  });
}

TEST(buffered_writer, holds_bytes_until_flush_and_passes_large_writes_through) {
  loop lp;
  lp.run_until_complete([&] {
    auto [a, b] = socketpair();
    buffered_writer out(a, 64);
    out.write("hello ");
    out.write("world");
    EXPECT_EQ(out.buffered(), 11u);
    char buf[256];
    EXPECT_THROW(b.read_some(std::as_writable_bytes(std::span(buf)), std::chrono::milliseconds(1)),
                 weft::timeout_error);  // nothing sent yet
    out.flush();
    EXPECT_EQ(out.buffered(), 0u);
    EXPECT_EQ(b.read_some(std::as_writable_bytes(std::span(buf))), 11u);
    std::string big(100, 'x');
    out.write("a");
    out.write(big);  // flushes "a", then writes big directly
    EXPECT_EQ(out.buffered(), 0u);
    std::string got(101, '\0');
    b.read_exact(bytes(got));
    EXPECT_EQ(got, "a" + big);
  });
}

}  // namespace
