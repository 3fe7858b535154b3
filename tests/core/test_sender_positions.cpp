// Cluster positions in the reliable sender (docs/PROTOCOL.md 11.1): a
// message's offset and direct mark go out with every transmission of it,
// first, retransmitted or renumbered, survive a snapshot, and reach both
// kinds of frame through the session outbox.
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "codec_helpers.h"
#include "core/codec_binary.h"
#include "core/reliable_sender.h"
#include "core/session_outbox.h"

using namespace tether::core;
using namespace tether::test::codec;

namespace {

constexpr uint64_t kMaxU64 = std::numeric_limits<uint64_t>::max();

Decoded decode_binary(const std::string& frame) {
  Decoded d;
  d.error = decode_binary_frame(frame, CodecLimits{}, d.messages, d.issues);
  return d;
}

ReliableConfig sender_config() {
  ReliableConfig c;
  c.ack_timeout_ms = 100;
  c.max_retries = 3;
  return c;
}

std::vector<TransmitView> transmit_all(ReliableSender& s, TimeMs now) {
  std::vector<TransmitView> out;
  TransmitView v;
  while (s.next_transmit(now, v)) out.push_back(v);
  return out;
}

}  // namespace

TEST_CASE("positions: a sender entry keeps its offset through transmit and retransmit",
          "[core][reliable][positions]") {
  ReliableSender s(sender_config());
  REQUIRE(s.enqueue(1, "c", "1", true, 10, PayloadKind::Json, 500) == ReliableSender::EnqueueResult::Ok);
  REQUIRE(s.enqueue(0, "c", "2", false, 11, PayloadKind::Json, 501) == ReliableSender::EnqueueResult::Ok);
  REQUIRE(s.enqueue(2, "c", "3", true, 12, PayloadKind::Binary, kMaxU64) == ReliableSender::EnqueueResult::Ok);
  REQUIRE(s.enqueue(3, "c", "4", true, 13) == ReliableSender::EnqueueResult::Ok);  // none
  s.activate(false, 0);
  const auto first = transmit_all(s, 0);
  REQUIRE(first.size() == 4);
  CHECK(first[0].offset == 500);
  CHECK(first[1].offset == 501);
  CHECK(first[1].seq == 0);
  CHECK(first[2].offset == kMaxU64);
  CHECK(first[3].offset == 0);

  s.handle_timeout(100);  // every ack timer fires: all three reliable ones go again
  const auto again = transmit_all(s, 100);
  REQUIRE(again.size() == 3);
  CHECK(again[0].retransmission);
  CHECK(again[0].offset == 500);
  CHECK(again[1].offset == kMaxU64);
  CHECK(again[2].offset == 0);

  // A new connection whose peer lost its state renumbers, and keeps offsets.
  s.deactivate();
  s.activate(false, 0);
  const auto renumbered = transmit_all(s, 200);
  REQUIRE(renumbered.size() == 3);
  CHECK(renumbered[0].seq == 1);
  CHECK(renumbered[0].offset == 500);
  CHECK(renumbered[1].seq == 2);
  CHECK(renumbered[1].offset == kMaxU64);

  SECTION("a snapshot carries the offsets, in flight and queued") {
    REQUIRE(s.enqueue(4, "c", "5", true, 14, PayloadKind::Json, 502) == ReliableSender::EnqueueResult::Ok);
    const ReliableSender::Snapshot snap = s.snapshot();
    REQUIRE(snap.in_flight.size() == 3);
    CHECK(snap.in_flight[0].offset == 500);
    REQUIRE(snap.queued.size() == 1);
    CHECK(snap.queued[0].offset == 502);
    ReliableSender restored(sender_config());
    restored.restore(snap);
    restored.activate(true, 0);
    const auto out = transmit_all(restored, 300);
    REQUIRE(out.size() == 4);
    CHECK(out[0].offset == 500);
    CHECK(out[1].offset == kMaxU64);
    CHECK(out[2].offset == 0);
    CHECK(out[3].offset == 502);
  }
}

