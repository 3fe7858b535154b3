// tether_client_send_bytes: argument checks without a server, then binary
// payloads through the real tether-server, byte for byte, each reliable send
// resolved exactly once.
#include <catch2/catch.hpp>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "capi_harness.h"
#include "capi_server.h"
#include "tether/tether.h"

using namespace tether::capi_test;

namespace {

constexpr const char* kNowhere = "ws://127.0.0.1:1";  // nothing listens there

int32_t send_bytes(tether_client* client, const char* channel, const std::string& bytes, uint32_t flags = 0,
                   uint64_t* id = nullptr) {
  return tether_client_send_bytes(client, channel, bytes.data(), bytes.size(), flags, id);
}

std::string every_byte() {
  std::string out;
  for (int b = 0; b < 256; ++b) out.push_back(static_cast<char>(b));
  return out;
}

}  // namespace

TEST_CASE("send_bytes checks channel, pointers, size and flags, never the bytes", "[capi][binary]") {
  tether_config config = test_config(kNowhere, "token");
  config.max_message_bytes = 1024;
  TestClient client(config);
  tether_client* c = client.handle();

  // Anything is a payload: invalid UTF-8, not JSON, NULs, nothing at all.
  CHECK(send_bytes(c, "room", every_byte().substr(0, 200)) == TETHER_OK);
  CHECK(send_bytes(c, "room", "{not json") == TETHER_OK);
  CHECK(tether_client_send_bytes(c, "room", nullptr, 0, 0, nullptr) == TETHER_OK);
  uint64_t id = 0;
  CHECK(send_bytes(c, "room", std::string(3, '\0'), TETHER_SEND_RELIABLE, &id) == TETHER_OK);
  CHECK(id != 0);

  CHECK(tether_client_send_bytes(c, "room", nullptr, 1, 0, nullptr) == TETHER_ERROR_INVALID_ARGUMENT);
  CHECK(std::string(tether_client_last_error(c)) == "send_bytes: data is NULL with data_len > 0");
  CHECK(send_bytes(c, nullptr, "x") == TETHER_ERROR_INVALID_ARGUMENT);
  CHECK(send_bytes(c, "room", "x", 0x80) == TETHER_ERROR_INVALID_ARGUMENT);
  CHECK(std::string(tether_client_last_error(c)) == "send_bytes: unknown flags");
  CHECK(send_bytes(c, "", "x") == TETHER_ERROR_INVALID_CHANNEL);
  CHECK(send_bytes(c, "room", std::string(2000, 'b')) == TETHER_ERROR_PAYLOAD_TOO_LARGE);
  id = 7;
  CHECK(send_bytes(nullptr, "room", "x", TETHER_SEND_RELIABLE, &id) == TETHER_ERROR_INVALID_HANDLE);
  CHECK(id == 0);
  CHECK(std::string(tether_result_string(TETHER_ERROR_UNSUPPORTED)) == "unsupported");
}

// tether.h: "a channel message costs 171 bytes plus its channel name ...
// The largest payload is therefore max_message_bytes - 171 - channel bytes".
TEST_CASE("the largest payload tether.h promises is accepted and one byte more is refused", "[capi][binary]") {
  tether_config config = test_config(kNowhere, "token");
  config.max_message_bytes = 1024;
  TestClient client(config);
  tether_client* c = client.handle();
  constexpr size_t kEnvelope = 171;
  for (const std::string channel : {"a", "room:lobby", "quote\"d"}) {
    const size_t channel_cost = channel.size() + (channel.find('"') != std::string::npos ? 1 : 0);
    const size_t largest = config.max_message_bytes - kEnvelope - channel_cost;
    INFO(channel << " largest " << largest);
    CHECK(send_bytes(c, channel.c_str(), std::string(largest, 'b')) == TETHER_OK);
    CHECK(send_bytes(c, channel.c_str(), std::string(largest + 1, 'b')) == TETHER_ERROR_PAYLOAD_TOO_LARGE);
    // A JSON string of the same size: the payload is its bytes, quotes included.
    const std::string json = "\"" + std::string(largest - 2, 'j') + "\"";
    CHECK(tether_client_send(c, channel.c_str(), json.data(), json.size(), 0, nullptr) == TETHER_OK);
    const std::string longer = "\"" + std::string(largest - 1, 'j') + "\"";
    CHECK(tether_client_send(c, channel.c_str(), longer.data(), longer.size(), 0, nullptr) ==
          TETHER_ERROR_PAYLOAD_TOO_LARGE);
  }
}

