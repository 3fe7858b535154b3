// The C API against the real tether-server on 127.0.0.1: auth, reliable
// delivery, channels, permissions, reconnects, stats.
#include <catch2/catch.hpp>
#include <chrono>
#include <string>

#include "capi_harness.h"
#include "capi_server.h"
#include "tether/tether.h"

using namespace tether::capi_test;

namespace {

int64_t unix_now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

uint64_t send_reliable(TestClient& client, const char* channel, const std::string& json) {
  uint64_t id = 0;
  const int32_t result =
      tether_client_send(client.handle(), channel, json.data(), json.size(), TETHER_SEND_RELIABLE, &id);
  INFO(tether_client_last_error(client.handle()));
  REQUIRE(result == TETHER_OK);
  return id;
}

bool acked(const TestClient& client, uint64_t id) {
  return client.find(TETHER_EVENT_ACK, [id](const RecordedEvent& e) { return e.message_id == id; }) != nullptr;
}

}  // namespace

TEST_CASE("connects and authenticates: states in order, then AUTH_OK", "[capi][integration]") {
  RunningServer s;
  TestClient client(s.server.url(), mint_token("alice", {"publish:room:*", "subscribe:room:*"}));
  REQUIRE(tether_client_connect(client.handle()) == TETHER_OK);
  REQUIRE(client.pump_until([&] { return client.find(TETHER_EVENT_AUTH_OK) != nullptr; }));

  std::vector<uint32_t> states;
  for (const RecordedEvent& e : client.events) {
    if (e.type == TETHER_EVENT_STATE_CHANGED) states.push_back(e.state);
  }
  CHECK(states == std::vector<uint32_t>{TETHER_STATE_CONNECTING, TETHER_STATE_AUTHENTICATING, TETHER_STATE_READY});
  const RecordedEvent* auth = client.find(TETHER_EVENT_AUTH_OK);
  CHECK(auth->user_id == "alice");
  CHECK(auth->permissions == "publish:room:*\nsubscribe:room:*");
  CHECK(auth->permission_count == 2);
  CHECK_FALSE(auth->session.empty());
  CHECK(auth->expires_at_ms > unix_now_ms());
  CHECK((auth->flags & TETHER_EVENT_FLAG_RESUMED) == 0);
}

TEST_CASE("a reliable send is acked with the id send returned", "[capi][integration]") {
  RunningServer s;
  TestClient client(s.server.url(), mint_token("alice"));
  // Sent before connecting: it waits in the queue and leaves after auth.
  const uint64_t early = send_reliable(client, "room:1", "{\"n\":1}");
  REQUIRE(tether_client_connect(client.handle()) == TETHER_OK);
  const uint64_t late = send_reliable(client, "room:1", "{\"n\":2}");
  REQUIRE(client.pump_until([&] { return acked(client, early) && acked(client, late); }));
  CHECK(client.count(TETHER_EVENT_SEND_FAILED) == 0);
  CHECK(client.find(TETHER_EVENT_ACK)->outcome == TETHER_OUTCOME_ACKED);
}

