// Numbers and opaque fields (issue 9, item 9): `data` is the application's
// and passes through untouched whatever valid JSON numbers it holds, while a
// known integer field holding one out of range is `wrong_type`; a ping's
// timestamp is opaque, so 0 is a value to echo, not a missing field.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "core/codec.h"
#include "core/json_numbers.h"

using namespace tether::core;

namespace {

struct Decoded {
  CodecError error;
  std::vector<Message> messages;
  std::vector<DecodeIssue> issues;
};

Decoded decode(std::string_view frame) {
  Decoded d;
  d.error = decode_frame(frame, CodecLimits{}, d.messages, d.issues);
  return d;
}

}  // namespace

TEST_CASE("numbers beyond a double's range inside data pass through exactly", "[core][codec]") {
  const std::string huge_integer(400, '7');
  const std::vector<std::string> payloads = {
      "1e400",
      "-1E+400",
      "1.5e308",
      "12.000e-99999",
      huge_integer,
      "-" + huge_integer + ".25e10",
      R"({"a":[1e400,2,"1e400 in a string",{"b":-3e999}],"c":0})",
      R"(["\"1e400",1e400,"\\",2e400])",  // escaped quotes do not confuse the masking
  };
  for (const std::string& payload : payloads) {
    INFO(payload.substr(0, 80));
    const Decoded d = decode(R"({"channel":"c","data":)" + payload + R"(,"timestamp":5})");
    REQUIRE(d.error == CodecError::None);
    REQUIRE(d.issues.empty());
    REQUIRE(d.messages.size() == 1);
    CHECK(d.messages[0].data == payload);
    CHECK(d.messages[0].timestamp == 5);
    CHECK(validate_json_payload(payload, CodecLimits{}) == CodecError::None);
  }
}

TEST_CASE("data with huge numbers survives a batch and re-encoding", "[core][codec]") {
  const Decoded d = decode(R"([{"channel":"a","data":1e400},{"type":"ping","timestamp":7},)"
                           R"({"channel":"b","data":[ 1e-400 , 123456789012345678901234567890 ]}])");
  REQUIRE(d.error == CodecError::None);
  REQUIRE(d.messages.size() == 3);
  CHECK(d.messages[0].data == "1e400");
  CHECK(d.messages[1].timestamp == 7);
  CHECK(d.messages[2].data == "[ 1e-400 , 123456789012345678901234567890 ]");  // as written
  std::string out;
  encode_message(d.messages[0], out);
  CHECK(out == R"({"channel":"a","data":1e400})");
}

TEST_CASE("an out-of-range number in a known integer field is wrong_type", "[core][codec]") {
  for (const char* frame : {R"({"channel":"c","data":1,"timestamp":1e400})",
                            R"({"type":"ping","timestamp":1e400})",
                            R"({"type":"ack","upTo":1e400})"}) {
    INFO(frame);
    const Decoded d = decode(frame);
    CHECK(d.error == CodecError::None);
    CHECK(d.messages.empty());
    REQUIRE(d.issues.size() == 1);
    CHECK(d.issues[0].error == CodecError::WrongType);
  }
  // Only that element of a batch goes; the rest is processed.
  const Decoded batch = decode(R"([{"type":"ping","timestamp":2e400},{"type":"ping","timestamp":3}])");
  CHECK(batch.error == CodecError::None);
  REQUIRE(batch.messages.size() == 1);
  CHECK(batch.messages[0].timestamp == 3);
  REQUIRE(batch.issues.size() == 1);
  CHECK(batch.issues[0].error == CodecError::WrongType);
  CHECK(batch.issues[0].detail == "timestamp");
}

TEST_CASE("masking huge numbers never turns invalid JSON valid", "[core][codec]") {
  for (const char* frame : {R"({"channel":"c","data":1e400 1})", R"({"channel":"c","data":tr1e400})",
                            R"({"channel":"c","data":1e4001e400})", R"({"channel":"c","data":01e400})",
                            R"({"channel":"c","data":1e400)", R"({"channel":"c","data":.1e400})",
                            R"({"channel":"c","data":1e400,})", R"({"channel":"c","data":+1e400})"}) {
    INFO(frame);
    CHECK(decode(frame).error == CodecError::Malformed);
  }
  std::string masked;
  CHECK_FALSE(mask_wide_numbers(R"({"a":"1e400","b":12})", masked));
  REQUIRE(mask_wide_numbers(R"({"a":1e400,"b":-2E5})", masked));
  CHECK(masked == R"({"a":0    ,"b":0   })");
}

TEST_CASE("a ping's timestamp is opaque: 0 and negatives are echoed", "[core][codec]") {
  for (const char* frame : {R"({"type":"ping","timestamp":0})", R"({"type":"pong","timestamp":0})"}) {
    INFO(frame);
    const Decoded d = decode(frame);
    REQUIRE(d.error == CodecError::None);
    REQUIRE(d.issues.empty());
    REQUIRE(d.messages.size() == 1);
    CHECK(d.messages[0].timestamp == 0);
  }
  Message pong;
  pong.type = MessageType::Pong;
  pong.timestamp = 0;
  std::string out;
  encode_message(pong, out);
  CHECK(out == R"({"type":"pong","timestamp":0})");
  // Absent (or null) is still missing.
  for (const char* frame : {R"({"type":"ping"})", R"({"type":"ping","timestamp":null})"}) {
    const Decoded d = decode(frame);
    REQUIRE(d.issues.size() == 1);
    CHECK(d.issues[0].error == CodecError::MissingField);
  }
}
