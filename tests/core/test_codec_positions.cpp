// Cluster positions on the wire (docs/PROTOCOL.md 11.1): auth "offsets" and
// "directOffset", auth_success "recovered", a channel message's "offset" and
// "direct", where subscribe and subscribed stand ("epoch" + "offset"),
// history_lost's "channel" and "epoch"; the binary record's offset and
// direct flags. The sender's side is in test_sender_positions.cpp.
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "codec_helpers.h"
#include "core/codec.h"
#include "core/codec_binary.h"

using namespace tether::core;
using namespace tether::test::codec;

namespace {

constexpr uint64_t kMaxU64 = std::numeric_limits<uint64_t>::max();

// encode -> decode gives the message back, and encoding that gives the same text.
Message round_trip(const Message& m) {
  const std::string text = encode(m);
  INFO(text);
  const Message back = decode_one(text);
  CHECK(encode(back) == text);
  return back;
}

Decoded decode_binary(const std::string& frame, CodecLimits limits = {}) {
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

TEST_CASE("positions: every new key round-trips with the exact text", "[core][codec][positions]") {
  Message auth = of_type(MessageType::Auth);
  auth.token = "t";
  auth.offsets = true;
  CHECK(encode(auth) == R"({"type":"auth","token":"t","offsets":true})");
  CHECK(round_trip(auth).offsets);

  Message success = of_type(MessageType::AuthSuccess);
  success.session = "s";
  success.resumed = true;
  success.recovered = true;
  CHECK(encode(success) == R"({"type":"auth_success","session":"s","resumed":true,"recovered":true})");
  const Message success_back = round_trip(success);
  CHECK(success_back.recovered);
  CHECK(success_back.resumed);

  Message channel = of_type(MessageType::Channel);
  channel.channel = "room";
  channel.data = "1";
  channel.timestamp = 5;
  channel.id = 7;
  channel.require_ack = true;
  channel.base = 6;
  channel.offset = kMaxU64;
  CHECK(encode(channel) ==
        R"({"channel":"room","data":1,"timestamp":5,"id":7,"requireAck":true,"base":6,"offset":18446744073709551615})");
  CHECK(round_trip(channel).offset == kMaxU64);
  channel.require_ack = false;  // unreliable messages may carry one too
  channel.offset = 1;
  const Message unreliable = round_trip(channel);
  CHECK(unreliable.offset == 1);
  CHECK(unreliable.id == 0);

  for (MessageType t : {MessageType::Subscribe, MessageType::Subscribed}) {
    Message m = of_type(t);
    m.channel = "room";
    m.epoch = "e-1";
    m.offset = 42;
    const std::string type(message_type_name(t));
    CHECK(encode(m) == R"({"type":")" + type + R"(","channel":"room","epoch":"e-1","offset":42})");
    const Message back = round_trip(m);
    CHECK(back.epoch == "e-1");
    CHECK(back.offset == 42);
  }

  Message lost = of_type(MessageType::Error);
  lost.channel = "room";
  lost.epoch = std::string(kMaxEpochBytes, 'e');
  lost.code = "history_lost";
  lost.reason = "history lost on room";
  CHECK(encode(lost) == R"({"type":"error","channel":"room","epoch":")" + std::string(kMaxEpochBytes, 'e') +
                            R"(","reason":"history lost on room","code":"history_lost"})");
  const Message lost_back = round_trip(lost);
  CHECK(lost_back.channel == "room");
  CHECK(lost_back.epoch == lost.epoch);
  CHECK(lost_back.code == "history_lost");
}

