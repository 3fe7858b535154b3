// tether_client_send_bytes: argument checks without a server, then binary
// payloads through the real tether-server, byte for byte, each reliable send
// resolved exactly once.
#include <catch2/catch.hpp>

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
