// The peer's frame limits (issue 8, defects 1 and 3): bursts are split to fit
// them, what can never fit fails once as TooLarge, and a 1009 close cannot
// start a reconnect loop. Virtual time through SimPair.
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <string>

#include "event_helpers.h"
#include "sim_pair.h"

using namespace tether::core;
using namespace tether::test;

namespace {

constexpr size_t kServerLimit = 64 * 1024;

// A server from before maxFrame/maxBatch: it enforces its limit with 1009.
void make_old_server(SimPair& p) {
  p.server_config.limits.max_frame_bytes = kServerLimit;
  p.server_advertises_limits = false;
  p.server_ws_max_frame = kServerLimit;
}

}  // namespace

TEST_CASE("a burst over the batch limit arrives whole", "[core][limits]") {
  ClientConfig config = default_client_config();
  config.reliable.max_in_flight = 4096;  // everything leaves in the first turn
  SimPair p(config);
  for (uint64_t i = 1; i <= 4096; ++i) {
    REQUIRE(p.client.send("c", std::to_string(i), i % 2 == 0, i, p.now) == SendStatus::Ok);
  }
  for (int i = 0; i < 20; ++i) REQUIRE(p.client.subscribe("room:" + std::to_string(i), p.now) == SendStatus::Ok);
  p.connect();
  REQUIRE(p.run_until([&] { return count_events(p, ClientEvent::Kind::Acked) == 2048; }, 5000));
  p.advance(100);
  CHECK(count_server_events(p, ServerEvent::Kind::Publish) == 4096);
  CHECK(count_server_events(p, ServerEvent::Kind::Subscribed) == 20);
  CHECK(count_server_events(p, ServerEvent::Kind::Error) == 0);  // no batch_too_long
  CHECK(count_events(p, ClientEvent::Kind::Subscribed) == 20);
  CHECK(p.client.counters().frames_sent >= 3);  // auth, then at least two batches
}

TEST_CASE("10,000 subscriptions made offline all reach the server", "[core][limits]") {
  SimPair p;
  p.server_config.client_limits.max_subscriptions = 10000;  // the default cap is 1024
  for (int i = 0; i < 10000; ++i) REQUIRE(p.client.subscribe("room:" + std::to_string(i), p.now) == SendStatus::Ok);
  p.connect();
  REQUIRE(p.run_until([&] { return count_events(p, ClientEvent::Kind::Subscribed) == 10000; }, 5000));
  CHECK(p.server()->state()->subscriptions.size() == 10000);
  CHECK(count_server_events(p, ServerEvent::Kind::Error) == 0);
}

TEST_CASE("the server's advertised limits bound sends and batches", "[core][limits]") {
  SimPair p;
  p.server_config.limits.max_frame_bytes = kServerLimit;
  p.server_config.limits.max_batch = 10;
  CHECK(p.client.frame_limit() == (1u << 20));  // unknown yet: our own
  p.connect();
  REQUIRE(p.run_until([&] { return is_ready(p); }, 1000));
  CHECK(p.client.frame_limit() == kServerLimit);

  CHECK(p.client.send("c", payload_of(kServerLimit), true, 1, p.now) == SendStatus::TooLarge);
  CHECK(p.client.sender().queued_messages() == 0);
  // The bound the server refuses a publish by: its delivery with an offset
  // and "direct" (docs/PROTOCOL.md 3.7). The bound counts data >= 4.
  const size_t largest = kServerLimit - channel_message_bound("c", 0, true) + 4;
  REQUIRE(channel_message_bound("c", largest, true) == kServerLimit);
  CHECK(p.client.send("c", payload_of(largest + 1), true, 2, p.now) == SendStatus::TooLarge);
  CHECK(p.client.send("c", payload_of(largest), true, 2, p.now) == SendStatus::Ok);
  // Three that fit only one per frame, and 25 small ones: 10 per batch at most.
  for (uint64_t i = 3; i < 6; ++i) REQUIRE(p.client.send("c", payload_of(30000), false, i, p.now) == SendStatus::Ok);
  for (uint64_t i = 6; i < 31; ++i) REQUIRE(p.client.send("c", "1", false, i, p.now) == SendStatus::Ok);
  REQUIRE(p.run_until([&] { return count_server_events(p, ServerEvent::Kind::Publish) == 29; }, 2000));
  REQUIRE(p.run_until([&] { return count_events(p, ClientEvent::Kind::Acked) == 1; }, 2000));
  CHECK(count_server_events(p, ServerEvent::Kind::Error) == 0);
  CHECK(count_events(p, ClientEvent::Kind::Error) == 0);
}