TEST_CASE("positions: absent, zero and empty fields are not written", "[core][codec][positions]") {
  Message sub = of_type(MessageType::Subscribe);
  sub.channel = "room";
  CHECK(encode(sub) == R"({"type":"subscribe","channel":"room"})");
  sub.offset = 3;  // an offset without an epoch still goes out
  CHECK(encode(sub) == R"({"type":"subscribe","channel":"room","offset":3})");

  Message auth = of_type(MessageType::Auth);
  auth.token = "t";
  CHECK(encode(auth) == R"({"type":"auth","token":"t"})");
  Message error = of_type(MessageType::Error);
  error.code = "x";
  CHECK(encode(error) == R"({"type":"error","code":"x"})");

  // Types that do not carry a field neither write nor keep it.
  Message unsub = of_type(MessageType::Unsubscribe);
  unsub.channel = "room";
  unsub.epoch = "e";
  unsub.offset = 9;
  CHECK(encode(unsub) == R"({"type":"unsubscribe","channel":"room"})");
  const Message ignored = decode_one(R"({"type":"unsubscribe","channel":"room","epoch":"e","offset":9})");
  CHECK(ignored.epoch.empty());
  CHECK(ignored.offset == 0);
  const Message ping = decode_one(R"({"type":"ping","timestamp":1,"offset":"x","recovered":1,"epoch":7})");
  CHECK(ping.offset == 0);
  CHECK_FALSE(ping.recovered);

  // null is absent, as for every optional field; 0 is the absent offset.
  const Message nulls = decode_one(R"({"type":"subscribed","channel":"c","epoch":null,"offset":null})");
  CHECK(nulls.epoch.empty());
  CHECK(nulls.offset == 0);
  CHECK(decode_one(R"({"channel":"c","data":1,"offset":0})").offset == 0);
  CHECK_FALSE(decode_one(R"({"type":"auth","token":"t","offsets":false})").offsets);
}

TEST_CASE("positions: the fast channel encoder writes the offset as encode_message does",
          "[core][codec][positions]") {
  for (const uint64_t offset : {uint64_t{0}, uint64_t{1}, uint64_t{1} << 40, kMaxU64}) {
    for (const uint64_t seq : {uint64_t{0}, uint64_t{12}}) {
      Message m = of_type(MessageType::Channel);
      m.channel = "q\"\\";
      m.data = R"({"a":[1,2]})";
      m.timestamp = 1'700'000'000'000;
      m.id = seq;
      m.require_ack = seq != 0;
      m.base = seq == 0 ? 0 : 10;
      m.offset = offset;
      std::string fast;
      encode_channel_message(m.channel, m.data, m.timestamp, seq, m.base, fast, offset);
      CHECK(fast == encode(m));
      CHECK((fast.find("\"offset\"") != std::string::npos) == (offset != 0));
      CHECK(decode_one(fast).offset == offset);
    }
  }
  std::string without, with_zero;
  encode_channel_message("c", "1", 1, 2, 1, without);
  encode_channel_message("c", "1", 1, 2, 1, with_zero, 0);
  CHECK(without == with_zero);
  CHECK(without == R"({"channel":"c","data":1,"timestamp":1,"id":2,"requireAck":true,"base":1})");
}

TEST_CASE("positions: channel_message_bound with_offset covers the longest offset and direct",
          "[core][codec][positions]") {
  for (const std::string& channel : {std::string("c"), std::string(kMaxChannelBytes, 'c'), std::string("q\"\\\x01")}) {
    for (const std::string& data : {std::string("1"), std::string("null"), std::string(1000, '7')}) {
      std::string out;
      encode_channel_message(channel, data, std::numeric_limits<int64_t>::min(), kMaxU64, kMaxU64, out, kMaxU64,
                             true);
      const size_t bound = channel_message_bound(channel, data.size(), true);
      CHECK(out.size() <= bound);
      CHECK(bound - out.size() <= 3);  // exact but for data under the 4 bytes of null
      // ,"offset":18446744073709551615 is 30 bytes, ,"direct":true 14.
      CHECK(bound == channel_message_bound(channel, data.size()) + 44);
    }
  }
  // The envelope docs/PROTOCOL.md 3.7 names: 171 bytes around a one-byte channel and its data.
  CHECK(channel_message_bound("c", 100, true) == 171 + 1 + 100);
  CHECK(channel_message_bound("c", 100) == 127 + 1 + 100);
}

