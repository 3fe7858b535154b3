// Token refresh (issue 8, defect 10): a token the host supplies while a
// refresh is in flight is presented after it, never lost, and the
// permissions the server applies on refresh apply on the client too.
#include <catch2/catch.hpp>

#include <string>

#include "event_helpers.h"
#include "sim_pair.h"

using namespace tether::core;
using namespace tether::test;

namespace {

// A client that is Ready on a hand-driven connection; returns the frames it sent.
std::string drain_frames(ClientSession& c) {
  std::string all, frame;
  tether::core::FrameKind text_only_kind = tether::core::FrameKind::Text;  // JSON only here
  while (c.poll_transmit(frame, text_only_kind)) all += frame + "\n";
  return all;
}

bool saw_refreshed(ClientSession& c, std::string* token = nullptr) {
  ClientEvent e;
  bool seen = false;
  while (c.poll_event(e)) {
    if (e.kind != ClientEvent::Kind::TokenRefreshed) continue;
    seen = true;
    if (token) *token = e.token;
  }
  return seen;
}

}  // namespace

TEST_CASE("set_token during a refresh in flight presents the new token after the answer", "[core][auth][refresh]") {
  ClientSession c(default_client_config(), 1);
  c.connect(0);
  c.handle_open(1);
  c.handle_text(R"({"type":"auth_success","session":"s1","permissions":["publish:*"]})", 2);
  REQUIRE(c.state() == ClientState::Ready);
  drain_frames(c);

  c.set_token("token-A", 3);
  CHECK(drain_frames(c).find(R"("token":"token-A")") != std::string::npos);
  c.set_token("token-B", 4);  // A is still unanswered: one refresh at a time
  CHECK(drain_frames(c).find("refresh_token") == std::string::npos);

  // A's answer is about a token the host has replaced: B goes out now, and
  // the answer neither replaces B nor reaches the host as the current token.
  c.handle_text(R"({"type":"token_refresh","newToken":"issued-for-A"})", 5);
  CHECK(drain_frames(c).find(R"("token":"token-B")") != std::string::npos);
  CHECK_FALSE(saw_refreshed(c));
  c.handle_text(R"({"type":"token_refresh","newToken":"issued-for-B","permissions":["publish:chat"]})", 6);
  std::string token;
  CHECK(saw_refreshed(c, &token));
  CHECK(token == "issued-for-B");

  SECTION("a refresh that failed for the old token also hands over to the new one") {
    c.set_token("token-C", 7);
    drain_frames(c);
    c.set_token("token-D", 8);
    c.handle_text(R"({"type":"refresh_failed","code":"token_expired"})", 9);
    CHECK(drain_frames(c).find(R"("token":"token-D")") != std::string::npos);
    ClientEvent e;
    while (c.poll_event(e)) CHECK(e.kind != ClientEvent::Kind::TokenExpiring);
  }
  SECTION("after a timed-out refresh, its late answer is not taken for the next one's") {
    c.set_token("token-C", 7);
    drain_frames(c);
    c.set_token("token-D", 8);
    c.handle_timeout(7 + 10000);  // refresh_timeout_ms: D replaces the unanswered C
    CHECK(drain_frames(c).find(R"("token":"token-D")") != std::string::npos);
    c.handle_text(R"({"type":"token_refresh","newToken":"late-for-C"})", 10020);
    CHECK_FALSE(saw_refreshed(c));
    c.handle_text(R"({"type":"token_refresh","newToken":"issued-for-D"})", 10030);
    CHECK(saw_refreshed(c, &token));
    CHECK(token == "issued-for-D");
  }
}

TEST_CASE("set_token while auth is in flight is presented once Ready", "[core][auth][refresh]") {
  ClientSession c(default_client_config(), 1);
  c.connect(0);
  c.handle_open(1);
  CHECK(drain_frames(c).find(R"("type":"auth")") != std::string::npos);
  c.set_token("token-B", 2);  // the auth above carried the old token
  c.handle_text(R"({"type":"auth_success","session":"s1"})", 3);
  REQUIRE(c.state() == ClientState::Ready);
  CHECK(drain_frames(c).find(R"({"type":"refresh_token","token":"token-B"})") != std::string::npos);
}