// A length no buffer can have is refused as too large before anything reads
// or copies the payload (sizes near SIZE_MAX once wrapped around to "fits").
TEST_CASE("absurd payload lengths are PAYLOAD_TOO_LARGE, whatever the queue limits", "[capi][binary]") {
  tether_config config = test_config(kNowhere, "token");
  config.queue_max_bytes = UINT64_MAX;
  TestClient client(config);
  tether_client* c = client.handle();
  const char byte = 'x';
  for (const size_t length : {SIZE_MAX, SIZE_MAX - 9, SIZE_MAX - 100, SIZE_MAX - 170, SIZE_MAX / 2}) {
    INFO(length);
    CHECK(tether_client_send_bytes(c, "room:1", &byte, length, TETHER_SEND_RELIABLE, nullptr) ==
          TETHER_ERROR_PAYLOAD_TOO_LARGE);
    CHECK(tether_client_send(c, "room:1", &byte, length, 0, nullptr) == TETHER_ERROR_PAYLOAD_TOO_LARGE);
  }
  tether_stats stats{};
  stats.struct_size = sizeof(stats);
  REQUIRE(tether_client_pool_stats(c, &stats) == TETHER_OK);
  CHECK(stats.queued == 0);
}

TEST_CASE("binary payloads round-trip through the real server, each reliable send acked once",
          "[capi][integration][binary]") {
  RunningServer running;
  ServerProcess& server = running.server;
  TestClient alice(server.url(), mint_token("alice"));
  TestClient bob(server.url(), mint_token("bob"));
  REQUIRE(tether_client_subscribe(bob.handle(), "room:bin") == TETHER_OK);
  REQUIRE(tether_client_connect(bob.handle()) == TETHER_OK);
  REQUIRE(bob.pump_until([&] { return bob.find(TETHER_EVENT_SUBSCRIBED) != nullptr; }));
  REQUIRE(tether_client_connect(alice.handle()) == TETHER_OK);

  const std::vector<std::string> payloads = {every_byte(), std::string(), std::string(5000, '\0'),
                                             "{\"looks\":\"like json\"}"};
  std::vector<uint64_t> ids;
  for (const std::string& p : payloads) {
    uint64_t id = 0;
    REQUIRE(send_bytes(alice.handle(), "room:bin", p, TETHER_SEND_RELIABLE, &id) == TETHER_OK);
    ids.push_back(id);
  }
  REQUIRE(send_bytes(alice.handle(), "room:bin", "\x01unreliable") == TETHER_OK);
  const std::string json = "{\"n\":1}";
  REQUIRE(tether_client_send(alice.handle(), "room:bin", json.data(), json.size(), TETHER_SEND_RELIABLE, nullptr) ==
          TETHER_OK);

  REQUIRE(bob.pump_until([&] { return bob.count(TETHER_EVENT_MESSAGE) == payloads.size() + 2; }));
  std::vector<const RecordedEvent*> messages;
  for (const RecordedEvent& e : bob.events) {
    if (e.type == TETHER_EVENT_MESSAGE) messages.push_back(&e);
  }
  // In order, with the BINARY flag and the exact bytes; JSON stays JSON.
  for (size_t i = 0; i < payloads.size(); ++i) {
    INFO(i);
    CHECK((messages[i]->flags & TETHER_EVENT_FLAG_BINARY) != 0);
    CHECK((messages[i]->flags & TETHER_EVENT_FLAG_RELIABLE) != 0);
    CHECK(messages[i]->data == payloads[i]);
  }
  CHECK((messages[4]->flags & TETHER_EVENT_FLAG_BINARY) != 0);
  CHECK((messages[4]->flags & TETHER_EVENT_FLAG_RELIABLE) == 0);
  CHECK(messages[4]->data == "\x01unreliable");
  CHECK((messages[5]->flags & TETHER_EVENT_FLAG_BINARY) == 0);
  CHECK(messages[5]->data == json);

  REQUIRE(alice.pump_until([&] { return alice.count(TETHER_EVENT_ACK) == ids.size() + 1; }));
  std::map<uint64_t, int> acks;
  for (const RecordedEvent& e : alice.events) {
    if (e.type == TETHER_EVENT_ACK) ++acks[e.message_id];
  }
  for (uint64_t id : ids) CHECK(acks[id] == 1);
  CHECK(alice.count(TETHER_EVENT_SEND_FAILED) == 0);
}
