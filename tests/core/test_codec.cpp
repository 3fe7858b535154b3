// Encoding and decoding: round trips, wire spellings, batches.
#include "core/codec.h"

#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "codec_helpers.h"

using namespace tether::core;
using namespace tether::test::codec;
using namespace std::string_literals;

TEST_CASE("codec error names are stable and distinct", "[core][codec]") {
  CHECK(std::string(codec_error_name(CodecError::None)) == "none");
  CHECK(std::string(codec_error_name(CodecError::TooLarge)) == "too_large");
  CHECK(std::string(codec_error_name(CodecError::Malformed)) == "malformed");
  CHECK(std::string(codec_error_name(CodecError::InvalidUtf8)) == "invalid_utf8");
  CHECK(std::string(codec_error_name(CodecError::TooDeep)) == "too_deep");
  CHECK(std::string(codec_error_name(CodecError::NotAnObject)) == "not_an_object");
  CHECK(std::string(codec_error_name(CodecError::EmptyBatch)) == "empty_batch");
  CHECK(std::string(codec_error_name(CodecError::BatchTooLong)) == "batch_too_long");
  CHECK(std::string(codec_error_name(CodecError::WrongType)) == "wrong_type");
  CHECK(std::string(codec_error_name(CodecError::MissingField)) == "missing_field");
  CHECK(std::string(codec_error_name(CodecError::UnknownType)) == "unknown_type");
  CHECK(std::string(codec_error_name(static_cast<CodecError>(200))) == "unknown_error");
}

TEST_CASE("every message type survives encode then decode", "[core][codec]") {
  const std::vector<Message> all = one_of_each_type();
  std::set<MessageType> covered;
  for (const Message& original : all) covered.insert(original.type);
  REQUIRE(covered.size() == static_cast<size_t>(MessageType::Error) + 1);

  for (const Message& original : all) {
    const std::string wire = encode(original);
    INFO(wire);
    check_equal(decode_one(wire), original);
  }
}

TEST_CASE("a batch of every type decodes in order", "[core][codec]") {
  const std::vector<Message> all = one_of_each_type();
  std::string frame = "[";
  for (const Message& m : all) {
    if (frame.size() > 1) frame += ',';
    encode_message(m, frame);
  }
  frame += ']';
  const Decoded d = decode(frame);
  REQUIRE(d.error == CodecError::None);
  CHECK(d.issues.empty());
  REQUIRE(d.messages.size() == all.size());
  for (size_t i = 0; i < all.size(); ++i) check_equal(d.messages[i], all[i]);
}

TEST_CASE("encoding writes exact wire keys and only meaningful fields", "[core][codec]") {
  Message refreshed = of_type(MessageType::TokenRefresh);
  refreshed.token = "t2";
  refreshed.expires_at = 1700000000000;
  CHECK(encode(refreshed) ==
        R"({"type":"token_refresh","newToken":"t2","expiresAt":1700000000000})");

  Message ping = of_type(MessageType::Ping);
  ping.timestamp = 123;
  ping.channel = "ignored";
  ping.token = "ignored";
  ping.id = 5;
  CHECK(encode(ping) == R"({"type":"ping","timestamp":123})");

  Message reliable;
  reliable.channel = "room";
  reliable.data = R"({"x":1})";
  reliable.timestamp = 5;
  reliable.id = 7;
  reliable.require_ack = true;
  reliable.base = 3;
  CHECK(encode(reliable) ==
        R"({"channel":"room","data":{"x":1},"timestamp":5,"id":7,"requireAck":true,"base":3})");

  Message unreliable;
  unreliable.channel = "c";
  CHECK(encode(unreliable) == R"({"channel":"c","data":null})");

  Message success = of_type(MessageType::AuthSuccess);
  success.session = "s";
  CHECK(encode(success) == R"({"type":"auth_success","session":"s"})");
}

TEST_CASE("encode_message appends to what is already there", "[core][codec]") {
  Message ping = of_type(MessageType::Ping);
  ping.timestamp = 1;
  std::string out = "[";
  encode_message(ping, out);
  out += ',';
  encode_message(ping, out);
  out += ']';
  CHECK(out == R"([{"type":"ping","timestamp":1},{"type":"ping","timestamp":1}])");
}

TEST_CASE("string fields are escaped and come back intact", "[core][codec]") {
  Message m = of_type(MessageType::Error);
  m.reason = "quote\" backslash\\ newline\n tab\t nul\0 bell\x07 é 😀"s;
  m.code = "</script>";
  const std::string wire = encode(m);
  CHECK(wire.find('\n') == std::string::npos);
  CHECK(wire.find('\0') == std::string::npos);
  check_equal(decode_one(wire), m);
}