TEST_CASE("end to end: the host's newer token wins over a refresh in flight", "[core][auth][refresh]") {
  SimPair p;
  p.connect();
  REQUIRE(p.run_until([&] { return is_ready(p); }, 1000));
  p.client.set_token(make_token("alice", {"publish:*", "subscribe:*"}), p.now);
  p.client.set_token(make_token("alice", {"publish:chat"}), p.now);  // before the first is answered
  REQUIRE(p.run_until([&] { return count_events(p, ClientEvent::Kind::TokenRefreshed) == 1; }, 1000));
  p.advance(1000);
  CHECK(count_events(p, ClientEvent::Kind::TokenRefreshed) == 1);
  // The server holds the second token's claims, and the client knows it.
  CHECK(p.server()->state()->claims.permissions == std::vector<std::string>{"publish:chat"});
  const ClientEvent* refreshed = last_event(p, ClientEvent::Kind::TokenRefreshed);
  CHECK(read_claims_unverified(refreshed->token).claims.permissions == std::vector<std::string>{"publish:chat"});
  CHECK(refreshed->permissions == std::vector<std::string>{"publish:chat"});
}

TEST_CASE("after a refresh with fewer permissions the client refuses what is no longer allowed",
          "[core][auth][refresh]") {
  SimPair p;
  p.connect();
  REQUIRE(p.run_until([&] { return is_ready(p); }, 1000));
  CHECK(p.client.send("admin", "1", true, 1, p.now) == SendStatus::Ok);
  REQUIRE(p.run_until([&] { return count_events(p, ClientEvent::Kind::Acked) == 1; }, 1000));
  p.client.set_token(make_token("alice", {"publish:chat"}), p.now);
  REQUIRE(p.run_until([&] { return count_events(p, ClientEvent::Kind::TokenRefreshed) == 1; }, 1000));
  CHECK(p.client.permissions_known());
  CHECK(p.client.send("admin", "2", true, 2, p.now) == SendStatus::PermissionDenied);
  CHECK(p.client.subscribe("room:1", p.now) == SendStatus::PermissionDenied);
  CHECK(p.client.send("chat", "3", true, 3, p.now) == SendStatus::Ok);
  REQUIRE(p.run_until([&] { return count_events(p, ClientEvent::Kind::Acked) == 2; }, 1000));

  SECTION("an answer without permissions (a v1 server) makes them unknown, not stale") {
    p.client.set_token(make_token("alice", {"publish:*"}), p.now);
    p.pump();
    p.blackhole();  // the answer below stands in for the server's
    p.client.handle_text(R"({"type":"token_refresh","newToken":"t"})", p.now);
    CHECK_FALSE(p.client.permissions_known());
    CHECK(p.client.send("admin", "4", true, 4, p.now) == SendStatus::Ok);  // the server decides
  }
}

TEST_CASE("token_refresh carries permissions, and [] differs from absent", "[core][codec][refresh]") {
  Message refresh;
  refresh.type = MessageType::TokenRefresh;
  refresh.token = "t";
  refresh.has_permissions = true;  // an empty list: no permissions at all
  std::string frame;
  encode_message(refresh, frame);
  CHECK(frame == R"({"type":"token_refresh","newToken":"t","permissions":[]})");
  std::vector<Message> out;
  std::vector<DecodeIssue> issues;
  REQUIRE(decode_frame(frame, CodecLimits{}, out, issues) == CodecError::None);
  REQUIRE(out.size() == 1);
  CHECK(out[0].has_permissions);
  CHECK(out[0].permissions.empty());

  out.clear();
  REQUIRE(decode_frame(R"({"type":"token_refresh","newToken":"t","permissions":null})", CodecLimits{}, out, issues) ==
          CodecError::None);
  REQUIRE(out.size() == 1);
  CHECK_FALSE(out[0].has_permissions);
  out.clear();
  REQUIRE(decode_frame(R"({"type":"token_refresh","newToken":"t","permissions":["a","b"]})", CodecLimits{}, out,
                       issues) == CodecError::None);
  CHECK(out[0].has_permissions);
  CHECK(out[0].permissions == std::vector<std::string>{"a", "b"});
  CHECK(issues.empty());
}
