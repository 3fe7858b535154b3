// What the decoder refuses, and how precisely: frame-level errors, limits,
// wrong types, missing fields, unknown types, and payload validation.
#include "core/codec.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "codec_helpers.h"

using namespace tether::core;
using namespace tether::test::codec;
using namespace std::string_literals;

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

    // The runtimes' decoder trusts WebSocket text frames to be UTF-8 and
    // skips that check; everything else it refuses alike, lone surrogate
    // escapes included. (Frames of ASCII bytes only: valid UTF-8 for sure.)
    const bool ascii = std::all_of(c.frame.begin(), c.frame.end(), [](char ch) { return static_cast<unsigned char>(ch) < 0x80; });
    if (ascii) {
      CodecLimits trusted;
      trusted.text_is_utf8 = true;
      std::vector<Message> trusted_out;
      std::vector<DecodeIssue> trusted_issues;
      CHECK(decode_frame(c.frame, trusted, trusted_out, trusted_issues) == c.error);
      CHECK(trusted_out.empty());
    }
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

// An unknown type is named in the error, but a huge one is not echoed back
// whole: the reply would be larger than the frame that carried it, and than
// the client's maxFrame. At most 64 bytes, never cut inside a character.
TEST_CASE("an unknown type is echoed in its error at most 64 bytes long, whole characters only", "[core][codec]") {
  CHECK(decode_rejected(R"({"type":"warp_drive"})").detail == "warp_drive");
  const std::string huge(100000, 't');
  const DecodeIssue long_type = decode_rejected(R"({"type":")" + huge + R"("})");
  CHECK(long_type.error == CodecError::UnknownType);
  CHECK(long_type.detail == std::string(64, 't'));
  // "é" is 2 bytes: 63 x 'a' then "é" would put byte 64 mid-character.
  const std::string accented = std::string(63, 'a') + "\xC3\xA9" + std::string(100, 'b');
  const DecodeIssue cut = decode_rejected(R"({"type":")" + accented + R"("})");
  CHECK(cut.detail == std::string(63, 'a'));
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

TEST_CASE("raw control bytes in a string are refused wherever they fall, fast path or not", "[core][codec]") {
  // RapidJSON 1.1.0's SSE2 string scan misses 0x1A..0x1F; the codec must not
  // (codec_parse.h). Every alignment of the byte within 16-byte blocks, in
  // long strings that take the SIMD path, in payloads and in frames.
  for (int byte = 0x01; byte < 0x20; ++byte) {
    for (size_t at = 0; at < 40; ++at) {
      std::string text(64, 'x');
      text[at] = static_cast<char>(byte);
      const std::string payload = "\"" + text + "\"";
      INFO("byte " << byte << " at " << at);
      CHECK(validate_json_payload(payload, CodecLimits{}) != CodecError::None);
      std::vector<Message> out;
      std::vector<DecodeIssue> issues;
      CodecLimits trusted;
      trusted.text_is_utf8 = true;
      CHECK(decode_frame(R"({"channel":"c","data":)" + payload + "}", trusted, out, issues) != CodecError::None);
      CHECK(out.empty());
      CHECK(decode_frame(R"({"channel":")" + text + R"(","data":1})", CodecLimits{}, out, issues) !=
            CodecError::None);
    }
  }
}

TEST_CASE("long payloads are sliced exactly: escapes, quotes and backslashes at every offset", "[core][codec]") {
  for (size_t at = 0; at < 40; ++at) {
    for (const char* escape : {"\\\"", "\\\\", "\\n", "\\u00e9", "\\\\\\\""}) {
      std::string text(64, 'y');
      text.insert(at, escape);
      const std::string payload = "\"" + text + "\"";
      INFO(payload);
      REQUIRE(validate_json_payload(payload, CodecLimits{}) == CodecError::None);
      const std::string frame = R"({"channel":"c", "data" :  )" + payload + R"( ,"timestamp":5})";
      std::vector<Message> out;
      std::vector<DecodeIssue> issues;
      REQUIRE(decode_frame(frame, CodecLimits{}, out, issues) == CodecError::None);
      REQUIRE(out.size() == 1);
      CHECK(out[0].data == payload);  // byte for byte, as written
      CHECK(out[0].timestamp == 5);
    }
  }
}