TEST_CASE("decoding accepts the forward-compatible spellings", "[core][codec]") {
  SECTION("\"type\":\"message\" is a channel message") {
    const Message m = decode_one(R"({"type":"message","channel":"c","data":1})");
    CHECK(m.type == MessageType::Channel);
    CHECK(m.data == "1");
  }
  SECTION("\"type\":null is a channel message") {
    CHECK(decode_one(R"({"type":null,"channel":"c","data":2})").type == MessageType::Channel);
  }
  SECTION("null optional fields are absent") {
    const Message m = decode_one(
        R"({"type":"auth","token":"t","session":null,"lastSeq":null,"window":null})");
    CHECK(m.token == "t");
    CHECK(m.session.empty());
    CHECK(m.last_seq == 0);
    CHECK(m.window == 0);
  }
  SECTION("unknown keys are ignored, whatever they hold") {
    const Message m = decode_one(
        R"({"future":{"a":[1,{"b":[2]}]},"type":"ping","x":null,"timestamp":9,"y":"z"})");
    CHECK(m.type == MessageType::Ping);
    CHECK(m.timestamp == 9);
  }
  SECTION("keys another type carries are dropped, even when malformed") {
    const Message m =
        decode_one(R"({"channel":"c","type":"ping","timestamp":1,"token":5,"permissions":7})");
    CHECK(m.type == MessageType::Ping);
    CHECK(m.channel.empty());
    CHECK(m.token.empty());
  }
  SECTION("token_refresh reads newToken, not token") {
    const Message m = decode_one(R"({"type":"token_refresh","token":"old","newToken":"new"})");
    CHECK(m.token == "new");
  }
  SECTION("data may be null, and is then the JSON text null") {
    CHECK(decode_one(R"({"channel":"c","data":null})").data == "null");
  }
  SECTION("data may be any scalar") {
    CHECK(decode_one(R"({"channel":"c","data":"a\"b"})").data == R"("a\"b")");
    CHECK(decode_one(R"({"channel":"c","data":false})").data == "false");
    CHECK(decode_one(R"({"channel":"c","data":-0.0e-7})").data == "-0.0e-7");
  }
  SECTION("whitespace around the frame is fine") {
    CHECK(decode_one(" \r\n\t{\"type\":\"ping\",\"timestamp\":1} \n").timestamp == 1);
  }
  SECTION("requireAck false needs no id") {
    CHECK_FALSE(decode_one(R"({"channel":"c","data":1,"requireAck":false})").require_ack);
  }
}

TEST_CASE("data comes back exactly as written", "[core][codec]") {
  const std::string compact =
      R"({"a":[1,-2.50,1E+2,12345678901234567890123,-0,true,false,null],)"
      R"("s":"q\"b\\s\n\t\u0001/é😀","nested":{"empty":{},"list":[[],[{}],""]}})";

  SECTION("compact data round-trips unchanged") {
    Message m;
    m.channel = "c";
    m.data = compact;
    CHECK(decode_one(encode(m)).data == compact);
  }
  SECTION("spaced and escaped data is kept byte for byte") {
    const std::string spaced_data =
        "{ \"a\" : [ 1 , -2.50 , 1E+2 ,\n"
        " 12345678901234567890123 , -0 , true , false , null ] ,\n"
        "\t\"s\" : \"q\\\"b\\\\s\\n\\t\\u0001\\/\\u00e9\\uD83D\\uDE00\" ,"
        " \"nested\" : { \"empty\" : { } , \"list\" : [ [ ] , [ { } ] , \"\" ] } }";
    const Message m = decode_one("{ \"channel\" : \"c\" , \"data\" : " + spaced_data + " }");
    CHECK(m.data == spaced_data);
    Message again;
    again.channel = "c";
    again.data = m.data;
    CHECK(decode_one(encode(again)).data == spaced_data);
  }
  SECTION("in a batch, each message's data is its own") {
    const Decoded d = decode(R"([{"channel":"c","data":[1, 2]},{"channel":"c","data":{"k" : "v"}}])");
    REQUIRE(d.messages.size() == 2);
    CHECK(d.messages[0].data == "[1, 2]");
    CHECK(d.messages[1].data == R"({"k" : "v"})");
  }
  SECTION("scalars too: escapes, numbers and literals stay as written") {
    CHECK(decode_one(R"({"channel":"c","data":"\u00e9\/"})").data == R"("\u00e9\/")");
    CHECK(decode_one(R"({"channel":"c","data" :  -1.50E+2 })").data == "-1.50E+2");
    CHECK(decode_one(R"({"channel":"c","data":null})").data == "null");
    CHECK(decode_one(R"({"data":true,"channel":"c"})").data == "true");
  }
}

TEST_CASE("a batch keeps its valid messages in order and reports the rest", "[core][codec]") {
  const std::string frame =
      "["
      R"({"type":"ping","timestamp":1},)"
      R"({"type":"ping"},)"
      R"({"channel":"c","data":{"n":2}},)"
      R"({"type":"warp","channel":"c"},)"
      R"({"type":"ping","timestamp":"3"},)"
      R"({"type":"pong","timestamp":4})"
      "]";
  std::vector<Message> out(1);  // something already there stays first
  out[0].channel = "earlier";
  std::vector<DecodeIssue> issues;
  REQUIRE(decode_frame(frame, CodecLimits{}, out, issues) == CodecError::None);
  REQUIRE(out.size() == 4);
  CHECK(out[0].channel == "earlier");
  CHECK(out[1].type == MessageType::Ping);
  CHECK(out[1].timestamp == 1);
  CHECK(out[2].type == MessageType::Channel);
  CHECK(out[2].data == R"({"n":2})");
  CHECK(out[3].type == MessageType::Pong);
  CHECK(out[3].timestamp == 4);
  REQUIRE(issues.size() == 3);
  CHECK(issues[0].error == CodecError::MissingField);
  CHECK(issues[0].detail == "timestamp");
  CHECK(issues[1].error == CodecError::UnknownType);
  CHECK(issues[1].detail == "warp");
  CHECK(issues[2].error == CodecError::WrongType);
  CHECK(issues[2].detail == "timestamp");
}
