// Client and server sessions driven through the simulated link, in virtual time.
#include <catch2/catch.hpp>

#include <algorithm>

#include "sim_pair.h"

using namespace tether::core;
using tether::test::SimPair;

namespace {

size_t count_events(const SimPair& p, ClientEvent::Kind kind) {
  return static_cast<size_t>(std::count_if(p.client_events.begin(), p.client_events.end(),
                                           [&](const ClientEvent& e) { return e.kind == kind; }));
}

const ClientEvent* last_event(const SimPair& p, ClientEvent::Kind kind) {
  for (auto it = p.client_events.rbegin(); it != p.client_events.rend(); ++it) {
    if (it->kind == kind) return &*it;
  }
  return nullptr;
}

std::vector<ClientState> states(const SimPair& p) {
  std::vector<ClientState> out;
  for (const auto& e : p.client_events) {
    if (e.kind == ClientEvent::Kind::StateChanged) out.push_back(e.state);
  }
  return out;
}

size_t count_states(const SimPair& p, ClientState state) {
  const std::vector<ClientState> all = states(p);
  return static_cast<size_t>(std::count(all.begin(), all.end(), state));
}

bool is_ready(SimPair& p) { return p.client.state() == ClientState::Ready; }

size_t server_publishes(const SimPair& p) {
  return static_cast<size_t>(std::count_if(p.server_events.begin(), p.server_events.end(), [](const ServerEvent& e) {
    return e.kind == ServerEvent::Kind::Publish;
  }));
}

}  // namespace

TEST_CASE("connect authenticates and reports each state in order", "[core][session]") {
  SimPair p;
  p.connect();
  REQUIRE(p.run_until([&] { return is_ready(p); }, 1000));
  CHECK(states(p) == std::vector<ClientState>{ClientState::Connecting, ClientState::Authenticating,
                                              ClientState::Ready});
  const ClientEvent* ok = last_event(p, ClientEvent::Kind::AuthOk);
  REQUIRE(ok != nullptr);
  CHECK(ok->user_id == "alice");
  CHECK(ok->permissions == std::vector<std::string>{"publish:*", "subscribe:*"});
  CHECK_FALSE(ok->session.empty());
  CHECK(p.client.session_id() == ok->session);
}

TEST_CASE("reliable messages are acked both ways and RTT is measured", "[core][session]") {
  SimPair p;
  p.on_server_event = [&](ServerSession& s, ServerEvent& e) {
    if (e.kind == ServerEvent::Kind::Publish) s.state()->enqueue("echo", e.data, true, 1);
  };
  p.connect();
  REQUIRE(p.client.send("chat", R"({"text":"hi"})", true, 1, p.now) == SendStatus::Ok);
  REQUIRE(p.run_until([&] { return count_events(p, ClientEvent::Kind::Message) == 1; }, 2000));
  const ClientEvent* echo = last_event(p, ClientEvent::Kind::Message);
  CHECK(echo->channel == "echo");
  CHECK(echo->data == R"({"text":"hi"})");
  CHECK(echo->reliable);
  REQUIRE(p.run_until([&] { return count_events(p, ClientEvent::Kind::Acked) == 1; }, 2000));
  CHECK(last_event(p, ClientEvent::Kind::Acked)->message_id == 1);
  // The client acked the echo too.
  p.advance(100);
  CHECK(p.server()->state()->delivered == 1);
  p.advance(3000);
  CHECK(p.client.rtt().has_sample());
  CHECK(p.client.rtt().last_ms() == 2 * p.latency_ms);
  CHECK(p.client.counters().messages_sent == 1);
  CHECK(p.client.counters().messages_received == 1);
}

