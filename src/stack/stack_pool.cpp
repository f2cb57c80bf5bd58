// Guarded and dense stacks, and the per-thread pool that recycles them.
//
// Guarded stack, one mapping per stack (two VMAs once the guard is set):
//
//     base                base+page                         base+page+size
//     | guard (PROT_NONE) | usable stack, grows down <------ |
//                         ^ low                              ^ top
//
// Dense slab, one mapping for `dense_slab_stacks` stacks of `size` each:
//
//     | header page | region 0 | region 1 | ... | region N-1 |
//
// Region i's top 16 bytes are not part of its stack: they hold the canary of
// region i+1, the word region i+1 overwrites first when it overflows. That
// word lies in the page region i's own top frame touches anyway, so the
// canary costs no extra resident page per fiber (the header page holds
// region 0's canary). A million suspended fibers thus touch ~one page each.
#include "weft/detail/stack/stack_allocation.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <system_error>
#include <vector>

#include "weft/detail/sanitizer.hpp"

namespace weft {

namespace {

constexpr std::size_t kib = 1024;
// Guarded: room for deep call chains and large frames (printf-family, regex,
// iostreams), and only touched pages are resident. Dense: for programs of
// many small fibers, where the untouched part of each stack costs only
// address space (MAP_NORESERVE). ASan's redzones and fake frames make every
// frame several times larger, so sanitized builds get 4x.
#if defined(WEFT_ASAN)
constexpr std::size_t sanitizer_factor = 4;
#else
constexpr std::size_t sanitizer_factor = 1;
#endif
constexpr std::size_t guarded_default = 256 * kib * sanitizer_factor;
constexpr std::size_t dense_default = 64 * kib * sanitizer_factor;
// Page multiples for every page size up to 64 KiB, so they need no rounding.
static_assert(dense_default % (64 * kib) == 0 && guarded_default % (64 * kib) == 0);
constexpr std::size_t dense_slab_stacks = 256;
constexpr std::size_t guarded_cache_per_size = 64;
constexpr std::size_t canary_slot = 16;  // keeps region tops 16-byte aligned

// Guarded stacks currently mapped in the process, pooled ones included.
std::atomic<std::size_t> guarded_live{0};

const volatile std::uint64_t always_intact = detail::stack_canary_value;

std::size_t read_max_map_count() noexcept {
  std::size_t value = 65530;
  if (std::FILE* f = std::fopen("/proc/sys/vm/max_map_count", "r")) {
    unsigned long v = 0;
    if (std::fscanf(f, "%lu", &v) == 1 && v > 0) value = v;
    std::fclose(f);
  }
  return value;
}

std::size_t round_to_pages(std::size_t bytes) {
  std::size_t page = detail::page_size();  // a power of two
  return (bytes + page - 1) & ~(page - 1);
}

[[noreturn]] void throw_errno(int err, const char* what) {
  throw std::system_error(err, std::generic_category(), what);
}

std::byte* map_anonymous(std::size_t bytes, const char* what) {
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) throw_errno(errno, what);
  return static_cast<std::byte*>(p);
}

// Valgrind learns of a guarded stack for as long as it is mapped, pooled
// or not (a registered stack nobody runs on is harmless), so recycling one
// costs no client request; a dense stack, for as long as a fiber owns it.
void register_with_valgrind(detail::stack_allocation& s) {
#if defined(WEFT_HAVE_VALGRIND)
  s.valgrind_id = VALGRIND_STACK_REGISTER(s.low, s.top());
#else
  (void)s;
#endif
}

void deregister_from_valgrind(const detail::stack_allocation& s) {
#if defined(WEFT_HAVE_VALGRIND)
  VALGRIND_STACK_DEREGISTER(s.valgrind_id);
#else
  (void)s;
#endif
}

// A stack given back: frames that never returned (the fiber's entry jumps
// away) leave poisoned ASan redzones behind; the next fiber on this stack
// must start clean.
void unpoison(const detail::stack_allocation& s) {
#if defined(WEFT_ASAN)
  __asan_unpoison_memory_region(s.low, s.size);
#else
  (void)s;
#endif
}

detail::stack_allocation map_guarded(std::size_t size) {
  std::size_t page = detail::page_size();
  std::byte* base = map_anonymous(size + page, "weft: mmap of a guarded fiber stack");
  if (::mprotect(base, page, PROT_NONE) != 0) {
    int err = errno;
    ::munmap(base, size + page);
    throw_errno(err, "weft: mprotect of a fiber stack's guard page");
  }
  guarded_live.fetch_add(1, std::memory_order_relaxed);
  detail::stack_allocation s{base + page, size, stack_mode::guarded, &always_intact, 0};
  register_with_valgrind(s);
  return s;
}

void unmap_guarded(const detail::stack_allocation& s) {
  deregister_from_valgrind(s);
  std::size_t page = detail::page_size();
  ::munmap(s.low - page, s.size + page);
  guarded_live.fetch_sub(1, std::memory_order_relaxed);
}

// Set when this thread's pool has been destroyed: at thread exit, or for
// the main thread at process exit, before objects with static storage
// duration are. A static fiber destroyed after that must not touch the
// pool (found by ASan in a generator example).
constinit thread_local bool pool_gone = false;

// Per-thread recycling. Buckets are few (one per distinct stack size in
// use), so linear search beats a map.
class stack_pool {
 public:
  stack_pool() = default;
  stack_pool(const stack_pool&) = delete;
  stack_pool& operator=(const stack_pool&) = delete;

