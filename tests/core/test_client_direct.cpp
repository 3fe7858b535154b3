// The session's direct stream, client side (docs/PROTOCOL.md 11.1): what the
// server application sent this session arrives on its channel marked
// "direct", its offset counted in the session's own stream. The client keeps
// the offset of the last one delivered in order, sends it back in auth
// ("directOffset"), and starts it over when that stream does.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "client_script.h"
#include "core/codec_binary.h"
#include "sim_pair.h"

using namespace tether::core;
using namespace tether::test;
using namespace tether::test::script;

namespace {

Message direct_message(std::string channel, uint64_t seq, uint64_t offset) {
  Message m = stream_message(std::move(channel), seq, offset);
  m.direct = true;
  return m;
}

// The direct stream lost messages: history_lost without a channel.
Message direct_history_lost(std::string epoch) {
  Message m;
  m.type = MessageType::Error;
  m.code = "history_lost";
  m.reason = "history lost in messages the server sent this session";
  m.epoch = std::move(epoch);
  return m;
}

// Ready on "s1", wanting "c" at {e1, 11}, with direct messages delivered up to offset 9.
void make_ready_with_positions(ClientSession& c, TimeMs now) {
  REQUIRE(c.subscribe("c", now) == SendStatus::Ok);
  make_ready(c, now);
  feed(c, subscribed("c", "e1", 10), now);
  feed(c, stream_message("c", 1, 11), now);
  feed(c, direct_message("c", 2, 9), now);
  REQUIRE(c.subscriptions().direct_offset() == 9);
  REQUIRE(position_of(c, "c").offset == 11);
  drain_events(c);
  drain_sent(c);
}

}  // namespace

TEST_CASE("direct messages move only the direct offset, as they are delivered in order",
          "[core][session][cluster]") {
  ClientSession c(default_client_config(), 1);
  REQUIRE(c.subscribe("c", 0) == SendStatus::Ok);
  make_ready(c, 1);
  CHECK(c.subscriptions().direct_offset() == 0);
  feed(c, subscribed("c", "e1", 10), 2);
  feed(c, stream_message("c", 1, 11), 3);
  CHECK(position_of(c, "c").offset == 11);

  // On a wanted channel: the host gets it there, the channel's position stays.
  feed(c, direct_message("c", 2, 5), 4);
  std::vector<ClientEvent> events = drain_events(c);
  REQUIRE(delivered_ids(events) == std::vector<uint64_t>{1, 2});
  CHECK(events.back().channel == "c");
  CHECK(c.subscriptions().direct_offset() == 5);
  CHECK(position_of(c, "c").offset == 11);
  CHECK(position_of(c, "c").epoch == "e1");

  // On a channel nobody subscribed to: still the session's, and no position appears.
  feed(c, direct_message("reply", 3, 6), 5);
  CHECK(c.subscriptions().direct_offset() == 6);
  CHECK(c.subscriptions().position("reply") == nullptr);
  CHECK(c.subscriptions().positions() == 1);

  // Held behind a gap: not ours yet. The gap filled: the last one's offset.
  feed(c, direct_message("reply", 5, 8), 6);
  CHECK(c.receiver().buffered() == 1);
  CHECK(c.subscriptions().direct_offset() == 6);
  feed(c, direct_message("reply", 4, 7), 7);
  CHECK(delivered_ids(drain_events(c)) == std::vector<uint64_t>{3, 4, 5});
  CHECK(c.subscriptions().direct_offset() == 8);

  // A duplicate, one without an offset, an unreliable one, and a channel's
  // message do not move it; a deferred one neither, until delivered.
  feed(c, direct_message("reply", 5, 8), 8);
  feed(c, direct_message("reply", 6, 0), 9);
  Message unreliable = direct_message("reply", 0, 20);
  unreliable.require_ack = false;
  unreliable.base = 0;
  feed(c, unreliable, 10);
  feed(c, stream_message("c", 7, 12), 11);
  CHECK(delivered_ids(drain_events(c)) == std::vector<uint64_t>{6, 0, 7});
  CHECK(c.subscriptions().direct_offset() == 8);
  CHECK(position_of(c, "c").offset == 12);
  c.set_inbound_paused(true);
  feed(c, direct_message("reply", 8, 9), 12);
  CHECK(c.counters().deferred_reliable == 1);
  CHECK(c.subscriptions().direct_offset() == 8);
  c.set_inbound_paused(false);
  feed(c, direct_message("reply", 8, 9), 13);
  CHECK(c.subscriptions().direct_offset() == 9);
}

TEST_CASE("a binary record flagged direct moves the direct offset", "[core][session][cluster][binary]") {
  ClientSession c(default_client_config(), 1);
  REQUIRE(c.subscribe("c", 0) == SendStatus::Ok);
  c.connect(1);
  c.handle_open(1);
  drain_sent(c);
  Message ok = auth_success("s1");
  ok.binary = true;
  feed(c, ok, 2);
  REQUIRE(c.binary_negotiated());
  feed(c, subscribed("c", "e1", 10), 3);
  std::string frame;
  encode_binary_channel_message("c", "\x01\x02", kWallOffset, 1, 1, frame, 4, true);
  encode_binary_channel_message("c", "\x03", kWallOffset, 2, 1, frame, 11);
  c.handle_binary(frame, 4);
  CHECK(delivered_ids(drain_events(c)) == std::vector<uint64_t>{1, 2});
  CHECK(c.subscriptions().direct_offset() == 4);
  CHECK(position_of(c, "c").offset == 11);
}

