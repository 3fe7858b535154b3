#include "core/codec.h"

#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <vector>

using namespace tether::core;
using namespace std::string_literals;

namespace {

struct Decoded {
  CodecError error;
  std::vector<Message> messages;
  std::vector<DecodeIssue> issues;
};

Decoded decode(std::string_view frame, const CodecLimits& limits = {}) {
  Decoded d;
  d.error = decode_frame(frame, limits, d.messages, d.issues);
  return d;
}

std::string encode(const Message& m) {
  std::string out;
  encode_message(m, out);
  return out;
}

// Decodes a frame that must hold exactly one valid message.
Message decode_one(std::string_view frame) {
  Decoded d = decode(frame);
  INFO(frame);
  REQUIRE(d.error == CodecError::None);
  REQUIRE(d.issues.empty());
  REQUIRE(d.messages.size() == 1);
  return d.messages[0];
}

// Decodes a frame holding one message that must be rejected on its own.
DecodeIssue decode_rejected(std::string_view frame) {
  Decoded d = decode(frame);
  INFO(frame);
  REQUIRE(d.error == CodecError::None);
  REQUIRE(d.messages.empty());
  REQUIRE(d.issues.size() == 1);
  return d.issues[0];
}

void check_equal(const Message& a, const Message& b) {
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
}

Message of_type(MessageType type) {
  Message m;
  m.type = type;
  return m;
}

// One message per type with every field that type carries set.
std::vector<Message> one_of_each_type() {
  std::vector<Message> all;
  Message channel = of_type(MessageType::Channel);
  channel.channel = "room.7";
  channel.data = R"({"x":1.5,"tags":["a","b"],"hp":null})";
  channel.timestamp = 1'700'000'000'123;
  channel.id = 42;
  channel.require_ack = true;
  channel.base = 40;
  all.push_back(channel);

  Message auth = of_type(MessageType::Auth);
  auth.token = "eyJ.a.b";
  auth.session = "s-1";
  auth.last_seq = 17;
  auth.window = 256;
  all.push_back(auth);

  Message success = of_type(MessageType::AuthSuccess);
  success.permissions = {"publish:room.*", "subscribe:*"};
  success.session = "s-2";
  success.resumed = true;
  success.last_seq = std::numeric_limits<uint64_t>::max();
  success.expires_at = 1'700'003'600'000;
  success.user_id = "user-9";
  success.window = std::numeric_limits<uint32_t>::max();
  all.push_back(success);

  for (MessageType t : {MessageType::AuthFailed, MessageType::RefreshFailed, MessageType::Error}) {
    Message m = of_type(t);
    m.reason = "Token \"expired\"\n";
    m.code = "token_expired";
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
    all.push_back(m);
  }
  return all;
}

std::string repeated(std::string_view piece, size_t times) {
  std::string s;
  for (size_t i = 0; i < times; ++i) s += piece;
  return s;
}

// A payload nested `depth` arrays deep: depth 0 is a bare number.
std::string nested_payload(size_t depth) {
  return repeated("[", depth) + "1" + repeated("]", depth);
}

}  // namespace

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