  ~stack_pool() {
    for (auto& b : guarded_)
      for (auto& s : b.free) unmap_guarded(s);
    // A dense slab is unmapped only if none of its stacks is still owned by
    // a fiber (one that outlives its thread); otherwise it is left mapped.
    for (auto& b : dense_)
      if (b.live == 0)
        for (auto& slab : b.slabs) ::munmap(slab.base, slab.bytes);
    pool_gone = true;
  }

  detail::stack_allocation take(stack_mode mode, std::size_t size) {
    return mode == stack_mode::guarded ? take_guarded(size) : take_dense(size);
  }

  void give_back(const detail::stack_allocation& s) noexcept {
    unpoison(s);
    if (s.mode == stack_mode::guarded) {
      auto& free = guarded_bucket(s.size).free;
      if (free.size() < guarded_cache_per_size) {
        free.push_back(s);
        return;
      }
      unmap_guarded(s);
    } else {
      deregister_from_valgrind(s);
      auto& b = dense_bucket(s.size + canary_slot);
      b.free.push_back(s.low);
      --b.live;
    }
  }

 private:
  struct guarded_bucket_t {
    std::size_t size;
    std::vector<detail::stack_allocation> free;
  };
  struct slab {
    std::byte* base;
    std::size_t bytes;
  };
  struct dense_bucket_t {
    std::size_t region;  // bytes per region, canary slot included
    std::vector<std::byte*> free;  // region bases
    std::vector<slab> slabs;
    std::size_t live = 0;
  };

  guarded_bucket_t& guarded_bucket(std::size_t size) {
    for (auto& b : guarded_)
      if (b.size == size) return b;
    return guarded_.emplace_back(guarded_bucket_t{size, {}});
  }

  dense_bucket_t& dense_bucket(std::size_t region) {
    for (auto& b : dense_)
      if (b.region == region) return b;
    return dense_.emplace_back(dense_bucket_t{region, {}, {}, 0});
  }

  detail::stack_allocation take_guarded(std::size_t size) {
    auto& free = guarded_bucket(size).free;
    if (free.empty()) return map_guarded(size);
    detail::stack_allocation s = free.back();
    free.pop_back();
    return s;
  }

  detail::stack_allocation take_dense(std::size_t size) {
    std::size_t region = size + canary_slot;
    auto& b = dense_bucket(region);
    if (b.free.empty()) add_slab(b);
    std::byte* low = b.free.back();
    b.free.pop_back();
    ++b.live;
    auto* canary = reinterpret_cast<std::uint64_t*>(low - canary_slot);
    *canary = detail::stack_canary_value;
    detail::stack_allocation s{low, size, stack_mode::dense, canary, 0};
    register_with_valgrind(s);
    return s;
  }

  void add_slab(dense_bucket_t& b) {
    std::size_t header = detail::page_size();
    std::size_t bytes = header + dense_slab_stacks * b.region;
    std::byte* base = map_anonymous(bytes, "weft: mmap of a dense stack slab");
    // With transparent huge pages set to "always", a slab would be backed
    // by 2 MiB pages and each fiber's one touched page would cost ~60 KiB
    // of memory. EINVAL (a kernel without THP) is fine to ignore.
    ::madvise(base, bytes, MADV_NOHUGEPAGE);
    b.slabs.push_back({base, bytes});
    // Handed out lowest first, so neighbours fill in address order.
    for (std::size_t i = dense_slab_stacks; i-- > 0;) b.free.push_back(base + header + i * b.region);
  }

  std::vector<guarded_bucket_t> guarded_;
  std::vector<dense_bucket_t> dense_;
};

stack_pool& this_thread_pool() {
  thread_local stack_pool pool;
  return pool;
}

stack_mode resolve(stack_mode mode) noexcept {
  if (mode != stack_mode::automatic) return mode;
  return guarded_live.load(std::memory_order_relaxed) < guarded_stack_budget() ? stack_mode::guarded
                                                                               : stack_mode::dense;
}

}  // namespace

std::string_view to_string(stack_mode mode) noexcept {
  switch (mode) {
    case stack_mode::automatic: return "automatic";
    case stack_mode::guarded: return "guarded";
    case stack_mode::dense: return "dense";
  }
  return "?";
}

std::size_t default_stack_size(stack_mode mode) noexcept {
  return resolve(mode) == stack_mode::guarded ? guarded_default : dense_default;
}

std::size_t guarded_stack_budget() noexcept {
  static const std::size_t budget = read_max_map_count() / 4;
  return budget;
}

namespace detail {

std::size_t page_size() noexcept {
  static const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  return page;
}

bool stack_allocation::guard_contains(const void* address) const noexcept {
  if (mode != stack_mode::guarded) return false;
  auto* a = static_cast<const std::byte*>(address);
  return a < low && a >= low - page_size();
}

stack_allocation allocate_stack(stack_mode mode, std::size_t size) {
  mode = resolve(mode);
  std::size_t usable = size != 0 ? round_to_pages(size) : default_stack_size(mode);
  // A dense region is page-aligned, its usable part one canary slot short.
  if (pool_gone) [[unlikely]] {  // a fiber made during static destruction
    return map_guarded(round_to_pages(size != 0 ? size : guarded_default));
  }
  if (mode == stack_mode::dense) usable -= canary_slot;
  return this_thread_pool().take(mode, usable);
}

void release_stack(const stack_allocation& stack) noexcept {
  if (pool_gone) [[unlikely]] {
    // No pool to return to: a guarded stack is unmapped; a dense one stays
    // in its slab, which the pool left mapped because it was still in use.
    unpoison(stack);
    if (stack.mode == stack_mode::guarded) unmap_guarded(stack);
    else deregister_from_valgrind(stack);
    return;
  }
  this_thread_pool().give_back(stack);
}

}  // namespace detail
}  // namespace weft