TEST_CASE("a subscriber receives what another client publishes", "[capi][integration]") {
  RunningServer s;
  TestClient alice(s.server.url(), mint_token("alice"));
  TestClient bob(s.server.url(), mint_token("bob"));
  REQUIRE(tether_client_subscribe(bob.handle(), "room:7") == TETHER_OK);
  REQUIRE(tether_client_connect(bob.handle()) == TETHER_OK);
  REQUIRE(bob.pump_until([&] { return bob.find(TETHER_EVENT_SUBSCRIBED) != nullptr; }));
  CHECK(bob.find(TETHER_EVENT_SUBSCRIBED)->channel == "room:7");

  REQUIRE(tether_client_connect(alice.handle()) == TETHER_OK);
  const int64_t sent_at = unix_now_ms();
  send_reliable(alice, "room:7", "{\"text\":\"hi\"}");
  const std::string unreliable = "[1,2,3]";
  REQUIRE(tether_client_send(alice.handle(), "room:7", unreliable.data(), unreliable.size(), 0, nullptr) ==
          TETHER_OK);
  REQUIRE(bob.pump_until([&] { return bob.count(TETHER_EVENT_MESSAGE) == 2; }));

  const RecordedEvent* first = bob.find(TETHER_EVENT_MESSAGE);
  CHECK(first->channel == "room:7");
  CHECK(first->data == "{\"text\":\"hi\"}");
  CHECK((first->flags & TETHER_EVENT_FLAG_RELIABLE) != 0);
  CHECK(first->message_id != 0);
  CHECK(first->timestamp_ms >= sent_at - 1000);  // the sender's clock: same machine
  const RecordedEvent* second =
      bob.find(TETHER_EVENT_MESSAGE, [](const RecordedEvent& e) { return e.data == "[1,2,3]"; });
  REQUIRE(second != nullptr);
  CHECK((second->flags & TETHER_EVENT_FLAG_RELIABLE) == 0);
  CHECK(second->message_id == 0);

  REQUIRE(tether_client_unsubscribe(bob.handle(), "room:7") == TETHER_OK);
  REQUIRE(bob.pump_until([&] { return bob.find(TETHER_EVENT_UNSUBSCRIBED) != nullptr; }));
}

TEST_CASE("permission denied: an event from the server, then at once from the client", "[capi][integration]") {
  RunningServer s;
  TestClient client(s.server.url(), mint_token("carol", {"publish:room:*", "subscribe:room:*"}));
  // Before auth the client cannot know its permissions: the server refuses.
  REQUIRE(tether_client_subscribe(client.handle(), "admin") == TETHER_OK);
  const uint64_t id = send_reliable(client, "admin", "{}");
  REQUIRE(tether_client_connect(client.handle()) == TETHER_OK);
  REQUIRE(client.pump_until([&] { return client.count(TETHER_EVENT_PERMISSION_DENIED) == 2; }));

  const RecordedEvent* subscribe = client.find(
      TETHER_EVENT_PERMISSION_DENIED, [](const RecordedEvent& e) { return e.action == "subscribe"; });
  REQUIRE(subscribe != nullptr);
  CHECK(subscribe->channel == "admin");
  CHECK(subscribe->message_id == 0);
  const RecordedEvent* publish = client.find(
      TETHER_EVENT_PERMISSION_DENIED, [](const RecordedEvent& e) { return e.action == "publish"; });
  REQUIRE(publish != nullptr);
  CHECK(publish->message_id == id);
  REQUIRE(client.pump_until([&] { return client.find(TETHER_EVENT_SEND_FAILED) != nullptr; }));
  CHECK(client.find(TETHER_EVENT_SEND_FAILED)->outcome == TETHER_OUTCOME_PERMISSION_DENIED);
  CHECK(client.find(TETHER_EVENT_SEND_FAILED)->message_id == id);

  // Authenticated, the client checks itself and refuses immediately.
  const std::string json = "{}";
  CHECK(tether_client_send(client.handle(), "admin", json.data(), json.size(), 0, nullptr) ==
        TETHER_ERROR_PERMISSION_DENIED);
  CHECK(tether_client_subscribe(client.handle(), "admin") == TETHER_ERROR_PERMISSION_DENIED);
}