TEST_CASE("data comes back as compact JSON, byte for byte", "[core][codec]") {
  const std::string compact =
      R"({"a":[1,-2.50,1E+2,12345678901234567890123,-0,true,false,null],)"
      R"("s":"q\"b\\s\n\t\u0001/é😀","nested":{"empty":{},"list":[[],[{}],""]}})";

  SECTION("compact data round-trips unchanged") {
    Message m;
    m.channel = "c";
    m.data = compact;
    CHECK(decode_one(encode(m)).data == compact);
  }
  SECTION("spaced and escaped input is compacted") {
    const std::string spaced =
        "{ \"channel\" : \"c\" , \"data\" : { \"a\" : [ 1 , -2.50 , 1E+2 ,\n"
        " 12345678901234567890123 , -0 , true , false , null ] ,\n"
        "\t\"s\" : \"q\\\"b\\\\s\\n\\t\\u0001\\/\\u00e9\\uD83D\\uDE00\" ,"
        " \"nested\" : { \"empty\" : { } , \"list\" : [ [ ] , [ { } ] , \"\" ] } } }";
    const Message m = decode_one(spaced);
    CHECK(m.data == compact);
    Message again;
    again.channel = "c";
    again.data = m.data;
    CHECK(decode_one(encode(again)).data == compact);
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

TEST_CASE("frame-level errors reject the whole frame", "[core][codec]") {
  struct Case {
    std::string frame;
    CodecError error;
  };
  const std::string ping = R"({"type":"ping","timestamp":1})";
  const std::vector<Case> cases = {
      {"", CodecError::Malformed},
      {"  \n", CodecError::Malformed},
      {R"({"type":"ping",})", CodecError::Malformed},
      {R"({type:"ping"})", CodecError::Malformed},
      {R"({"channel":"c","data":NaN})", CodecError::Malformed},
      {R"({"channel":"c","data":1e})", CodecError::Malformed},  // 1e400 is valid: test_codec_numbers.cpp
      {"{\"channel\":\"a\x01\",\"data\":1}", CodecError::Malformed},  // raw control byte
      {R"({"type":"ping","timestamp":1)", CodecError::Malformed},      // truncated
      {"[" + ping + ",", CodecError::Malformed},
      {"[" + ping + ",{\"type\":\"pi", CodecError::Malformed},
      {ping + "x", CodecError::Malformed},  // trailing garbage
      {ping + ping, CodecError::Malformed},
      {ping + std::string(1, '\0'), CodecError::Malformed},
      {"{\"channel\":\"\xC3\x28\",\"data\":1}", CodecError::InvalidUtf8},
      {"{\"chan\xFFnel\":\"c\",\"data\":1}", CodecError::InvalidUtf8},
      {"{\"channel\":\"c\",\"data\":{\"k\":[\"\xC0\xAF\"]}}", CodecError::InvalidUtf8},
      {R"({"channel":"c","data":"\uDC00"})", CodecError::InvalidUtf8},  // lone low surrogate
      {R"({"channel":"c","data":"\uD800x"})", CodecError::InvalidUtf8},
      {R"({"channel":"\uDFFF","data":1})", CodecError::InvalidUtf8},
      {repeated("[", 100000), CodecError::TooDeep},
      {R"({"channel":"c","data":)" + repeated("{\"a\":", 100000), CodecError::TooDeep},
      {R"({"channel":"c","data":)" + nested_payload(33) + "}", CodecError::TooDeep},
      {"[" + ping + R"(,{"type":"ping","timestamp":1,"x":)" + nested_payload(33) + "}]",
       CodecError::TooDeep},
      {"42", CodecError::NotAnObject},
      {R"("ping")", CodecError::NotAnObject},
      {"null", CodecError::NotAnObject},
      {"[" + ping + ",7]", CodecError::NotAnObject},
      {"[" + ping + ",[]]", CodecError::NotAnObject},
      {"[[" + ping + "]]", CodecError::NotAnObject},
      {"[]", CodecError::EmptyBatch},
      {" [ \n ] ", CodecError::EmptyBatch},
  };
  for (const Case& c : cases) {
    INFO("frame: " << c.frame.substr(0, 80));
    std::vector<Message> out(2);
    std::vector<DecodeIssue> issues(1);
    CHECK(decode_frame(c.frame, CodecLimits{}, out, issues) == c.error);
    CHECK(out.size() == 2);  // nothing appended, not even the valid ping before the error
    REQUIRE(issues.size() == 2);
    CHECK(issues[1].error == c.error);
    CHECK(issues[1].detail.find("offset") != std::string::npos);
  }
}

TEST_CASE("size and batch limits", "[core][codec]") {
  const std::string ping = R"({"type":"ping","timestamp":1})";
  CodecLimits limits;
  limits.max_frame_bytes = ping.size();
  CHECK(decode(ping, limits).error == CodecError::None);
  CHECK(decode(ping + " ", limits).error == CodecError::TooLarge);

  limits = CodecLimits{};
  limits.max_batch = 2;
  CHECK(decode("[" + ping + "," + ping + "]", limits).messages.size() == 2);
  const Decoded three = decode("[" + ping + "," + ping + "," + ping + "]", limits);
  CHECK(three.error == CodecError::BatchTooLong);
  CHECK(three.messages.empty());
  CHECK(decode("[" + ping + "," + ping + ",1]", limits).error == CodecError::BatchTooLong);
}

TEST_CASE("depth counts from inside the message", "[core][codec]") {
  CodecLimits limits;
  limits.max_depth = 4;
  const std::string deepest = nested_payload(4);
  REQUIRE(validate_json_payload(deepest, limits) == CodecError::None);
  REQUIRE(validate_json_payload(nested_payload(5), limits) == CodecError::TooDeep);

  const std::string single = R"({"channel":"c","data":)" + deepest + "}";
  CHECK(decode(single, limits).messages.size() == 1);
  CHECK(decode("[" + single + "," + single + "]", limits).messages.size() == 2);
  const std::string too_deep = R"({"channel":"c","data":)" + nested_payload(5) + "}";
  CHECK(decode(too_deep, limits).error == CodecError::TooDeep);
  CHECK(decode("[" + too_deep + "]", limits).error == CodecError::TooDeep);
}

TEST_CASE("wrong JSON types reject only that message", "[core][codec]") {
  struct Case {
    std::string frame;
    std::string key;
  };
  const std::vector<Case> cases = {
      // unsigned ids and sequence numbers
      {R"({"channel":"c","data":1,"id":1.5})", "id"},
      {R"({"channel":"c","data":1,"id":1.0})", "id"},
      {R"({"channel":"c","data":1,"id":1e3})", "id"},
      {R"({"channel":"c","data":1,"id":-1})", "id"},
      {R"({"channel":"c","data":1,"id":"7"})", "id"},
      {R"({"channel":"c","data":1,"id":true})", "id"},
      {R"({"channel":"c","data":1,"id":18446744073709551616})", "id"},
      {R"({"channel":"c","data":1,"base":[1]})", "base"},
      {R"({"type":"ack","messageId":"1"})", "messageId"},
      {R"({"type":"ack","upTo":{}})", "upTo"},
      {R"({"type":"auth","token":"t","lastSeq":-3})", "lastSeq"},
      {R"({"type":"auth","token":"t","window":4294967296})", "window"},
      {R"({"type":"auth","token":"t","window":2.5})", "window"},
      {R"({"type":"permission_denied","messageId":false})", "messageId"},
      // int64 timestamps
      {R"({"type":"ping","timestamp":1.5})", "timestamp"},
      {R"({"type":"ping","timestamp":"5"})", "timestamp"},
      {R"({"type":"pong","timestamp":9223372036854775808})", "timestamp"},
      {R"({"type":"ping","timestamp":false})", "timestamp"},
      {R"({"channel":"c","data":1,"timestamp":[]})", "timestamp"},
      {R"({"type":"token_refresh","newToken":"t","expiresAt":2.0})", "expiresAt"},
      // booleans
      {R"({"channel":"c","data":1,"id":1,"requireAck":1})", "requireAck"},
      {R"({"channel":"c","data":1,"requireAck":"true"})", "requireAck"},
      {R"({"type":"auth_success","session":"s","resumed":"yes"})", "resumed"},
      // strings
      {R"({"type":5})", "type"},
      {R"({"type":["ping"],"timestamp":1})", "type"},
      {R"({"channel":5,"data":1})", "channel"},
      {R"({"type":"subscribe","channel":{"name":"c"}})", "channel"},
      {R"({"type":"auth","token":true})", "token"},
      {R"({"type":"refresh_token","token":1})", "token"},
      {R"({"type":"token_refresh","newToken":5})", "newToken"},
      {R"({"type":"auth_success","session":1})", "session"},
      {R"({"type":"auth_success","session":"s","userId":[]})", "userId"},
      {R"({"type":"error","reason":{}})", "reason"},
      {R"({"type":"auth_failed","code":404})", "code"},
      {R"({"type":"permission_denied","action":1})", "action"},
      // permissions: an array of strings
      {R"({"type":"auth_success","session":"s","permissions":"admin"})", "permissions"},
      {R"({"type":"auth_success","session":"s","permissions":{}})", "permissions"},
      {R"({"type":"auth_success","session":"s","permissions":["a",1]})", "permissions"},
      {R"({"type":"auth_success","session":"s","permissions":[null]})", "permissions"},
      {R"({"type":"auth_success","session":"s","permissions":[["a"],"b"]})", "permissions"},
  };
  for (const Case& c : cases) {
    const DecodeIssue issue = decode_rejected(c.frame);
    INFO(c.frame);
    CHECK(issue.error == CodecError::WrongType);
    CHECK(issue.detail == c.key);
  }
}

TEST_CASE("numeric fields accept their full range", "[core][codec]") {
  const Message a = decode_one(R"({"type":"auth","token":"t","lastSeq":18446744073709551615,)"
                               R"("window":4294967295})");
  CHECK(a.last_seq == std::numeric_limits<uint64_t>::max());
  CHECK(a.window == std::numeric_limits<uint32_t>::max());
  CHECK(decode_one(R"({"type":"ping","timestamp":-9223372036854775808})").timestamp ==
        std::numeric_limits<int64_t>::min());
  CHECK(decode_one(R"({"type":"ack","upTo":0,"messageId":3})").message_id == 3);
}

TEST_CASE("required fields are enforced per type", "[core][codec]") {
  struct Case {
    std::string frame;
    std::string key;
  };
  const std::vector<Case> cases = {
      {R"({"data":1})", "channel"},
      {R"({"channel":"","data":1})", "channel"},
      {R"({"channel":"c"})", "data"},
      {R"({"channel":"c","data":1,"requireAck":true})", "id"},
      {R"({"channel":"c","data":1,"requireAck":true,"id":0})", "id"},
      {R"({"type":"auth"})", "token"},
      {R"({"type":"auth","token":null})", "token"},
      {R"({"type":"auth","token":""})", "token"},
      {R"({"type":"auth_success","permissions":["a"]})", "session"},
      {R"({"type":"ping"})", "timestamp"},
      {R"({"type":"pong","timestamp":null})", "timestamp"},
      {R"({"type":"ack"})", "messageId"},
      {R"({"type":"refresh_token"})", "token"},
      {R"({"type":"token_refresh","token":"old"})", "newToken"},
      {R"({"type":"subscribe"})", "channel"},
      {R"({"type":"unsubscribe"})", "channel"},
      {R"({"type":"subscribed"})", "channel"},
      {R"({"type":"unsubscribed"})", "channel"},
  };
  for (const Case& c : cases) {
    const DecodeIssue issue = decode_rejected(c.frame);
    INFO(c.frame);
    CHECK(issue.error == CodecError::MissingField);
    CHECK(issue.detail == c.key);
  }

  CHECK(decode_one(R"({"type":"auth_failed"})").type == MessageType::AuthFailed);
  CHECK(decode_one(R"({"type":"refresh_failed"})").type == MessageType::RefreshFailed);
  CHECK(decode_one(R"({"type":"permission_denied"})").type == MessageType::PermissionDenied);
  CHECK(decode_one(R"({"type":"error"})").type == MessageType::Error);
  CHECK(decode_one(R"({"type":"ack","upTo":5})").up_to == 5);
}

TEST_CASE("an unknown type rejects only that message", "[core][codec]") {
  const DecodeIssue teleport = decode_rejected(R"({"type":"teleport","channel":"c","data":1})");
  CHECK(teleport.error == CodecError::UnknownType);
  CHECK(teleport.detail == "teleport");
  CHECK(decode_rejected(R"({"type":""})").error == CodecError::UnknownType);
  CHECK(decode_rejected(R"({"type":"PING","timestamp":1})").error == CodecError::UnknownType);
}

TEST_CASE("validate_json_payload checks what the peer will check", "[core][codec]") {
  const CodecLimits limits;
  SECTION("any single JSON value passes") {
    for (const char* ok : {R"({"a":[1,{"b":null}]})", "[]", R"("text")", "42", "-1.5e3",
                           "null", " true ", R"("é\u00e9\uD83D\uDE00")"}) {
      INFO(ok);
      CHECK(validate_json_payload(ok, limits) == CodecError::None);
    }
    CHECK(validate_json_payload(nested_payload(limits.max_depth), limits) == CodecError::None);
  }
  SECTION("malformed") {
    for (std::string bad : {std::string(""), std::string("{"), std::string(R"({"a":1}x)"),
                            std::string("[1,]"), std::string("NaN"), std::string("1 2"),
                            std::string("[1]\0", 4), std::string("\"a\x01\"")}) {
      INFO(bad);
      CHECK(validate_json_payload(bad, limits) == CodecError::Malformed);
    }
  }
  SECTION("invalid UTF-8") {
    CHECK(validate_json_payload("\"\xC3\x28\"", limits) == CodecError::InvalidUtf8);
    CHECK(validate_json_payload("{\"\xE2\x82\":1}", limits) == CodecError::InvalidUtf8);
    CHECK(validate_json_payload(R"(["\uDC00"])", limits) == CodecError::InvalidUtf8);
  }
  SECTION("too deep") {
    CHECK(validate_json_payload(nested_payload(limits.max_depth + 1), limits) ==
          CodecError::TooDeep);
    CHECK(validate_json_payload(repeated("[", 100000), limits) == CodecError::TooDeep);
  }
  SECTION("too large") {
    CodecLimits small;
    small.max_frame_bytes = 5;
    CHECK(validate_json_payload("[1,2]", small) == CodecError::None);
    CHECK(validate_json_payload("[1,22]", small) == CodecError::TooLarge);
  }
}
