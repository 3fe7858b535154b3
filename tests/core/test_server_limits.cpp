// The server's per-client bounds (issue 9, items 4-7), in virtual time with
// raw clients: each attack hits its limit, the server's accounted bytes stay
// under it, the attacker gets an explicit answer, and a canary client on the
// same server keeps being served.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "event_helpers.h"
#include "server_sim.h"

using namespace tether::core;
using namespace tether::test;

namespace {

const std::vector<std::string> kEverything = {"publish:*", "subscribe:*"};

// The canary publishes reliably on its own channel and must get the ack and
// its own echo back.
void check_canary_served(ServerSim& sim, ServerSim::Client& canary, uint64_t seq) {
  canary.forget_received();
  sim.send(canary, publish_frame("canary", "\"tweet " + std::to_string(seq) + "\"", seq));
  CHECK_FALSE(canary.closed);
  const std::vector<Message> acks = canary.take(MessageType::Ack);
  REQUIRE_FALSE(acks.empty());
  CHECK(acks.back().up_to == seq);
  const std::vector<Message> echoes = canary.take(MessageType::Channel);
  REQUIRE(echoes.size() == 1);
  CHECK(echoes[0].data == "\"tweet " + std::to_string(seq) + "\"");
}

ServerSim::Client& canary_of(ServerSim& sim) {
  ServerSim::Client& canary = sim.auth("canary", kEverything);
  sim.send(canary, subscribe_frame("canary"));
  REQUIRE(canary.take(MessageType::Subscribed).size() == 1);
  return canary;
}

size_t publishes(const ServerSim& sim) {
  return static_cast<size_t>(std::count_if(sim.events.begin(), sim.events.end(), [](const EndpointEvent& e) {
    return e.kind == EndpointEvent::Kind::Publish && e.channel != "canary";
  }));
}

}  // namespace

TEST_CASE("a publish whose fan-out would exceed the frame limit is refused with too_large",
          "[core][server][limits]") {
  constexpr size_t kMaxFrame = 4096;
  ServerConfig config = default_server_config();
  config.limits.max_frame_bytes = kMaxFrame;
  ServerSim sim(config);
  ServerSim::Client& canary = canary_of(sim);
  ServerSim::Client& subscriber = sim.auth("sub", kEverything);
  sim.send(subscriber, subscribe_frame("big"));
  ServerSim::Client& publisher = sim.auth("pub", kEverything);

  // The largest payload whose delivery still fits, and one byte more. The
  // publish frame itself fits the inbound limit either way.
  const size_t fits = kMaxFrame - channel_message_bound("big", 0, true) + 4;
  REQUIRE(channel_message_bound("big", fits, true) == kMaxFrame);
  const std::string too_big = publish_frame("big", payload_of(fits + 1), 1);
  REQUIRE(too_big.size() < kMaxFrame);

  publisher.forget_received();
  sim.send(publisher, too_big);
  const std::vector<Message> refusals = publisher.take(MessageType::PermissionDenied);
  REQUIRE(refusals.size() == 1);
  CHECK(refusals[0].code == "too_large");
  CHECK(refusals[0].action == "publish");
  CHECK(refusals[0].message_id == 1);  // resolves the sender's reliable message once
  const std::vector<Message> acks = publisher.take(MessageType::Ack);
  REQUIRE(acks.size() == 1);
  CHECK(acks[0].up_to == 1);  // it counts as delivered for ordering, like any refusal
  CHECK(publishes(sim) == 0);
  CHECK(subscriber.take(MessageType::Channel).empty());

  // Unreliable: refused too, without a message id.
  sim.send(publisher, publish_frame("big", payload_of(fits + 1)));
  const std::vector<Message> unreliable = publisher.take(MessageType::PermissionDenied);
  REQUIRE(unreliable.size() == 1);
  CHECK(unreliable[0].code == "too_large");
  CHECK(unreliable[0].message_id == 0);

  // The largest that fits is delivered, in a frame within the limit, and
  // the subscriber stays connected.
  sim.send(publisher, publish_frame("big", payload_of(fits), 2));
  CHECK(publisher.take(MessageType::PermissionDenied).empty());
  const std::vector<Message> delivered = subscriber.take(MessageType::Channel);
  REQUIRE(delivered.size() == 1);
  CHECK(delivered[0].data.size() == fits);
  CHECK(subscriber.largest_frame <= kMaxFrame);
  CHECK_FALSE(subscriber.closed);
  check_canary_served(sim, canary, 1);
}