TEST_CASE("positions: the session outbox encodes a transmission's offset in both kinds of frame",
          "[core][reliable][positions]") {
  SessionOutbox outbox(1 << 20);
  TransmitView view{"room", "[1]", 7, 3, 2, false, PayloadKind::Json, 99};
  outbox.queue_channel(view);
  view.payload = PayloadKind::Binary;
  view.data = "raw";
  outbox.queue_channel(view);
  std::string frame;
  FrameKind kind = FrameKind::Text;
  REQUIRE(outbox.pop_frame(frame, kind));
  REQUIRE(kind == FrameKind::Text);
  const Message text = decode_one(frame);
  CHECK(text.offset == 99);
  CHECK(text.id == 3);
  REQUIRE(outbox.pop_frame(frame, kind));
  REQUIRE(kind == FrameKind::Binary);
  const Decoded binary = decode_binary(frame);
  REQUIRE(binary.messages.size() == 1);
  CHECK(binary.messages[0].offset == 99);
  CHECK(binary.messages[0].data == "raw");
}

TEST_CASE("positions: a sender entry keeps its direct mark through transmit, retransmit and snapshot",
          "[core][reliable][positions]") {
  ReliableSender s(sender_config());
  REQUIRE(s.enqueue(1, "c", "1", true, 10, PayloadKind::Json, 500, true) == ReliableSender::EnqueueResult::Ok);
  REQUIRE(s.enqueue(2, "c", "2", true, 11, PayloadKind::Json, 7) == ReliableSender::EnqueueResult::Ok);
  REQUIRE(s.enqueue(0, "c", "3", false, 12, PayloadKind::Binary, 0, true) == ReliableSender::EnqueueResult::Ok);
  REQUIRE(s.enqueue(3, "c", "4", true, 13, PayloadKind::Binary, 501, true) == ReliableSender::EnqueueResult::Ok);
  s.activate(false, 0);
  const auto first = transmit_all(s, 0);
  REQUIRE(first.size() == 4);
  CHECK(first[0].direct);
  CHECK(first[0].offset == 500);
  CHECK_FALSE(first[1].direct);
  CHECK(first[1].offset == 7);
  CHECK(first[2].direct);  // unreliable: from the view's backing entry
  CHECK(first[2].seq == 0);
  CHECK(first[3].direct);

  s.handle_timeout(100);
  const auto again = transmit_all(s, 100);
  REQUIRE(again.size() == 3);
  CHECK(again[0].retransmission);
  CHECK(again[0].direct);
  CHECK_FALSE(again[1].direct);
  CHECK(again[2].direct);
  CHECK(again[2].offset == 501);

  s.deactivate();
  s.activate(false, 0);  // renumbered, marks kept
  const auto renumbered = transmit_all(s, 200);
  REQUIRE(renumbered.size() == 3);
  CHECK(renumbered[0].seq == 1);
  CHECK(renumbered[0].direct);
  CHECK_FALSE(renumbered[1].direct);

  REQUIRE(s.enqueue(4, "c", "5", true, 14, PayloadKind::Json, 502, true) == ReliableSender::EnqueueResult::Ok);
  const ReliableSender::Snapshot snap = s.snapshot();
  REQUIRE(snap.in_flight.size() == 3);
  CHECK(snap.in_flight[0].direct);
  CHECK_FALSE(snap.in_flight[1].direct);
  REQUIRE(snap.queued.size() == 1);
  CHECK(snap.queued[0].direct);
  ReliableSender restored(sender_config());
  restored.restore(snap);
  restored.activate(true, 0);
  const auto out = transmit_all(restored, 300);
  REQUIRE(out.size() == 4);
  CHECK(out[0].direct);
  CHECK_FALSE(out[1].direct);
  CHECK(out[2].direct);
  CHECK(out[3].direct);
  CHECK(out[3].offset == 502);
}

TEST_CASE("positions: the session outbox encodes a transmission's direct mark in both kinds of frame",
          "[core][reliable][positions]") {
  SessionOutbox outbox(1 << 20);
  TransmitView view{"room", "[1]", 7, 3, 2, false, PayloadKind::Json, 99, true};
  outbox.queue_channel(view);
  view.payload = PayloadKind::Binary;
  view.data = "raw";
  outbox.queue_channel(view);
  std::string frame;
  FrameKind kind = FrameKind::Text;
  REQUIRE(outbox.pop_frame(frame, kind));
  REQUIRE(kind == FrameKind::Text);
  CHECK(frame == R"({"channel":"room","data":[1],"timestamp":7,"id":3,"requireAck":true,"base":2,"offset":99,"direct":true})");
  CHECK(decode_one(frame).direct);
  REQUIRE(outbox.pop_frame(frame, kind));
  REQUIRE(kind == FrameKind::Binary);
  const Decoded binary = decode_binary(frame);
  REQUIRE(binary.messages.size() == 1);
  CHECK(binary.messages[0].direct);
  CHECK(binary.messages[0].offset == 99);
}
