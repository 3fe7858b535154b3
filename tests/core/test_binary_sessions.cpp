// Binary payloads through the sessions and the endpoint, in virtual time:
// negotiated per connection, exactly once across cuts like JSON, fanned out
// without parsing, and never silently lost on the way to a peer without them.
#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include "core/codec_binary.h"
#include "core/session_snapshot.h"
#include "server_sim.h"
#include "sim_pair.h"

using namespace tether::core;
using namespace tether::test;

namespace {

const std::vector<std::string> kEverything = {"publish:*", "subscribe:*"};

// A payload no JSON parser would accept: every byte value, then a counter.
std::string binary_payload(uint64_t counter) {
  std::string out;
  for (int b = 0; b < 256; b += 17) out.push_back(static_cast<char>(b));
  out.append(reinterpret_cast<const char*>(&counter), sizeof counter);
  return out;
}

uint64_t counter_of(const std::string& payload) {
  uint64_t counter = 0;
  if (payload.size() >= sizeof counter) {
    std::copy(payload.end() - sizeof counter, payload.end(), reinterpret_cast<char*>(&counter));
  }
  return counter;
}

std::string json_payload(uint64_t counter) { return std::to_string(counter); }

// Per channel, messages must arrive 0, 1, 2, ... whatever their kind.
struct OrderLedger {
  std::map<std::string, uint64_t> next;
  uint64_t delivered = 0, out_of_order = 0, binary = 0;
  void record(const std::string& channel, const std::string& data, PayloadKind payload) {
    const uint64_t counter = payload == PayloadKind::Binary ? counter_of(data) : std::stoull(data);
    if (payload == PayloadKind::Binary) {
      ++binary;
      if (data != binary_payload(counter)) ++out_of_order;  // corrupted bytes count as a failure too
    }
    if (counter != next[channel]) ++out_of_order;
    next[channel] = counter + 1;
    ++delivered;
  }
};

bool has_error(const std::vector<ClientEvent>& events, const std::string& code) {
  for (const ClientEvent& e : events) {
    if (e.kind == ClientEvent::Kind::Error && e.code == code) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("binary and JSON reliable messages, interleaved, survive cuts exactly once and in order",
          "[core][binary][chaos]") {
  const uint64_t kMessages = 3000;
  auto client_config = default_client_config();
  client_config.backoff.initial_delay_ms = 20;
  client_config.backoff.max_delay_ms = 200;
  client_config.reliable.max_retries = 1000;
  client_config.auth_timeout_ms = 1000;
  auto server_config = default_server_config();
  server_config.reliable.max_retries = 1000;
  SimPair p(client_config, server_config, 11);
  p.drop_rate = 0.02;

  OrderLedger at_server, at_client;
  p.on_server_event = [&](ServerSession&, ServerEvent& e) {
    if (e.kind == ServerEvent::Kind::Publish) at_server.record(e.channel, e.data, e.payload);
  };
  p.connect();
  REQUIRE(p.run_until([&] { return p.client.state() == ClientState::Ready; }, 30000));
  CHECK(p.client.binary_negotiated());
  const std::string session = p.client.session_id();

  std::map<uint64_t, int> resolutions;
  size_t cursor = 0;
  auto consume = [&] {
    for (; cursor < p.client_events.size(); ++cursor) {
      const ClientEvent& e = p.client_events[cursor];
      if (e.kind == ClientEvent::Kind::Message) at_client.record(e.channel, e.data, e.payload);
      if (e.kind == ClientEvent::Kind::Acked || e.kind == ClientEvent::Kind::SendFailed) ++resolutions[e.message_id];
    }
  };

  SeededRng rng(5);
  uint64_t client_sent = 0, server_sent = 0;
  for (int round = 0; round < 100000 && (client_sent < kMessages || server_sent < kMessages || p.cuts < 60);
       ++round) {
    for (int i = 0; i < 4 && client_sent < kMessages; ++i) {
      const bool binary = rng.next_in(0, 1) == 1;
      const std::string data = binary ? binary_payload(client_sent) : json_payload(client_sent);
      if (p.client.send("up", data, true, client_sent + 1, p.now,
                        binary ? PayloadKind::Binary : PayloadKind::Json) != SendStatus::Ok) {
        break;
      }
      ++client_sent;
    }
    auto state = p.table.find(session);
    REQUIRE(state != nullptr);
    for (int i = 0; i < 4 && server_sent < kMessages; ++i) {
      const bool binary = rng.next_in(0, 1) == 1;
      const std::string data = binary ? binary_payload(server_sent) : json_payload(server_sent);
      if (!state->enqueue("down", data, true, 1, binary ? PayloadKind::Binary : PayloadKind::Json)) break;
      ++server_sent;
    }
    p.advance(rng.next_in(0, 40));
    if (rng.next_in(0, 99) < 10) p.cut();
    consume();
  }
  REQUIRE(client_sent == kMessages);
  REQUIRE(server_sent == kMessages);
  p.drop_rate = 0;
  auto state = p.table.find(session);
  REQUIRE(p.run_until(
      [&] {
        consume();
        state->drain_resolutions();
        return resolutions.size() == kMessages && state->delivered == kMessages && at_client.delivered == kMessages;
      },
      600000));
  consume();
  CHECK(p.cuts >= 60);
  CHECK(at_server.delivered == kMessages);
  CHECK(at_server.out_of_order == 0);
  CHECK(at_client.out_of_order == 0);
  CHECK(at_server.binary > kMessages / 3);  // both kinds really travelled
  CHECK(at_client.binary > kMessages / 3);
  for (const auto& entry : resolutions) CHECK(entry.second == 1);
  CHECK(state->failed == 0);
}

TEST_CASE("a server that does not negotiate binary: sends are refused at once, queued ones resolve",
          "[core][binary]") {
  SimPair p;
  p.client_offers_binary = false;  // as with a v1 server
  // Queued before any connection: the client cannot know yet.
  REQUIRE(p.client.send("room", "\x01\x02", true, 7, p.now, PayloadKind::Binary) == SendStatus::Ok);
  REQUIRE(p.client.send("room", "\x03", false, 0, p.now, PayloadKind::Binary) == SendStatus::Ok);
  REQUIRE(p.client.send("room", "{\"ok\":1}", true, 8, p.now) == SendStatus::Ok);
  p.connect();
  REQUIRE(p.run_until([&] { return p.client.state() == ClientState::Ready; }, 30000));
  p.advance(1000);
  CHECK_FALSE(p.client.binary_negotiated());

  std::map<uint64_t, SendOutcome> outcome;
  for (const ClientEvent& e : p.client_events) {
    if (e.kind == ClientEvent::Kind::Acked || e.kind == ClientEvent::Kind::SendFailed) {
      CHECK(outcome.count(e.message_id) == 0);
      outcome[e.message_id] = e.outcome;
    }
  }
  CHECK(outcome[7] == SendOutcome::Unsupported);
  CHECK(outcome[8] == SendOutcome::Acked);  // the JSON one behind it is not held up
  CHECK(has_error(p.client_events, "binary_unsupported"));  // the unreliable one, not silently
  // Nothing binary reached the server.
  for (const ServerEvent& e : p.server_events) {
    if (e.kind == ServerEvent::Kind::Publish) CHECK(e.payload == PayloadKind::Json);
  }
  // Now that it is known, a binary send is refused on the spot.
  CHECK(p.client.send("room", "\x01", true, 9, p.now, PayloadKind::Binary) == SendStatus::Unsupported);
  CHECK(p.client.send("room", "1", true, 10, p.now) == SendStatus::Ok);
}

TEST_CASE("the client closes 1003 on a binary frame its connection did not negotiate", "[core][binary]") {
  ClientSession c(default_client_config(), 1);
  c.connect(0);
  c.handle_open(1);
  c.handle_text(R"({"type":"auth_success","session":"s"})", 2);  // no "binary": a v1 server
  REQUIRE(c.state() == ClientState::Ready);
  std::string frame;
  encode_binary_channel_message("room", "x", 0, 1, 1, frame);
  c.handle_binary(frame, 3);
  TransportAction action;
  bool closed_1003 = false;
  while (c.poll_action(action)) {
    closed_1003 |= action.kind == TransportAction::Kind::Close && action.code == close_code::kUnsupportedData;
  }
  CHECK(closed_1003);
  CHECK(c.state() == ClientState::Backoff);  // and it reconnects
  std::vector<ClientEvent> events;
  ClientEvent e;
  while (c.poll_event(e)) {
    CHECK(e.kind != ClientEvent::Kind::Message);  // nothing from that frame reached the app
    events.push_back(std::move(e));
  }
  CHECK(has_error(events, "unexpected_binary"));
}

TEST_CASE("the server fans a binary publish out as binary frames, and tells a text-only subscriber",
          "[core][endpoint][binary]") {
  ServerSim sim;
  ServerSim::Client& binary_sub = sim.auth_binary("b", kEverything);
  ServerSim::Client& text_sub = sim.auth("t", kEverything);
  ServerSim::Client& publisher = sim.auth_binary("p", kEverything);
  for (ServerSim::Client* c : {&binary_sub, &text_sub}) {
    sim.send(*c, subscribe_frame("room"));
    REQUIRE(c->take(MessageType::Subscribed).size() == 1);
  }
  REQUIRE(publisher.take(MessageType::AuthSuccess).at(0).binary);
  CHECK_FALSE(text_sub.take(MessageType::AuthSuccess).at(0).binary);

  std::string frame;
  std::string payload("\x00\xff\x10 not json", 12);
  encode_binary_channel_message("room", payload, 0, 1, 0, frame);
  encode_binary_channel_message("room", std::string(), 0, 2, 0, frame);  // empty, reliable
  encode_binary_channel_message("room", "u", 0, 0, 0, frame);             // unreliable
  const size_t binary_frames_before = binary_sub.binary_frames;
  sim.send_binary(publisher, frame);

  // The publisher's reliable records are acked like JSON ones.
  const std::vector<Message> acks = publisher.take(MessageType::Ack);
  REQUIRE_FALSE(acks.empty());
  CHECK(acks.back().up_to == 2);

  const std::vector<Message> got = binary_sub.take(MessageType::Channel);
  REQUIRE(got.size() == 3);
  CHECK(binary_sub.binary_frames > binary_frames_before);
  CHECK(got[0].payload == PayloadKind::Binary);
  CHECK(got[0].data == payload);
  CHECK(got[0].require_ack);
  CHECK(got[1].data.empty());
  CHECK(got[2].data == "u");
  CHECK_FALSE(got[2].require_ack);

  // The text-only subscriber gets no binary frame and no mangled text: one
  // error that counts what it missed.
  CHECK(text_sub.take(MessageType::Channel).empty());
  CHECK(text_sub.binary_frames == 0);
  const std::vector<Message> errors = text_sub.take(MessageType::Error);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].code == "binary_unsupported");
  CHECK(errors[0].reason.find("3 binary message(s)") != std::string::npos);
  // Its reliable deliveries resolved (as failed), so nothing waits forever.
  REQUIRE(text_sub.state() != nullptr);
  CHECK(text_sub.state()->sender.in_flight() == 0);
  CHECK(text_sub.state()->sender.queued_messages() == 0);
  CHECK(text_sub.state()->failed == 2);

  // And JSON still reaches both.
  sim.send(publisher, publish_frame("room", "42", 3));
  CHECK(binary_sub.take(MessageType::Channel).size() == 1);
  CHECK(text_sub.take(MessageType::Channel).size() == 1);
}

TEST_CASE("a binary frame from a client that did not offer binary closes it 1003, others carry on",
          "[core][endpoint][binary]") {
  ServerSim sim;
  std::string frame;
  encode_binary_channel_message("room", "x", 0, 1, 0, frame);

  ServerSim::Client& before_auth = sim.open();
  sim.send_binary(before_auth, frame);
  CHECK(before_auth.closed);
  CHECK(before_auth.close_code == close_code::kUnsupportedData);

  ServerSim::Client& text_only = sim.auth("t", kEverything);
  sim.send_binary(text_only, frame);
  CHECK(text_only.closed);
  CHECK(text_only.close_code == close_code::kUnsupportedData);

  ServerSim::Client& fine = sim.auth_binary("f", kEverything);
  sim.send(fine, subscribe_frame("room"));
  sim.send_binary(fine, frame);
  CHECK_FALSE(fine.closed);
  CHECK(fine.take(MessageType::Channel).size() == 1);
}

TEST_CASE("binary records are checked like JSON ones: permissions, channel names, malformed frames",
          "[core][endpoint][binary]") {
  ServerSim sim;
  ServerSim::Client& limited = sim.auth_binary("l", {"publish:allowed", "subscribe:*"});
  sim.send(limited, subscribe_frame("allowed"));
  std::string frame;
  encode_binary_channel_message("secret", "x", 0, 1, 0, frame);            // no permission
  encode_binary_channel_message(std::string(300, 'c'), "x", 0, 2, 0, frame);  // not a valid name
  encode_binary_channel_message("allowed", "ok", 0, 3, 0, frame);          // fine, and not held up
  sim.send_binary(limited, frame);
  const std::vector<Message> denied = limited.take(MessageType::PermissionDenied);
  REQUIRE(denied.size() == 2);
  CHECK(denied[0].message_id == 1);
  CHECK(denied[0].code == "permission_denied");
  CHECK(denied[1].message_id == 2);
  CHECK(denied[1].code == "invalid_channel");
  const std::vector<Message> got = limited.take(MessageType::Channel);
  REQUIRE(got.size() == 1);
  CHECK(got[0].data == "ok");

  // A malformed envelope: an error, nothing routed, the connection stays.
  sim.send_binary(limited, std::string("\x01\x05room", 6));
  const std::vector<Message> errors = limited.take(MessageType::Error);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].code == "malformed");
  CHECK_FALSE(limited.closed);
}