TEST_CASE("positions: a wrong type rejects the message, naming the key", "[core][codec][positions]") {
  struct Case {
    std::string frame;
    std::string key;
  };
  const std::vector<Case> cases = {
      {R"({"type":"auth","token":"t","offsets":1})", "offsets"},
      {R"({"type":"auth","token":"t","offsets":"true"})", "offsets"},
      {R"({"type":"auth_success","session":"s","recovered":"yes"})", "recovered"},
      {R"({"type":"auth_success","session":"s","recovered":[]})", "recovered"},
      {R"({"channel":"c","data":1,"offset":-1})", "offset"},
      {R"({"channel":"c","data":1,"offset":1.5})", "offset"},
      {R"({"channel":"c","data":1,"offset":"3"})", "offset"},
      {R"({"channel":"c","data":1,"offset":18446744073709551616})", "offset"},  // 2^64
      {R"({"channel":"c","data":1,"offset":{}})", "offset"},
      {R"({"type":"subscribe","channel":"c","epoch":5})", "epoch"},
      {R"({"type":"subscribe","channel":"c","offset":true})", "offset"},
      {R"({"type":"subscribed","channel":"c","epoch":["e"]})", "epoch"},
      {R"({"type":"subscribed","channel":"c","offset":1e3})", "offset"},
      {R"({"type":"error","code":"history_lost","channel":1})", "channel"},
      {R"({"type":"error","code":"history_lost","epoch":{}})", "epoch"},
  };
  for (const Case& c : cases) {
    const DecodeIssue issue = decode_rejected(c.frame);
    INFO(c.frame);
    CHECK(issue.error == CodecError::WrongType);
    CHECK(issue.detail == c.key);
  }
}

TEST_CASE("positions: an epoch over 64 bytes rejects its message", "[core][codec][positions]") {
  const std::string longest(kMaxEpochBytes, 'e');
  const std::string too_long(kMaxEpochBytes + 1, 'e');
  CHECK(decode_one(R"({"type":"subscribe","channel":"c","epoch":")" + longest + "\"}").epoch == longest);
  const std::string prefixes[] = {R"({"type":"subscribe","channel":"c",)", R"({"type":"subscribed","channel":"c",)",
                                  R"({"type":"error","code":"history_lost",)"};
  for (const std::string& prefix : prefixes) {
    const DecodeIssue issue = decode_rejected(prefix + R"("epoch":")" + too_long + "\"}");
    CHECK(issue.error == CodecError::WrongType);
    CHECK(issue.detail == "epoch");
  }
  // Bytes, not characters: 32 two-byte characters fit, 33 do not.
  std::string two_byte;
  for (int i = 0; i < 32; ++i) two_byte += "\xC3\xA9";
  CHECK(decode_one(R"({"type":"subscribe","channel":"c","epoch":")" + two_byte + "\"}").epoch == two_byte);
  CHECK(decode_rejected(R"({"type":"subscribe","channel":"c","epoch":")" + two_byte + "\xC3\xA9\"}").detail ==
        "epoch");
  // The message is dropped alone: the rest of its batch stands.
  const Decoded d = decode(R"([{"type":"subscribe","channel":"a","epoch":")" + too_long +
                           R"("},{"type":"subscribe","channel":"b","epoch":"e","offset":4}])");
  REQUIRE(d.error == CodecError::None);
  REQUIRE(d.messages.size() == 1);
  CHECK(d.messages[0].channel == "b");
  CHECK(d.messages[0].offset == 4);
  REQUIRE(d.issues.size() == 1);
  CHECK(d.issues[0].detail == "epoch");
}