TEST_CASE("sends queued offline that the server's limit cannot take fail once as TooLarge",
          "[core][limits]") {
  SimPair p;
  p.server_config.limits.max_frame_bytes = kServerLimit;
  // Offline, only our own 1 MiB limit is known: all three are accepted.
  REQUIRE(p.client.send("c", payload_of(100000), true, 1, p.now) == SendStatus::Ok);
  REQUIRE(p.client.send("c", payload_of(100000), false, 0, p.now) == SendStatus::Ok);
  REQUIRE(p.client.send("c", "3", true, 3, p.now) == SendStatus::Ok);
  p.connect();
  REQUIRE(p.run_until([&] { return count_events(p, ClientEvent::Kind::Acked) == 1; }, 2000));
  p.advance(60000);
  SendOutcome outcome = SendOutcome::Acked;
  CHECK(count_failures(p, 1, &outcome) == 1);
  CHECK(outcome == SendOutcome::TooLarge);
  CHECK(last_event(p, ClientEvent::Kind::Acked)->message_id == 3);
  const ClientEvent* error = last_event(p, ClientEvent::Kind::Error);
  REQUIRE(error != nullptr);
  CHECK(error->code == "too_large");  // the unreliable one, dropped with a reason
  CHECK(count_server_events(p, ServerEvent::Kind::Publish) == 1);
  CHECK(count_states(p, ClientState::Connecting) == 1);
}

TEST_CASE("a 1009 from a server that does not advertise fails the message, not the session",
          "[core][limits]") {
  SimPair p;
  make_old_server(p);
  p.connect();
  REQUIRE(p.run_until([&] { return is_ready(p); }, 1000));
  CHECK(p.client.frame_limit() == (1u << 20));
  REQUIRE(p.client.send("c", payload_of(100000), true, 1, p.now) == SendStatus::Ok);
  p.advance(5);
  REQUIRE(p.client.send("c", "2", true, 2, p.now) == SendStatus::Ok);
  REQUIRE(p.run_until([&] { return count_events(p, ClientEvent::Kind::Acked) == 1; }, 5000));
  p.advance(120000);
  SendOutcome outcome = SendOutcome::Acked;
  CHECK(count_failures(p, 1, &outcome) == 1);
  CHECK(outcome == SendOutcome::TooLarge);
  CHECK(last_event(p, ClientEvent::Kind::Acked)->message_id == 2);
  CHECK(p.too_big_closes == 1);
  CHECK(count_states(p, ClientState::Connecting) == 2);  // one reconnect, no loop
  CHECK(is_ready(p));
  // What the close revealed now fails such a send at once.
  CHECK(p.client.frame_limit() < channel_message_bound("c", 100000));
  CHECK(p.client.send("c", payload_of(100000), true, 3, p.now) == SendStatus::TooLarge);
}

TEST_CASE("a 1009 on a batch shrinks batches until they fit and fails nothing that fits",
          "[core][limits]") {
  SimPair p;
  // Batches stop near FrameWriter::kTargetFrameBytes (16 KiB), so this old
  // server takes half that: a batch of 1.5 KB messages is too large for it.
  constexpr size_t kSmallLimit = FrameWriter::kTargetFrameBytes / 2;
  p.server_config.limits.max_frame_bytes = kSmallLimit;
  p.server_advertises_limits = false;
  p.server_ws_max_frame = kSmallLimit;
  p.connect();
  REQUIRE(p.run_until([&] { return is_ready(p); }, 1000));
  for (uint64_t i = 1; i <= 20; ++i) REQUIRE(p.client.send("c", payload_of(1500), true, i, p.now) == SendStatus::Ok);
  REQUIRE(p.run_until([&] { return count_events(p, ClientEvent::Kind::Acked) == 20; }, 30000));
  CHECK(count_events(p, ClientEvent::Kind::SendFailed) == 0);
  CHECK(p.too_big_closes >= 1);
  CHECK(p.too_big_closes <= 3);  // 16 KB, then batches halve: 8 KB, 4 KB
  CHECK(count_server_events(p, ServerEvent::Kind::Publish) == 20);
  INFO("too_big_closes=" << p.too_big_closes);
  p.advance(60000);
  CHECK(is_ready(p));
}

