// The client's own frame limit, seen from both ends: the client names it in
// auth (maxFrame) so the server never sends a frame the client's WebSocket
// layer would refuse, and a 1009 the client itself raised is about the
// server's frame, not ours.
#include <catch2/catch.hpp>

#include <cstdio>
#include <string>
#include <vector>

#include "event_helpers.h"
#include "sim_pair.h"

using namespace tether::core;
using namespace tether::test;

namespace {

constexpr size_t kClientLimit = 4096;

ClientConfig small_client_config() {
  ClientConfig config = default_client_config();
  config.limits.max_frame_bytes = kClientLimit;
  return config;
}

size_t count_server_errors(const SimPair& p, const std::string& code) {
  size_t n = 0;
  for (const ServerEvent& e : p.server_events) n += e.kind == ServerEvent::Kind::Error && e.code == code;
  return n;
}

}  // namespace

TEST_CASE("auth carries the client's maxFrame, peers without it decode as before", "[core][codec][limits]") {
  Message auth;
  auth.type = MessageType::Auth;
  auth.token = "t";
  auth.window = 4096;
  auth.max_frame = 65536;
  std::string frame;
  tether::core::FrameKind text_only_kind = tether::core::FrameKind::Text;  // JSON only here
  encode_message(auth, frame);
  CHECK(frame == R"({"type":"auth","token":"t","window":4096,"maxFrame":65536})");
  std::vector<Message> out;
  std::vector<DecodeIssue> issues;
  REQUIRE(decode_frame(frame, CodecLimits{}, out, issues) == CodecError::None);
  REQUIRE(out.size() == 1);
  CHECK(out[0].max_frame == 65536);
  out.clear();
  REQUIRE(decode_frame(R"({"type":"auth","token":"t"})", CodecLimits{}, out, issues) == CodecError::None);
  REQUIRE(out.size() == 1);
  CHECK(out[0].max_frame == 0);

  // The session puts its own limit there.
  ClientSession c(small_client_config(), 1);
  c.connect(0);
  c.handle_open(1);
  REQUIRE(c.poll_transmit(frame, text_only_kind));
  CHECK(frame.find(R"("maxFrame":4096)") != std::string::npos);
}

TEST_CASE("the server keeps frames within the client's maxFrame and drops what cannot fit, without a 1009 loop",
          "[core][limits]") {
  SimPair p(small_client_config());
  p.client_ws_max_frame = kClientLimit;  // the client's WebSocket layer refuses more
  p.connect();
  REQUIRE(p.run_until([&] { return is_ready(p); }, 1000));
  const std::shared_ptr<SessionState> state = p.server()->state();

  const std::string too_big = payload_of(2 * kClientLimit);  // fits the server's 1 MiB frames
  REQUIRE(state->enqueue("feed", "1", true, 0));
  REQUIRE(state->enqueue("feed", too_big, true, 0));
  REQUIRE(state->enqueue("feed", too_big, false, 0));
  REQUIRE(state->enqueue("feed", "3", true, 0));
  // 30 messages of 500 bytes: one frame of the server's, four of the client's.
  constexpr int kBurst = 30;
  for (int n = 0; n < kBurst; ++n) REQUIRE(state->enqueue("burst", payload_of(500), true, 0));
  p.advance(30000);
  state->drain_resolutions();

  CHECK(p.client_too_big_closes == 0);
  CHECK(p.client.counters().reconnects == 0);
  CHECK(count_states(p, ClientState::Backoff) == 0);
  CHECK(is_ready(p));
  std::vector<std::string> feed;
  size_t burst = 0;
  for (const ClientEvent& e : p.client_events) {
    if (e.kind != ClientEvent::Kind::Message) continue;
    if (e.channel == "feed") feed.push_back(e.data);
    burst += e.channel == "burst";
  }
  CHECK(feed == std::vector<std::string>{"1", "3"});
  CHECK(burst == kBurst);
  CHECK(state->delivered == 2 + kBurst);
  CHECK(state->failed == 1);  // the reliable one that cannot fit, resolved TooLarge once
  // One report for both: dropping the reliable one swept out the unreliable one queued behind it.
  REQUIRE(count_server_errors(p, "too_large_for_client") == 1);
  for (const ServerEvent& e : p.server_events) {
    if (e.code == "too_large_for_client") CHECK(e.reason.rfind("2 message(s) dropped", 0) == 0);
  }
  CHECK(p.client.counters().errors == 0);

  // An unreliable one alone is skipped; what follows it still arrives.
  REQUIRE(state->enqueue("feed", too_big, false, 0));
  REQUIRE(state->enqueue("feed", "4", false, 0));
  p.advance(1000);
  CHECK(count_server_errors(p, "too_large_for_client") == 2);
  CHECK(last_event(p, ClientEvent::Kind::Message)->data == "4");
  CHECK(p.client_too_big_closes == 0);
  std::printf("client maxFrame %zu: delivered=%llu failed=%llu, client frames received=%llu, 1009 closes=%llu\n",
              kClientLimit, static_cast<unsigned long long>(state->delivered),
              static_cast<unsigned long long>(state->failed),
              static_cast<unsigned long long>(p.client.counters().frames_received),
              static_cast<unsigned long long>(p.client_too_big_closes));
}

