// Where task states live: a per-thread cache of freed blocks in front of
// operator new.
//
// Every spawn allocates a task state and every finished, released task
// frees one; through malloc and free that pair was a sizeable share of a
// spawn+join (glibc's tcache checks included; docs/architecture.md, Loop,
// has the count). Here it is a pop and a push on a singly linked list.
//
// Invariants
//  - Blocks come in size classes of `granule` bytes; a class holds blocks
//    of exactly its size, allocated by ::operator new at that size, so any
//    block of a class fits every request of the class.
//  - Each thread caches at most `blocks_per_class` blocks a class; the rest
//    go straight back to operator delete, as do sizes above the largest
//    class. The cache is returned to operator delete when the thread ends.
//  - A block freed on another thread than the one that allocated it just
//    joins that thread's cache: blocks are plain operator new memory.
//  - Under ASan every block goes through operator new and delete, so a use
//    after free of a task state is still reported.
#include <cstddef>
#include <cstdint>
#include <new>

#include "weft/detail/sanitizer.hpp"
#include "weft/detail/loop/task_state.hpp"

namespace weft::detail {

namespace {

constexpr std::size_t granule = 64;
constexpr std::size_t classes = 8;  // blocks of 64, 128, ..., 512 bytes
constexpr std::size_t blocks_per_class = 64;

struct free_block {
  free_block* next;
};

constexpr std::size_t class_of(std::size_t size) noexcept { return (size - 1) / granule; }
constexpr std::size_t class_bytes(std::size_t c) noexcept { return (c + 1) * granule; }

// This thread's cache. Constant-initialised, so that reaching it is a plain
// TLS access with no init guard; what empties it at thread exit is a
// separate object, made when the first block is cached.
struct block_cache {
  free_block* heads[classes];
  std::uint32_t counts[classes];
  bool drain_armed;  // the drainer below exists on this thread
  bool gone;         // drained at thread exit: bypass from now on
};
constinit thread_local block_cache cache{};

struct drainer {
  ~drainer() {
    for (std::size_t c = 0; c < classes; ++c)
      while (free_block* b = cache.heads[c]) {
        cache.heads[c] = b->next;
        ::operator delete(b);  // unsized: see task_base::operator delete
      }
    cache.gone = true;
  }
};

[[gnu::noinline]] void arm_drainer() {
  thread_local drainer d;
  (void)d;
  cache.drain_armed = true;
}

bool cached(std::size_t size) noexcept {
#if defined(WEFT_ASAN)
  (void)size;
  return false;
#else
  return size <= classes * granule && !cache.gone;
#endif
}

}  // namespace

void* task_base::operator new(std::size_t size) {
  if (!cached(size)) return ::operator new(size);
  std::size_t c = class_of(size);
  free_block* b = cache.heads[c];
  if (b == nullptr) return ::operator new(class_bytes(c));
  cache.heads[c] = b->next;
  --cache.counts[c];
  return b;
}

void task_base::operator delete(void* p, std::size_t size) noexcept {
  // Unsized, here and in the drainer: a block taken from the cache and
  // freed after it is gone is larger than `size`, and libstdc++ declares
  // the sized global forms only with sized deallocation, which clang before
  // 19 leaves off (glibc's free never needed the size).
  if (!cached(size)) return ::operator delete(p);
  std::size_t c = class_of(size);
  if (cache.counts[c] == blocks_per_class) return ::operator delete(p);
  if (!cache.drain_armed) [[unlikely]]
    arm_drainer();
  cache.heads[c] = ::new (p) free_block{cache.heads[c]};
  ++cache.counts[c];
}

}  // namespace weft::detail