TEST_CASE("a token over the server's limit ends in Unauthorized, not a reconnect loop", "[core][limits][auth]") {
  SimPair p;
  make_old_server(p);
  // Not a JWT (those stop at 8 KiB), but the WebSocket layer refuses it first.
  p.client.set_token(std::string(70000, 't'), p.now);
  REQUIRE(p.client.send("c", "1", true, 1, p.now) == SendStatus::Ok);
  p.connect();
  REQUIRE(p.run_until([&] { return p.client.state() == ClientState::Unauthorized; }, 1000));
  const ClientEvent* failed = last_event(p, ClientEvent::Kind::AuthFailed);
  REQUIRE(failed != nullptr);
  CHECK(failed->code == "token_too_large");
  CHECK(last_event(p, ClientEvent::Kind::StateChanged)->close_code == close_code::kTooBig);
  p.advance(120000);
  CHECK(p.client.state() == ClientState::Unauthorized);
  CHECK(count_states(p, ClientState::Connecting) == 1);
  CHECK(p.too_big_closes == 1);
  CHECK(count_events(p, ClientEvent::Kind::SendFailed) == 0);  // the queued send waits
  // A usable token gets it going; the queued send goes through.
  p.client.set_token(make_token("alice", {"publish:*"}), p.now);
  REQUIRE(p.run_until([&] { return count_events(p, ClientEvent::Kind::Acked) == 1; }, 2000));
}

TEST_CASE("a 1009 that our frames cannot explain is an ordinary reconnect", "[core][limits]") {
  ClientSession c(default_client_config(), 1);
  c.connect(0);
  c.handle_open(1);
  std::string frame;
  tether::core::FrameKind text_only_kind = tether::core::FrameKind::Text;  // JSON only here
  while (c.poll_transmit(frame, text_only_kind)) {
  }
  c.handle_text(R"({"type":"auth_success","session":"s1","permissions":["publish:*"],"maxFrame":65536,"maxBatch":100})", 2);
  REQUIRE(c.state() == ClientState::Ready);
  CHECK(c.frame_limit() == 65536);
  REQUIRE(c.send("c", payload_of(60000), true, 1, 3) == SendStatus::Ok);
  while (c.poll_transmit(frame, text_only_kind)) {
  }
  // Everything sent fit what the server advertised: say our own transport
  // refused a frame of the server's. Nothing is failed, the limit stands.
  c.handle_closed(close_code::kTooBig, "", 4);
  CHECK(c.state() == ClientState::Backoff);
  CHECK(c.frame_limit() == 65536);
  CHECK(c.sender().in_flight() == 1);
  ClientEvent e;
  while (c.poll_event(e)) CHECK(e.kind != ClientEvent::Kind::SendFailed);
}

TEST_CASE("auth_success advertises maxFrame and maxBatch, old peers decode without them", "[core][codec][limits]") {
  Message success;
  success.type = MessageType::AuthSuccess;
  success.session = "s";
  success.max_frame = 1048576;
  success.max_batch = 4096;
  std::string frame;
  encode_message(success, frame);
  CHECK(frame == R"({"type":"auth_success","session":"s","maxFrame":1048576,"maxBatch":4096})");
  std::vector<Message> out;
  std::vector<DecodeIssue> issues;
  REQUIRE(decode_frame(frame, CodecLimits{}, out, issues) == CodecError::None);
  REQUIRE(out.size() == 1);
  CHECK(out[0].max_frame == 1048576);
  CHECK(out[0].max_batch == 4096);
  out.clear();
  decode_frame(R"({"type":"auth_success","session":"s","maxFrame":-1})", CodecLimits{}, out, issues);
  CHECK(out.empty());
  REQUIRE(issues.size() == 1);
  CHECK(issues[0].error == CodecError::WrongType);
  CHECK(issues[0].detail == "maxFrame");
}

TEST_CASE("channel_message_bound is never below the encoded size", "[core][codec][limits]") {
  const std::string channels[] = {"c", std::string(kMaxChannelBytes, 'c'), "q\"\\\x01\x1f", "caf\xC3\xA9"};
  for (const std::string& channel : channels) {
    for (const std::string& data : {std::string("1"), std::string("null"), payload_of(1000)}) {
      std::string out;
      encode_channel_message(channel, data, std::numeric_limits<int64_t>::min(), UINT64_MAX, UINT64_MAX, out);
      // Exact with the longest numbers, but for data under the 4 bytes of null.
      CHECK(out.size() <= channel_message_bound(channel, data.size()));
      CHECK(channel_message_bound(channel, data.size()) - out.size() <= 3);
    }
  }
}
