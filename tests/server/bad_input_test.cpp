// Bad input from one client: it gets errors (or a 1009/1007/1003 close) and
// every other client carries on.
#include <catch2/catch.hpp>

#include <iterator>
#include <string>

#include "raw_client.h"
#include "server_harness.h"
#include "test_client.h"
#include "tokens.h"
#include "wire_client.h"

namespace tether::server::test {
namespace {

using core::ClientEvent;
using core::MessageType;
using test_support::mint_token;
using test_support::RawClient;
using test_support::run_until;
using test_support::TestClient;
using test_support::WireClient;

constexpr size_t kMaxMessageBytes = 4096;

// Two well-behaved clients on "room"; `round_trip` proves they still work.
struct Bystanders {
  explicit Bystanders(ServerHarness& harness)
      : alice(harness.loop, harness.url(), mint_token("alice")), bob(harness.loop, harness.url(), mint_token("bob")) {
    for (TestClient* client : {&alice, &bob}) {
      client->connect();
      REQUIRE(client->wait_ready());
      client->subscribe("room");
      REQUIRE(client->wait_for([&] { return client->count(ClientEvent::Kind::Subscribed) == 1; }));
    }
  }
  void round_trip(const std::string& json) {
    const size_t before = bob.messages("room").size();
    REQUIRE(alice.publish("room", json, true) == core::SendStatus::Ok);
    REQUIRE(bob.wait_for([&] { return bob.messages("room").size() == before + 1; }));
    CHECK(bob.messages("room").back().data == json);
  }
  TestClient alice;
  TestClient bob;
};

void limit_messages(ServerOptions& options) { options.max_message_bytes = kMaxMessageBytes; }

TEST_CASE("malformed frames get error replies and the connection carries on", "[server][integration]") {
  ServerHarness harness(limit_messages);
  Bystanders bystanders(harness);
  RawClient mallory(harness.loop, harness.url());
  REQUIRE(mallory.wait_open());
  mallory.send_auth(mint_token("mallory"));
  REQUIRE(mallory.wait_for_message(MessageType::AuthSuccess));

  const std::string deep = std::string(40, '[') + std::string(40, ']');
  const struct {
    std::string frame;
    const char* code;
  } cases[] = {
      {"{not json", "malformed"},
      {R"({"channel":"room","data":)", "malformed"},
      {R"({"channel":"room","data":1} trailing)", "malformed"},
      {R"({"type":"bogus"})", "unknown_type"},
      {"[]", "empty_batch"},
      {"42", "not_an_object"},
      {R"({"channel":"room","data":"\ud800"})", "invalid_utf8"},
      {R"({"channel":"room","data":)" + deep + "}", "too_deep"},
      {R"({"channel":7,"data":1})", "wrong_type"},
      {R"({"type":"subscribe"})", "missing_field"},
      {R"({"type":"auth_success","session":"x"})", "unexpected_message"},
  };
  for (const auto& c : cases) {
    INFO(c.frame);
    REQUIRE(mallory.send(c.frame));
    CHECK(mallory.wait_for_message(MessageType::Error, c.code));
    bystanders.round_trip(R"({"after":")" + std::string(c.code) + R"("})");
  }
  CHECK(mallory.is_open());
  CHECK(bystanders.bob.messages("room").size() == std::size(cases));  // none of mallory's got through
  CHECK(harness.logged("client error conn="));
}

TEST_CASE("an oversized frame closes that connection with 1009 only", "[server][integration]") {
  ServerHarness harness(limit_messages);
  Bystanders bystanders(harness);
  RawClient mallory(harness.loop, harness.url());
  REQUIRE(mallory.wait_open());
  mallory.send_auth(mint_token("mallory"));
  REQUIRE(mallory.wait_for_message(MessageType::AuthSuccess));
  REQUIRE(mallory.send(R"({"channel":"room","data":")" + std::string(2 * kMaxMessageBytes, 'x') + "\"}"));
  REQUIRE(mallory.wait_closed());
  CHECK(mallory.close_info().code == 1009);
  bystanders.round_trip(R"("still here")");
  CHECK(bystanders.bob.messages("room").size() == 1);
}

TEST_CASE("invalid UTF-8 and binary frames close that connection (1007, 1003) only", "[server][integration]") {
  ServerHarness harness(limit_messages);
  Bystanders bystanders(harness);
  const struct {
    uint8_t opcode;
    std::string payload;
    uint16_t code;
  } cases[] = {
      {WireClient::kText, "{\"channel\":\"room\",\"data\":\"\xff\xfe\"}", 1007},
      {WireClient::kBinary, R"({"channel":"room","data":1})", 1003},
  };
  for (const auto& c : cases) {
    INFO(c.code);
    WireClient wire(harness.port);
    REQUIRE(wire.connected());
    REQUIRE(run_until(harness.loop, [&] {
      wire.poll();
      return wire.upgraded();
    }));
    REQUIRE(wire.send_frame(WireClient::kText, R"({"type":"auth","token":")" + mint_token("mallory") + "\"}"));
    REQUIRE(run_until(harness.loop, [&] {
      wire.poll();
      return !wire.texts().empty();  // auth_success
    }));
    REQUIRE(wire.send_frame(c.opcode, c.payload));
    REQUIRE(run_until(harness.loop, [&] {
      wire.poll();
      return wire.close_code() != 0 || wire.peer_closed();
    }));
    CHECK(wire.close_code() == c.code);
    bystanders.round_trip("\"after " + std::to_string(c.code) + "\"");
  }
  CHECK(bystanders.bob.messages("room").size() == 2);
}

}  // namespace
}  // namespace tether::server::test
