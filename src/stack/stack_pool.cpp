// Guarded and dense stacks, and the per-thread pool that recycles them.
//
// With guard regions (MADV_GUARD_INSTALL, Linux 6.13+), every stack is a
// region of a slab, one mapping for `slab_stacks` stacks, each with its own
// guard below it. A guard region is a marker in the page tables, not a
// mapping, so the slab stays one VMA:
//
//     | guard 0 | stack 0 | guard 1 | stack 1 | ... | guard N-1 | stack N-1 |
//
// Without them (older kernels), a guarded stack is a mapping of its own
// whose lowest `guard` bytes are PROT_NONE (two VMAs per stack):
//
//     base                     base+guard                      base+guard+size
//     | guard (PROT_NONE) | usable stack, grows down <------ |
//                         ^ low                              ^ top
//
// and a dense stack is a region of a slab with no guard:
//
//     | header page | region 0 | region 1 | ... | region N-1 |
//
// A dense region is its stack plus 16 bytes above it, which hold the canary
// of the region above: the word that stack overwrites first when it
// overflows (the header page holds region 0's). They lie in the top page of
// the region's own stack, which its top frame touches anyway, so the canary
// costs no extra resident page per fiber. A million suspended fibers thus
// touch ~one page each.
#include "weft/detail/stack/stack_allocation.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <system_error>
#include <vector>

#include "weft/detail/fatal.hpp"
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
// A frame of up to this many bytes that overflows faults in the guard even
// without stack probing (-fstack-clash-protection). Only address space: a
// guard region is a page-table marker, a PROT_NONE page is never resident.
constexpr std::size_t guard_size = 64 * kib;
// Page multiples for every page size up to 64 KiB, so they need no rounding.
static_assert(dense_default % (64 * kib) == 0 && guarded_default % (64 * kib) == 0 && guard_size % (64 * kib) == 0);
constexpr std::size_t slab_stacks = 256;
// Slabs of large stacks hold fewer, so that one fiber with a big stack does
// not reserve hundreds of them in address space.
constexpr std::size_t slab_target_bytes = 256 * 1024 * kib;
// Recycled stacks kept with their pages, per size; beyond that a released
// guarded stack gives its pages back to the kernel.
constexpr std::size_t warm_cache_per_size = 64;
constexpr std::size_t canary_slot = 16;  // keeps region tops 16-byte aligned

// MADV_GUARD_INSTALL (Linux 6.13), absent from older kernel headers.
#if defined(MADV_GUARD_INSTALL)
constexpr int madv_guard_install = MADV_GUARD_INSTALL;
#else
constexpr int madv_guard_install = 102;
#endif
// MADV_POPULATE_READ (Linux 5.14), to check that a guard took effect.
#if defined(MADV_POPULATE_READ)
constexpr int madv_populate_read = MADV_POPULATE_READ;
#else
constexpr int madv_populate_read = 22;
#endif

// Guarded stacks with a mapping of their own, in the process, pooled ones
// included (kernels without guard regions).
std::atomic<std::size_t> guarded_live{0};

// -1 until probed; then whether guard regions are used.
std::atomic<int> guard_regions_state{-1};
// 0 until read: the budget of guarded_live.
std::atomic<std::size_t> guarded_budget{0};
std::atomic<bool> unguarded_reported{false};

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

// weft unmaps only whole mappings it made, so munmap can fail only if that
// bookkeeping is broken (EINVAL, or ENOMEM from splitting a mapping past
// vm.max_map_count): abort naming it rather than leak in silence.
void unmap(void* base, std::size_t bytes) noexcept {
  if (::munmap(base, bytes) != 0)
    detail::fatalf("munmap(%p, %zu) of a fiber stack mapping failed: %s", base, bytes, std::strerror(errno));
}

// Installs a guard region on one page of a scratch mapping: EINVAL on
// kernels before 6.13 (an unknown advice), success after. Then checks that
// the guard took effect: populating a guarded page fails with EFAULT. An
// emulator may accept the advice and do nothing (qemu-user answers 0 to
// every madvise it does not know), and its stacks would then be unguarded.
// WEFT_GUARD_REGIONS=0 in the environment turns them off, for gdb's
// generate-core-file, which cannot read a mapping past a guard region.
bool probe_guard_regions() noexcept {
  if (const char* setting = std::getenv("WEFT_GUARD_REGIONS"); setting != nullptr && std::strcmp(setting, "0") == 0)
    return false;
  std::size_t page = detail::page_size();
  void* p = ::mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) return false;
  bool ok =
      ::madvise(p, page, madv_guard_install) == 0 && ::madvise(p, page, madv_populate_read) != 0 && errno == EFAULT;
  unmap(p, 2 * page);
  return ok;
}