TEST_CASE("reconnects after the server is killed and restarted on the same port", "[capi][integration]") {
  RunningServer s;
  TestClient client(s.server.url(), mint_token("dave"));
  REQUIRE(tether_client_subscribe(client.handle(), "room:1") == TETHER_OK);
  REQUIRE(tether_client_connect(client.handle()) == TETHER_OK);
  REQUIRE(client.wait_state(TETHER_STATE_READY));
  const uint64_t online = send_reliable(client, "room:1", "1");
  REQUIRE(client.pump_until([&] { return acked(client, online); }));

  s.server.kill();
  REQUIRE(client.wait_state(TETHER_STATE_RECONNECTING));
  const RecordedEvent* reconnecting = client.find(
      TETHER_EVENT_STATE_CHANGED, [](const RecordedEvent& e) { return e.state == TETHER_STATE_RECONNECTING; });
  CHECK(reconnecting->attempt >= 1);
  CHECK(reconnecting->delay_ms >= 0);
  CHECK(reconnecting->delay_ms <= 200);  // backoff_max_ms
  CHECK(reconnecting->close_code == 1006);
  CHECK(reconnecting->close_initiator == TETHER_CLOSED_BY_TRANSPORT);

  // Sent while the server is down: queued, then delivered on the new server.
  const uint64_t offline = send_reliable(client, "room:1", "2");
  const size_t subscribed_before = client.count(TETHER_EVENT_SUBSCRIBED);
  INFO(s.server.error());
  REQUIRE(s.server.restart());
  REQUIRE(client.pump_until([&] { return client.count_state(TETHER_STATE_READY) == 2; }));
  REQUIRE(client.pump_until([&] { return acked(client, offline); }));
  // A new server knows no session: fresh (not resumed), subscriptions re-sent.
  CHECK(client.count(TETHER_EVENT_AUTH_OK) == 2);
  REQUIRE(client.pump_until([&] { return client.count(TETHER_EVENT_SUBSCRIBED) > subscribed_before; }));

  tether_stats stats{};
  stats.struct_size = sizeof(stats);
  REQUIRE(tether_client_pool_stats(client.handle(), &stats) == TETHER_OK);
  CHECK(stats.reconnects == 1);
  CHECK(stats.state == TETHER_STATE_READY);
}

TEST_CASE("a cut connection resumes its session", "[capi][integration]") {
  RunningServer s;
  TestClient client(s.server.url(), mint_token("erin"));
  REQUIRE(tether_client_connect(client.handle()) == TETHER_OK);
  REQUIRE(client.wait_state(TETHER_STATE_READY));
  REQUIRE(tether_client_simulate_cut(client.handle(), -1) == TETHER_OK);
  REQUIRE(client.pump_until([&] { return client.count_state(TETHER_STATE_READY) == 2; }));
  const RecordedEvent* resumed = client.find(TETHER_EVENT_STATE_CHANGED, [](const RecordedEvent& e) {
    return e.state == TETHER_STATE_READY && (e.flags & TETHER_EVENT_FLAG_RESUMED) != 0;
  });
  CHECK(resumed != nullptr);
  CHECK(client.saw_state(TETHER_STATE_RECONNECTING));
}

// simulate_cut drops the connections open when it is called. Made while
// offline it has nothing to drop, and must not drop the connection a later
// connect() opens (it did: the cut ran on the loop after that connect).
TEST_CASE("a cut made while offline leaves the next connection alone", "[capi][integration]") {
  RunningServer s;
  TestClient client(s.server.url(), mint_token("erin"));
  REQUIRE(tether_client_subscribe(client.handle(), "room:cut") == TETHER_OK);  // queues work for the loop
  REQUIRE(tether_client_simulate_cut(client.handle(), -1) == TETHER_OK);
  REQUIRE(tether_client_connect(client.handle()) == TETHER_OK);
  REQUIRE(client.wait_state(TETHER_STATE_READY));
  uint64_t id = 0;
  const std::string json = "{\"n\":1}";
  REQUIRE(tether_client_send(client.handle(), "room:cut", json.data(), json.size(), TETHER_SEND_RELIABLE, &id) ==
          TETHER_OK);
  REQUIRE(client.pump_until([&] {
    return client.find(TETHER_EVENT_ACK, [&](const RecordedEvent& e) { return e.message_id == id; }) != nullptr;
  }));
  CHECK(client.count_state(TETHER_STATE_CONNECTING) == 1);
  CHECK_FALSE(client.saw_state(TETHER_STATE_RECONNECTING));
  CHECK(client.find(TETHER_EVENT_TRANSPORT_ERROR) == nullptr);
}