TEST_CASE("a 1009 the client raised on a server frame fails none of our messages", "[core][limits]") {
  SimPair p(small_client_config());
  p.client_ws_max_frame = kClientLimit;
  p.client_advertises_limits = false;  // the server cannot know our limit
  p.server_advertises_limits = false;  // nor we its: a 1009 could be about our frames
  p.connect();
  REQUIRE(p.run_until([&] { return is_ready(p); }, 1000));
  const std::string payload = payload_of(3000);
  REQUIRE(p.client.send("c", payload, true, 1, p.now) == SendStatus::Ok);
  REQUIRE(p.run_until([&] { return count_events(p, ClientEvent::Kind::Acked) == 1; }, 2000));

  // Message 2 is the same size as 1, the largest frame sent so far; the
  // server's frame crosses it on the wire.
  REQUIRE(p.client.send("c", payload, true, 2, p.now) == SendStatus::Ok);
  REQUIRE(p.server()->state()->enqueue("feed", payload_of(2 * kClientLimit), false, 0));
  REQUIRE(p.run_until([&] { return p.client.state() == ClientState::Backoff; }, 2000));
  CHECK(p.client_too_big_closes == 1);
  const ClientEvent* closed = last_event(p, ClientEvent::Kind::StateChanged);
  CHECK(closed->close_code == close_code::kTooBig);
  CHECK(closed->initiator == CloseInitiator::Local);
  size_t reported = 0;
  for (const ClientEvent& e : p.client_events) {
    reported += e.kind == ClientEvent::Kind::Error && e.code == "peer_frame_too_large";
  }
  CHECK(reported == 1);
  CHECK(p.client.frame_limit() == kClientLimit);  // nothing learned about the server

  REQUIRE(p.run_until([&] { return count_events(p, ClientEvent::Kind::Acked) == 2; }, 5000));
  CHECK(count_events(p, ClientEvent::Kind::SendFailed) == 0);
  CHECK(p.client.send("c", payload, true, 3, p.now) == SendStatus::Ok);
  REQUIRE(p.run_until([&] { return count_events(p, ClientEvent::Kind::Acked) == 3; }, 2000));
  CHECK(p.client_too_big_closes == 1);  // unreliable: not resent after the reconnect
}

TEST_CASE("a 1009 the client raised during auth is not a token too large", "[core][limits][auth]") {
  ClientSession c(small_client_config(), 1);
  c.connect(0);
  c.handle_open(1);
  std::string frame;
  tether::core::FrameKind text_only_kind = tether::core::FrameKind::Text;  // JSON only here
  while (c.poll_transmit(frame, text_only_kind)) {
  }
  REQUIRE(c.state() == ClientState::Authenticating);
  // Say auth_success, with a long permission list, was over our limit.
  c.handle_closed(close_code::kTooBig, "", 2, CloseInitiator::Local);
  CHECK(c.state() == ClientState::Backoff);
  bool auth_failed = false;
  bool reported = false;
  ClientEvent e;
  while (c.poll_event(e)) {
    auth_failed |= e.kind == ClientEvent::Kind::AuthFailed;
    reported |= e.kind == ClientEvent::Kind::Error && e.code == "peer_frame_too_large";
  }
  CHECK_FALSE(auth_failed);
  CHECK(reported);
}