TEST_CASE("positions: a binary record's offset sits after id and base", "[core][codec][binary][positions]") {
  // Reliable (id 5, base 3) with offset 300 (varint ac 02) and timestamp -1 (zigzag 01).
  const std::string frame =
      bytes({0x07, 0x04, 'r', 'o', 'o', 'm', 0x05, 0x03, 0xac, 0x02, 0x01, 0x03, 0x01, 0x02, 0x03});
  std::string encoded;
  encode_binary_channel_message("room", bytes({1, 2, 3}), -1, 5, 3, encoded, 300);
  CHECK(encoded == frame);
  const Decoded d = decode_binary(frame);
  REQUIRE(d.error == CodecError::None);
  REQUIRE(d.messages.size() == 1);
  const Message& m = d.messages[0];
  CHECK(m.offset == 300);
  CHECK(m.id == 5);
  CHECK(m.base == 3);
  CHECK(m.timestamp == -1);
  CHECK(m.data == bytes({1, 2, 3}));

  // Unreliable, no timestamp: the offset follows the channel.
  std::string unreliable;
  encode_binary_channel_message("c", "x", 0, 0, 0, unreliable, 1);
  CHECK(unreliable == bytes({0x04, 0x01, 'c', 0x01, 0x01, 'x'}));
  // Offset 0 is not written at all.
  std::string none;
  encode_binary_channel_message("c", "x", 0, 0, 0, none);
  CHECK(none == bytes({0x00, 0x01, 'c', 0x01, 'x'}));
  CHECK(decode_binary(none).messages.at(0).offset == 0);
}

TEST_CASE("positions: binary records with offsets round-trip and stay within the bound",
          "[core][codec][binary][positions]") {
  std::string frame;
  struct Sent {
    uint64_t seq, base, offset;
    int64_t timestamp;
  };
  const std::vector<Sent> sent = {{0, 0, 1, 0},       {1, 1, 127, 9},  {2, 1, 128, -5},
                                  {kMaxU64, kMaxU64, kMaxU64, std::numeric_limits<int64_t>::min()},
                                  {3, 2, 0, 1}};
  for (const Sent& s : sent) {
    const size_t before = frame.size();
    encode_binary_channel_message("c", std::string(100, '\xff'), s.timestamp, s.seq, s.base, frame, s.offset);
    CHECK(frame.size() - before <= binary_record_bound("c", 100));
  }
  const Decoded d = decode_binary(frame);
  REQUIRE(d.error == CodecError::None);
  REQUIRE(d.messages.size() == sent.size());
  for (size_t i = 0; i < sent.size(); ++i) {
    CHECK(d.messages[i].offset == sent[i].offset);
    CHECK(d.messages[i].id == sent[i].seq);
    CHECK(d.messages[i].base == sent[i].base);
    CHECK(d.messages[i].timestamp == sent[i].timestamp);
  }
  // The longest numbers: four 10-byte varints (id, base, offset, zigzag
  // timestamp), within the bound's six (the lengths take 1 byte each here).
  std::string longest;
  encode_binary_channel_message("c", "", std::numeric_limits<int64_t>::min(), kMaxU64, kMaxU64, longest, kMaxU64);
  CHECK(longest.size() == 1 + 1 + 1 + 4 * 10 + 1);
  CHECK(longest.size() <= binary_record_bound("c", 0));
  CHECK(binary_record_bound("c", 0) == 1 + 6 * 10 + 1);
}

TEST_CASE("positions: the offset flag with offset 0, or cut short, is malformed", "[core][codec][binary][positions]") {
  const std::string good = bytes({0x00, 0x01, 'c', 0x01, 'x'});
  const std::vector<std::string> bad = {
      bytes({0x04, 0x01, 'c', 0x00, 0x01, 'x'}),                  // flagged, offset 0
      bytes({0x05, 0x01, 'c', 0x01, 0x01, 0x00, 0x01, 'x'}),      // reliable, flagged, offset 0
      bytes({0x04, 0x01, 'c', 0x80, 0x00, 0x01, 'x'}),            // 0 in an over-long form
      bytes({0x04, 0x01, 'c'}),                                   // truncated before it
      bytes({0x04, 0x01, 'c', 0x80}),                             // truncated inside it
      bytes({0x10, 0x01, 'c', 0x01, 'x'}),                        // still an unknown bit
  };
  for (const std::string& record : bad) {
    const Decoded d = decode_binary(good + record);  // a bad record voids its whole frame
    CHECK(d.error == CodecError::Malformed);
    CHECK(d.messages.empty());
    REQUIRE(d.issues.size() == 1);
    CHECK(d.issues[0].error == CodecError::Malformed);
  }
  const Decoded zero = decode_binary(good + bad[0]);
  CHECK(zero.issues.at(0).detail == "offset 8: offset flag set with offset 0");
}

