#include <catch2/catch.hpp>

#include <map>
#include <string>

#include "core/reliable_receiver.h"
#include "core/reliable_sender.h"

using namespace tether::core;

namespace {
ReliableConfig small_config() {
  ReliableConfig c;
  c.ack_timeout_ms = 100;
  c.max_retries = 2;
  c.max_in_flight = 4;
  c.queue_max_messages = 8;
  c.queue_max_bytes = 1000;
  return c;
}

std::vector<TransmitView> transmit_all(ReliableSender& s, TimeMs now) {
  std::vector<TransmitView> out;
  TransmitView v;
  while (s.next_transmit(now, v)) out.push_back(v);
  return out;
}

std::map<uint64_t, std::vector<SendOutcome>> resolutions(ReliableSender& s) {
  std::map<uint64_t, std::vector<SendOutcome>> out;
  SendResolution r;
  while (s.poll_resolution(r)) out[r.message_id].push_back(r.outcome);
  return out;
}

Message reliable(uint64_t seq, uint64_t base = 0) {
  Message m;
  m.channel = "c";
  m.data = std::to_string(seq);
  m.id = seq;
  m.require_ack = true;
  m.base = base;
  return m;
}
}  // namespace

TEST_CASE("the offline queue is bounded by count and bytes and never drops silently", "[core][reliable]") {
  ReliableSender s(small_config());
  for (uint64_t i = 1; i <= 8; ++i) CHECK(s.enqueue(i, "c", "1", true, 0) == ReliableSender::EnqueueResult::Ok);
  CHECK(s.enqueue(9, "c", "1", true, 0) == ReliableSender::EnqueueResult::QueueFull);
  CHECK(s.queued_messages() == 8);

  ReliableSender bytes(small_config());
  const std::string big(600, 'x');
  CHECK(bytes.enqueue(1, "c", big, true, 0) == ReliableSender::EnqueueResult::Ok);
  CHECK(bytes.enqueue(2, "c", big, true, 0) == ReliableSender::EnqueueResult::QueueFull);
  CHECK(bytes.queued_bytes() == 601);
  // Nothing goes out while inactive (offline).
  CHECK(transmit_all(bytes, 0).empty());
}

TEST_CASE("messages leave the queue in order, limited by the in-flight window", "[core][reliable]") {
  ReliableSender s(small_config());
  for (uint64_t i = 1; i <= 6; ++i) s.enqueue(100 + i, "c", std::to_string(i), true, 0);
  s.activate(false, 0);
  auto sent = transmit_all(s, 0);
  REQUIRE(sent.size() == 4);
  for (size_t i = 0; i < 4; ++i) {
    CHECK(sent[i].seq == i + 1);
    CHECK(sent[i].base == 1);
    CHECK(sent[i].data == std::to_string(i + 1));
  }
  s.handle_ack(2, 0);
  auto more = transmit_all(s, 1);
  REQUIRE(more.size() == 2);
  CHECK(more[0].seq == 5);
  CHECK(more[0].base == 3);
  auto r = resolutions(s);
  CHECK(r.size() == 2);
  CHECK(r[101] == std::vector<SendOutcome>{SendOutcome::Acked});
  CHECK(r[102] == std::vector<SendOutcome>{SendOutcome::Acked});
}

TEST_CASE("every reliable send resolves exactly once, even with repeated acks", "[core][reliable]") {
  ReliableSender s(small_config());
  for (uint64_t i = 1; i <= 3; ++i) s.enqueue(i, "c", "0", true, 0);
  s.activate(false, 0);
  transmit_all(s, 0);
  s.handle_ack(0, 2);  // selective
  s.handle_ack(3, 0);  // cumulative, covers 2 again
  s.handle_ack(3, 2);  // duplicate
  auto r = resolutions(s);
  REQUIRE(r.size() == 3);
  for (auto& entry : r) CHECK(entry.second == std::vector<SendOutcome>{SendOutcome::Acked});
  CHECK(s.in_flight() == 0);
  CHECK(s.next_timeout() <= 100);  // stale deadlines may remain: an early wake is harmless
  s.handle_timeout(1000);
  CHECK(resolutions(s).empty());
}

TEST_CASE("ack timeouts retransmit, then fail after max retries and move base past", "[core][reliable]") {
  ReliableSender s(small_config());
  s.enqueue(1, "c", "a", true, 0);
  s.enqueue(2, "c", "b", true, 0);
  s.activate(false, 0);
  transmit_all(s, 0);
  s.handle_ack(0, 2);  // only #2 gets through
  CHECK(s.next_timeout() == 100);
  s.handle_timeout(100);
  auto retry1 = transmit_all(s, 100);
  REQUIRE(retry1.size() == 1);
  CHECK(retry1[0].seq == 1);
  CHECK(retry1[0].retransmission);
  s.handle_timeout(200);
  REQUIRE(transmit_all(s, 200).size() == 1);
  s.handle_timeout(300);  // third timeout: retries (2) exhausted
  CHECK(transmit_all(s, 300).empty());
  auto r = resolutions(s);
  CHECK(r[1] == std::vector<SendOutcome>{SendOutcome::TimedOut});
  CHECK(r[2] == std::vector<SendOutcome>{SendOutcome::Acked});
  CHECK(s.lowest_unresolved_seq() == 3);
  CHECK(s.retransmissions() == 2);
}

