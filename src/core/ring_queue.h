#pragma once
// A FIFO over one growable circular array, for the per-session queues that
// are empty most of the time. std::deque would do the job, but libstdc++'s
// allocates a 512-byte block (plus its map) the moment it is constructed,
// and a server holds several such queues for every idle connection. This one
// allocates on first use and gives its memory back once it drains, if it had
// grown past a few entries (an idle session must not keep a burst's array).
//
// Moved-from slots are reset to T{} at once, so a popped element releases
// what it owned (a payload string) immediately. T must be default
// constructible and move assignable.
#include <cstddef>
#include <utility>
#include <vector>

namespace tether::core {

template <typename T>
class RingQueue {
 public:
  // Capacity kept when the queue drains; more is released.
  static constexpr size_t kRetainedCapacity = 8;

  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }
  size_t capacity() const { return slots_.size(); }

  T& front() { return slots_[head_]; }
  const T& front() const { return slots_[head_]; }
  T& back() { return (*this)[size_ - 1]; }
  const T& back() const { return (*this)[size_ - 1]; }
  T& operator[](size_t i) { return slots_[wrap(head_ + i)]; }
  const T& operator[](size_t i) const { return slots_[wrap(head_ + i)]; }

  void push_back(T&& item) {
    if (size_ == slots_.size()) grow();
    slots_[wrap(head_ + size_)] = std::move(item);
    ++size_;
  }
  void push_back(const T& item) { push_back(T(item)); }
  void pop_front() {
    slots_[head_] = T{};
    head_ = wrap(head_ + 1);
    if (--size_ == 0) drained();
  }
  void pop_back() {
    (*this)[size_ - 1] = T{};
    if (--size_ == 0) drained();
  }
  void clear() {
    for (size_t i = 0; i < size_; ++i) (*this)[i] = T{};
    size_ = 0;
    drained();
  }
  // Gives the array back even if it is small; only when empty.
  void release() {
    if (size_ != 0) return;
    std::vector<T>().swap(slots_);
    head_ = 0;
  }
  void swap(RingQueue& other) noexcept {
    slots_.swap(other.slots_);
    std::swap(head_, other.head_);
    std::swap(size_, other.size_);
  }

  template <typename Queue, typename Value>
  class Iterator {
   public:
    Iterator(Queue* queue, size_t index) : queue_(queue), index_(index) {}
    Value& operator*() const { return (*queue_)[index_]; }
    Value* operator->() const { return &(*queue_)[index_]; }
    Iterator& operator++() {
      ++index_;
      return *this;
    }
    bool operator==(const Iterator& o) const { return index_ == o.index_; }
    bool operator!=(const Iterator& o) const { return index_ != o.index_; }

   private:
    Queue* queue_;
    size_t index_;
  };
  using iterator = Iterator<RingQueue, T>;
  using const_iterator = Iterator<const RingQueue, const T>;
  iterator begin() { return {this, 0}; }
  iterator end() { return {this, size_}; }
  const_iterator begin() const { return {this, 0}; }
  const_iterator end() const { return {this, size_}; }

 private:
  // Capacity is 0 or a power of two.
  size_t wrap(size_t i) const { return i & (slots_.size() - 1); }

  void grow() {
    std::vector<T> bigger(slots_.empty() ? 4 : slots_.size() * 2);
    for (size_t i = 0; i < size_; ++i) bigger[i] = std::move((*this)[i]);
    slots_.swap(bigger);
    head_ = 0;
  }

  void drained() {
    head_ = 0;
    if (slots_.size() > kRetainedCapacity) std::vector<T>().swap(slots_);
  }

  std::vector<T> slots_;
  size_t head_ = 0;
  size_t size_ = 0;
};

}  // namespace tether::core