TEST_CASE("positions: direct and directOffset round-trip with the exact text", "[core][codec][positions]") {
  Message channel = of_type(MessageType::Channel);
  channel.channel = "room";
  channel.data = "1";
  channel.id = 7;
  channel.require_ack = true;
  channel.base = 6;
  channel.offset = 3;
  channel.direct = true;
  CHECK(encode(channel) == R"({"channel":"room","data":1,"id":7,"requireAck":true,"base":6,"offset":3,"direct":true})");
  const Message back = round_trip(channel);
  CHECK(back.direct);
  CHECK(back.offset == 3);
  channel.direct = false;  // written only when true
  CHECK(encode(channel) == R"({"channel":"room","data":1,"id":7,"requireAck":true,"base":6,"offset":3})");
  CHECK_FALSE(round_trip(channel).direct);
  channel.offset = 0;  // the mark alone is legal: the decoder does not tie it to an offset
  channel.direct = true;
  CHECK(encode(channel) == R"({"channel":"room","data":1,"id":7,"requireAck":true,"base":6,"direct":true})");
  CHECK(round_trip(channel).direct);

  Message auth = of_type(MessageType::Auth);
  auth.token = "t";
  auth.session = "s";
  auth.last_seq = 4;
  auth.offsets = true;
  auth.direct_offset = kMaxU64;
  CHECK(encode(auth) ==
        R"({"type":"auth","token":"t","session":"s","lastSeq":4,"offsets":true,"directOffset":18446744073709551615})");
  CHECK(round_trip(auth).direct_offset == kMaxU64);
  auth.direct_offset = 0;  // written only when not 0
  CHECK(encode(auth) == R"({"type":"auth","token":"t","session":"s","lastSeq":4,"offsets":true})");

  // false, null and 0 are absent; other types neither write nor keep them.
  CHECK_FALSE(decode_one(R"({"channel":"c","data":1,"direct":false})").direct);
  CHECK_FALSE(decode_one(R"({"channel":"c","data":1,"direct":null})").direct);
  CHECK(decode_one(R"({"type":"auth","token":"t","directOffset":null})").direct_offset == 0);
  CHECK(decode_one(R"({"type":"auth","token":"t","directOffset":0})").direct_offset == 0);
  const Message ignored = decode_one(R"({"type":"auth_success","session":"s","direct":true,"directOffset":5})");
  CHECK_FALSE(ignored.direct);
  CHECK(ignored.direct_offset == 0);
  CHECK_FALSE(decode_one(R"({"type":"auth","token":"t","direct":true})").direct);
  CHECK(decode_one(R"({"channel":"c","data":1,"directOffset":5})").direct_offset == 0);
  Message subscribe = of_type(MessageType::Subscribe);
  subscribe.channel = "c";
  subscribe.direct = true;
  subscribe.direct_offset = 5;
  CHECK(encode(subscribe) == R"({"type":"subscribe","channel":"c"})");
}

