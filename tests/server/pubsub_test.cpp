// Publish/subscribe: fan-out, reliable acks in both directions, permissions,
// write coalescing and slow consumers.
#include <catch2/catch.hpp>

#include <string>

#include "raw_client.h"
#include "server_harness.h"
#include "test_client.h"
#include "tokens.h"

namespace tether::server::test {
namespace {

using core::ClientEvent;
using core::MessageType;
using test_support::mint_token;
using test_support::RawClient;
using test_support::TestClient;

void connect_and_subscribe(TestClient& client, const std::string& channel) {
  client.connect();
  REQUIRE(client.wait_ready());
  REQUIRE(client.subscribe(channel) == core::SendStatus::Ok);
  REQUIRE(client.wait_for([&] { return client.count(ClientEvent::Kind::Subscribed) == 1; }));
}

TEST_CASE("publishes fan out to subscribers, reliable ones acked both ways", "[server][integration]") {
  ServerHarness harness;
  TestClient alice(harness.loop, harness.url(), mint_token("alice"));
  TestClient bob(harness.loop, harness.url(), mint_token("bob"));
  TestClient carol(harness.loop, harness.url(), mint_token("carol"));  // subscribed elsewhere
  connect_and_subscribe(alice, "room:1");
  connect_and_subscribe(bob, "room:1");
  connect_and_subscribe(carol, "room:2");

  REQUIRE(alice.publish("room:1", R"({"n":1})", true) == core::SendStatus::Ok);
  REQUIRE(bob.wait_for([&] {
    return bob.messages("room:1").size() == 1 && alice.messages("room:1").size() == 1 &&
           alice.count(ClientEvent::Kind::Acked) == 1;
  }));
  CHECK(bob.messages("room:1")[0].data == R"({"n":1})");
  CHECK(bob.messages("room:1")[0].reliable);
  CHECK(alice.find(ClientEvent::Kind::Acked)->message_id == alice.last_message_id());

  REQUIRE(bob.publish("room:1", R"({"n":2})", true) == core::SendStatus::Ok);
  REQUIRE(alice.wait_for([&] {
    return alice.messages("room:1").size() == 2 && bob.count(ClientEvent::Kind::Acked) == 1;
  }));
  CHECK(alice.messages("room:1")[1].data == R"({"n":2})");

  // The clients' acks reached the server: nothing of theirs is left in flight.
  REQUIRE(alice.wait_for([&] {
    const auto a = harness.server->session_stats(alice.session_id());
    const auto b = harness.server->session_stats(bob.session_id());
    return a && b && a->delivered == 2 && b->delivered == 2 && a->in_flight == 0 && b->in_flight == 0;
  }));
  CHECK(carol.messages().empty());
}

TEST_CASE("a batch fans out in order and leaves in few frames", "[server][integration]") {
  ServerHarness harness;
  RawClient subscriber(harness.loop, harness.url());
  REQUIRE(subscriber.wait_open());
  subscriber.send_auth(mint_token("sub"));
  subscriber.send(R"({"type":"subscribe","channel":"feed"})");
  REQUIRE(subscriber.wait_for_message(MessageType::Subscribed));
  const size_t frames_before = subscriber.texts().size();

  RawClient publisher(harness.loop, harness.url());
  REQUIRE(publisher.wait_open());
  publisher.send_auth(mint_token("pub"));
  REQUIRE(publisher.wait_for_message(MessageType::AuthSuccess));
  constexpr int kCount = 200;
  std::string batch = "[";
  for (int i = 0; i < kCount; ++i) batch += (i ? "," : "") + std::string(R"({"channel":"feed","data":)") + std::to_string(i) + "}";
  batch += "]";
  REQUIRE(publisher.send(batch));

  const auto channel_messages = [&] {
    std::vector<core::Message> found;
    for (core::Message& message : subscriber.messages()) {
      if (message.type == MessageType::Channel) found.push_back(std::move(message));
    }
    return found;
  };
  REQUIRE(test_support::run_until(harness.loop, [&] { return channel_messages().size() == kCount; }));
  const std::vector<core::Message> received = channel_messages();
  for (int i = 0; i < kCount; ++i) CHECK(received[static_cast<size_t>(i)].data == std::to_string(i));
  // One flush for the whole batch: a couple of frames, not one per message.
  CHECK(subscriber.texts().size() - frames_before <= 2);
}

TEST_CASE("publish and subscribe need permission, and a denial drops nothing else", "[server][integration]") {
  ServerHarness harness;
  TestClient watcher(harness.loop, harness.url(), mint_token("watcher"));
  connect_and_subscribe(watcher, "chat:1");

  RawClient limited(harness.loop, harness.url());
  REQUIRE(limited.wait_open());
  limited.send_auth(mint_token("limited", {"publish:chat:*", "subscribe:chat:*"}));
  REQUIRE(limited.wait_for_message(MessageType::AuthSuccess));

  limited.send(R"({"type":"subscribe","channel":"admin"})");
  limited.send(R"({"channel":"admin","data":"no","requireAck":true,"id":1})");
  limited.send(R"({"channel":"chat:1","data":"yes","requireAck":true,"id":2})");
  REQUIRE(watcher.wait_for([&] { return watcher.messages("chat:1").size() == 1; }));
  CHECK(watcher.messages("chat:1")[0].data == R"("yes")");
  REQUIRE(test_support::run_until(harness.loop, [&] {
    for (const core::Message& m : limited.messages()) {
      if (m.type == MessageType::Ack && m.up_to == 2) return true;
    }
    return false;
  }));

  int denials = 0;
  for (const core::Message& m : limited.messages()) {
    if (m.type != MessageType::PermissionDenied) continue;
    ++denials;
    CHECK(m.channel == "admin");
    if (m.action == "subscribe") CHECK(m.message_id == 0);
    if (m.action == "publish") CHECK(m.message_id == 1);
  }
  CHECK(denials == 2);
  CHECK_FALSE(limited.find(MessageType::Subscribed));
  CHECK(limited.is_open());
}

TEST_CASE("a client that stops reading is dropped as a slow consumer (4008)", "[server][integration]") {
  RecordingApp app;
  ServerHarness harness(
      [](ServerOptions& options) {
        options.session.reliable.max_in_flight = 4;
        options.session.reliable.queue_max_messages = 16;
      },
      &app);
  RawClient sluggish(harness.loop, harness.url());  // never acks
  REQUIRE(sluggish.wait_open());
  sluggish.send_auth(mint_token("sluggish"));
  sluggish.send(R"({"type":"subscribe","channel":"feed"})");
  REQUIRE(sluggish.wait_for_message(MessageType::Subscribed));
  const std::string sluggish_session = sluggish.find(MessageType::AuthSuccess)->session;

  TestClient publisher(harness.loop, harness.url(), mint_token("publisher"));
  TestClient healthy(harness.loop, harness.url(), mint_token("healthy"));
  connect_and_subscribe(healthy, "feed");
  publisher.connect();
  REQUIRE(publisher.wait_ready());
  // In rounds the healthy client keeps up with; the sluggish one falls behind.
  constexpr size_t kRounds = 5;
  constexpr size_t kPerRound = 10;
  for (size_t round = 1; round <= kRounds; ++round) {
    for (size_t i = 0; i < kPerRound; ++i) {
      REQUIRE(publisher.publish("feed", std::to_string(round * 100 + i), true) == core::SendStatus::Ok);
    }
    REQUIRE(healthy.wait_for([&] { return healthy.messages("feed").size() == round * kPerRound; }));
  }

  REQUIRE(sluggish.wait_closed());
  CHECK(sluggish.close_info().code == 4008);
  REQUIRE(healthy.wait_for([&] { return app.ended.size() == 1; }));
  CHECK(app.ended[0] == sluggish_session);
  CHECK_FALSE(harness.server->session_stats(sluggish_session));
  CHECK(harness.logged("slow consumer session=" + sluggish_session.substr(0, 8)));
  CHECK(publisher.wait_for([&] { return publisher.count(ClientEvent::Kind::Acked) == kRounds * kPerRound; }));
  CHECK(healthy.state() == core::ClientState::Ready);
}

}  // namespace
}  // namespace tether::server::test
