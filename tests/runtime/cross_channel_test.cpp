// weft::cross_channel: messages between loops, close semantics, fan-in and
// fan-out, cancellation, and shutdown with tasks blocked on it.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <vector>

#include "weft/detail/sanitizer.hpp"
#include "weft/runtime.hpp"

namespace {

// A million (0.25 s; 1.9 s under ASan+UBSan); fewer under TSan, which
// instruments every access, to keep CI's time (250,000 took 1.8 s).
#if defined(WEFT_TSAN)
constexpr std::uint32_t message_count = 250'000;
#else
constexpr std::uint32_t message_count = 1'000'000;
#endif

TEST(cross_channel, a_capacity_of_zero_is_refused) { EXPECT_THROW(weft::cross_channel<int>(0), std::invalid_argument); }

// Two producers on loop 1, consumers on both loops (fan-in and fan-out
// across threads); every 61st message a consumer cancels a random task,
// producer or consumer, on either loop. A cancelled send delivers nothing
// and is retried, a cancelled receive takes nothing: so every value must
// arrive exactly once.
TEST(cross_channel, a_million_messages_with_random_cancellations_lose_and_duplicate_nothing) {
  weft::runtime rt({.loops = 2});
  struct tally {
    std::vector<std::uint32_t> got;
    std::uint64_t cancels_seen = 0;
  };
  rt.run([&] {
    auto ch = std::make_shared<weft::cross_channel<std::uint32_t>>(64, "numbers");
    weft::cross_event go("go");
    std::vector<weft::cross_task<tally>> all;
    std::atomic<std::uint64_t> cancels_sent{0};
    // A task may be cancelled before it has left this wait (a consumer on
    // one loop can get its 61st message before the other loop has run
    // every task once): like every wait here, it counts and goes on.
    auto wait_for_go = [&](tally& t) {
      for (;;) {
        try {
          go.wait();
          return;
        } catch (const weft::cancelled&) {
          ++t.cancels_seen;
        }
      }
    };
    constexpr int producers = 2;
    for (int p = 0; p < producers; ++p)
      all.push_back(weft::spawn_on(rt.loop_at(1), [&, p] {
        tally t;
        wait_for_go(t);
        for (std::uint32_t v = static_cast<std::uint32_t>(p); v < message_count; v += producers) {
          for (;;) {
            try {
              ch->send(v);
              break;
            } catch (const weft::cancelled&) {
              ++t.cancels_seen;
            }
          }
        }
        return t;
      }));
    for (int c = 0; c < 3; ++c)
      all.push_back(weft::spawn_on(rt.loop_at(c % 2), [&, c] {
        tally t;
        wait_for_go(t);
        std::vector<weft::cross_task<tally>> others = all;  // this task's own copies
        std::minstd_rand pick(static_cast<unsigned>(c + 1));
        for (;;) {
          try {
            std::optional<std::uint32_t> v = ch->receive();
            if (!v) break;
            t.got.push_back(*v);
            if (t.got.size() % 61 == 0 && others[pick() % others.size()].cancel()) ++cancels_sent;
          } catch (const weft::cancelled&) {
            ++t.cancels_seen;
          }
        }
        return t;
      }));
    go.set();
    std::uint64_t cancels_seen = 0;
    for (int p = 0; p < producers; ++p) {
      tally t = all[static_cast<std::size_t>(p)].join();
      cancels_seen += t.cancels_seen;
    }
    ch->close();
    std::vector<std::uint8_t> seen(message_count, 0);
    std::uint64_t received = 0;
    for (std::size_t c = producers; c < all.size(); ++c) {
      tally t = all[c].join();
      cancels_seen += t.cancels_seen;
      received += t.got.size();
      for (std::uint32_t v : t.got) ++seen[v];
    }
    EXPECT_EQ(received, message_count);
    std::size_t wrong = 0;
    for (std::uint8_t n : seen) wrong += n != 1;
    EXPECT_EQ(wrong, 0u);
    // The cancellations happened: a few may land on a task as it finishes.
    EXPECT_GT(cancels_seen, 0u);
    EXPECT_LE(cancels_seen, cancels_sent.load());
  });
}

TEST(cross_channel, receive_drains_what_is_buffered_then_reports_the_close) {
  weft::runtime rt({.loops = 2});
  rt.run([&] {
    weft::cross_channel<int> ch(4);
    weft::spawn_on(rt.loop_at(1), [&] {
      ch.send(1);
      ch.send(2);
      ch.close();
    }).join();
    EXPECT_TRUE(ch.closed());
    EXPECT_THROW(ch.send(3), weft::channel_closed);
    std::vector<int> got;
    for (int v : ch) got.push_back(v);
    EXPECT_EQ(got, (std::vector<int>{1, 2}));
    EXPECT_EQ(ch.receive(), std::nullopt);
  });
}

TEST(cross_channel, close_on_one_loop_refuses_a_sender_waiting_on_another) {
  weft::runtime rt({.loops = 2});
  rt.run([&] {
    weft::cross_channel<int> ch(1);
    ch.send(1);  // full
    weft::cross_event sending;
    auto sender = weft::spawn_on(rt.loop_at(1), [&] {
      sending.set();
      ch.send(2);
    });
    sending.wait();
    while (ch.senders_waiting() == 0) weft::yield_now();
    EXPECT_TRUE(ch.close());
    EXPECT_FALSE(ch.close());
    EXPECT_THROW(sender.join(), weft::channel_closed);
    EXPECT_EQ(ch.try_receive(), std::optional<int>(1));
    EXPECT_EQ(ch.try_receive(), std::nullopt);
  });
}

TEST(cross_channel, a_sender_waits_while_the_buffer_is_full) {
  weft::runtime rt({.loops = 2});
  rt.run([&] {
    weft::cross_channel<int> ch(2);
    auto sender = weft::spawn_on(rt.loop_at(1), [&] {
      for (int i = 0; i < 10; ++i) ch.send(i);
    });
    std::vector<int> got;
    for (int i = 0; i < 10; ++i) {
      EXPECT_LE(ch.size(), 2u);
      got.push_back(*ch.receive());
    }
    sender.join();
    EXPECT_EQ(got, (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
    EXPECT_TRUE(ch.try_send(1));
    EXPECT_TRUE(ch.try_send(2));
    EXPECT_FALSE(ch.try_send(3));  // full
  });
}

TEST(cross_channel, shutdown_with_tasks_blocked_on_cross_channels_finishes) {
  std::atomic<int> unwound{0};
  {
    weft::runtime rt({.loops = 2});
    auto empty = std::make_shared<weft::cross_channel<int>>(1, "empty");
    auto full = std::make_shared<weft::cross_channel<int>>(1, "full");
    full->try_send(0);
    rt.run([&] {
      weft::cross_channel<int> blocked(4);
      for (std::size_t i = 0; i < rt.size(); ++i) {
        weft::spawn_on(rt.loop_at(i), [&, empty] {
          blocked.send(1);
          try {
            empty->receive();
          } catch (const weft::cancelled&) {
            ++unwound;
            throw;
          }
        }).detach();
        weft::spawn_on(rt.loop_at(i), [&, full] {
          blocked.send(1);
          try {
            full->send(1);
          } catch (const weft::cancelled&) {
            ++unwound;
            throw;
          }
        }).detach();
      }
      for (int k = 0; k < 4; ++k) blocked.receive();  // every one of them reached its wait
    });
    EXPECT_EQ(unwound.load(), 4);
  }
}

}  // namespace