TEST_CASE("ack timers pause while offline, a resume acks what the peer already has", "[core][reliable]") {
  ReliableSender s(small_config());
  for (uint64_t i = 1; i <= 4; ++i) s.enqueue(i, "c", "0", true, 0);
  s.activate(false, 0);
  transmit_all(s, 0);
  s.deactivate();
  s.handle_timeout(10'000);  // offline for long: no retries counted, nothing fails
  CHECK(resolutions(s).empty());
  s.activate(true, 2);  // peer delivered 1..2, acks were lost
  auto r = resolutions(s);
  CHECK(r.size() == 2);
  CHECK(r[1] == std::vector<SendOutcome>{SendOutcome::Acked});
  auto resent = transmit_all(s, 10'000);
  REQUIRE(resent.size() == 2);
  CHECK(resent[0].seq == 3);
  CHECK(resent[1].seq == 4);
}

TEST_CASE("a fresh peer session renumbers in-flight messages from 1, in order", "[core][reliable]") {
  ReliableSender s(small_config());
  for (uint64_t i = 1; i <= 3; ++i) s.enqueue(10 + i, "c", std::to_string(i), true, 0);
  s.activate(false, 0);
  transmit_all(s, 0);
  s.handle_ack(1, 0);
  s.deactivate();
  s.activate(false, 0);
  auto resent = transmit_all(s, 5);
  REQUIRE(resent.size() == 2);
  CHECK(resent[0].seq == 1);
  CHECK(resent[0].data == "2");
  CHECK(resent[1].seq == 2);
  CHECK(resent[1].data == "3");
  CHECK(s.next_seq() == 3);
}

TEST_CASE("fail_all resolves queued and in-flight reliable sends once", "[core][reliable]") {
  ReliableSender s(small_config());
  for (uint64_t i = 1; i <= 6; ++i) s.enqueue(i, "c", "0", i != 3, 0);  // #3 unreliable
  s.activate(false, 0);
  transmit_all(s, 0);
  s.fail_all(SendOutcome::Closed);
  s.fail_all(SendOutcome::Closed);
  auto r = resolutions(s);
  CHECK(r.size() == 5);
  CHECK(r.count(3) == 0);
  for (auto& entry : r) CHECK(entry.second == std::vector<SendOutcome>{SendOutcome::Closed});
  CHECK(s.queued_messages() == 0);
  CHECK(s.in_flight() == 0);
}

TEST_CASE("receiver delivers in order, dedupes and fills gaps", "[core][reliable]") {
  ReliableReceiver r(8);
  std::vector<Message> ready;
  CHECK(r.accept(reliable(1, 1), ready) == ReliableReceiver::Verdict::Delivered);
  CHECK(r.accept(reliable(3, 1), ready) == ReliableReceiver::Verdict::Buffered);
  CHECK(r.accept(reliable(3, 1), ready) == ReliableReceiver::Verdict::Duplicate);
  CHECK(r.accept(reliable(1, 1), ready) == ReliableReceiver::Verdict::Duplicate);
  REQUIRE(ready.size() == 1);
  CHECK(r.delivered_up_to() == 1);
  CHECK(r.accept(reliable(2, 1), ready) == ReliableReceiver::Verdict::Delivered);
  REQUIRE(ready.size() == 3);
  CHECK(ready[1].id == 2);
  CHECK(ready[2].id == 3);
  CHECK(r.delivered_up_to() == 3);
  CHECK(r.duplicates() == 2);
  CHECK(r.ack_due());
}

// PROTOCOL.md 6.3: "If s <= delivered ... a duplicate. Drop it, but ack
// again", at the last sequence too, where delivered + 1 wraps to 0.
TEST_CASE("receiver at the last sequence treats everything as a duplicate", "[core][reliable]") {
  ReliableReceiver r(8);
  std::vector<Message> ready;
  constexpr uint64_t kLast = UINT64_MAX;
  CHECK(r.accept(reliable(kLast, kLast), ready) == ReliableReceiver::Verdict::Delivered);
  CHECK(r.delivered_up_to() == kLast);
  r.clear_ack_due();
  for (const uint64_t id : {uint64_t{3}, kLast - 1, kLast}) {
    INFO(id);
    Message again = reliable(id, 1);
    CHECK_FALSE(r.would_buffer(again));
    CHECK(r.accept(std::move(again), ready) == ReliableReceiver::Verdict::Duplicate);
    CHECK(r.delivered_up_to() == kLast);  // never moves back
    CHECK(r.ack_due());                   // acked again
    r.clear_ack_due();
  }
  CHECK(r.buffered_bytes() == 0);
  CHECK(ready.size() == 1);
}

TEST_CASE("receiver window is bounded, base skips messages the sender gave up on", "[core][reliable]") {
  ReliableReceiver r(4);
  std::vector<Message> ready;
  CHECK(r.accept(reliable(6, 1), ready) == ReliableReceiver::Verdict::OutOfWindow);
  CHECK(r.accept(reliable(3, 1), ready) == ReliableReceiver::Verdict::Buffered);
  CHECK(r.buffered() == 1);
  // The sender gave up on 1 and 2: base 3 releases 3 right away.
  r.accept(reliable(4, 3), ready);
  REQUIRE(ready.size() == 2);
  CHECK(ready[0].id == 3);
  CHECK(ready[1].id == 4);
  CHECK(r.delivered_up_to() == 4);
  r.reset();
  CHECK(r.delivered_up_to() == 0);
  CHECK(r.buffered() == 0);
}
