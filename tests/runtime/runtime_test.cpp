// weft::runtime: N loops on N threads, main on loop 0, shutdown of every
// loop's leftovers.
#include <gtest/gtest.h>
#include <pthread.h>
#include <sched.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "weft/runtime.hpp"

namespace {

using namespace std::chrono_literals;

TEST(runtime, run_returns_main_s_result_from_loop_0) {
  weft::runtime rt({.loops = 2});
  EXPECT_EQ(rt.size(), 2u);
  auto caller = std::this_thread::get_id();
  int v = rt.run([&] {
    EXPECT_EQ(weft::runtime::current(), &rt);
    EXPECT_EQ(weft::runtime::current_index(), 0u);
    EXPECT_EQ(std::this_thread::get_id(), caller);
    EXPECT_EQ(weft::loop::current(), &rt.loop_at(0));
    return 42;
  });
  EXPECT_EQ(v, 42);
}

TEST(runtime, run_rethrows_main_s_exception) {
  weft::runtime rt({.loops = 2});
  try {
    rt.run([] { throw std::runtime_error("main failed"); });
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "main failed");
  }
}

TEST(runtime, run_may_be_called_once) {
  weft::runtime rt({.loops = 1});
  rt.run([] {});
  EXPECT_THROW(rt.run([] {}), weft::invalid_state);
}

TEST(runtime, each_loop_runs_on_a_thread_of_its_own) {
  weft::runtime rt({.loops = 3});
  rt.run([&] {
    std::set<std::thread::id> threads{std::this_thread::get_id()};
    for (std::size_t i = 1; i < rt.size(); ++i) {
      auto t = weft::spawn_on(rt.loop_at(i), [&rt, i] {
        EXPECT_EQ(weft::runtime::current(), &rt);
        EXPECT_EQ(weft::runtime::current_index(), i);
        EXPECT_EQ(weft::loop::current(), &rt.loop_at(i));
        return std::this_thread::get_id();
      });
      threads.insert(t.join());
    }
    EXPECT_EQ(threads.size(), 3u);
  });
}

TEST(runtime, defaults_to_one_loop_per_cpu_the_process_may_use) {
  cpu_set_t set;
  ASSERT_EQ(sched_getaffinity(0, sizeof set, &set), 0);
  EXPECT_EQ(weft::available_cpus(), static_cast<std::size_t>(CPU_COUNT(&set)));
  weft::runtime rt;
  EXPECT_EQ(rt.size(), weft::available_cpus());
}

TEST(runtime, pinning_binds_each_loop_to_one_cpu_of_the_process) {
  cpu_set_t before;
  ASSERT_EQ(pthread_getaffinity_np(pthread_self(), sizeof before, &before), 0);
  std::vector<int> allowed;
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &before)) allowed.push_back(c);
  {
    weft::runtime rt({.loops = 2, .pin = true});
    rt.run([&] {
      for (std::size_t i = 0; i < rt.size(); ++i) {
        auto cpus = weft::spawn_on(rt.loop_at(i), [] {
                      cpu_set_t s;
                      EXPECT_EQ(pthread_getaffinity_np(pthread_self(), sizeof s, &s), 0);
                      std::vector<int> on;
                      for (int c = 0; c < CPU_SETSIZE; ++c)
                        if (CPU_ISSET(c, &s)) on.push_back(c);
                      return on;
                    }).join();
        EXPECT_EQ(cpus, std::vector<int>{allowed[i % allowed.size()]}) << "loop " << i;
      }
    });
  }
  // Loop 0 is the calling thread: give it its mask back.
  ASSERT_EQ(pthread_setaffinity_np(pthread_self(), sizeof before, &before), 0);
}

TEST(runtime, shutdown_cancels_and_unwinds_what_every_loop_still_runs) {
  std::atomic<int> unwound{0};
  {
    weft::runtime rt({.loops = 2});
    rt.run([&] {
      weft::cross_channel<int> started(8);
      for (std::size_t i = 0; i < rt.size(); ++i)
        for (int k = 0; k < 3; ++k)
          weft::spawn_on(rt.loop_at(i), [&] {
            started.send(1);
            try {
              weft::sleep_for(1h);
            } catch (const weft::cancelled&) {
              ++unwound;
              throw;
            }
          }).detach();
      for (int k = 0; k < 6; ++k) started.receive();  // all six are asleep now
    });
    EXPECT_EQ(unwound.load(), 6);
  }
}

TEST(runtime, an_exception_nobody_retrieved_is_reported_once) {
  std::mutex m;
  std::vector<std::string> reports;
  {
    weft::runtime rt({.loops = 2, .exception_handler = [&](const weft::exception_report& r) {
                        std::lock_guard<std::mutex> g(m);
                        std::string what;
                        try {
                          std::rethrow_exception(r.error);
                        } catch (const std::exception& e) {
                          what = e.what();
                        }
                        reports.push_back(r.message + ": " + what);
                      }});
    rt.run([&] {
      auto t = weft::spawn_on(rt.loop_at(1), [] { throw std::runtime_error("lost"); });
      while (!t.done()) weft::yield_now();  // else shutdown would cancel it before it runs
      t.detach();
    });
  }
  EXPECT_EQ(reports, std::vector<std::string>{"Cross-loop task exception was never retrieved: lost"});
}

}  // namespace
