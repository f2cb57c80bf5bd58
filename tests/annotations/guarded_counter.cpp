// Compiled by ctest, not linked: clang's -Wthread-safety must accept the
// locked forms below and, with WEFT_UNLOCKED_ACCESS defined, reject the
// unlocked one. Proves that src/annotated_mutex.hpp's annotations reach the
// analysis (a wrapper whose attributes were lost would compile silently).
#include "annotated_mutex.hpp"

#include <condition_variable>

namespace {

class guarded_counter {
 public:
  void add() {
    weft::detail::lock_guard lock(m_);
    ++count_;
  }
  void wait_for_one() {
    weft::detail::unique_lock lock(m_);
    while (count_ == 0) changed_.wait(lock.native());
    lock.unlock();
    lock.lock();
    --count_;
  }
#ifdef WEFT_UNLOCKED_ACCESS
  int peek() const { return count_; }
#endif

 private:
  mutable weft::detail::annotated_mutex m_;
  std::condition_variable changed_;
  int count_ WEFT_GUARDED_BY(m_) = 0;
};

}  // namespace

void use_guarded_counter() {
  guarded_counter c;
  c.add();
  c.wait_for_one();
}
