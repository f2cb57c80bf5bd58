// weft::channel<T>: unbuffered and buffered sends, close semantics, fan-in
// and fan-out, range-for.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "weft/loop.hpp"
#include "weft/sync/channel.hpp"

namespace {

using namespace std::chrono_literals;
using weft::loop;

TEST(channel, an_unbuffered_send_waits_for_a_receiver) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([&] {
    weft::channel<int> ch;
    auto t0 = lp.now();
    auto sender = weft::spawn([&] {
      ch.send(1);
      return lp.now() - t0;
    });
    weft::sleep_for(4s);
    EXPECT_EQ(ch.senders_waiting(), 1u);
    EXPECT_EQ(ch.size(), 0u);
    EXPECT_EQ(ch.receive(), 1);
    EXPECT_EQ(sender.join(), 4s);
  });
}

TEST(channel, a_receiver_waits_for_a_sender_and_gets_the_value_directly) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([&] {
    weft::channel<std::string> ch;
    lp.call_later(2s, [&] { ch.try_send(std::string("direct")); });
    auto t0 = lp.now();
    EXPECT_EQ(ch.receive(), "direct");
    EXPECT_EQ(lp.now() - t0, 2s);
  });
}

TEST(channel, a_buffered_channel_holds_capacity_values_before_senders_wait) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([&] {
    weft::channel<int> ch(2);
    EXPECT_TRUE(ch.try_send(1));
    EXPECT_TRUE(ch.try_send(2));
    EXPECT_FALSE(ch.try_send(3));
    auto late = weft::spawn([&] { ch.send(3); });
    weft::yield_now();
    EXPECT_EQ(ch.senders_waiting(), 1u);
    EXPECT_EQ(ch.receive(), 1);  // frees a place, which 3 takes
    EXPECT_EQ(ch.size(), 2u);
    late.join();
    EXPECT_EQ(ch.receive(), 2);
    EXPECT_EQ(ch.try_receive(), 3);
    EXPECT_EQ(ch.try_receive(), std::nullopt);
  });
}

TEST(channel, after_close_receivers_drain_what_is_left_then_get_nullopt) {
  loop lp;
  lp.run_until_complete([] {
    weft::channel<int> ch(weft::channel<int>::unbounded, "numbers");
    for (int i = 0; i < 3; ++i) ch.send(i);
    EXPECT_TRUE(ch.close());
    EXPECT_FALSE(ch.close());  // idempotent
    EXPECT_TRUE(ch.closed());
    EXPECT_EQ(ch.receive(), 0);
    EXPECT_EQ(ch.receive(), 1);
    EXPECT_EQ(ch.receive(), 2);
    EXPECT_EQ(ch.receive(), std::nullopt);
    EXPECT_EQ(ch.receive(), std::nullopt);
  });
}

TEST(channel, send_on_a_closed_channel_raises_channel_closed) {
  loop lp;
  lp.run_until_complete([] {
    weft::channel<int> ch(4, "shut");
    ch.close();
    try {
      ch.send(1);
      FAIL() << "no error";
    } catch (const weft::channel_closed& e) {
      EXPECT_NE(std::string(e.what()).find("'shut'"), std::string::npos) << e.what();
    }
    EXPECT_THROW(ch.try_send(1), weft::channel_closed);
    EXPECT_EQ(ch.size(), 0u);
  });
}

TEST(channel, close_wakes_waiting_receivers_with_nullopt_and_waiting_senders_with_channel_closed) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([&] {
    weft::channel<int> in;   // receivers wait on it
    weft::channel<int> out;  // a sender waits on it
    auto r1 = weft::spawn([&] { return in.receive(); });
    auto r2 = weft::spawn([&] { return in.receive(); });
    auto s = weft::spawn([&] { out.send(9); });
    weft::sleep_for(1s);
    in.close();
    out.close();
    EXPECT_EQ(r1.join(), std::nullopt);
    EXPECT_EQ(r2.join(), std::nullopt);
    EXPECT_THROW(s.join(), weft::channel_closed);
    EXPECT_EQ(in.receivers_waiting(), 0u);
    EXPECT_EQ(out.senders_waiting(), 0u);
    EXPECT_EQ(out.receive(), std::nullopt);  // 9 was not delivered
  });
}

TEST(channel, range_for_receives_until_closed_and_drained) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([&] {
    weft::channel<int> ch(1);
    auto producer = weft::spawn([&] {
      for (int i = 1; i <= 4; ++i) {
        weft::sleep_for(1s);
        ch.send(i * i);
      }
      ch.close();
    });
    std::vector<int> got;
    for (int v : ch) got.push_back(v);
    EXPECT_EQ(got, (std::vector<int>{1, 4, 9, 16}));
    producer.join();
  });
}

TEST(channel, fan_in_and_fan_out_deliver_every_value_once) {
  loop lp({.virtual_time = true});
  std::map<std::string, int> per_consumer;
  std::vector<int> all;
  lp.run_until_complete([&] {
    weft::channel<int> ch(2, "work");
    std::vector<weft::task<void>> producers;
    for (int p = 0; p < 3; ++p)
      producers.push_back(weft::spawn([&, p] {
        for (int i = 0; i < 5; ++i) {
          weft::sleep_for(std::chrono::milliseconds(100 * (p + 1)));
          ch.send(p * 100 + i);
        }
      }));
    std::vector<weft::task<void>> consumers;
    for (std::string name : {"c1", "c2"})
      consumers.push_back(weft::spawn([&, name] {
        for (int v : ch) {
          all.push_back(v);
          ++per_consumer[name];
          weft::sleep_for(150ms);
        }
      }));
    for (auto& p : producers) p.join();
    ch.close();
    for (auto& c : consumers) c.join();
  });
  std::sort(all.begin(), all.end());
  std::vector<int> expected;
  for (int p = 0; p < 3; ++p)
    for (int i = 0; i < 5; ++i) expected.push_back(p * 100 + i);
  EXPECT_EQ(all, expected);
  EXPECT_GT(per_consumer["c1"], 0);
  EXPECT_GT(per_consumer["c2"], 0);
  EXPECT_EQ(per_consumer["c1"] + per_consumer["c2"], 15);
}

TEST(channel, a_cancelled_receiver_leaves_no_waiter_and_the_next_receiver_gets_the_value) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([&] {
    weft::channel<int> ch;
    auto a = weft::spawn([&] { return ch.receive(); });
    auto b = weft::spawn([&] { return ch.receive(); });
    weft::yield_now();
    a.cancel();
    EXPECT_THROW(a.join(), weft::cancelled);
    EXPECT_EQ(ch.receivers_waiting(), 1u);
    ch.send(8);
    EXPECT_EQ(b.join(), 8);
  });
}

TEST(channel, a_cancelled_sender_delivers_nothing) {
  loop lp({.virtual_time = true});
  lp.run_until_complete([&] {
    weft::channel<int> ch;
    auto s = weft::spawn([&] { ch.send(5); });
    weft::yield_now();
    s.cancel();
    EXPECT_THROW(s.join(), weft::cancelled);
    EXPECT_EQ(ch.senders_waiting(), 0u);
    EXPECT_EQ(ch.try_receive(), std::nullopt);
  });
}

}  // namespace
