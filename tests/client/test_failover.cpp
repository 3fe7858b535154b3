// Failover across EngineConfig::urls: each pool connection starts on
// urls[i % count] and, whenever it reconnects by itself, tries the next
// entry. Rules in virtual time on a PoolSlot, then the engine against real
// tether-server processes on 127.0.0.1 (single nodes: they share no
// sessions, so a failover starts a new session there).
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "client/pool_slot.h"
#include "engine_driver.h"
#include "server_process.h"
#include "dead_port.h"
#include "tokens.h"

using namespace tether::test;
using namespace tether::test_support;
using tether::client::PoolSlot;
using tether::core::SendStatus;
using tether::core::TransportAction;

namespace {

ServerProcess start_server() { return ServerProcess(kServerBinary, {"--jwt-secret", kTestSecret}); }

uint32_t url_of(const EngineDriver& client, uint32_t connection) {
  return client.engine->connection_stats(connection).url_index;
}

// StateChanged events of one connection into `state`.
size_t count_state_of(const EngineDriver& client, uint32_t connection, ClientState state) {
  size_t n = 0;
  for (const auto& e : client.events) {
    n += (e.kind == EngineEvent::Kind::Session && e.connection == connection &&
          e.session.kind == ClientEvent::Kind::StateChanged && e.session.state == state)
             ? 1
             : 0;
  }
  return n;
}

uint64_t send_reliable(EngineDriver& client, const std::string& channel, const std::string& json) {
  uint64_t id = 0;
  REQUIRE(client.engine->send(channel, json, true, &id) == SendStatus::Ok);
  return id;
}

bool acked(const EngineDriver& client, uint64_t id) {
  for (const auto& e : client.events) {
    if (e.kind == EngineEvent::Kind::Session && e.session.kind == ClientEvent::Kind::Acked &&
        e.session.message_id == id) {
      return true;
    }
  }
  return false;
}

// Drains a slot's actions as the engine's drive() does: a Close ends the
// connection (and may move the slot on), a Connect is the next attempt.
// Returns the url index each Connect went to.
std::vector<uint32_t> drain_actions(PoolSlot& slot) {
  std::vector<uint32_t> connects;
  TransportAction action;
  while (slot.session.poll_action(action)) {
    if (action.kind == TransportAction::Kind::Connect) {
      connects.push_back(slot.url_index);
    } else {
      slot.after_connection_end();
    }
  }
  return connects;
}

tether::core::ClientConfig slot_config() {
  tether::core::ClientConfig config;
  config.token = "t";
  config.connect_timeout_ms = 100;
  config.backoff.initial_delay_ms = 10;
  config.backoff.max_delay_ms = 10;
  config.backoff.max_attempts = 0;
  config.backoff.jitter = tether::core::JitterMode::None;  // every delay exactly 10 ms
  return config;
}

}  // namespace

