// Seed 002, "Producer-Consumer Pattern": a producer puts items on a queue,
// a consumer takes them off, each at its own pace.
//
//   async def producer(queue):
//       while True:
//           item = await get_item()
//           await queue.put(item)
//
//   async def consumer(queue):
//       while True:
//           item = await queue.get()
//           await process_item(item)
//
// The seed leaves get_item and process_item undefined and runs forever.
// Here get_item takes 0.5 s and gives out six items, then None (std::nullopt)
// to say there are no more; process_item takes 1.5 s, so the bounded queue
// (two places) fills up and put() holds the producer back. main waits for the
// producer, then for the queue to be worked off (task_done/join), then
// cancels the consumer, still waiting in get(). Virtual time: the timestamps
// are exact and the run is instantaneous.
#include <weft/loop.hpp>
#include <weft/sync/queue.hpp>

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>

using namespace std::chrono_literals;

weft::loop* event_loop = nullptr;
weft::loop::time_point start;

double now() { return std::chrono::duration<double>(event_loop->now() - start).count(); }

std::optional<std::string> get_item() {
  static int produced = 0;
  weft::sleep_for(500ms);
  if (produced == 6) return std::nullopt;
  return "item-" + std::to_string(++produced);
}

void process_item(const std::string& item) {
  weft::sleep_for(1500ms);
  std::printf("%4.1f s  consumer: done with %s\n", now(), item.c_str());
}

void producer(weft::queue<std::string>& queue) {
  while (std::optional<std::string> item = get_item()) {
    std::printf("%4.1f s  producer: putting %s (%zu queued)\n", now(), item->c_str(), queue.size());
    queue.put(std::move(*item));
  }
  std::printf("%4.1f s  producer: no more items\n", now());
}

void consumer(weft::queue<std::string>& queue) {
  for (;;) {
    std::string item = queue.get();
    std::printf("%4.1f s  consumer: got %s\n", now(), item.c_str());
    process_item(item);
    queue.task_done();
  }
}

int main() {
  weft::loop lp({.virtual_time = true});
  event_loop = &lp;
  start = lp.now();
  lp.run_until_complete([] {
    weft::queue<std::string> queue(2, "items");
    auto consuming = weft::spawn([&] { consumer(queue); }, {.name = "consumer"});
    auto producing = weft::spawn([&] { producer(queue); }, {.name = "producer"});
    producing.join();
    queue.join();
    std::printf("%4.1f s  main: every item processed; cancelling the consumer\n", now());
    consuming.cancel();
    try {
      consuming.join();
    } catch (const weft::cancelled&) {
      std::printf("%4.1f s  main: consumer cancelled\n", now());
    }
  });
}
