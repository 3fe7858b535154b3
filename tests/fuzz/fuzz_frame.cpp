// Frame decoding: decode_frame and validate_json_payload on any bytes.
// Beyond "no crash", it checks the codec's own promises (codec.h):
// - a frame that passes tight limits passes the defaults, with the same result;
// - re-encoding a decoded message is a fixed point after one round;
// - a decoded payload passes validate_json_payload, and a payload that passes
//   is decodable in a channel message and never grows;
// - channel_message_bound bounds what encode_channel_message writes;
// - decoding with text_is_utf8 (as the runtimes do) changes nothing for a
//   frame that is valid UTF-8;
// - the same bytes as a binary frame: a rejected one yields one issue and no
//   message, and every record it decodes re-encodes to a record that decodes
//   to the same fields; binary_record_bound bounds the encoding.
#include <cstddef>
#include <cstdint>
#include <limits>

#include "harness.h"

using namespace tether::fuzz;

namespace {

CodecLimits tight_limits() {
  CodecLimits limits;
  limits.max_frame_bytes = 512;
  limits.max_depth = 4;
  limits.max_batch = 4;
  return limits;
}

// encode -> decode -> encode must reproduce the first encoding.
void check_round_trip(const Message& message, const CodecLimits& limits) {
  std::string first;
  encode_message(message, first);
  CodecLimits any_size = limits;
  any_size.max_frame_bytes = SIZE_MAX;
  std::vector<Message> decoded;
  std::vector<DecodeIssue> issues;
  FUZZ_CHECK(decode_frame(first, any_size, decoded, issues) == CodecError::None, "re-encoded frame rejected");
  FUZZ_CHECK(decoded.size() == 1 && issues.empty(), "re-encoded message rejected");
  std::string second;
  encode_message(decoded[0], second);
  FUZZ_CHECK(first == second, "encode(decode(encode(m))) != encode(m)");
}

// A payload validate_json_payload accepts is what a client may send: it
// must arrive intact in a channel message, whatever the envelope's numbers.
void check_payload_sends(std::string_view payload, const CodecLimits& limits) {
  for (std::string_view channel : {std::string_view("room:7"), std::string_view("\x01\"\\\xc3\xa9")}) {
    std::string frame;
    encode_channel_message(channel, payload, std::numeric_limits<int64_t>::min(),
                           std::numeric_limits<uint64_t>::max(), std::numeric_limits<uint64_t>::max(), frame);
    FUZZ_CHECK(frame.size() <= channel_message_bound(channel, payload.size()),
               "channel_message_bound is below the encoded size");
    CodecLimits any_size = limits;
    any_size.max_frame_bytes = SIZE_MAX;
    std::vector<Message> decoded;
    std::vector<DecodeIssue> issues;
    FUZZ_CHECK(decode_frame(frame, any_size, decoded, issues) == CodecError::None && decoded.size() == 1 &&
                   issues.empty(),
               "a validated payload did not decode inside a channel message");
    FUZZ_CHECK(decoded[0].channel == channel, "channel changed in transit");
    FUZZ_CHECK(decoded[0].data.size() <= payload.size(), "the payload grew when re-serialized");
  }
}

void check_with(std::string_view input, const CodecLimits& limits) {
  std::vector<Message> messages;
  std::vector<DecodeIssue> issues;
  const CodecError error = decode_frame(input, limits, messages, issues);
  if (error != CodecError::None) {
    FUZZ_CHECK(messages.empty() && issues.size() == 1 && issues[0].error == error,
               "a rejected frame must yield no message and exactly one issue");
  }
  for (const Message& m : messages) {
    check_round_trip(m, limits);
    if (m.type == MessageType::Channel) {
      FUZZ_CHECK(validate_json_payload(m.data, limits) == CodecError::None, "a decoded payload fails validation");
    }
  }
  if (validate_json_payload(input, limits) == CodecError::None) check_payload_sends(input, limits);
}

void check_binary(std::string_view input, const CodecLimits& limits) {
  std::vector<Message> messages;
  std::vector<DecodeIssue> issues;
  const CodecError error = decode_binary_frame(input, limits, messages, issues);
  if (error != CodecError::None) {
    FUZZ_CHECK(messages.empty() && issues.size() == 1 && issues[0].error == error,
               "a rejected binary frame must yield no message and exactly one issue");
    return;
  }
  std::string again;
  for (const Message& m : messages) {
    FUZZ_CHECK(m.payload == PayloadKind::Binary && m.type == MessageType::Channel, "a record decoded as something else");
    const size_t before = again.size();
    encode_binary_channel_message(m.channel, m.data, m.timestamp, m.require_ack ? m.id : 0, m.base, again, m.offset,
                                  m.direct);
    FUZZ_CHECK(again.size() - before <= binary_record_bound(m.channel, m.data.size()),
               "binary_record_bound is below the encoded size");
  }
  if (messages.empty()) return;
  CodecLimits any_size = limits;
  any_size.max_frame_bytes = SIZE_MAX;
  std::vector<Message> decoded;
  std::vector<DecodeIssue> decoded_issues;
  FUZZ_CHECK(decode_binary_frame(again, any_size, decoded, decoded_issues) == CodecError::None &&
                 decoded.size() == messages.size() && decoded_issues.empty(),
             "re-encoded binary records were rejected");
  for (size_t i = 0; i < decoded.size(); ++i) {
    const Message& a = messages[i];
    const Message& b = decoded[i];
    FUZZ_CHECK(a.channel == b.channel && a.data == b.data && a.timestamp == b.timestamp &&
                   a.require_ack == b.require_ack && a.id == b.id && (!a.require_ack || a.base == b.base),
               "a binary record changed in a round trip");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  check_with(input, CodecLimits{});
  check_with(input, tight_limits());
  check_binary(input, CodecLimits{});
  check_binary(input, tight_limits());

  // Limits only ever reject: what passes the tight ones passes the defaults alike.
  std::vector<Message> tight_out, default_out;
  std::vector<DecodeIssue> tight_issues, default_issues;
  if (decode_frame(input, tight_limits(), tight_out, tight_issues) == CodecError::None) {
    FUZZ_CHECK(decode_frame(input, CodecLimits{}, default_out, default_issues) == CodecError::None,
               "accepted under tight limits, rejected under the defaults");
    FUZZ_CHECK(tight_out.size() == default_out.size() && tight_issues.size() == default_issues.size(),
               "limits changed what a frame decodes to");
  }
  // The runtimes decode WebSocket text frames, already valid UTF-8, with
  // text_is_utf8 set. A frame the checked decoder accepts is valid UTF-8
  // (its strings were checked; the rest is JSON syntax): the trusted decoder
  // must make the same messages of it.
  std::vector<Message> checked_out;
  std::vector<DecodeIssue> checked_issues;
  if (decode_frame(input, CodecLimits{}, checked_out, checked_issues) == CodecError::None) {
    CodecLimits trusted;
    trusted.text_is_utf8 = true;
    std::vector<Message> trusted_out;
    std::vector<DecodeIssue> trusted_issues;
    FUZZ_CHECK(decode_frame(input, trusted, trusted_out, trusted_issues) == CodecError::None,
               "the trusted-UTF-8 decoder rejected a frame the checked one accepted");
    FUZZ_CHECK(trusted_out.size() == checked_out.size() && trusted_issues.size() == checked_issues.size(),
               "the trusted-UTF-8 decoder made different messages");
    for (size_t i = 0; i < trusted_out.size(); ++i) {
      std::string a, b;
      encode_message(trusted_out[i], a);
      encode_message(checked_out[i], b);
      FUZZ_CHECK(a == b, "the trusted-UTF-8 decoder changed a message");
    }
  }
  is_valid_channel(input);
  return 0;
}