TEST_CASE("pool slot: which endings move a connection to the next url", "[client]") {
  using tether::core::ClientState;
  int64_t now = 1000;

  SECTION("pool connection i starts on i % count") {
    for (uint32_t i = 0; i < 5; ++i) CHECK(PoolSlot(i, 3, slot_config(), 1).url_index == i % 3);
    CHECK(PoolSlot(4, 1, slot_config(), 1).url_index == 0);
  }

  SECTION("each failed attempt tries the next url, wrapping around, one url stays put") {
    for (uint32_t count : {3u, 1u}) {
      PoolSlot slot(1, count, slot_config(), 1);
      slot.session.connect(now);
      std::vector<uint32_t> tried = drain_actions(slot);
      for (int failure = 0; failure < 4; ++failure) {
        now += 100;
        slot.session.handle_timeout(now);  // connect timeout: Close, then Backoff
        REQUIRE(slot.session.state() == ClientState::Backoff);
        drain_actions(slot);
        now += 10;
        slot.session.handle_timeout(now);  // the backoff ends: Connect
        const std::vector<uint32_t> next = drain_actions(slot);
        tried.insert(tried.end(), next.begin(), next.end());
      }
      INFO(count);
      CHECK(tried == (count == 3 ? std::vector<uint32_t>{1, 2, 0, 1, 2} : std::vector<uint32_t>{0, 0, 0, 0, 0}));
    }
  }

  SECTION("a lost established connection moves on; the host's close and connect do not") {
    PoolSlot slot(0, 2, slot_config(), 1);
    slot.session.connect(now);
    CHECK(drain_actions(slot) == std::vector<uint32_t>{0});
    slot.session.handle_open(now);
    slot.session.handle_closed(1006, "", now);  // the link dropped (as on_closed reports it)
    REQUIRE(slot.session.state() == ClientState::Backoff);
    slot.after_connection_end();
    CHECK(slot.url_index == 1);
    now += 10;
    slot.session.handle_timeout(now);
    CHECK(drain_actions(slot) == std::vector<uint32_t>{1});
    slot.session.handle_open(now);
    // close() then connect() before the io thread drains: Close and Connect queued together.
    slot.session.close(now);
    slot.session.connect(now);
    REQUIRE(slot.session.state() == ClientState::Connecting);
    CHECK(drain_actions(slot) == std::vector<uint32_t>{1});
  }

  SECTION("a retry that begins in the same step as the failure (a backoff delay of 0) goes to the next url") {
    auto config = slot_config();
    config.backoff.initial_delay_ms = 1;
    config.backoff.jitter = tether::core::JitterMode::Full;  // a delay of 0 or 1 ms
    bool found = false;
    for (uint64_t seed = 1; seed < 200 && !found; ++seed) {
      PoolSlot slot(0, 2, config, seed);
      slot.session.connect(now);
      drain_actions(slot);
      slot.session.handle_timeout(now + 100);  // connect timeout
      if (slot.session.state() != ClientState::Connecting) continue;  // this seed drew 1 ms
      found = true;
      CHECK(drain_actions(slot) == std::vector<uint32_t>{1});  // Close, then Connect on the next url
    }
    CHECK(found);
  }
}

TEST_CASE("engine failover: a killed node's client becomes READY on the next url and its sends are acked",
          "[client][integration][failover]") {
  ServerProcess a = start_server();
  ServerProcess b = start_server();
  REQUIRE(a.start());
  REQUIRE(b.start());
  auto config = engine_config(a.url(), mint_token("nomad"));
  config.urls = {a.url(), b.url()};
  EngineDriver client(config);
  REQUIRE(client.engine);
  client.engine->connect();
  REQUIRE(client.engine->subscribe("echo") == SendStatus::Ok);
  REQUIRE(client.wait([&] { return client.count(ClientEvent::Kind::Subscribed) == 1; }));
  CHECK(url_of(client, 0) == 0);
  const uint64_t before = send_reliable(client, "echo", "{\"n\":1}");
  REQUIRE(client.wait([&] { return acked(client, before); }));
  const std::string first_session = client.last(ClientEvent::Kind::AuthOk)->session.session;

  a.kill();
  const uint64_t during = send_reliable(client, "echo", "{\"n\":2}");  // in flight or queued: goes along
  REQUIRE(client.wait([&] { return client.count_state(ClientState::Ready) == 2; }));
  CHECK(url_of(client, 0) == 1);
  CHECK(client.engine->pool_stats().url_index == 1);
  // Straight to B: no attempt on the dead node in between.
  CHECK(client.count_state(ClientState::Backoff) == 1);
  const EngineEvent* auth = client.last(ClientEvent::Kind::AuthOk);
  REQUIRE(auth != nullptr);
  CHECK_FALSE(auth->session.resumed);  // B never knew the session
  CHECK(auth->session.session != first_session);

  const uint64_t after = send_reliable(client, "echo", "{\"n\":3}");
  REQUIRE(client.wait([&] { return acked(client, during) && acked(client, after); }));
  // Resubscribed on B: its own publishes come back.
  REQUIRE(client.wait([&] {
    const auto got = client.messages("echo");
    return std::find(got.begin(), got.end(), "{\"n\":3}") != got.end();
  }));
  CHECK(client.count(ClientEvent::Kind::SendFailed) == 0);

  // B dies too, A is back: the rotation wraps around to the first url.
  REQUIRE(a.restart());
  b.kill();
  REQUIRE(client.wait([&] { return client.count_state(ClientState::Ready) == 3; }));
  CHECK(url_of(client, 0) == 0);
  const uint64_t back = send_reliable(client, "echo", "{\"n\":4}");
  REQUIRE(client.wait([&] { return acked(client, back); }));
}

