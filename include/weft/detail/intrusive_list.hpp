// Two intrusive containers the loop and its waiters use, so that queueing
// and waking allocate nothing: a FIFO (singly linked, O(1) push-back and
// pop-front) and a doubly linked list (O(1) unlink from anywhere, for
// waiters that leave a queue on timeout or cancellation).
#pragma once

#include <cstddef>

#include "weft/detail/fatal.hpp"

namespace weft::detail {

// T has a member `T* next_in_fifo`.
template <class T>
class fifo {
 public:
  bool empty() const noexcept { return head_ == nullptr; }
  std::size_t size() const noexcept { return size_; }
  T* front() const noexcept { return head_; }

  void push_back(T* item) noexcept {
    item->next_in_fifo = nullptr;
    if (tail_) tail_->next_in_fifo = item;
    else head_ = item;
    tail_ = item;
    ++size_;
  }

  // Precondition: not empty.
  T* pop_front() noexcept {
    WEFT_DASSERT(head_ != nullptr, "fifo::pop_front on an empty queue");
    T* item = head_;
    head_ = item->next_in_fifo;
    if (head_ == nullptr) tail_ = nullptr;
    --size_;
    return item;
  }

 private:
  T* head_ = nullptr;
  T* tail_ = nullptr;
  std::size_t size_ = 0;
};

// Base for nodes of a doubly linked list; a node is in at most one list.
struct list_hook {
  list_hook* prev = nullptr;
  list_hook* next = nullptr;
  bool linked() const noexcept { return prev != nullptr; }
};

// Circular with a sentinel. T derives from list_hook.
template <class T>
class list {
 public:
  list() noexcept { root_.prev = root_.next = &root_; }
  list(const list&) = delete;
  list& operator=(const list&) = delete;

  bool empty() const noexcept { return root_.next == &root_; }
  std::size_t size() const noexcept { return size_; }
  T* front() const noexcept { return empty() ? nullptr : static_cast<T*>(root_.next); }

  // Precondition: node is in no list.
  void push_back(T* node) noexcept {
    list_hook* h = node;
    WEFT_DASSERT(!h->linked(), "list::push_back of a node that is already in a list");
    h->prev = root_.prev;
    h->next = &root_;
    root_.prev->next = h;
    root_.prev = h;
    ++size_;
  }

  // Precondition: node is in this list.
  void erase(T* node) noexcept {
    list_hook* h = node;
    WEFT_DASSERT(h->linked() && h->prev->next == h && h->next->prev == h, "list::erase of a node that is in no list");
    h->prev->next = h->next;
    h->next->prev = h->prev;
    h->prev = h->next = nullptr;
    --size_;
  }

  T* pop_front() noexcept {
    T* node = front();
    if (node) erase(node);
    return node;
  }

  template <class F>
  void for_each(F&& f) const {
    for (list_hook* h = root_.next; h != &root_;) {
      list_hook* next = h->next;  // f may erase h
      f(static_cast<T*>(h));
      h = next;
    }
  }

 private:
  list_hook root_;
  std::size_t size_ = 0;
};

}  // namespace weft::detail
