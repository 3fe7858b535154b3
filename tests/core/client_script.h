#pragma once
// One ClientSession driven by scripted server frames, in virtual time, for
// the cluster tests (docs/PROTOCOL.md 11.1): what it sent, what it told the
// host, and the server messages that move its positions.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sim_pair.h"

namespace tether::test::script {

using namespace tether::core;

// Every message the client put on the wire since the last call.
inline std::vector<Message> drain_sent(ClientSession& c) {
  std::vector<Message> out;
  std::vector<DecodeIssue> issues;
  std::string frame;
  FrameKind kind = FrameKind::Text;
  while (c.poll_transmit(frame, kind)) {
    REQUIRE(kind == FrameKind::Text);
    REQUIRE(decode_frame(frame, CodecLimits{}, out, issues) == CodecError::None);
    REQUIRE(issues.empty());
  }
  return out;
}

inline std::vector<Message> sent_of_type(const std::vector<Message>& sent, MessageType type) {
  std::vector<Message> out;
  for (const Message& m : sent) {
    if (m.type == type) out.push_back(m);
  }
  return out;
}

inline std::vector<ClientEvent> drain_events(ClientSession& c) {
  std::vector<ClientEvent> out;
  ClientEvent e;
  while (c.poll_event(e)) out.push_back(std::move(e));
  return out;
}

inline size_t count_kind(const std::vector<ClientEvent>& events, ClientEvent::Kind kind) {
  size_t n = 0;
  for (const ClientEvent& e : events) n += e.kind == kind ? 1 : 0;
  return n;
}

// Peer sequences of the Message events in `events`.
inline std::vector<uint64_t> delivered_ids(const std::vector<ClientEvent>& events) {
  std::vector<uint64_t> out;
  for (const ClientEvent& e : events) {
    if (e.kind == ClientEvent::Kind::Message) out.push_back(e.message_id);
  }
  return out;
}

// Caller ids of the Acked events in `events`.
inline std::vector<uint64_t> acked_ids(const std::vector<ClientEvent>& events) {
  std::vector<uint64_t> out;
  for (const ClientEvent& e : events) {
    if (e.kind == ClientEvent::Kind::Acked) out.push_back(e.message_id);
  }
  return out;
}

inline void feed(ClientSession& c, const Message& msg, TimeMs now) {
  std::string frame;
  encode_message(msg, frame);
  c.handle_text(frame, now);
}

inline Message stream_message(std::string channel, uint64_t seq, uint64_t offset) {
  Message m;
  m.channel = std::move(channel);
  m.data = std::to_string(seq);
  m.timestamp = kWallOffset;
  m.id = seq;
  m.require_ack = true;
  m.base = 1;
  m.offset = offset;
  return m;
}

inline Message subscribed(std::string channel, std::string epoch, uint64_t offset) {
  Message m;
  m.type = MessageType::Subscribed;
  m.channel = std::move(channel);
  m.epoch = std::move(epoch);
  m.offset = offset;
  return m;
}

inline Message history_lost(std::string channel, std::string epoch) {
  Message m;
  m.type = MessageType::Error;
  m.code = "history_lost";
  m.reason = "history lost in " + channel;
  m.channel = std::move(channel);
  m.epoch = std::move(epoch);
  return m;
}

inline Message auth_success(std::string session, bool resumed = false, bool recovered = false, uint64_t last_seq = 0) {
  Message m;
  m.type = MessageType::AuthSuccess;
  m.session = std::move(session);
  m.permissions = {"publish:*", "subscribe:*"};
  m.resumed = resumed;
  m.recovered = recovered;
  m.last_seq = last_seq;
  return m;
}

// Open and authenticated as session "s1", with nothing left to drain.
inline void make_ready(ClientSession& c, TimeMs now) {
  c.connect(now);
  c.handle_open(now);
  drain_sent(c);
  feed(c, auth_success("s1"), now);
  REQUIRE(c.state() == ClientState::Ready);
  drain_sent(c);
  drain_events(c);
}

// The connection drops; the next attempt opens. Returns the auth it sent.
inline Message drop_and_reopen(ClientSession& c, TimeMs& now) {
  c.handle_closed(close_code::kAbnormal, "", now);
  REQUIRE(c.state() == ClientState::Backoff);
  now = c.next_timeout();
  c.handle_timeout(now);
  REQUIRE(c.state() == ClientState::Connecting);
  c.handle_open(now);
  const std::vector<Message> auth = sent_of_type(drain_sent(c), MessageType::Auth);
  REQUIRE(auth.size() == 1);
  return auth[0];
}

inline ChannelPosition position_of(const ClientSession& c, std::string_view channel) {
  const ChannelPosition* at = c.subscriptions().position(channel);
  return at ? *at : ChannelPosition{};
}

}  // namespace tether::test::script
