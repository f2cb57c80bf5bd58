// Where task states live: a per-thread cache of freed blocks in front of
// operator new.
//
// Every spawn allocates a task state and every finished, released task
// frees one; through malloc and free that pair cost ~150 instructions of a
// ~1200-instruction spawn+join (glibc's tcache checks included). Here it is
// a pop and a push on a singly linked list.
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
#include <new>

#include "weft/detail/sanitizer.hpp"
#include "weft/detail/task_state.hpp"

namespace weft::detail {

namespace {

constexpr std::size_t granule = 64;
constexpr std::size_t classes = 8;  // blocks of 64, 128, ..., 512 bytes
constexpr std::size_t blocks_per_class = 64;

struct free_block {
  free_block* next;
};

class block_cache {
 public:
  block_cache() = default;
  block_cache(const block_cache&) = delete;
  block_cache& operator=(const block_cache&) = delete;
  ~block_cache() {
    for (std::size_t c = 0; c < classes; ++c)
      while (free_block* b = heads_[c]) {
        heads_[c] = b->next;
        ::operator delete(b, class_bytes(c));
      }
    gone = true;
  }

  static std::size_t class_of(std::size_t size) noexcept { return (size - 1) / granule; }
  static std::size_t class_bytes(std::size_t c) noexcept { return (c + 1) * granule; }

  void* take(std::size_t c) {
    free_block* b = heads_[c];
    if (b == nullptr) return ::operator new(class_bytes(c));
    heads_[c] = b->next;
    --counts_[c];
    return b;
  }

  void give_back(void* p, std::size_t c) noexcept {
    if (counts_[c] == blocks_per_class) {
      ::operator delete(p, class_bytes(c));
      return;
    }
    heads_[c] = ::new (p) free_block{heads_[c]};
    ++counts_[c];
  }

  // Set once this thread's cache is destroyed: a task state released during
  // thread exit or static destruction after that bypasses it.
  static constinit thread_local bool gone;

 private:
  free_block* heads_[classes] = {};
  std::size_t counts_[classes] = {};
};

constinit thread_local bool block_cache::gone = false;

block_cache& this_thread_cache() {
  thread_local block_cache cache;
  return cache;
}

bool cached(std::size_t size) noexcept {
#if defined(WEFT_ASAN)
  (void)size;
  return false;
#else
  return size <= classes * granule && !block_cache::gone;
#endif
}

}  // namespace

void* task_base::operator new(std::size_t size) {
  if (!cached(size)) return ::operator new(size);
  return this_thread_cache().take(block_cache::class_of(size));
}

void task_base::operator delete(void* p, std::size_t size) noexcept {
  // Unsized: a block taken from the cache and freed after it is gone is
  // larger than `size`.
  if (!cached(size)) return ::operator delete(p);
  this_thread_cache().give_back(p, block_cache::class_of(size));
}

}  // namespace weft::detail