TEST_CASE("nothing is delivered before auth_success", "[core][session][auth]") {
  SECTION("client ignores channel messages while authenticating") {
    ClientSession c(tether::test::default_client_config(), 1);
    c.connect(0);
    c.handle_open(1);
    c.handle_text(R"({"channel":"x","data":1})", 2);
    ClientEvent e;
    bool saw_message = false, saw_error = false;
    while (c.poll_event(e)) {
      saw_message |= e.kind == ClientEvent::Kind::Message;
      saw_error |= e.kind == ClientEvent::Kind::Error && e.code == "not_authenticated";
    }
    CHECK_FALSE(saw_message);
    CHECK(saw_error);
  }
  SECTION("server routes nothing from an unauthenticated connection") {
    ServerConfig config = tether::test::default_server_config();
    Hs256Authority authority(tether::test::kSecret);
    SessionTable table(1);
    SessionScratch scratch;
    ServerSession s(config, authority, table, scratch, 1);
    s.handle_open(0);
    s.handle_text(R"({"channel":"x","data":1,"id":1,"requireAck":true})", 1);
    ServerEvent e;
    bool saw_publish = false;
    while (s.poll_event(e)) saw_publish |= e.kind == ServerEvent::Kind::Publish;
    CHECK_FALSE(saw_publish);
    TransportAction action;
    REQUIRE(s.poll_action(action));
    CHECK(action.kind == TransportAction::Kind::Close);
    CHECK(action.code == close_code::kProtocolError);
    CHECK(table.size() == 0);
  }
}

TEST_CASE("server closes a connection that never authenticates", "[core][session][auth]") {
  ServerConfig config = tether::test::default_server_config();
  config.auth_timeout_ms = 3000;
  Hs256Authority authority(tether::test::kSecret);
  SessionTable table(1);
  SessionScratch scratch;
  ServerSession s(config, authority, table, scratch, 1);
  s.handle_open(0);
  CHECK(s.next_timeout() == 3000);
  s.handle_timeout(2999);
  TransportAction action;
  CHECK_FALSE(s.poll_action(action));
  s.handle_timeout(3000);
  REQUIRE(s.poll_action(action));
  CHECK(action.code == close_code::kAuthTimeout);
  std::string frame;
  tether::core::FrameKind text_only_kind = tether::core::FrameKind::Text;  // JSON only here
  REQUIRE(s.poll_transmit(frame, text_only_kind, 3000));
  CHECK(frame.find("auth_timeout") != std::string::npos);
}

TEST_CASE("client auth timeout counts as a failed attempt and backs off", "[core][session][auth]") {
  SimPair p;
  p.server_config.auth_timeout_ms = 100000;  // the server stays quiet
  p.connect();
  REQUIRE(p.run_until([&] { return p.client.state() == ClientState::Authenticating; }, 1000));
  p.blackhole();  // auth never arrives
  const TimeMs opened = p.now;
  REQUIRE(p.run_until([&] { return p.client.state() == ClientState::Backoff; }, 20000));
  CHECK(p.now - opened == 10000);  // the client's auth_timeout_ms
  const ClientEvent* err = last_event(p, ClientEvent::Kind::Error);
  REQUIRE(err != nullptr);
  CHECK(err->code == "auth_timeout");
  CHECK(p.client.attempts() == 1);
  // Only RECONNECTING (Backoff) carries attempt and delay (tether.h: the
  // numbers a state does not use are 0), also once the link is back.
  // The blackhole was that connection's alone: the next one gets through.
  REQUIRE(p.run_until([&] { return p.client.state() == ClientState::Ready; }, 20000));
  bool saw_backoff = false;
  for (const ClientEvent& e : p.client_events) {
    if (e.kind != ClientEvent::Kind::StateChanged) continue;
    INFO("state " << static_cast<int>(e.state));
    if (e.state == ClientState::Backoff) {
      saw_backoff = true;
      CHECK(e.attempt == 1);
      CHECK(e.delay_ms > 0);
    } else {
      CHECK(e.attempt == 0);
      CHECK(e.delay_ms == 0);
    }
  }
  CHECK(saw_backoff);
}

TEST_CASE("a bad token ends in Unauthorized without a reconnect loop", "[core][session][auth]") {
  auto config = tether::test::default_client_config();
  TokenClaims forged;
  forged.subject = "mallory";
  forged.permissions = {"admin"};
  config.token = sign_hs256(forged, "not-the-secret");
  SimPair p(config);
  p.connect();
  REQUIRE(p.run_until([&] { return p.client.state() == ClientState::Unauthorized; }, 1000));
  const ClientEvent* failed = last_event(p, ClientEvent::Kind::AuthFailed);
  REQUIRE(failed != nullptr);
  CHECK(failed->code == "bad_signature");
  p.advance(120000);
  CHECK(p.client.state() == ClientState::Unauthorized);
  CHECK(count_events(p, ClientEvent::Kind::AuthFailed) == 1);
  CHECK(count_states(p, ClientState::Connecting) == 1);

  // A new token from the host gets it going again.
  p.client.set_token(tether::test::make_token("alice", {"publish:*"}), p.now);
  REQUIRE(p.run_until([&] { return is_ready(p); }, 1000));
}