std::size_t round_to_pages(std::size_t bytes) {
  std::size_t page = detail::page_size();  // a power of two
  return (bytes + page - 1) & ~(page - 1);
}

[[noreturn]] void throw_errno(int err, const char* what) {
  throw std::system_error(err, std::generic_category(), what);
}

std::byte* map_anonymous(std::size_t bytes, const char* what) {
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) throw_errno(errno, what);
  return static_cast<std::byte*>(p);
}

// Once per process: from now on `automatic` makes unguarded stacks.
void report_unguarded(const char* why) noexcept {
  if (unguarded_reported.exchange(true, std::memory_order_relaxed)) return;
  std::fprintf(stderr,
               "weft: fiber stacks are unguarded from now on (%s; no guard regions: Linux before 6.13, or "
               "WEFT_GUARD_REGIONS=0): an overflow is detected only by a canary\n",
               why);
}

// Valgrind learns of a guarded stack for as long as it is mapped, pooled
// or not (a registered stack nobody runs on is harmless), so recycling one
// costs no client request; a carved stack, for as long as a fiber owns it.
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

// A stack with a mapping of its own and a PROT_NONE guard (kernels without
// guard regions, and fibers made after this thread's pool is gone).
detail::stack_allocation map_guarded(std::size_t size) {
  std::byte* base = map_anonymous(size + guard_size, "weft: mmap of a guarded fiber stack");
  if (::mprotect(base, guard_size, PROT_NONE) != 0) {
    int err = errno;
    unmap(base, size + guard_size);
    throw_errno(err, "weft: mprotect of a fiber stack's guard");
  }
  guarded_live.fetch_add(1, std::memory_order_relaxed);
  detail::stack_allocation s{base + guard_size, size, stack_mode::guarded, false, guard_size, &always_intact, 0};
  register_with_valgrind(s);
  return s;
}

void unmap_guarded(const detail::stack_allocation& s) {
  deregister_from_valgrind(s);
  unmap(s.low - s.guard, s.size + s.guard);
  guarded_live.fetch_sub(1, std::memory_order_relaxed);
}

// Set when this thread's pool has been destroyed: at thread exit, or for
// the main thread at process exit, before objects with static storage
// duration are. A static fiber destroyed after that must not touch the
// pool (found by ASan in a generator example).
constinit thread_local bool pool_gone = false;

// Per-thread recycling. Buckets are few (one per distinct stack size and
// layout in use), so linear search beats a map.
class stack_pool {
 public:
  stack_pool() = default;
  stack_pool(const stack_pool&) = delete;
  stack_pool& operator=(const stack_pool&) = delete;

  ~stack_pool() {
    for (auto& b : own_)
      for (auto& s : b.free) unmap_guarded(s);
    // A slab is unmapped only if none of its stacks is still owned by a
    // fiber (one that outlives its thread); otherwise it is left mapped.
    for (auto& b : carved_)
      if (b.live == 0)
        for (auto& slab : b.slabs) unmap(slab.base, slab.bytes);
    pool_gone = true;
  }

  detail::stack_allocation take(stack_mode mode, std::size_t size) {
    if (guard_regions()) return take_carved(size, guard_size);
    if (mode == stack_mode::guarded) return take_own(size);
    if (mode == stack_mode::automatic) {
      if (guarded_live.load(std::memory_order_relaxed) < guarded_stack_budget()) {
        try {
          return take_own(size);
        } catch (const std::system_error& e) {
          // Out of mappings before the budget (others use them too): the
          // fiber still gets its stack, unguarded.
          if (e.code().value() != ENOMEM) throw;
          report_unguarded("mapping a guarded stack failed with ENOMEM; vm.max_map_count reached");
        }
      } else {
        report_unguarded("a quarter of vm.max_map_count guarded stacks are live");
      }
    }
    return take_carved(size, 0);
  }