TEST_CASE("a client refused with too_large resolves its send once", "[core][server][limits]") {
  ClientSession c(default_client_config(), 1);
  c.connect(0);
  c.handle_open(1);
  c.handle_text(R"({"type":"auth_success","session":"s1","permissions":["publish:*"]})", 2);
  REQUIRE(c.state() == ClientState::Ready);
  REQUIRE(c.send("big", "1", true, 77, 3) == SendStatus::Ok);
  std::string frame;
  tether::core::FrameKind text_only_kind = tether::core::FrameKind::Text;  // JSON only here
  while (c.poll_transmit(frame, text_only_kind)) {
  }
  const std::string refusal =
      R"({"type":"permission_denied","channel":"big","action":"publish","messageId":1,"code":"too_large"})";
  c.handle_text(refusal, 4);
  c.handle_text(R"({"type":"ack","upTo":1})", 5);
  c.handle_text(refusal, 6);  // a repeat changes nothing
  size_t failures = 0, acks = 0;
  bool told_why = false;
  ClientEvent e;
  while (c.poll_event(e)) {
    if (e.kind == ClientEvent::Kind::SendFailed && e.message_id == 77) {
      ++failures;
      CHECK(e.outcome == SendOutcome::TooLarge);
    }
    acks += e.kind == ClientEvent::Kind::Acked ? 1 : 0;
    told_why |= e.kind == ClientEvent::Kind::PermissionDenied && e.code == "too_large";
  }
  CHECK(failures == 1);
  CHECK(acks == 0);
  CHECK(told_why);
}

TEST_CASE("a client told permission_revoked forgets the subscription and says why",
          "[core][server][limits]") {
  ClientSession c(default_client_config(), 1);
  REQUIRE(c.subscribe("room:1", 0) == SendStatus::Ok);
  REQUIRE(c.subscribe("lobby", 0) == SendStatus::Ok);
  c.connect(0);
  c.handle_open(1);
  c.handle_text(R"({"type":"auth_success","session":"s1"})", 2);
  c.handle_text(R"({"type":"unsubscribed","channel":"room:1","code":"permission_revoked","reason":"r"})", 3);
  bool told = false;
  ClientEvent e;
  while (c.poll_event(e)) {
    told |= e.kind == ClientEvent::Kind::Unsubscribed && e.channel == "room:1" && e.code == "permission_revoked" &&
            e.reason == "r";
  }
  CHECK(told);

  // A fresh session asks only for what is still wanted.
  std::string frame;
  tether::core::FrameKind text_only_kind = tether::core::FrameKind::Text;  // JSON only here
  while (c.poll_transmit(frame, text_only_kind)) {
  }
  c.handle_closed(1006, "", 4);
  c.reconnect_now(5);
  c.handle_open(6);
  c.handle_text(R"({"type":"auth_success","session":"s2"})", 7);
  std::string sent;
  while (c.poll_transmit(frame, text_only_kind)) sent += frame;
  CHECK(sent.find(R"("channel":"lobby")") != std::string::npos);
  CHECK(sent.find(R"("channel":"room:1")") == std::string::npos);
}