TEST_CASE("an expired token is rejected with token_expired", "[core][session][auth]") {
  auto config = tether::test::default_client_config();
  config.token = tether::test::make_token("alice", {}, tether::test::kWallOffset + tether::test::kStart - 1);
  SimPair p(config);
  p.connect();
  REQUIRE(p.run_until([&] { return p.client.state() == ClientState::Unauthorized; }, 1000));
  CHECK(last_event(p, ClientEvent::Kind::AuthFailed)->code == "token_expired");
}

TEST_CASE("the token is refreshed before expiry without reconnecting", "[core][session][auth]") {
  auto config = tether::test::default_client_config();
  const int64_t expires = tether::test::kWallOffset + tether::test::kStart + 120000;
  config.token = tether::test::make_token("alice", {"publish:*"}, expires);
  config.refresh_lead_ms = 30000;
  SimPair p(config);
  p.connect();
  REQUIRE(p.run_until([&] { return is_ready(p); }, 1000));
  REQUIRE(p.run_until([&] { return count_events(p, ClientEvent::Kind::TokenRefreshed) == 1; }, 200000));
  // Refreshed at expiry - lead (give or take the round trip), not later.
  CHECK(p.now + tether::test::kWallOffset <= expires - 30000 + 100);
  CHECK(p.now + tether::test::kWallOffset >= expires - 30000);
  const ClientEvent* refreshed = last_event(p, ClientEvent::Kind::TokenRefreshed);
  CHECK(refreshed->expires_at > expires);
  CHECK(read_claims_unverified(refreshed->token).claims.subject == "alice");
  // Past the old expiry the same connection is still up and working.
  p.advance(200000);
  CHECK(is_ready(p));
  CHECK(count_events(p, ClientEvent::Kind::TokenRefreshed) >= 2);
  CHECK(count_states(p, ClientState::Connecting) == 1);
}

TEST_CASE("permissions: client fails fast, server denies and drops nothing else", "[core][session][auth]") {
  auto config = tether::test::default_client_config();
  config.token = tether::test::make_token("bob", {"publish:chat", "subscribe:room:*"});
  SimPair p(config);
  // Queued before the first auth: the client cannot know the permissions yet.
  REQUIRE(p.client.send("chat", "1", true, 1, p.now) == SendStatus::Ok);
  REQUIRE(p.client.send("admin", "2", true, 2, p.now) == SendStatus::Ok);
  REQUIRE(p.client.send("chat", "3", true, 3, p.now) == SendStatus::Ok);
  p.connect();
  REQUIRE(p.run_until([&] { return count_events(p, ClientEvent::Kind::Acked) == 2; }, 3000));
  const ClientEvent* denied = last_event(p, ClientEvent::Kind::PermissionDenied);
  REQUIRE(denied != nullptr);
  CHECK(denied->channel == "admin");
  CHECK(denied->action == "publish");
  CHECK(denied->message_id == 2);
  const ClientEvent* failed = last_event(p, ClientEvent::Kind::SendFailed);
  REQUIRE(failed != nullptr);
  CHECK(failed->message_id == 2);
  CHECK(failed->outcome == SendOutcome::PermissionDenied);
  CHECK(server_publishes(p) == 2);
  // Now that permissions are known, the client refuses locally.
  CHECK(p.client.send("admin", "4", true, 4, p.now) == SendStatus::PermissionDenied);
  CHECK(p.client.subscribe("lobby", p.now) == SendStatus::PermissionDenied);
  CHECK(p.client.subscribe("room:7", p.now) == SendStatus::Ok);
  REQUIRE(p.run_until([&] { return count_events(p, ClientEvent::Kind::Subscribed) == 1; }, 1000));
  CHECK(p.server()->state()->subscriptions.count("room:7") == 1);
}