TEST_CASE("binary messages pending at a restart survive the state file byte for byte", "[core][binary][snapshot]") {
  SimPair p;
  p.latency_ms = 30;
  std::vector<std::string> at_client;
  p.connect();
  REQUIRE(p.run_until([&] { return p.client.state() == ClientState::Ready; }, 1000));
  const std::string session = p.client.session_id();
  auto state = p.table.find(session);
  for (uint64_t i = 0; i < 20; ++i) REQUIRE(state->enqueue("down", binary_payload(i), true, 1, PayloadKind::Binary));
  p.advance(3);  // some in flight, some still queued

  const std::string snapshot = snapshot_sessions(p.table);
  CHECK(snapshot.find("dataHex") != std::string::npos);
  p.cut();
  for (const auto& s : p.table.all()) p.table.remove(s->id);
  state.reset();
  const RestoreResult restored =
      restore_sessions(snapshot, p.table, p.server_config.reliable, p.server_config.receive_window, p.now, 60000);
  REQUIRE(restored.ok);
  REQUIRE(restored.restored == 1);

  REQUIRE(p.run_until(
      [&] {
        for (const auto& e : p.client_events) {
          if (e.kind == ClientEvent::Kind::Message) {
            CHECK(e.payload == PayloadKind::Binary);
            at_client.push_back(e.data);
          }
        }
        p.client_events.clear();
        return at_client.size() >= 20;
      },
      30000));
  p.advance(2000);
  REQUIRE(at_client.size() == 20);
  for (uint64_t i = 0; i < 20; ++i) CHECK(at_client[i] == binary_payload(i));
  auto resumed = p.table.find(session);
  REQUIRE(resumed != nullptr);
  resumed->drain_resolutions();
  CHECK(resumed->failed == 0);
}

TEST_CASE("a state file's binary payload must be well-formed hex", "[core][binary][snapshot]") {
  SessionTable table(1);
  auto state = table.create(default_server_config().reliable, 4096, 0);
  REQUIRE(state->enqueue("c", std::string("\x00\x01\xfe", 3), true, 1, PayloadKind::Binary));
  const std::string good = snapshot_sessions(table);
  const size_t at = good.find("\"dataHex\":\"0001fe\"");
  REQUIRE(at != std::string::npos);
  SessionTable same(2);
  REQUIRE(restore_sessions(good, same, default_server_config().reliable, 4096, 0, 60000).restored == 1);
  for (const char* bad : {"\"dataHex\":\"0001f\"", "\"dataHex\":\"0001FG\"", "\"dataHex\":1"}) {
    std::string corrupt = good;
    corrupt.replace(at, std::string("\"dataHex\":\"0001fe\"").size(), bad);
    SessionTable fresh(2);
    const RestoreResult result = restore_sessions(corrupt, fresh, default_server_config().reliable, 4096, 0, 60000);
    INFO(bad);
    CHECK(result.restored == 0);
  }
}
