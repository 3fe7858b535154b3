// The binary-frame envelope (docs/PROTOCOL.md 5.1): records round-trip byte
// for byte, and every malformed envelope gets its defined error.
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "core/codec.h"
#include "core/codec_binary.h"

using namespace tether::core;

namespace {

struct Decoded {
  CodecError error;
  std::vector<Message> messages;
  std::vector<DecodeIssue> issues;
};

Decoded decode(const std::string& frame, CodecLimits limits = {}) {
  Decoded d;
  d.error = decode_binary_frame(frame, limits, d.messages, d.issues);
  return d;
}

std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out.push_back(static_cast<char>(v));
  return out;
}

}  // namespace

TEST_CASE("the protocol document's example record decodes as written", "[core][codec][binary]") {
  // PROTOCOL.md 5.1: reliable, id 5, base 3, channel "room", payload 01 02 03.
  const std::string frame = bytes({0x01, 0x04, 'r', 'o', 'o', 'm', 0x05, 0x03, 0x03, 0x01, 0x02, 0x03});
  Decoded d = decode(frame);
  REQUIRE(d.error == CodecError::None);
  REQUIRE(d.messages.size() == 1);
  const Message& m = d.messages[0];
  CHECK(m.type == MessageType::Channel);
  CHECK(m.payload == PayloadKind::Binary);
  CHECK(m.channel == "room");
  CHECK(m.require_ack);
  CHECK(m.id == 5);
  CHECK(m.base == 3);
  CHECK(m.timestamp == 0);
  CHECK(m.data == bytes({1, 2, 3}));

  std::string encoded;
  encode_binary_channel_message("room", bytes({1, 2, 3}), 0, 5, 3, encoded);
  CHECK(encoded == frame);
}

TEST_CASE("binary records round-trip every byte and the extremes of every field", "[core][codec][binary]") {
  std::string all_bytes;
  for (int b = 0; b < 256; ++b) all_bytes.push_back(static_cast<char>(b));
  const uint64_t max_u64 = std::numeric_limits<uint64_t>::max();
  const int64_t min_i64 = std::numeric_limits<int64_t>::min();
  const int64_t max_i64 = std::numeric_limits<int64_t>::max();

  std::string frame;
  encode_binary_channel_message("c", all_bytes, 1700000000123, max_u64, max_u64 - 1, frame);
  encode_binary_channel_message("ch\xc3\xa9", "", -1, 0, 0, frame);  // empty payload, negative time
  encode_binary_channel_message("x", std::string(70000, '\0'), min_i64, 1, 1, frame);
  encode_binary_channel_message("y", "z", max_i64, 127, 128, frame);  // varint boundaries

  Decoded d = decode(frame);
  REQUIRE(d.error == CodecError::None);
  CHECK(d.issues.empty());
  REQUIRE(d.messages.size() == 4);
  CHECK(d.messages[0].data == all_bytes);
  CHECK(d.messages[0].id == max_u64);
  CHECK(d.messages[0].base == max_u64 - 1);
  CHECK(d.messages[0].timestamp == 1700000000123);
  CHECK(d.messages[1].channel == "ch\xc3\xa9");
  CHECK(d.messages[1].data.empty());
  CHECK_FALSE(d.messages[1].require_ack);
  CHECK(d.messages[1].timestamp == -1);
  CHECK(d.messages[2].data == std::string(70000, '\0'));
  CHECK(d.messages[2].timestamp == min_i64);
  CHECK(d.messages[3].timestamp == max_i64);
  CHECK(d.messages[3].id == 127);
  CHECK(d.messages[3].base == 128);

  // The bound holds for the largest fields.
  std::string one;
  encode_binary_channel_message("c", all_bytes, min_i64, max_u64, max_u64, one);
  CHECK(one.size() <= binary_record_bound("c", all_bytes.size()));
}