TEST_CASE("a silent dead link is detected within interval + timeout", "[core][session][heartbeat]") {
  SimPair p;
  p.connect();
  REQUIRE(p.run_until([&] { return is_ready(p); }, 1000));
  p.advance(2500);  // a few healthy pings
  const auto pongs_before = p.client.rtt().samples();
  CHECK(pongs_before >= 2);
  p.blackhole();
  const TimeMs dead_from = p.now;
  REQUIRE(p.run_until([&] { return p.client.state() == ClientState::Backoff; }, 10000));
  CHECK(p.now - dead_from <= 1000 + 500);
  const ClientEvent* backoff = last_event(p, ClientEvent::Kind::StateChanged);
  CHECK(backoff->close_code == close_code::kHeartbeatTimeout);
  CHECK(backoff->initiator == CloseInitiator::Local);

  // After the reconnect, only the new connection's timers run.
  REQUIRE(p.run_until([&] { return is_ready(p); }, 5000));
  const TimeMs ready_at = p.now;
  CHECK(p.client.next_timeout() >= ready_at + 1000 - 1);  // first ping one interval later
  p.advance(30000);
  CHECK(is_ready(p));
  CHECK(count_states(p, ClientState::Backoff) == 1);
}

TEST_CASE("sends while offline are queued, bounded, and flushed in order", "[core][session]") {
  auto config = tether::test::default_client_config();
  config.reliable.queue_max_messages = 5;
  SimPair p(config);
  std::vector<std::string> received;
  p.on_server_event = [&](ServerSession&, ServerEvent& e) {
    if (e.kind == ServerEvent::Kind::Publish) received.push_back(e.data);
  };
  for (int i = 0; i < 5; ++i) REQUIRE(p.client.send("c", std::to_string(i), i % 2 == 0, i + 1, p.now) == SendStatus::Ok);
  CHECK(p.client.send("c", "5", true, 6, p.now) == SendStatus::QueueFull);
  p.connect();
  REQUIRE(p.run_until([&] { return received.size() == 5; }, 2000));
  CHECK(received == std::vector<std::string>{"0", "1", "2", "3", "4"});
}

TEST_CASE("send validates its input", "[core][session]") {
  SimPair p;
  CHECK(p.client.send("", "1", true, 1, p.now) == SendStatus::InvalidChannel);
  CHECK(p.client.send("c", "{oops", true, 1, p.now) == SendStatus::InvalidPayload);
  CHECK(p.client.send("c", "\"\xC3\x28\"", true, 1, p.now) == SendStatus::InvalidPayload);
  CHECK(p.client.send("c", std::string(2 << 20, '1'), true, 1, p.now) == SendStatus::TooLarge);
}

TEST_CASE("manual close never reconnects and resolves pending sends once", "[core][session]") {
  SimPair p;
  p.connect();
  REQUIRE(p.run_until([&] { return is_ready(p); }, 1000));
  p.blackhole();  // nothing gets acked
  REQUIRE(p.client.send("c", "1", true, 7, p.now) == SendStatus::Ok);
  p.advance(5);
  p.client.close(p.now);
  p.client.close(p.now);  // twice is harmless
  p.advance(600000);
  CHECK(p.client.state() == ClientState::Closed);
  CHECK(count_states(p, ClientState::Connecting) == 1);
  CHECK(count_events(p, ClientEvent::Kind::SendFailed) == 1);
  CHECK(last_event(p, ClientEvent::Kind::SendFailed)->outcome == SendOutcome::Closed);
  CHECK(p.client.send("c", "2", true, 8, p.now) == SendStatus::WrongState);
}

TEST_CASE("max attempts ends in GaveUp and fails what was pending", "[core][session][backoff]") {
  auto config = tether::test::default_client_config();
  config.backoff.max_attempts = 3;
  SimPair p(config);
  p.network_down = true;
  REQUIRE(p.client.send("c", "1", true, 1, p.now) == SendStatus::Ok);
  p.connect();
  REQUIRE(p.run_until([&] { return p.client.state() == ClientState::GaveUp; }, 60000));
  CHECK(count_states(p, ClientState::Connecting) == 4);  // first try + 3 retries
  CHECK(count_events(p, ClientEvent::Kind::SendFailed) == 1);
  p.advance(600000);
  CHECK(p.client.state() == ClientState::GaveUp);
  // The host knows the network is back.
  p.network_down = false;
  p.client.reconnect_now(p.now);
  REQUIRE(p.run_until([&] { return is_ready(p); }, 1000));
}

TEST_CASE("reconnect_now skips the backoff wait", "[core][session][backoff]") {
  auto config = tether::test::default_client_config();
  config.backoff.initial_delay_ms = 60000;
  config.backoff.max_delay_ms = 60000;
  config.backoff.jitter = JitterMode::None;
  SimPair p(config);
  p.connect();
  REQUIRE(p.run_until([&] { return is_ready(p); }, 1000));
  p.cut();
  p.pump();
  REQUIRE(p.client.state() == ClientState::Backoff);
  CHECK(last_event(p, ClientEvent::Kind::StateChanged)->delay_ms == 60000);
  CHECK(last_event(p, ClientEvent::Kind::StateChanged)->attempt == 1);
  p.client.reconnect_now(p.now);
  REQUIRE(p.run_until([&] { return is_ready(p); }, 1000));
}