TEST_CASE("a rejected token: AUTH_FAILED, UNAUTHORIZED, and set_token recovers", "[capi][integration]") {
  RunningServer s;
  TestClient client(s.server.url(), mint_token("frank", tether::test_support::all_channels(), -60000));
  REQUIRE(tether_client_connect(client.handle()) == TETHER_OK);
  REQUIRE(client.wait_state(TETHER_STATE_UNAUTHORIZED));
  const RecordedEvent* failed = client.find(TETHER_EVENT_AUTH_FAILED);
  REQUIRE(failed != nullptr);
  CHECK(failed->code == "token_expired");
  REQUIRE(tether_client_set_token(client.handle(), mint_token("frank").c_str()) == TETHER_OK);
  REQUIRE(client.wait_state(TETHER_STATE_READY));
}

TEST_CASE("pool stats are the sum of the connection stats", "[capi][integration]") {
  RunningServer s;
  const std::string url = s.server.url();
  const std::string token = mint_token("grace");
  tether_config config = test_config(url.c_str(), token.c_str());
  config.pool_size = 3;
  config.balance_strategy = TETHER_BALANCE_ROUND_ROBIN;
  TestClient client(config);
  REQUIRE(tether_client_connect(client.handle()) == TETHER_OK);
  REQUIRE(client.pump_until([&] { return client.count_state(TETHER_STATE_READY) == 3; }));
  for (int i = 0; i < 9; ++i) send_reliable(client, "room:1", std::to_string(i));
  REQUIRE(client.pump_until([&] { return client.count(TETHER_EVENT_ACK) == 9; }));

  tether_stats pool{};
  pool.struct_size = sizeof(pool);
  REQUIRE(tether_client_pool_stats(client.handle(), &pool) == TETHER_OK);
  tether_stats sum{};
  for (uint32_t i = 0; i < 3; ++i) {
    tether_stats one{};
    one.struct_size = sizeof(one);
    REQUIRE(tether_client_connection_stats(client.handle(), i, &one) == TETHER_OK);
    CHECK(one.state == TETHER_STATE_READY);
    CHECK(one.routed == 3);  // round robin over healthy connections
    sum.messages_sent += one.messages_sent;
    sum.bytes_sent += one.bytes_sent;
    sum.bytes_received += one.bytes_received;
    sum.routed += one.routed;
    sum.pending_acks += one.pending_acks;
  }
  CHECK(pool.messages_sent == 9);
  CHECK(sum.messages_sent == pool.messages_sent);
  CHECK(sum.bytes_sent == pool.bytes_sent);
  CHECK(sum.bytes_received == pool.bytes_received);
  CHECK(sum.routed == 9);
  CHECK(pool.pending_acks == 0);
  CHECK(pool.state == TETHER_STATE_READY);
  // Events name their connection.
  for (uint32_t i = 0; i < 3; ++i) {
    CHECK(client.find(TETHER_EVENT_AUTH_OK, [i](const RecordedEvent& e) { return e.connection == i; }) != nullptr);
  }
}

TEST_CASE("set_token while READY: TOKEN_REFRESHED carries the new permissions, and sends obey them",
          "[capi][integration]") {
  RunningServer s;
  TestClient client(s.server.url(), mint_token("alice", {"publish:room:*", "subscribe:room:*"}));
  REQUIRE(tether_client_connect(client.handle()) == TETHER_OK);
  REQUIRE(client.wait_state(TETHER_STATE_READY));
  send_reliable(client, "room:1", "{\"before\":true}");

  REQUIRE(tether_client_set_token(client.handle(), mint_token("alice", {"subscribe:room:*"}).c_str()) == TETHER_OK);
  REQUIRE(client.pump_until([&] { return client.find(TETHER_EVENT_TOKEN_REFRESHED) != nullptr; }));
  const RecordedEvent* refreshed = client.find(TETHER_EVENT_TOKEN_REFRESHED);
  CHECK(refreshed->permissions == "subscribe:room:*");
  CHECK(refreshed->permission_count == 1);
  CHECK_FALSE(refreshed->token.empty());

  uint64_t id = 0;
  const std::string json = "{\"after\":true}";
  CHECK(tether_client_send(client.handle(), "room:1", json.data(), json.size(), TETHER_SEND_RELIABLE, &id) ==
        TETHER_ERROR_PERMISSION_DENIED);
}
