// The ServerEndpoint with many simulated clients, in virtual time: fan-out,
// slow consumers, clients that stop reading, flow control, expiry, restart,
// and the bounds on what it reports. Each attack is followed by a check that
// the other clients are still served.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "server_sim.h"

using namespace tether::core;
using namespace tether::test;

namespace {

const std::vector<std::string> kEverything = {"publish:*", "subscribe:*"};

std::string payload_of(size_t bytes) { return "\"" + std::string(bytes - 2, 'x') + "\""; }

ServerSim::Client& subscriber(ServerSim& sim, const std::string& user, const std::string& channel) {
  ServerSim::Client& c = sim.auth(user, kEverything);
  sim.send(c, subscribe_frame(channel));
  REQUIRE(c.take(MessageType::Subscribed).size() == 1);
  return c;
}

// Acks everything the client has been sent reliably so far.
void ack_all(ServerSim& sim, ServerSim::Client& c) {
  uint64_t up_to = 0;
  for (const Message& m : c.received) {
    if (m.type == MessageType::Channel && m.require_ack) up_to = std::max(up_to, m.id);
  }
  if (up_to != 0) sim.send(c, R"({"type":"ack","upTo":)" + std::to_string(up_to) + "}");
}

const EndpointEvent* find_event(const ServerSim& sim, EndpointEvent::Kind kind) {
  for (const EndpointEvent& e : sim.events) {
    if (e.kind == kind) return &e;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("the endpoint fans a publish out once to every subscriber and no one else", "[core][endpoint]") {
  for (const bool to_host : {false, true}) {
    EndpointConfig config = endpoint_config_of(default_server_config());
    config.publishes_to_host = to_host;
    ServerSim sim(config);
    std::vector<ServerSim::Client*> room;
    for (int n = 0; n < 40; ++n) room.push_back(&subscriber(sim, "user" + std::to_string(n), "room"));
    ServerSim::Client& elsewhere = subscriber(sim, "other", "elsewhere");
    ServerSim::Client& publisher = sim.auth("pub", kEverything);

    for (uint64_t seq = 1; seq <= 5; ++seq) sim.send(publisher, publish_frame("room", std::to_string(seq), seq));
    for (ServerSim::Client* c : room) {
      const std::vector<Message> got = c->take(MessageType::Channel);
      REQUIRE(got.size() == 5);
      for (size_t i = 0; i < got.size(); ++i) CHECK(got[i].data == std::to_string(i + 1));
    }
    CHECK(elsewhere.take(MessageType::Channel).empty());
    CHECK(publisher.take(MessageType::Ack).back().up_to == 5);
    // The host sees client publishes only when it asked to route them.
    CHECK(sim.count_events(EndpointEvent::Kind::Publish) == (to_host ? 5u : 0u));
    CHECK(sim.count_events(EndpointEvent::Kind::SessionStarted) == 42);
  }
}

TEST_CASE("a subscriber whose buffer overflows is dropped alone, and the broker forgets it",
          "[core][endpoint][limits]") {
  ServerConfig session = default_server_config();
  session.reliable.max_buffered_bytes = 16 * 1024;
  session.reliable.queue_max_bytes = 16 * 1024;
  ServerSim sim(session);
  ServerSim::Client& slow = subscriber(sim, "slow", "feed");
  ServerSim::Client& fast = subscriber(sim, "fast", "feed");
  ServerSim::Client& publisher = sim.auth("pub", kEverything);
  sim.set_reading(slow, false);

  const std::string data = payload_of(1000);
  size_t most_buffered = 0;
  for (uint64_t seq = 1; seq <= 100; ++seq) {
    sim.send(publisher, publish_frame("feed", data, seq));
    ack_all(sim, fast);
    if (auto state = sim.endpoint.find_session(slow.session_id)) {
      most_buffered = std::max(most_buffered, state->sender.buffered_bytes());
    }
  }
  // Held up to its bound, then dropped with 4008, never beyond it.
  CHECK(most_buffered <= session.reliable.max_buffered_bytes);
  CHECK(most_buffered > session.reliable.max_buffered_bytes - 2 * data.size());
  CHECK(slow.closed);
  CHECK(slow.close_code == close_code::kSlowConsumer);
  CHECK(sim.endpoint.find_session(slow.session_id) == nullptr);
  const EndpointEvent* dropped = find_event(sim, EndpointEvent::Kind::SlowConsumer);
  REQUIRE(dropped != nullptr);
  CHECK(dropped->code == "buffer_full");
  CHECK(dropped->buffered_bytes <= session.reliable.max_buffered_bytes);
  const EndpointEvent* ended = find_event(sim, EndpointEvent::Kind::SessionEnded);
  REQUIRE(ended != nullptr);
  CHECK(ended->end == SessionEnd::SlowConsumer);
  CHECK(ended->session->id == slow.session_id);

  // Everyone else got everything; a later publish goes on without it.
  CHECK(fast.take(MessageType::Channel).size() == 100);
  CHECK_FALSE(fast.closed);
  sim.send(publisher, publish_frame("feed", "1", 101));
  CHECK(fast.take(MessageType::Channel).size() == 1);
  CHECK(sim.count_events(EndpointEvent::Kind::SessionEnded) == 1);
}

TEST_CASE("a parked subscriber that overflows is forgotten, its pending messages failed",
          "[core][endpoint][limits]") {
  ServerConfig session = default_server_config();
  session.reliable.max_buffered_bytes = 8 * 1024;
  session.reliable.queue_max_bytes = 8 * 1024;
  ServerSim sim(session);
  ServerSim::Client& away = subscriber(sim, "away", "feed");
  sim.drop(away);
  for (int n = 0; n < 20; ++n) sim.publish("feed", payload_of(1000), true);
  const EndpointEvent* ended = find_event(sim, EndpointEvent::Kind::SessionEnded);
  REQUIRE(ended != nullptr);
  CHECK(ended->end == SessionEnd::SlowConsumer);
  CHECK(ended->session->failed > 0);
  CHECK(ended->session->sender.buffered_bytes() == 0);
  // A resume now starts afresh: the session is gone.
  ServerSim::Client& again = sim.auth("away", kEverything, away.session_id);
  const std::vector<Message> success = again.take(MessageType::AuthSuccess);
  REQUIRE(success.size() == 1);
  CHECK_FALSE(success[0].resumed);
}

TEST_CASE("a client that stops reading but keeps sending is a slow consumer past the input bound",
          "[core][endpoint][limits]") {
  EndpointConfig config = endpoint_config_of(default_server_config());
  config.max_unanswered_bytes = 4096;
  ServerSim sim(config);
  ServerSim::Client& canary = subscriber(sim, "canary", "canary");
  ServerSim::Client& pinger = sim.auth("pinger", kEverything);
  sim.set_reading(pinger, false);
  const size_t frames_before = pinger.frames;
  const std::string pings = R"([{"type":"ping","timestamp":1},{"type":"ping","timestamp":2}])";
  size_t sent = 0;
  for (; sent < 1000 && !pinger.closed; ++sent) sim.send(pinger, pings);
  // Nothing was written to it while blocked, and its replies stopped piling
  // up once the unanswered input passed the bound.
  CHECK(pinger.frames == frames_before);
  CHECK(pinger.closed);
  CHECK(pinger.close_code == close_code::kSlowConsumer);
  CHECK((sent - 1) * pings.size() <= config.max_unanswered_bytes);
  CHECK(sent * pings.size() > config.max_unanswered_bytes);
  const EndpointEvent* dropped = find_event(sim, EndpointEvent::Kind::SlowConsumer);
  REQUIRE(dropped != nullptr);
  CHECK(dropped->code == "not_reading");

  // An unauthenticated connection gets the same treatment.
  ServerSim::Client& anonymous = sim.open();
  sim.set_reading(anonymous, false);
  for (int n = 0; n < 1000 && !anonymous.closed; ++n) sim.send(anonymous, R"({"type":"ping","timestamp":1})");
  CHECK(anonymous.close_code == close_code::kSlowConsumer);

  sim.publish("canary", "1", true);
  CHECK(canary.take(MessageType::Channel).size() == 1);
}

// The input alone stays under the bound here; the error replies it causes
// cross it. The frame whose errors cross it is the last: the client is
// dropped then (before, it was never dropped, and every later frame was
// ignored without a word).
TEST_CASE("error replies that push a blocked client past the bound drop it at once", "[core][endpoint][limits]") {
  EndpointConfig config = endpoint_config_of(default_server_config());
  config.max_unanswered_bytes = 4096;
  ServerSim sim(config);
  ServerSim::Client& sender = sim.auth("sender", kEverything);
  sim.set_reading(sender, false);
  std::string batch = "[";
  for (int i = 0; i < 40; ++i) batch += i > 0 ? ",{}" : "{}";  // 40 missing_field errors, ~60 bytes each
  batch += "]";
  REQUIRE(2 * batch.size() < config.max_unanswered_bytes);  // the input alone never crosses it
  int frames = 0;
  for (; frames < 10 && !sender.closed; ++frames) sim.send(sender, batch);
  CHECK(sender.closed);
  CHECK(sender.close_code == close_code::kSlowConsumer);
  CHECK(frames == 2);  // ~2.5 KB of errors per frame
  const EndpointEvent* dropped = find_event(sim, EndpointEvent::Kind::SlowConsumer);
  REQUIRE(dropped != nullptr);
  CHECK(dropped->code == "not_reading");
}

// WebSocket pings never reach the session: the transport answers them, each
// pong a queued message of its own. Counted at that cost while the
// transport's queue only grows, they drop a client that reads nothing.
TEST_CASE("WebSocket pings are counted at what their pongs cost while the client reads nothing",
          "[core][endpoint][limits]") {
  EndpointConfig config = endpoint_config_of(default_server_config());
  config.max_unanswered_bytes = 64 * 1024;
  ServerSim sim(config);
  constexpr TimeMs kTokenMs = 1000 / ServerEndpoint::kAnsweredPingsPerSecond + 1;  // one ping's worth
  // A reader: its queue empties (or shrinks) between pings, however many.
  ServerSim::Client& reader = sim.auth("reader", kEverything);
  TimeMs at = sim.now;
  for (int i = 0; i < 10000; ++i) REQUIRE(sim.endpoint.handle_ping(reader.id, 0, i % 2 == 0 ? 0 : 500, at += kTokenMs));
  for (int i = 0; i < 10000; ++i) REQUIRE(sim.endpoint.handle_ping(reader.id, 0, 100000 - i, at += kTokenMs));

  ServerSim::Client& pinger = sim.open();  // unauthenticated, as the flood came
  size_t queued = 0;
  int answered = 0;
  while (answered < 100000 && sim.endpoint.handle_ping(pinger.id, 125, queued, at += kTokenMs)) {
    ++answered;
    queued += 2 + 125;  // each pong adds its bytes; nothing leaves
  }
  sim.flush();
  CHECK(answered > 0);
  CHECK(static_cast<size_t>(answered) * (256 + 125) <= config.max_unanswered_bytes);
  CHECK(static_cast<size_t>(answered + 1) * (256 + 125) > config.max_unanswered_bytes);
  CHECK(pinger.closed);
  CHECK(pinger.close_code == close_code::kSlowConsumer);
  CHECK_FALSE(sim.endpoint.handle_ping(pinger.id, 0, 0, at += 1000));  // and never again
  const EndpointEvent* dropped = find_event(sim, EndpointEvent::Kind::SlowConsumer);
  REQUIRE(dropped != nullptr);
  CHECK(dropped->code == "not_reading");
  CHECK_FALSE(reader.closed);
  CHECK(sim.endpoint.counters().pings_unanswered == 0);
}

// An empty pong adds nothing to the transport's byte count, so a flood of
// empty pings is also held to a rate: bursts of 64, then 64 a second.
TEST_CASE("WebSocket pings past the per-connection rate go unanswered and are counted", "[core][endpoint][limits]") {
  ServerSim sim;
  ServerSim::Client& flooder = sim.open();
  constexpr uint32_t kRate = ServerEndpoint::kAnsweredPingsPerSecond;
  const TimeMs start = sim.now + 5000;
  uint32_t answered = 0;
  for (int i = 0; i < 10000; ++i) answered += sim.endpoint.handle_ping(flooder.id, 0, 0, start) ? 1 : 0;
  CHECK(answered == kRate);
  CHECK(sim.endpoint.counters().pings_unanswered == 10000 - kRate);
  // A second later the bucket is full again, and no fuller.
  answered = 0;
  for (int i = 0; i < 10000; ++i) answered += sim.endpoint.handle_ping(flooder.id, 0, 0, start + 1000) ? 1 : 0;
  CHECK(answered == kRate);
  answered = 0;
  for (int i = 0; i < 10000; ++i) answered += sim.endpoint.handle_ping(flooder.id, 0, 0, start + 60000) ? 1 : 0;
  CHECK(answered == kRate);
  CHECK_FALSE(flooder.closed);  // refused pongs are not a reason to close
}

TEST_CASE("a blocked connection resumes writing when its socket drains", "[core][endpoint][flow]") {
  ServerSim sim;
  ServerSim::Client& c = subscriber(sim, "alice", "feed");
  sim.set_reading(c, false);
  for (int n = 1; n <= 10; ++n) REQUIRE(sim.publish("feed", std::to_string(n), true));
  CHECK(c.take(MessageType::Channel).empty());
  CHECK(sim.endpoint.find_session(c.session_id)->sender.queued_messages() +
            sim.endpoint.find_session(c.session_id)->sender.in_flight() ==
        10);
  sim.set_reading(c, true);
  const std::vector<Message> got = c.take(MessageType::Channel);
  REQUIRE(got.size() == 10);
  CHECK(got.front().data == "1");
  CHECK(got.back().data == "10");
}

TEST_CASE("error reports are capped per connection and the rest are counted", "[core][endpoint]") {
  EndpointConfig config = endpoint_config_of(default_server_config());
  config.session.idle_timeout_ms = 60000;  // stays connected across the windows
  config.max_error_reports = 5;
  config.error_report_window_ms = 10000;
  ServerSim sim(config);
  ServerSim::Client& noisy = sim.auth("noisy", kEverything);
  for (int n = 0; n < 50; ++n) sim.send(noisy, R"({"type":"bogus"})");
  // Every bad message is answered, but only five reach the log.
  CHECK(noisy.take(MessageType::Error).size() == 50);
  CHECK(sim.count_events(EndpointEvent::Kind::ClientError) == 5);
  // A new window: the next report says how many were left out.
  sim.advance(10000);
  sim.send(noisy, R"({"type":"bogus"})");
  REQUIRE(sim.count_events(EndpointEvent::Kind::ClientError) == 6);
  CHECK(sim.events.back().kind == EndpointEvent::Kind::ClientError);
  CHECK(sim.events.back().code == "unknown_type");
  CHECK(sim.events.back().suppressed == 45);
  // And the last few are summed up when it leaves.
  for (int n = 0; n < 10; ++n) sim.send(noisy, R"({"type":"bogus"})");
  sim.drop(noisy);
  const EndpointEvent& last = sim.events.back();
  CHECK(last.kind == EndpointEvent::Kind::ClientError);
  CHECK(last.code == "errors_suppressed");
  CHECK(last.suppressed == 6);
}

TEST_CASE("a parked session expires after its resume TTL, failing what it held", "[core][endpoint]") {
  ServerSim sim;
  ServerSim::Client& c = subscriber(sim, "alice", "feed");
  sim.drop(c);
  for (int n = 0; n < 3; ++n) REQUIRE(sim.publish("feed", std::to_string(n), true));
  sim.advance(sim.endpoint.config().session.resume_ttl_ms - 1);
  CHECK(sim.count_events(EndpointEvent::Kind::SessionEnded) == 0);
  sim.advance(1);
  const EndpointEvent* ended = find_event(sim, EndpointEvent::Kind::SessionEnded);
  REQUIRE(ended != nullptr);
  CHECK(ended->end == SessionEnd::Expired);
  CHECK(ended->session->failed == 3);
  CHECK(sim.endpoint.session_count() == 0);
  // The broker forgot its subscription too: a publish reaches no one.
  REQUIRE(sim.publish("feed", "4", true));
  CHECK(sim.endpoint.session_count() == 0);
}

TEST_CASE("application messages are checked before they are queued", "[core][endpoint]") {
  ServerConfig session = default_server_config();
  session.limits.max_frame_bytes = 2048;
  ServerSim sim(session);
  ServerSim::Client& c = subscriber(sim, "alice", "feed");
  CHECK_FALSE(sim.send_to(c, "", "1", true));                    // no channel
  CHECK_FALSE(sim.send_to(c, std::string("a\0b", 3), "1", true));  // NUL in it
  CHECK_FALSE(sim.send_to(c, "feed", "{", true));                // not JSON
  CHECK_FALSE(sim.send_to(c, "feed", payload_of(2048), true));   // the delivery would not fit a frame
  CHECK_FALSE(sim.endpoint.send_to_session("no-such-session", "feed", "1", true, sim.now));
  CHECK_FALSE(sim.publish("feed", "[1,", false));
  CHECK(c.take(MessageType::Channel).empty());
  CHECK(sim.send_to(c, "feed", payload_of(1800), true));  // within the bound with a cluster offset
  CHECK(c.take(MessageType::Channel).size() == 1);
}

TEST_CASE("a restart through snapshot and restore resumes every session exactly once", "[core][endpoint]") {
  ServerConfig session = default_server_config();
  ServerSim before(session);
  ServerSim::Client& alice = subscriber(before, "alice", "room");
  ServerSim::Client& bob = subscriber(before, "bob", "room");
  before.send(alice, publish_frame("room", "1", 1));
  ack_all(before, bob);
  before.set_reading(bob, false);
  before.send(alice, publish_frame("room", "2", 2));  // waits in bob's session
  before.endpoint.close_all(close_code::kGoingAway, "restart");
  before.flush();
  CHECK(alice.close_code == close_code::kGoingAway);
  CHECK(alice.take(MessageType::Ack).back().up_to == 2);
  const std::string saved = before.endpoint.snapshot("app");

  ServerSim after(session);
  const RestoreResult restored = after.endpoint.restore(saved, after.now);
  REQUIRE(restored.ok);
  CHECK(restored.restored == 2);
  CHECK(restored.app_state == "app");
  ServerSim::Client& bob_again = after.auth("bob", kEverything, bob.session_id, 1);
  REQUIRE(bob_again.take(MessageType::AuthSuccess).at(0).resumed);
  // Only what it had not acked: "2", which waited in its session.
  const std::vector<Message> got = bob_again.take(MessageType::Channel);
  REQUIRE(got.size() == 1);
  CHECK(got[0].data == "2");
  // Its subscription came back with it: new publishes reach it.
  ServerSim::Client& alice_again = after.auth("alice", kEverything, alice.session_id, 0);
  after.send(alice_again, publish_frame("room", "3", 3));
  CHECK(alice_again.take(MessageType::Ack).back().up_to == 3);
  CHECK(bob_again.take(MessageType::Channel).size() == 1);
}
