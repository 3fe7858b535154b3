// RingQueue: the per-session FIFO that allocates nothing until used and
// gives a burst's memory back once it drains.
#include <catch2/catch.hpp>

#include <string>

#include "core/ring_queue.h"

using tether::core::RingQueue;

TEST_CASE("a ring queue is first in, first out across wraps and growth", "[ring_queue]") {
  RingQueue<int> q;
  CHECK(q.capacity() == 0);  // nothing allocated until the first push
  int next_in = 0, next_out = 0;
  // Interleave so the head moves around the array while it grows.
  for (int round = 0; round < 50; ++round) {
    for (int i = 0; i < 3 + round % 7; ++i) q.push_back(next_in++);
    for (int i = 0; i < 2 + round % 5 && !q.empty(); ++i) {
      REQUIRE(q.front() == next_out++);
      q.pop_front();
    }
    REQUIRE(q.size() == static_cast<size_t>(next_in - next_out));
    if (!q.empty()) {
      CHECK(q.back() == next_in - 1);
      CHECK(q[q.size() - 1] == next_in - 1);
    }
    int expected = next_out;
    for (int v : q) REQUIRE(v == expected++);
    REQUIRE(expected == next_in);
  }
}

TEST_CASE("a drained ring queue gives a burst's memory back but keeps a small array", "[ring_queue]") {
  RingQueue<std::string> q;
  for (int i = 0; i < 1000; ++i) q.push_back(std::string(100, 'x'));
  CHECK(q.capacity() >= 1000);
  while (!q.empty()) q.pop_front();
  CHECK(q.capacity() == 0);

  for (int i = 0; i < 3; ++i) q.push_back("small");
  const size_t small = q.capacity();
  CHECK(small > 0);
  CHECK(small <= RingQueue<std::string>::kRetainedCapacity);
  q.clear();
  CHECK(q.capacity() == small);  // steady small traffic does not reallocate
  q.push_back("again");
  CHECK(q.front() == "again");
}

TEST_CASE("a ring queue pops at both ends and swaps", "[ring_queue]") {
  RingQueue<std::string> q;
  q.push_back(std::string(4096, 'a'));
  q.push_back("b");
  q.push_back("c");
  q.pop_front();
  q.push_back("d");
  q.pop_back();
  CHECK(q.size() == 2);
  CHECK(q.front() == "b");
  CHECK(q.back() == "c");

  RingQueue<std::string> other;
  other.push_back("x");
  q.swap(other);
  CHECK(q.size() == 1);
  CHECK(q.front() == "x");
  CHECK(other.size() == 2);
  CHECK(other.front() == "b");
}

TEST_CASE("ring queue: release frees an empty queue's array and leaves a non-empty one alone", "[ring_queue]") {
  RingQueue<int> queue;
  for (int i = 0; i < 3; ++i) queue.push_back(int(i));
  queue.pop_front();  // the head is now off index 0
  queue.release();    // not empty: nothing changes
  REQUIRE(queue.size() == 2);
  CHECK(queue.front() == 1);
  CHECK(queue.back() == 2);
  CHECK(queue.capacity() == 4);
  queue.pop_front();
  queue.pop_front();
  CHECK(queue.capacity() == 4);  // small arrays are kept when a queue drains...
  queue.release();
  CHECK(queue.capacity() == 0);  // ...until released
  queue.push_back(7);
  CHECK(queue.front() == 7);
}
