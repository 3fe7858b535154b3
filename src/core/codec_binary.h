#pragma once
// Binary channel messages (docs/PROTOCOL.md section 5.1): the envelope of a
// WebSocket binary frame on a connection that negotiated "binary" in auth.
// A frame is 1..max_batch records back to back; each record is one channel
// message whose payload is opaque bytes. Only the envelope is read: the
// payload is never parsed, validated or escaped. Pure functions, no I/O;
// every input yields a value or an error, never a crash or exception.
//
// A record: flags (1 byte), channel length (varint), channel, then id and
// base (varints, if kReliable), offset (varint >= 1, if kOffset), timestamp
// (zigzag varint, if kTimestamp), data length (varint), data. kDirect adds
// no bytes: it marks the offset as the session's direct stream's.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/codec.h"
#include "core/message.h"

namespace tether::core {

// Record flag bits (the record's first byte). Any other bit set is malformed.
namespace binary_flag {
constexpr uint8_t kReliable = 0x01;   // "id" and "base" follow (requireAck)
constexpr uint8_t kTimestamp = 0x02;  // a zigzag "timestamp" follows
constexpr uint8_t kOffset = 0x04;     // an "offset" (>= 1) follows, after id and base
constexpr uint8_t kDirect = 0x08;     // "direct": sent to this session, not a channel's fan-out
constexpr uint8_t kKnown = kReliable | kTimestamp | kOffset | kDirect;
}  // namespace binary_flag

// An upper bound on the bytes encode_binary_channel_message appends for
// `channel` and `data_bytes` of payload, whatever its timestamp, sequence,
// base and offset.
size_t binary_record_bound(std::string_view channel, size_t data_bytes) noexcept;

// Appends one record. `seq` 0 means unreliable; otherwise id and base are
// written. `timestamp` 0 and `offset` 0 are left out; `direct` sets kDirect.
// Records appended back to back form a batch. If memory runs out, `out` is
// left as it was.
void encode_binary_channel_message(std::string_view channel, std::string_view data, int64_t timestamp,
                                   uint64_t seq, uint64_t base, std::string& out, uint64_t offset = 0,
                                   bool direct = false) noexcept;

// Decodes one binary frame into Channel messages with payload Binary,
// appended to `out` in frame order. Same contract as decode_frame:
// Returns: CodecError::None when the envelope parsed; each record that was
//   rejected (reliable with id 0: WrongType "id") added one issue and
//   nothing to `out`. A channel is only checked for UTF-8 here: its length
//   and NUL rules are the session's, as for a text frame.
// Errors: TooLarge, Malformed (a truncated record, an over-long varint, an
//   unknown flag bit, kOffset with offset 0), InvalidUtf8 (a channel),
//   EmptyBatch or BatchTooLong reject the whole frame: nothing is appended
//   to `out` and exactly one issue says why.
CodecError decode_binary_frame(std::string_view frame, const CodecLimits& limits, std::vector<Message>& out,
                               std::vector<DecodeIssue>& issues) noexcept;

}  // namespace tether::core