TEST_CASE("out-of-order messages are held only up to the receive buffer's byte bound",
          "[core][server][limits]") {
  ServerConfig config = default_server_config();
  config.client_limits.max_receive_buffer_bytes = 64 * 1024;
  ServerSim sim(config);
  ServerSim::Client& canary = canary_of(sim);
  ServerSim::Client& hoarder = sim.auth("hoarder", kEverything);
  ServerSim::Client& subscriber = sim.auth("sub", kEverything);
  sim.send(subscriber, subscribe_frame("hoard"));

  // Sequences 2..200 of 4 KiB each, never 1: 800 KiB offered.
  constexpr uint64_t kLast = 200;
  const std::string payload = payload_of(4096);
  size_t most_held = 0;
  for (uint64_t seq = 2; seq <= kLast; ++seq) {
    sim.send(hoarder, publish_frame("hoard", payload, seq));
    most_held = std::max(most_held, held_bytes(hoarder.state()->receiver));
  }
  const SessionState& state = *hoarder.state();
  std::printf("receive buffer: held at most %zu bytes (bound %zu) of %zu offered, refused %llu\n", most_held,
              config.client_limits.max_receive_buffer_bytes, static_cast<size_t>(kLast - 1) * (payload.size() + 5),
              static_cast<unsigned long long>(state.receive_buffer_refusals));
  CHECK(most_held <= config.client_limits.max_receive_buffer_bytes);
  CHECK(most_held > config.client_limits.max_receive_buffer_bytes / 2);
  CHECK(state.receive_buffer_refusals > 0);
  CHECK(hoarder.take(MessageType::Ack).empty());  // nothing delivered, nothing acked
  CHECK(publishes(sim) == 0);
  check_canary_served(sim, canary, 1);

  // Never silently lost: sequence 1 releases what was held, and what was
  // refused is accepted when the client resends it.
  sim.send(hoarder, publish_frame("hoard", payload, 1));
  const uint64_t released = hoarder.state()->receiver.delivered_up_to();
  CHECK(released > 1);
  CHECK(released < kLast);
  for (uint64_t seq = released + 1; seq <= kLast; ++seq) sim.send(hoarder, publish_frame("hoard", payload, seq));
  CHECK(hoarder.state()->receiver.delivered_up_to() == kLast);
  CHECK(hoarder.state()->receiver.buffered_bytes() == 0);
  std::vector<uint64_t> order;
  for (const EndpointEvent& e : sim.events) {
    if (e.kind == EndpointEvent::Kind::Publish && e.channel == "hoard") order.push_back(e.message_id);
  }
  REQUIRE(order.size() == kLast);
  for (uint64_t i = 0; i < kLast; ++i) CHECK(order[i] == i + 1);
  CHECK(subscriber.take(MessageType::Channel).size() == kLast);
  check_canary_served(sim, canary, 2);
}

TEST_CASE("tiny out-of-order messages are accounted with what holding each costs", "[core][server][limits]") {
  ServerConfig config = default_server_config();
  config.client_limits.max_receive_buffer_bytes = 64 * 1024;
  ServerSim sim(config);
  ServerSim::Client& hoarder = sim.auth("hoarder", kEverything);
  for (uint64_t seq = 2; seq <= 4000; ++seq) {
    sim.send(hoarder, publish_frame("c", "1", seq));
    REQUIRE(held_bytes(hoarder.state()->receiver) <= config.client_limits.max_receive_buffer_bytes);
  }
  const ReliableReceiver& receiver = hoarder.state()->receiver;
  CHECK(receiver.buffered() == config.client_limits.max_receive_buffer_bytes / (kHeldMessageOverhead + 2));
  CHECK(hoarder.state()->receive_buffer_refusals == 3999 - receiver.buffered());
}

TEST_CASE("a parked session keeps no out-of-order messages", "[core][server][limits]") {
  ServerSim sim;
  ServerSim::Client& client = sim.auth("alice", kEverything);
  sim.send(client, publish_frame("c", payload_of(1000), 3));
  const auto state = client.state();
  CHECK(state->receiver.buffered_bytes() > 0);
  sim.drop(client);
  CHECK(state->receiver.buffered_bytes() == 0);
  CHECK(state->receiver.buffered() == 0);

  // After the resume the client resends 1..3 (none was acked): all arrive.
  ServerSim::Client& again = sim.auth("alice", kEverything, state->id);
  REQUIRE(again.state() == state);
  for (uint64_t seq = 1; seq <= 3; ++seq) sim.send(again, publish_frame("c", "1", seq));
  CHECK(state->receiver.delivered_up_to() == 3);
}