  void give_back(const detail::stack_allocation& s) noexcept {
    unpoison(s);
    if (!s.carved) {
      auto& free = own_bucket(s.size).free;
      if (free.size() < warm_cache_per_size) {
        free.push_back(s);
        return;
      }
      unmap_guarded(s);
      return;
    }
    deregister_from_valgrind(s);
    auto& b = carved_bucket(s.size, s.guard);
    --b.live;
    // Past a few warm ones, a guarded stack's pages go back to the kernel,
    // as an unmapped one's did (the guard stays installed). Never a dense
    // one's: its top page holds the canary of the stack above.
    if (s.guard == 0 || b.warm.size() < warm_cache_per_size) {
      b.warm.push_back(s.low);
      return;
    }
    // Fails only for a range that is not mapped: a broken invariant.
    WEFT_ASSERT(::madvise(s.low, s.size, MADV_DONTNEED) == 0, "madvise(MADV_DONTNEED) of a pooled fiber stack failed");
    b.cold.push_back(s.low);
  }

 private:
  struct own_bucket_t {
    std::size_t size;
    std::vector<detail::stack_allocation> free;
  };
  struct slab {
    std::byte* base;
    std::size_t bytes;
  };
  struct carved_bucket_t {
    std::size_t size;   // usable bytes of each stack
    std::size_t guard;  // 0: a dense slab, with canaries
    // Stack lows: released with their pages, and never used or released
    // without them. Warm ones are handed out first.
    std::vector<std::byte*> warm;
    std::vector<std::byte*> cold;
    std::vector<slab> slabs;
    std::size_t live = 0;
  };

  own_bucket_t& own_bucket(std::size_t size) {
    for (auto& b : own_)
      if (b.size == size) return b;
    return own_.emplace_back(own_bucket_t{size, {}});
  }

  carved_bucket_t& carved_bucket(std::size_t size, std::size_t guard) {
    for (auto& b : carved_)
      if (b.size == size && b.guard == guard) return b;
    return carved_.emplace_back(carved_bucket_t{size, guard, {}, {}, {}, 0});
  }

  detail::stack_allocation take_own(std::size_t size) {
    auto& free = own_bucket(size).free;
    if (free.empty()) return map_guarded(size);
    detail::stack_allocation s = free.back();
    free.pop_back();
    return s;
  }

  detail::stack_allocation take_carved(std::size_t size, std::size_t guard) {
    auto& b = carved_bucket(size, guard);
    if (b.warm.empty() && b.cold.empty()) add_slab(b);
    auto& from = b.warm.empty() ? b.cold : b.warm;
    std::byte* low = from.back();
    from.pop_back();
    ++b.live;
    detail::stack_allocation s{low, size, stack_mode::guarded, true, guard, &always_intact, 0};
    if (guard == 0) {
      auto* canary = reinterpret_cast<std::uint64_t*>(low - canary_slot);
      *canary = detail::stack_canary_value;
      s.mode = stack_mode::dense;
      s.canary = canary;
    }
    register_with_valgrind(s);
    return s;
  }

  void add_slab(carved_bucket_t& b) {
    // Guarded: region i is guard i then stack i. Dense: a header page, then
    // region i is stack i then the canary of stack i+1.
    std::size_t region = b.guard != 0 ? b.guard + b.size : b.size + canary_slot;
    std::size_t header = b.guard != 0 ? 0 : detail::page_size();
    std::size_t count = std::clamp<std::size_t>(slab_target_bytes / region, 1, slab_stacks);
    std::size_t bytes = header + count * region;
    std::byte* base = map_anonymous(bytes, "weft: mmap of a fiber stack slab");
    // With transparent huge pages set to "always", a slab would be backed
    // by 2 MiB pages and each fiber's one touched page would cost ~60 KiB
    // of memory. EINVAL (a kernel without THP) is fine to ignore.
    ::madvise(base, bytes, MADV_NOHUGEPAGE);
    for (std::size_t i = 0; i < count && b.guard != 0; ++i) {
      if (::madvise(base + i * region, b.guard, madv_guard_install) != 0) {
        int err = errno;
        unmap(base, bytes);
        throw_errno(err, "weft: madvise(MADV_GUARD_INSTALL) of a fiber stack's guard");
      }
    }
    b.slabs.push_back({base, bytes});
    // Handed out lowest first, so neighbours fill in address order.
    std::byte* first_low = base + header + b.guard;
    for (std::size_t i = count; i-- > 0;) b.cold.push_back(first_low + i * region);
  }