TEST_CASE("the attempt counter resets only after a stable connection", "[core][session][backoff]") {
  auto config = tether::test::default_client_config();
  config.backoff.stable_after_ms = 5000;
  SimPair p(config);
  p.connect();
  for (int i = 0; i < 3; ++i) {
    REQUIRE(p.run_until([&] { return is_ready(p); }, 10000));
    p.advance(1000);  // up, but not for long
    p.cut();
  }
  CHECK(p.client.attempts() == 3);
  REQUIRE(p.run_until([&] { return is_ready(p); }, 10000));
  p.advance(5000);
  CHECK(p.client.attempts() == 0);
  p.cut();
  p.pump();
  CHECK(p.client.attempts() == 1);
}

TEST_CASE("a reconnect resumes the session: server-side subscriptions and state survive", "[core][session]") {
  SimPair p;
  p.connect();
  REQUIRE(p.run_until([&] { return is_ready(p); }, 1000));
  p.client.subscribe("news", p.now);
  p.advance(100);
  const std::string session = p.client.session_id();
  p.cut();
  REQUIRE(p.run_until([&] { return is_ready(p); }, 5000));
  CHECK(p.client.session_id() == session);
  CHECK(last_event(p, ClientEvent::Kind::AuthOk)->resumed);
  CHECK(p.server()->state()->subscriptions.count("news") == 1);
  CHECK(p.client.counters().reconnects == 1);
}

// A host toggling subscriptions while offline: the session keeps the last
// call per channel (memory stays at one entry per channel), and a resume
// replays just that: one confirmation per channel, the final state right.
TEST_CASE("subscriptions toggled while offline replay as the last call per channel", "[core][session]") {
  SimPair p;
  p.connect();
  REQUIRE(p.run_until([&] { return is_ready(p); }, 1000));
  p.client.subscribe("news", p.now);
  p.advance(100);
  REQUIRE(p.server()->state()->subscriptions.count("news") == 1);
  p.cut();
  REQUIRE(p.client.state() != ClientState::Ready);
  constexpr int kToggles = 20000;
  for (int i = 0; i < kToggles; ++i) {
    REQUIRE(p.client.unsubscribe("news", p.now) == SendStatus::Ok);
    REQUIRE(p.client.subscribe("news", p.now) == SendStatus::Ok);
    REQUIRE(p.client.subscribe("tmp", p.now) == SendStatus::Ok);
    REQUIRE(p.client.unsubscribe("tmp", p.now) == SendStatus::Ok);
  }
  REQUIRE(p.client.unsubscribe("news", p.now) == SendStatus::Ok);  // ends unsubscribed
  REQUIRE(p.client.subscribe("later", p.now) == SendStatus::Ok);
  const size_t confirmations_before =
      count_events(p, ClientEvent::Kind::Subscribed) + count_events(p, ClientEvent::Kind::Unsubscribed);
  REQUIRE(p.run_until([&] { return is_ready(p); }, 5000));
  REQUIRE(last_event(p, ClientEvent::Kind::AuthOk)->resumed);
  p.advance(200);
  CHECK(p.server()->state()->subscriptions.count("news") == 0);
  CHECK(p.server()->state()->subscriptions.count("tmp") == 0);
  CHECK(p.server()->state()->subscriptions.count("later") == 1);
  // news: one unsubscribe; tmp: one unsubscribe; later: one subscribe.
  const size_t confirmations =
      count_events(p, ClientEvent::Kind::Subscribed) + count_events(p, ClientEvent::Kind::Unsubscribed);
  CHECK(confirmations - confirmations_before == 3);
}

TEST_CASE("when the server lost the session, the client starts fresh and resubscribes", "[core][session]") {
  SimPair p;
  p.connect();
  REQUIRE(p.run_until([&] { return is_ready(p); }, 1000));
  p.client.subscribe("news", p.now);
  p.advance(100);
  const std::string old_session = p.client.session_id();
  p.cut();
  p.table.remove(old_session);  // as if the server restarted
  REQUIRE(p.run_until([&] { return is_ready(p); }, 5000));
  CHECK(p.client.session_id() != old_session);
  CHECK_FALSE(last_event(p, ClientEvent::Kind::AuthOk)->resumed);
  p.advance(100);
  CHECK(p.server()->state()->subscriptions.count("news") == 1);
}