TEST_CASE("subscriptions per session are capped and channel names checked", "[core][server][limits]") {
  ServerConfig config = default_server_config();
  config.client_limits.max_subscriptions = 8;
  ServerSim sim(config);
  ServerSim::Client& canary = canary_of(sim);
  ServerSim::Client& flood = sim.auth("flood", kEverything);

  for (int i = 0; i < 20; ++i) sim.send(flood, subscribe_frame("room:" + std::to_string(i)));
  CHECK(flood.take(MessageType::Subscribed).size() == 8);
  const std::vector<Message> refused = flood.take(MessageType::PermissionDenied);
  REQUIRE(refused.size() == 12);
  for (const Message& m : refused) {
    CHECK(m.code == "too_many_subscriptions");
    CHECK(m.action == "subscribe");
  }
  CHECK(refused[0].channel == "room:8");
  CHECK(flood.state()->subscriptions.size() == 8);

  // Subscribing again to one it has is still fine; unsubscribing makes room.
  sim.send(flood, subscribe_frame("room:3"));
  CHECK(flood.take(MessageType::Subscribed).size() == 1);
  sim.send(flood, R"({"type":"unsubscribe","channel":"room:3"})");
  sim.send(flood, subscribe_frame("room:19"));
  CHECK(flood.take(MessageType::Subscribed).size() == 1);
  CHECK(flood.take(MessageType::PermissionDenied).empty());
  CHECK(flood.state()->subscriptions.size() == 8);

  // Channel names: at most kMaxChannelBytes bytes, no NUL.
  const std::string longest(kMaxChannelBytes, 'c');
  sim.send(flood, R"({"type":"unsubscribe","channel":"room:0"})");
  sim.send(flood, subscribe_frame(longest));
  CHECK(flood.take(MessageType::Subscribed).size() == 1);
  const std::vector<std::string> bad_channels = {longest + "c", "a\\u0000b"};
  for (const std::string& bad : bad_channels) {
    sim.send(flood, R"({"type":"subscribe","channel":")" + bad + "\"}");
    const std::vector<Message> denied = flood.take(MessageType::PermissionDenied);
    REQUIRE(denied.size() == 1);
    CHECK(denied[0].code == "invalid_channel");
    CHECK(denied[0].channel.empty());  // not echoed
  }
  uint64_t seq = 0;
  for (const std::string& bad : bad_channels) {
    sim.send(flood, R"({"channel":")" + bad + R"(","data":1,"id":)" + std::to_string(++seq) +
                        R"(,"requireAck":true})");
  }
  const std::vector<Message> publish_refusals = flood.take(MessageType::PermissionDenied);
  REQUIRE(publish_refusals.size() == 2);
  CHECK(publish_refusals[0].code == "invalid_channel");
  CHECK(publish_refusals[0].action == "publish");
  CHECK(publish_refusals[0].message_id == 1);
  CHECK(publish_refusals[1].message_id == 2);
  CHECK(flood.state()->subscriptions.size() == 8);
  CHECK(publishes(sim) == 0);
  check_canary_served(sim, canary, 1);
}

TEST_CASE("the client hears why a subscribe over the cap was refused", "[core][server][limits]") {
  SimPair p;
  p.server_config.client_limits.max_subscriptions = 3;
  p.connect();
  REQUIRE(p.run_until([&] { return is_ready(p); }, 1000));
  for (int i = 0; i < 5; ++i) REQUIRE(p.client.subscribe("room:" + std::to_string(i), p.now) == SendStatus::Ok);
  p.advance(200);
  CHECK(count_events(p, ClientEvent::Kind::Subscribed) == 3);
  size_t told = 0;
  for (const ClientEvent& e : p.client_events) {
    told += e.kind == ClientEvent::Kind::PermissionDenied && e.code == "too_many_subscriptions" ? 1 : 0;
  }
  CHECK(told == 2);
}

