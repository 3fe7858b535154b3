#pragma once
// Shared by the codec's test files: round-trip helpers and one message of
// every type, fully populated.
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "core/codec.h"

namespace tether::test::codec {

using namespace tether::core;

struct Decoded {
  CodecError error;
  std::vector<Message> messages;
  std::vector<DecodeIssue> issues;
};

inline Decoded decode(std::string_view frame, const CodecLimits& limits = {}) {
  Decoded d;
  d.error = decode_frame(frame, limits, d.messages, d.issues);
  return d;
}

inline std::string encode(const Message& m) {
  std::string out;
  encode_message(m, out);
  return out;
}

// Decodes a frame that must hold exactly one valid message.
inline Message decode_one(std::string_view frame) {
  Decoded d = decode(frame);
  INFO(frame);
  REQUIRE(d.error == CodecError::None);
  REQUIRE(d.issues.empty());
  REQUIRE(d.messages.size() == 1);
  return d.messages[0];
}

// Decodes a frame holding one message that must be rejected on its own.
inline DecodeIssue decode_rejected(std::string_view frame) {
  Decoded d = decode(frame);
  INFO(frame);
  REQUIRE(d.error == CodecError::None);
  REQUIRE(d.messages.empty());
  REQUIRE(d.issues.size() == 1);
  return d.issues[0];
}

inline void check_equal(const Message& a, const Message& b) {
  CHECK(a.type == b.type);
  CHECK(a.channel == b.channel);
  CHECK(a.data == b.data);
  CHECK(a.timestamp == b.timestamp);
  CHECK(a.id == b.id);
  CHECK(a.require_ack == b.require_ack);
  CHECK(a.base == b.base);
  CHECK(a.message_id == b.message_id);
  CHECK(a.up_to == b.up_to);
  CHECK(a.token == b.token);
  CHECK(a.session == b.session);
  CHECK(a.last_seq == b.last_seq);
  CHECK(a.window == b.window);
  CHECK(a.permissions == b.permissions);
  CHECK(a.resumed == b.resumed);
  CHECK(a.expires_at == b.expires_at);
  CHECK(a.user_id == b.user_id);
  CHECK(a.reason == b.reason);
  CHECK(a.code == b.code);
  CHECK(a.action == b.action);
  CHECK(a.offsets == b.offsets);
  CHECK(a.recovered == b.recovered);
  CHECK(a.offset == b.offset);
  CHECK(a.epoch == b.epoch);
  CHECK(a.direct == b.direct);
  CHECK(a.direct_offset == b.direct_offset);
}

inline Message of_type(MessageType type) {
  Message m;
  m.type = type;
  return m;
}

// One message per type with every field that type carries set.
inline std::vector<Message> one_of_each_type() {
  std::vector<Message> all;
  Message channel = of_type(MessageType::Channel);
  channel.channel = "room.7";
  channel.data = R"({"x":1.5,"tags":["a","b"],"hp":null})";
  channel.timestamp = 1'700'000'000'123;
  channel.id = 42;
  channel.require_ack = true;
  channel.base = 40;
  channel.offset = 1'000'001;
  channel.direct = true;
  all.push_back(channel);

  Message auth = of_type(MessageType::Auth);
  auth.token = "eyJ.a.b";
  auth.session = "s-1";
  auth.last_seq = 17;
  auth.window = 256;
  auth.offsets = true;
  auth.direct_offset = 1'000'002;
  all.push_back(auth);

  Message success = of_type(MessageType::AuthSuccess);
  success.permissions = {"publish:room.*", "subscribe:*"};
  success.session = "s-2";
  success.resumed = true;
  success.last_seq = std::numeric_limits<uint64_t>::max();
  success.expires_at = 1'700'003'600'000;
  success.user_id = "user-9";
  success.window = std::numeric_limits<uint32_t>::max();
  success.recovered = true;
  all.push_back(success);

  for (MessageType t : {MessageType::AuthFailed, MessageType::RefreshFailed, MessageType::Error}) {
    Message m = of_type(t);
    m.reason = "Token \"expired\"\n";
    m.code = "token_expired";
    if (t == MessageType::Error) {  // as history_lost has them
      m.channel = "room.7";
      m.epoch = "1700000000000-3";
    }
    all.push_back(m);
  }

  Message ping = of_type(MessageType::Ping);
  ping.timestamp = -5;  // any int64 is legal on the wire
  all.push_back(ping);
  Message pong = of_type(MessageType::Pong);
  pong.timestamp = std::numeric_limits<int64_t>::min();
  all.push_back(pong);

  Message ack = of_type(MessageType::Ack);
  ack.message_id = 9;
  ack.up_to = 8;
  all.push_back(ack);

  Message refresh = of_type(MessageType::RefreshToken);
  refresh.token = "new-jwt";
  all.push_back(refresh);

  Message refreshed = of_type(MessageType::TokenRefresh);
  refreshed.token = "fresh-jwt";
  refreshed.expires_at = std::numeric_limits<int64_t>::max();
  all.push_back(refreshed);

  Message denied = of_type(MessageType::PermissionDenied);
  denied.channel = "admin";
  denied.action = "publish";
  denied.message_id = 3;
  denied.reason = "no";
  denied.code = "forbidden";
  all.push_back(denied);

  for (MessageType t : {MessageType::Subscribe, MessageType::Unsubscribe, MessageType::Subscribed,
                        MessageType::Unsubscribed}) {
    Message m = of_type(t);
    m.channel = "lobby/ü";
    if (t == MessageType::Subscribe || t == MessageType::Subscribed) {
      m.epoch = "e1";
      m.offset = 77;
    }
    all.push_back(m);
  }
  return all;
}

inline std::string repeated(std::string_view piece, size_t times) {
  std::string s;
  for (size_t i = 0; i < times; ++i) s += piece;
  return s;
}

// A payload nested `depth` arrays deep: depth 0 is a bare number.
inline std::string nested_payload(size_t depth) {
  return repeated("[", depth) + "1" + repeated("]", depth);
}

}  // namespace tether::test::codec
