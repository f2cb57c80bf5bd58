// A std::mutex that clang's -Wthread-safety can reason about, and the
// macros that name what it guards. libstdc++'s std::mutex carries no
// capability attributes, so clang cannot check `GUARDED_BY(std_mutex)`;
// weft's own mutexes (the loop's remote queue, the executor pool, the debug
// registry and dump-signal table) use this wrapper instead, and the clang
// build compiles with -Wthread-safety -Werror. With GCC the macros expand
// to nothing and the wrapper is a plain std::mutex.
//
// Internal to weft's sources; not installed.
#pragma once

#include <mutex>

#if defined(__clang__)
#define WEFT_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define WEFT_THREAD_ANNOTATION(x)
#endif

#define WEFT_CAPABILITY(name) WEFT_THREAD_ANNOTATION(capability(name))
#define WEFT_SCOPED_CAPABILITY WEFT_THREAD_ANNOTATION(scoped_lockable)
#define WEFT_GUARDED_BY(m) WEFT_THREAD_ANNOTATION(guarded_by(m))
#define WEFT_PT_GUARDED_BY(m) WEFT_THREAD_ANNOTATION(pt_guarded_by(m))
#define WEFT_REQUIRES(...) WEFT_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define WEFT_ACQUIRE(...) WEFT_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define WEFT_RELEASE(...) WEFT_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define WEFT_EXCLUDES(...) WEFT_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))

namespace weft::detail {

class WEFT_CAPABILITY("mutex") annotated_mutex {
 public:
  constexpr annotated_mutex() noexcept = default;
  annotated_mutex(const annotated_mutex&) = delete;
  annotated_mutex& operator=(const annotated_mutex&) = delete;

  void lock() WEFT_ACQUIRE() { m_.lock(); }
  void unlock() WEFT_RELEASE() { m_.unlock(); }

 private:
  friend class unique_lock;
  std::mutex m_;
};

// std::lock_guard for annotated_mutex.
class WEFT_SCOPED_CAPABILITY lock_guard {
 public:
  explicit lock_guard(annotated_mutex& m) WEFT_ACQUIRE(m) : m_(m) { m_.lock(); }
  ~lock_guard() WEFT_RELEASE() { m_.unlock(); }
  lock_guard(const lock_guard&) = delete;
  lock_guard& operator=(const lock_guard&) = delete;

 private:
  annotated_mutex& m_;
};

// std::unique_lock for annotated_mutex, for condition variables: native()
// is the std::unique_lock a std::condition_variable waits with. A wait
// releases and retakes the mutex inside the call, so to the analysis the
// capability is held throughout, which is what the caller's code sees.
class WEFT_SCOPED_CAPABILITY unique_lock {
 public:
  explicit unique_lock(annotated_mutex& m) WEFT_ACQUIRE(m) : lock_(m.m_) {}
  ~unique_lock() WEFT_RELEASE() = default;
  unique_lock(const unique_lock&) = delete;
  unique_lock& operator=(const unique_lock&) = delete;

  void lock() WEFT_ACQUIRE() { lock_.lock(); }
  void unlock() WEFT_RELEASE() { lock_.unlock(); }
  std::unique_lock<std::mutex>& native() noexcept { return lock_; }

 private:
  std::unique_lock<std::mutex> lock_;
};

}  // namespace weft::detail