TEST_CASE("a refresh that revokes subscribe drops the subscription and what was queued on it",
          "[core][server][limits][permissions]") {
  ServerSim sim;
  ServerSim::Client& client = sim.auth("alice", kEverything);
  sim.send(client, subscribe_frame("room:1"));
  sim.send(client, subscribe_frame("lobby"));
  REQUIRE(client.take(MessageType::Subscribed).size() == 2);
  const auto state = client.state();

  // Messages waiting for this client (its socket is full) when the new token arrives.
  sim.set_reading(client, false);
  for (int n = 0; n < 3; ++n) REQUIRE(sim.send_to(client, "room:1", std::to_string(n), n != 0));
  REQUIRE(sim.send_to(client, "lobby", "\"hello\"", true));
  const std::string narrower = make_token("alice", {"publish:*", "subscribe:lobby"});
  sim.send(client, R"({"type":"refresh_token","token":")" + narrower + "\"}");
  sim.set_reading(client, true);

  const std::vector<Message> dropped = client.take(MessageType::Unsubscribed);
  REQUIRE(dropped.size() == 1);
  CHECK(dropped[0].channel == "room:1");
  CHECK(dropped[0].code == "permission_revoked");
  CHECK(client.take(MessageType::TokenRefresh).size() == 1);
  const std::vector<Message> delivered = client.take(MessageType::Channel);
  REQUIRE(delivered.size() == 1);
  CHECK(delivered[0].channel == "lobby");
  CHECK(state->subscriptions == std::set<std::string>{"lobby"});
  CHECK(state->failed == 2);  // the two reliable ones resolved, not left pending
  const auto revoked_event = std::find_if(sim.events.begin(), sim.events.end(), [](const EndpointEvent& e) {
    return e.kind == EndpointEvent::Kind::SubscriptionRevoked && e.code == "permission_revoked";
  });
  REQUIRE(revoked_event != sim.events.end());
  CHECK(revoked_event->channel == "room:1");

  // Later publishes on it reach it no more; the lobby still does.
  ServerSim::Client& other = sim.auth("bob", kEverything);
  sim.send(other, publish_frame("room:1", "7"));
  sim.send(other, publish_frame("lobby", "8"));
  const std::vector<Message> later = client.take(MessageType::Channel);
  REQUIRE(later.size() == 1);
  CHECK(later[0].data == "8");
  // The lobby message counts as delivered once acked; sequences stay usable.
  sim.send(client, R"({"type":"ack","upTo":)" + std::to_string(state->sender.next_seq() - 1) + "}");
  CHECK(state->sender.in_flight() == 0);
}

TEST_CASE("a resume with a token that no longer grants subscribe drops the subscription",
          "[core][server][limits][permissions]") {
  ServerSim sim;
  ServerSim::Client& first = sim.auth("alice", kEverything);
  sim.send(first, subscribe_frame("room:1"));
  sim.send(first, subscribe_frame("room:2"));
  const auto state = first.state();
  sim.drop(first);

  ServerSim::Client& again = sim.auth("alice", {"subscribe:room:2"}, state->id);
  REQUIRE(again.state() == state);
  const std::vector<Message> success = again.take(MessageType::AuthSuccess);
  REQUIRE(success.size() == 1);
  CHECK(success[0].resumed);
  const std::vector<Message> dropped = again.take(MessageType::Unsubscribed);
  REQUIRE(dropped.size() == 1);
  CHECK(dropped[0].channel == "room:1");
  CHECK(dropped[0].code == "permission_revoked");
  CHECK(state->subscriptions == std::set<std::string>{"room:2"});
}

TEST_CASE("unsubscribed carries an optional code and reason on the wire", "[core][codec]") {
  Message m;
  m.type = MessageType::Unsubscribed;
  m.channel = "room:1";
  std::string plain;
  encode_message(m, plain);
  CHECK(plain == R"({"type":"unsubscribed","channel":"room:1"})");
  m.code = "permission_revoked";
  m.reason = "r";
  std::string coded;
  encode_message(m, coded);
  CHECK(coded == R"({"type":"unsubscribed","channel":"room:1","reason":"r","code":"permission_revoked"})");
  std::vector<Message> out;
  std::vector<DecodeIssue> issues;
  REQUIRE(decode_frame(coded, CodecLimits{}, out, issues) == CodecError::None);
  REQUIRE(out.size() == 1);
  CHECK(out[0].code == "permission_revoked");
  CHECK(out[0].reason == "r");
}

TEST_CASE("the server echoes a ping's opaque timestamp, 0 included", "[core][server][codec]") {
  ServerSim sim;
  ServerSim::Client& raw = sim.open();
  sim.send(raw, R"({"type":"ping","timestamp":0})");
  sim.send(raw, R"({"type":"ping","timestamp":-7})");
  const std::vector<Message> pongs = raw.take(MessageType::Pong);
  REQUIRE(pongs.size() == 2);
  CHECK(pongs[0].timestamp == 0);
  CHECK(pongs[1].timestamp == -7);
  CHECK(raw.take(MessageType::Error).empty());
  CHECK_FALSE(raw.closed);
}
