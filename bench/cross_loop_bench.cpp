// Between threads: one message to a task (fiber) on another loop and one
// back. Each iteration is a round trip. A side that blocks while it waits
// costs a cross-thread wake-up per message, which dominates the figure;
// weft's loops spin for a while before they block (loop_options::
// idle_spin), and no_spin turns that off. Real time is the figure
// (report.py compares real time); the benchmark thread's CPU time is the
// part of it spent on that thread, all of it where that side spins.
//
//   BM_cross_loop_pingpong               weft::runtime with two loops; the
//                                        benchmark thread is loop 0, an echo
//                                        task on loop 1; two cross_channels
//   BM_cross_loop_pingpong/no_spin       the same, idle_spin = 0: both
//                                        sides block while they wait
//   BM_cross_loop_pingpong/eventfd_floor two pthreads, a lock-free slot and
//                                        one eventfd each, written by hand:
//                                        the least a blocking hand-off costs
//   BM_cross_loop_pingpong/boost_fiber   Boost.Fiber buffered_channels
//                                        between fibers on two threads; its
//                                        threads block while they wait
#include <benchmark/benchmark.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <boost/fiber/all.hpp>
#include <cerrno>
#include <cstdint>
#include <system_error>
#include <thread>

#include "weft/runtime.hpp"

namespace {

constexpr std::uint64_t stop_value = ~std::uint64_t{0};

void cross_loop_pingpong(benchmark::State& state, std::chrono::nanoseconds idle_spin) {
  weft::runtime rt({.loops = 2, .loop = {.idle_spin = idle_spin}});
  rt.run([&] {
    weft::cross_channel<std::uint64_t> ping(1, "ping");
    weft::cross_channel<std::uint64_t> pong(1, "pong");
    auto echo = weft::spawn_on(rt.loop_at(1), [&] {
      while (std::optional<std::uint64_t> v = ping.receive()) pong.send(*v + 1);
    });
    std::uint64_t v = 0;
    for (auto _ : state) {
      ping.send(v);
      v = *pong.receive();
    }
    benchmark::DoNotOptimize(v);
    ping.close();
    echo.join();
  });
}
void BM_cross_loop_pingpong(benchmark::State& state) { cross_loop_pingpong(state, weft::loop_options{}.idle_spin); }
BENCHMARK(BM_cross_loop_pingpong);

void BM_cross_loop_pingpong_no_spin(benchmark::State& state) { cross_loop_pingpong(state, {}); }
BENCHMARK(BM_cross_loop_pingpong_no_spin)->Name("BM_cross_loop_pingpong/no_spin");

// One side of the floor: blocks in read() on its own eventfd, then reads
// the slot the other side wrote before its write() to that eventfd (the
// eventfd's write/read pair orders them; the atomic makes it explicit).
class eventfd_side {
 public:
  eventfd_side() : fd_(::eventfd(0, EFD_CLOEXEC)) {
    if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
  }
  ~eventfd_side() { ::close(fd_); }
  void post(std::atomic<std::uint64_t>& slot, std::uint64_t v) {
    slot.store(v, std::memory_order_release);
    std::uint64_t one = 1;
    if (::write(fd_, &one, sizeof one) != sizeof one) throw std::system_error(errno, std::generic_category(), "write");
  }
  std::uint64_t take(const std::atomic<std::uint64_t>& slot) {
    std::uint64_t count;
    if (::read(fd_, &count, sizeof count) != sizeof count)
      throw std::system_error(errno, std::generic_category(), "read");
    return slot.load(std::memory_order_acquire);
  }

 private:
  int fd_;
};

void BM_cross_loop_pingpong_eventfd_floor(benchmark::State& state) {
  eventfd_side to_echo, to_main;
  std::atomic<std::uint64_t> slot_echo{0}, slot_main{0};
  std::thread echo([&] {
    for (;;) {
      std::uint64_t v = to_echo.take(slot_echo);
      if (v == stop_value) return;
      to_main.post(slot_main, v + 1);
    }
  });
  std::uint64_t v = 0;
  for (auto _ : state) {
    to_echo.post(slot_echo, v);
    v = to_main.take(slot_main);
  }
  benchmark::DoNotOptimize(v);
  to_echo.post(slot_echo, stop_value);
  echo.join();
}
BENCHMARK(BM_cross_loop_pingpong_eventfd_floor)->Name("BM_cross_loop_pingpong/eventfd_floor");

void BM_cross_loop_pingpong_boost_fiber(benchmark::State& state) {
  boost::fibers::buffered_channel<std::uint64_t> ping(2), pong(2);
  // Each thread's main fiber: with nothing else to run, a waiting fiber
  // puts its thread to sleep in the scheduler until the other side wakes it.
  std::thread echo([&] {
    std::uint64_t v;
    while (ping.pop(v) == boost::fibers::channel_op_status::success) pong.push(v + 1);
  });
  std::uint64_t v = 0;
  for (auto _ : state) {
    ping.push(v);
    pong.pop(v);
  }
  benchmark::DoNotOptimize(v);
  ping.close();
  echo.join();
}
BENCHMARK(BM_cross_loop_pingpong_boost_fiber)->Name("BM_cross_loop_pingpong/boost_fiber");

}  // namespace