TEST_CASE("positions: a wrongly typed direct or directOffset rejects the message", "[core][codec][positions]") {
  const std::vector<std::string> direct = {
      R"({"channel":"c","data":1,"direct":1})",
      R"({"channel":"c","data":1,"direct":"true"})",
      R"({"channel":"c","data":1,"direct":[]})",
  };
  for (const std::string& frame : direct) {
    const DecodeIssue issue = decode_rejected(frame);
    INFO(frame);
    CHECK(issue.error == CodecError::WrongType);
    CHECK(issue.detail == "direct");
  }
  const std::vector<std::string> direct_offset = {
      R"({"type":"auth","token":"t","directOffset":-1})",
      R"({"type":"auth","token":"t","directOffset":1.5})",
      R"({"type":"auth","token":"t","directOffset":"3"})",
      R"({"type":"auth","token":"t","directOffset":true})",
      R"({"type":"auth","token":"t","directOffset":18446744073709551616})",  // 2^64
  };
  for (const std::string& frame : direct_offset) {
    const DecodeIssue issue = decode_rejected(frame);
    INFO(frame);
    CHECK(issue.error == CodecError::WrongType);
    CHECK(issue.detail == "directOffset");
  }
}

TEST_CASE("positions: the fast channel encoder writes direct as encode_message does", "[core][codec][positions]") {
  for (const bool direct : {false, true}) {
    for (const uint64_t offset : {uint64_t{0}, uint64_t{9}, kMaxU64}) {
      for (const uint64_t seq : {uint64_t{0}, uint64_t{12}}) {
        Message m = of_type(MessageType::Channel);
        m.channel = "q\"";
        m.data = "[1]";
        m.timestamp = 1'700'000'000'000;
        m.id = seq;
        m.require_ack = seq != 0;
        m.base = seq == 0 ? 0 : 10;
        m.offset = offset;
        m.direct = direct;
        std::string fast;
        encode_channel_message(m.channel, m.data, m.timestamp, seq, m.base, fast, offset, direct);
        CHECK(fast == encode(m));
        CHECK((fast.find("\"direct\":true") != std::string::npos) == direct);
        const Message back = decode_one(fast);
        CHECK(back.direct == direct);
        CHECK(back.offset == offset);
        CHECK(fast.size() <= channel_message_bound(m.channel, m.data.size(), true));
      }
    }
  }
}

TEST_CASE("positions: the binary direct flag adds no bytes", "[core][codec][binary][positions]") {
  // Reliable (id 5, base 3), offset 300, timestamp -1, direct: every flag set.
  const std::string frame =
      bytes({0x0f, 0x04, 'r', 'o', 'o', 'm', 0x05, 0x03, 0xac, 0x02, 0x01, 0x03, 0x01, 0x02, 0x03});
  std::string encoded;
  encode_binary_channel_message("room", bytes({1, 2, 3}), -1, 5, 3, encoded, 300, true);
  CHECK(encoded == frame);
  std::string not_direct;
  encode_binary_channel_message("room", bytes({1, 2, 3}), -1, 5, 3, not_direct, 300);
  CHECK(not_direct.size() == encoded.size());
  CHECK(not_direct[0] == 0x07);
  CHECK(not_direct.substr(1) == encoded.substr(1));

  const Decoded d = decode_binary(frame + not_direct);
  REQUIRE(d.error == CodecError::None);
  REQUIRE(d.messages.size() == 2);
  CHECK(d.messages[0].direct);
  CHECK(d.messages[0].offset == 300);
  CHECK(d.messages[0].id == 5);
  CHECK(d.messages[0].timestamp == -1);
  CHECK(d.messages[0].data == bytes({1, 2, 3}));
  CHECK_FALSE(d.messages[1].direct);
  CHECK(d.messages[1].offset == 300);

  // The flag alone, unreliable and without an offset, as JSON allows.
  std::string bare;
  encode_binary_channel_message("c", "x", 0, 0, 0, bare, 0, true);
  CHECK(bare == bytes({0x08, 0x01, 'c', 0x01, 'x'}));
  const Decoded lone = decode_binary(bare);
  REQUIRE(lone.messages.size() == 1);
  CHECK(lone.messages[0].direct);
  CHECK(lone.messages[0].offset == 0);
  CHECK(binary_flag::kKnown == 0x0f);
  CHECK(encoded.size() <= binary_record_bound("room", 3));
}
