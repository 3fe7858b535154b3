#pragma once
// The wire codec: JSON text frames <-> Messages. Pure functions, no I/O; every
// input a peer can send yields a value or an error, never a crash or exception.
//
// A frame holds either one message object or a batch: a JSON array of
// 1..max_batch message objects. Unknown keys are ignored and a JSON null for
// an optional field counts as absent, so newer peers can add fields.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/message.h"

namespace tether::core {

enum class CodecError : uint8_t {
  None,
  // Frame-level: the whole frame is rejected.
  TooLarge,      // frame or payload longer than max_frame_bytes
  Malformed,     // not JSON: syntax error, truncation, trailing bytes
  InvalidUtf8,   // a string is not valid UTF-8 (or escapes a lone surrogate)
  TooDeep,       // nesting deeper than max_depth
  NotAnObject,   // the frame, or a batch element, is not a JSON object
  EmptyBatch,    // the frame is []
  BatchTooLong,  // more than max_batch elements
  // Element-level: only that message is dropped.
  WrongType,     // a known field has the wrong JSON type or range
  MissingField,  // a field the message type requires is absent
  UnknownType,   // "type" names no known message type
};

// Stable snake_case name: "none", "too_large", "malformed", ...
const char* codec_error_name(CodecError error) noexcept;

// The longest channel name, in bytes, this implementation accepts to send
// (docs/PROTOCOL.md section 5).
constexpr size_t kMaxChannelBytes = 256;

// The longest channel epoch, in bytes, the decoder accepts ("epoch" in
// subscribe, subscribed and error; docs/PROTOCOL.md section 11.1). A longer
// one rejects its message (WrongType, detail "epoch").
constexpr size_t kMaxEpochBytes = 64;

// Whether `text` is well-formed UTF-8 (no overlong forms, surrogates or
// truncated sequences). NUL is allowed.
bool is_valid_utf8(std::string_view text) noexcept;

// A channel name a client may send: 1..kMaxChannelBytes bytes of valid UTF-8
// without NUL.
bool is_valid_channel(std::string_view channel) noexcept;

// An upper bound on the size of the channel message encode_channel_message
// writes for `channel` and `data_bytes` of payload, whatever its timestamp,
// sequence and base: whether it can fit in a frame. `with_offset`: whatever
// its offset and direct mark too (44 bytes more: the 171-byte envelope
// docs/PROTOCOL.md section 3.7 states); without it, the bound holds only for
// offset 0 and not direct.
size_t channel_message_bound(std::string_view channel, size_t data_bytes, bool with_offset = false) noexcept;

struct CodecLimits {
  size_t max_frame_bytes = 1 << 20;
  // Deepest nesting of any value inside a message, e.g. its "data"; the
  // batch array and the message object itself do not count. This makes a
  // payload that passes validate_json_payload decodable in any frame.
  unsigned max_depth = 32;
  size_t max_batch = 4096;
  // True only when every frame given to decode_frame is known to be valid
  // UTF-8: WebSocket text frames are (RFC 6455 8.1; the transport checks
  // them and fails the connection otherwise). Then the decoder does not
  // check every byte again. Whoever sets it must guarantee it: invalid
  // bytes would pass into messages.
  bool text_is_utf8 = false;
};

struct DecodeIssue {
  CodecError error;
  // Element-level: the offending key ("timestamp"), or the unknown type name.
  // Frame-level: where and why parsing stopped ("offset 12: ...").
  std::string detail;
};

// Decodes one text frame, appending messages to `out` in frame order.
// Returns: CodecError::None when the frame parsed; each element that was
//   rejected (WrongType, MissingField, UnknownType) then added one issue.
// Errors: a frame-level error is returned, nothing is appended to `out`, and
//   exactly one issue describing it is appended to `issues`.
CodecError decode_frame(std::string_view frame, const CodecLimits& limits,
                        std::vector<Message>& out,
                        std::vector<DecodeIssue>& issues) noexcept;

// Appends one compact JSON object for `msg` to `out`, with only the fields
// meaningful for msg.type that are not absent. `data` is trusted raw JSON
// (check it with validate_json_payload) and embedded verbatim; empty encodes
// as null. If memory runs out, `out` is left as it was.
void encode_message(const Message& msg, std::string& out) noexcept;

// The hot path: appends one channel message without building a Message.
// `seq` 0 means unreliable; otherwise "id", "requireAck":true and "base" are
// written. Then `offset` (the message's place in its stream) as "offset",
// when not 0, and `direct` (the stream is the session's own, not the
// channel's) as "direct":true, when true. Same output as encode_message for
// the equivalent Message.
void encode_channel_message(std::string_view channel, std::string_view data, int64_t timestamp,
                            uint64_t seq, uint64_t base, std::string& out, uint64_t offset = 0,
                            bool direct = false) noexcept;

// Checks an application payload before it is sent: one JSON value of any
// kind, valid UTF-8, nesting <= max_depth, size <= max_frame_bytes.
// Returns: None, or TooLarge, Malformed, InvalidUtf8 or TooDeep.
CodecError validate_json_payload(std::string_view json,
                                 const CodecLimits& limits) noexcept;

}  // namespace tether::core