TEST_CASE("auth carries the direct offset when it presents the session", "[core][session][cluster]") {
  ClientSession c(default_client_config(), 1);
  c.connect(0);
  c.handle_open(1);
  const std::vector<Message> first = sent_of_type(drain_sent(c), MessageType::Auth);
  REQUIRE(first.size() == 1);
  CHECK(first[0].direct_offset == 0);  // a new session has no direct stream yet
  feed(c, auth_success("s1"), 2);
  drain_events(c);
  TimeMs now = 3;
  CHECK(drop_and_reopen(c, now).direct_offset == 0);  // none delivered yet
  feed(c, auth_success("s1", true), now);
  feed(c, direct_message("me", 1, 41), ++now);
  const Message auth = drop_and_reopen(c, now);
  CHECK(auth.session == "s1");
  CHECK(auth.last_seq == 1);
  CHECK(auth.direct_offset == 41);
}

TEST_CASE("history_lost without a channel starts the direct offset over", "[core][session][cluster]") {
  ClientSession c(default_client_config(), 1);
  make_ready_with_positions(c, 1);

  // Another code, or a channel's loss, leaves it alone.
  Message other = direct_history_lost("d2");
  other.code = "rate_limited";
  feed(c, other, 2);
  feed(c, history_lost("c", "e2"), 3);
  CHECK(c.subscriptions().direct_offset() == 9);
  CHECK(position_of(c, "c").epoch == "e2");
  CHECK(position_of(c, "c").offset == 0);
  drain_events(c);

  // The direct stream's loss: the host hears of it, channel positions stay.
  feed(c, stream_message("c", 3, 1), 4);
  feed(c, direct_history_lost("d2"), 5);
  CHECK(c.subscriptions().direct_offset() == 0);
  CHECK(position_of(c, "c").epoch == "e2");
  CHECK(position_of(c, "c").offset == 1);
  const std::vector<ClientEvent> events = drain_events(c);
  REQUIRE(count_kind(events, ClientEvent::Kind::Error) == 1);
  CHECK(events.back().code == "history_lost");
  // Without an epoch too: no channel is what names the direct stream.
  feed(c, direct_message("c", 4, 1), 6);
  CHECK(c.subscriptions().direct_offset() == 1);
  feed(c, direct_history_lost(""), 7);
  CHECK(c.subscriptions().direct_offset() == 0);
  TimeMs now = 8;
  CHECK(drop_and_reopen(c, now).direct_offset == 0);
}

TEST_CASE("a session the server did not resume starts the direct offset over, a resume keeps it",
          "[core][session][cluster]") {
  ClientSession c(default_client_config(), 1);
  make_ready_with_positions(c, 1);
  TimeMs now = 2;

  SECTION("plain resume") {
    CHECK(drop_and_reopen(c, now).direct_offset == 9);
    feed(c, auth_success("s1", true, false, 0), ++now);
    CHECK(c.subscriptions().direct_offset() == 9);
    CHECK(drop_and_reopen(c, now).direct_offset == 9);
  }
  SECTION("recovered resume: the new node continues the same direct stream") {
    CHECK(drop_and_reopen(c, now).direct_offset == 9);
    feed(c, auth_success("s1", true, true, 0), ++now);
    CHECK(c.subscriptions().direct_offset() == 9);
    CHECK(c.receiver().delivered_up_to() == 0);
    // It numbers from 1: delivered, not a duplicate, and the offset moves on.
    feed(c, direct_message("me", 1, 10), ++now);
    CHECK(delivered_ids(drain_events(c)) == std::vector<uint64_t>{1});
    CHECK(c.subscriptions().direct_offset() == 10);
    CHECK(drop_and_reopen(c, now).direct_offset == 10);
  }
  SECTION("not resumed: a new session, a new direct stream; channel positions stay") {
    drop_and_reopen(c, now);
    feed(c, auth_success("s2"), ++now);
    CHECK(c.subscriptions().direct_offset() == 0);
    CHECK(position_of(c, "c").offset == 11);
    const Message auth = drop_and_reopen(c, now);
    CHECK(auth.session == "s2");
    CHECK(auth.direct_offset == 0);
  }
  SECTION("resumed, but not the session presented: a new one") {
    drop_and_reopen(c, now);
    feed(c, auth_success("other", true, true, 0), ++now);
    CHECK(c.subscriptions().direct_offset() == 0);
  }
  SECTION("host close: a new session, nothing kept") {
    c.close(now);
    CHECK(c.subscriptions().direct_offset() == 0);
    CHECK(c.subscriptions().positions() == 0);
    c.connect(++now);
    c.handle_open(now);
    const std::vector<Message> auth = sent_of_type(drain_sent(c), MessageType::Auth);
    REQUIRE(auth.size() == 1);
    CHECK(auth[0].session.empty());
    CHECK(auth[0].direct_offset == 0);
  }
}