TEST_CASE("engine failover: a dead first url, a live second: READY on the second",
          "[client][integration][failover]") {
  ServerProcess live = start_server();
  REQUIRE(live.start());
  auto config = engine_config(live.url(), mint_token("late"));
  const std::string dead = dead_url();
  REQUIRE(!dead.empty());
  config.urls = {dead, live.url()};
  EngineDriver client(config);
  client.engine->connect();
  REQUIRE(client.wait([&] { return client.ready(); }));
  CHECK(url_of(client, 0) == 1);
  CHECK(client.count_state(ClientState::Backoff) == 1);  // one failed attempt, on the dead url
  const EngineEvent* failure = client.last(ClientEvent::Kind::Error, EngineEvent::Kind::Transport);
  REQUIRE(failure != nullptr);
  CHECK(failure->session.code == "connect_failed");
  const uint64_t id = send_reliable(client, "x", "1");
  REQUIRE(client.wait([&] { return acked(client, id); }));
}

TEST_CASE("engine failover: a pool of 2 over 2 urls starts spread, and only the dead node's connection moves",
          "[client][integration][failover][pool]") {
  ServerProcess a = start_server();
  ServerProcess b = start_server();
  REQUIRE(a.start());
  REQUIRE(b.start());
  auto config = engine_config(a.url(), mint_token("spread"));
  config.urls = {a.url(), b.url()};
  config.pool_size = 2;
  EngineDriver client(config);
  client.engine->connect();
  REQUIRE(client.wait([&] { return client.all_ready(); }));
  CHECK(url_of(client, 0) == 0);
  CHECK(url_of(client, 1) == 1);

  // Killing B drops connection 1 alone, which proves it was the one on B.
  b.kill();
  REQUIRE(client.wait([&] { return count_state_of(client, 1, ClientState::Ready) == 2; }));
  CHECK(url_of(client, 1) == 0);  // (1 + 1) % 2: now on A too
  CHECK(count_state_of(client, 0, ClientState::Backoff) == 0);
  CHECK(count_state_of(client, 0, ClientState::Ready) == 1);
  CHECK(client.engine->connection_stats(0).reconnects == 0);
  CHECK(url_of(client, 0) == 0);
}

TEST_CASE("engine failover: a cut link moves on, the host close and a refused token keep the url",
          "[client][integration][failover]") {
  ServerProcess a = start_server();
  ServerProcess b = start_server();
  REQUIRE(a.start());
  REQUIRE(b.start());

  SECTION("a cut connection reconnects to the next url even though its node is up") {
    auto config = engine_config(a.url(), mint_token("cut"));
    config.urls = {a.url(), b.url()};
    EngineDriver client(config);
    client.engine->connect();
    REQUIRE(client.wait([&] { return client.ready(); }));
    REQUIRE(url_of(client, 0) == 0);
    client.engine->simulate_cut(0);
    REQUIRE(client.wait([&] { return client.count_state(ClientState::Ready) == 2; }));
    CHECK(url_of(client, 0) == 1);
    CHECK(client.count_state(ClientState::Backoff) == 1);
  }
  SECTION("close() then connect() comes back to the same url") {
    auto config = engine_config(a.url(), mint_token("closer"));
    config.urls = {a.url(), b.url()};
    EngineDriver client(config);
    client.engine->connect();
    REQUIRE(client.wait([&] { return client.ready(); }));
    client.engine->close();
    REQUIRE(client.wait([&] { return client.count_state(ClientState::Closed) == 1; }));
    client.engine->connect();
    REQUIRE(client.wait([&] { return client.count_state(ClientState::Ready) == 2; }));
    CHECK(url_of(client, 0) == 0);
    CHECK(client.count_state(ClientState::Backoff) == 0);
  }
  SECTION("a refused token waits for set_token() on the same url") {
    auto config = engine_config(a.url(), mint_token("forged", all_channels(), 60000, "wrong-secret"));
    config.urls = {a.url(), b.url()};
    EngineDriver client(config);
    client.engine->connect();
    REQUIRE(client.wait([&] { return client.count(ClientEvent::Kind::AuthFailed) == 1; }));
    CHECK(url_of(client, 0) == 0);
    REQUIRE(client.engine->set_token(mint_token("fixed")));
    REQUIRE(client.wait([&] { return client.ready(); }));
    CHECK(url_of(client, 0) == 0);
    CHECK(client.count_state(ClientState::Backoff) == 0);
  }
}