TEST_CASE("each malformed input gives its own error and the session carries on", "[core][session][codec]") {
  SimPair p;
  p.connect();
  REQUIRE(p.run_until([&] { return is_ready(p); }, 1000));
  const std::pair<std::string, std::string> cases[] = {
      {"{not json", "malformed"},
      {"\"\xC3\x28\"", "invalid_utf8"},
      {std::string(100, '[') + std::string(100, ']'), "too_deep"},
      {"42", "not_an_object"},
      {"[]", "empty_batch"},
      {R"({"type":"warp_drive"})", "unknown_type"},
      {R"({"type":"ping","timestamp":"soon"})", "wrong_type"},
      {R"({"type":"ping"})", "missing_field"},
      {std::string(2 << 20, ' '), "too_large"},
  };
  for (const auto& c : cases) {
    p.client_events.clear();
    p.client.handle_text(c.first, p.now);
    p.pump();
    const ClientEvent* err = last_event(p, ClientEvent::Kind::Error);
    INFO(c.second);
    REQUIRE(err != nullptr);
    CHECK(err->code == c.second);
    CHECK(is_ready(p));
  }
  // Still fully working.
  p.client_events.clear();
  REQUIRE(p.client.send("c", "1", true, 99, p.now) == SendStatus::Ok);
  REQUIRE(p.run_until([&] { return count_events(p, ClientEvent::Kind::Acked) == 1; }, 1000));
}

TEST_CASE("the server answers bad input with error replies and keeps the session", "[core][session][codec]") {
  SimPair p;
  std::vector<std::string> codes;
  p.on_server_event = [&](ServerSession&, ServerEvent& e) {
    if (e.kind == ServerEvent::Kind::Error) codes.push_back(e.code);
  };
  p.connect();
  REQUIRE(p.run_until([&] { return is_ready(p); }, 1000));
  ServerSession* s = p.server();
  s->handle_text("{bad", p.now);
  s->handle_text(R"({"type":"teleport"})", p.now);
  s->handle_text(R"([{"channel":"a","data":1},{"channel":7,"data":2}])", p.now);
  p.advance(50);
  CHECK(codes == std::vector<std::string>{"malformed", "unknown_type", "wrong_type"});
  CHECK(server_publishes(p) == 1);  // the valid half of the batch went through
  CHECK(p.client.counters().errors == 3);  // the client heard each complaint
  CHECK(is_ready(p));
}

TEST_CASE("a paused inbound side defers reliable messages without loss", "[core][session]") {
  SimPair p;
  p.connect();
  REQUIRE(p.run_until([&] { return is_ready(p); }, 1000));
  auto state = p.server()->state();
  p.client.set_inbound_paused(true);
  for (int i = 0; i < 5; ++i) state->enqueue("c", std::to_string(i), true, 1);
  state->enqueue("c", "\"unreliable\"", false, 1);
  p.advance(1000);
  CHECK(count_events(p, ClientEvent::Kind::Message) == 0);
  CHECK(p.client.counters().deferred_reliable >= 5);
  CHECK(p.client.counters().dropped_unreliable == 1);
  CHECK(is_ready(p));  // heartbeats kept the link alive
  p.client.set_inbound_paused(false);
  REQUIRE(p.run_until([&] { return count_events(p, ClientEvent::Kind::Message) == 5; }, 5000));
  std::vector<std::string> got;
  for (const auto& e : p.client_events) {
    if (e.kind == ClientEvent::Kind::Message) got.push_back(e.data);
  }
  CHECK(got == std::vector<std::string>{"0", "1", "2", "3", "4"});
}

TEST_CASE("client config validation names the problem", "[core][session]") {
  ClientConfig config = tether::test::default_client_config();
  CHECK(validate(config) == nullptr);
  config.heartbeat.timeout_ms = config.heartbeat.interval_ms;
  REQUIRE(validate(config) != nullptr);
  CHECK(std::string(validate(config)).find("heartbeat") != std::string::npos);
  config = tether::test::default_client_config();
  config.reliable.queue_max_messages = 0;
  CHECK(validate(config) != nullptr);
}