  static bool guard_regions() noexcept { return stack_guard_regions(); }

  std::vector<own_bucket_t> own_;
  std::vector<carved_bucket_t> carved_;
};

stack_pool& this_thread_pool() {
  thread_local stack_pool pool;
  return pool;
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
  return mode == stack_mode::dense ? dense_default : guarded_default;
}

bool stack_guard_regions() noexcept {
  int state = guard_regions_state.load(std::memory_order_relaxed);
  if (state < 0) [[unlikely]] {
    state = probe_guard_regions() ? 1 : 0;
    // Concurrent first calls probe alike; a test's emulation set first wins.
    int expected = -1;
    if (!guard_regions_state.compare_exchange_strong(expected, state, std::memory_order_relaxed)) state = expected;
  }
  return state == 1;
}

std::size_t stack_guard_size() noexcept { return guard_size; }

std::size_t guarded_stack_budget() noexcept {
  std::size_t budget = guarded_budget.load(std::memory_order_relaxed);
  if (budget == 0) [[unlikely]] {
    std::size_t expected = 0;
    budget = read_max_map_count() / 4;
    if (!guarded_budget.compare_exchange_strong(expected, budget, std::memory_order_relaxed)) budget = expected;
  }
  return budget;
}

namespace detail {

std::size_t page_size() noexcept {
  static const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  return page;
}

bool stack_allocation::guard_contains(const void* address) const noexcept {
  auto* a = static_cast<const std::byte*>(address);
  return a < low && a >= low - guard;
}

bool stack_allocation::overflow_fault(const void* address, const void* sp) const noexcept {
  // How far below the stack a stack pointer may be and still belong to an
  // overflow of it rather than to some other stack: the largest frame
  // anyone plausibly makes.
  constexpr std::size_t sp_reach = 16 * 1024 * kib;
  // An overflowing access is at or above the stack pointer, or just below
  // it: a push, a call, or a leaf function's red zone (128 bytes on x86-64).
  constexpr std::size_t below_sp = 256;
  auto* s = static_cast<const std::byte*>(sp);
  auto* a = static_cast<const std::byte*>(address);
  return guard_contains(address) || (s < low && s + sp_reach >= low && a < low && a + below_sp >= s);
}

std::size_t stack_high_water(const stack_allocation& stack) noexcept {
  std::size_t page = page_size();
  auto first = reinterpret_cast<std::uintptr_t>(stack.low) & ~(page - 1);
  auto end = (reinterpret_cast<std::uintptr_t>(stack.top()) + page - 1) & ~(page - 1);
  std::size_t pages = (end - first) / page;
  std::vector<unsigned char> resident(pages);
  if (::mincore(reinterpret_cast<void*>(first), pages * page, resident.data()) != 0) return 0;
  std::size_t touched = 0;
  while (touched < pages && (resident[pages - 1 - touched] & 1)) ++touched;
  return std::min(touched * page, stack.size);
}

void emulate_kernel_without_guard_regions(std::size_t budget) noexcept {
  guard_regions_state.store(0, std::memory_order_relaxed);
  guarded_budget.store(budget, std::memory_order_relaxed);
}

stack_allocation allocate_stack(stack_mode mode, std::size_t size) {
  std::size_t usable = size != 0 ? round_to_pages(size) : default_stack_size(mode);
  if (pool_gone) [[unlikely]]  // a fiber made during static destruction
    return map_guarded(usable);
  return this_thread_pool().take(mode, usable);
}

void release_stack(const stack_allocation& stack) noexcept {
  if (pool_gone) [[unlikely]] {
    // No pool to return to: a stack of its own is unmapped; a carved one
    // stays in its slab, which the pool left mapped because it was in use.
    unpoison(stack);
    if (!stack.carved) unmap_guarded(stack);
    else deregister_from_valgrind(stack);
    return;
  }
  this_thread_pool().give_back(stack);
}

}  // namespace detail
}  // namespace weft