TEST_CASE("a malformed binary envelope rejects the whole frame with a defined error", "[core][codec][binary]") {
  std::string good;
  encode_binary_channel_message("room", "abc", 0, 1, 1, good);

  struct Case {
    const char* name;
    std::string frame;
    CodecError error;
  };
  const std::vector<Case> cases = {
      {"empty frame", "", CodecError::EmptyBatch},
      {"unknown flag bit", good + bytes({0x04, 0x01, 'a', 0x00}), CodecError::Malformed},
      {"truncated channel", bytes({0x00, 0x05, 'a', 'b'}), CodecError::Malformed},
      {"truncated payload", good + bytes({0x00, 0x01, 'a', 0x09, 'x'}), CodecError::Malformed},
      {"missing payload length", bytes({0x00, 0x01, 'a'}), CodecError::Malformed},
      {"varint over 10 bytes",
       bytes({0x01, 0x01, 'a', 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0x01, 0x00}),
       CodecError::Malformed},
      {"varint above 64 bits",
       bytes({0x01, 0x01, 'a', 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x01, 0x00}),
       CodecError::Malformed},
      {"payload length beyond the frame", bytes({0x00, 0x01, 'a', 0xff, 0xff, 0xff, 0xff, 0x0f}),
       CodecError::Malformed},
      {"channel not UTF-8", good + bytes({0x00, 0x02, 0xc3, 0x28, 0x00}), CodecError::InvalidUtf8},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    std::vector<Message> messages(1);  // what was there before stays
    std::vector<DecodeIssue> issues;
    CHECK(decode_binary_frame(c.frame, CodecLimits{}, messages, issues) == c.error);
    CHECK(messages.size() == 1);
    REQUIRE(issues.size() == 1);
    CHECK(issues[0].error == c.error);
  }
}

TEST_CASE("binary frames obey the frame size and batch limits", "[core][codec][binary]") {
  std::string frame;
  for (int i = 0; i < 5; ++i) encode_binary_channel_message("c", "p", 0, 0, 0, frame);
  CodecLimits limits;
  limits.max_batch = 4;
  CHECK(decode(frame, limits).error == CodecError::BatchTooLong);
  limits.max_batch = 5;
  CHECK(decode(frame, limits).messages.size() == 5);
  limits.max_frame_bytes = frame.size() - 1;
  CHECK(decode(frame, limits).error == CodecError::TooLarge);
}

TEST_CASE("a bad record is dropped alone, the rest of its binary batch stands", "[core][codec][binary]") {
  std::string frame;
  encode_binary_channel_message("a", "1", 0, 1, 1, frame);
  frame += bytes({0x01, 0x01, 'b', 0x00, 0x00, 0x01, '2'});  // reliable with id 0
  encode_binary_channel_message(std::string(300, 'c'), "3", 0, 2, 1, frame);  // too long a name: the session's call
  Decoded d = decode(frame);
  REQUIRE(d.error == CodecError::None);
  REQUIRE(d.issues.size() == 1);
  CHECK(d.issues[0].error == CodecError::WrongType);
  CHECK(d.issues[0].detail == "id");
  REQUIRE(d.messages.size() == 2);
  CHECK(d.messages[0].data == "1");
  CHECK(d.messages[1].channel.size() == 300);
}

TEST_CASE("auth and auth_success carry the binary offer both ways", "[core][codec][binary]") {
  Message auth;
  auth.type = MessageType::Auth;
  auth.token = "t";
  auth.binary = true;
  std::string text;
  encode_message(auth, text);
  CHECK(text == R"({"type":"auth","token":"t","binary":true})");
  std::vector<Message> out;
  std::vector<DecodeIssue> issues;
  REQUIRE(decode_frame(text, CodecLimits{}, out, issues) == CodecError::None);
  REQUIRE(out.size() == 1);
  CHECK(out[0].binary);

  out.clear();
  REQUIRE(decode_frame(R"({"type":"auth_success","session":"s","binary":true})", CodecLimits{}, out, issues) ==
          CodecError::None);
  REQUIRE(out.size() == 1);
  CHECK(out[0].binary);
  // A v1 peer that does not know the key: absent means false, and another
  // type's "binary" is ignored.
  out.clear();
  REQUIRE(decode_frame(R"([{"type":"auth_success","session":"s"},{"type":"ping","timestamp":1,"binary":true}])",
                       CodecLimits{}, out, issues) == CodecError::None);
  REQUIRE(out.size() == 2);
  CHECK_FALSE(out[0].binary);
  CHECK_FALSE(out[1].binary);
  // The wrong JSON type is wrong_type, as for any known field.
  out.clear();
  decode_frame(R"({"type":"auth","token":"t","binary":1})", CodecLimits{}, out, issues);
  CHECK(out.empty());
  REQUIRE_FALSE(issues.empty());
  CHECK(issues.back().error == CodecError::WrongType);
  CHECK(issues.back().detail == "binary");
}
