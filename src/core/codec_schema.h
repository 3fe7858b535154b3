#pragma once
// The wire vocabulary the decoder checks messages against: every field's
// key and JSON kind, which fields each message type carries, and which it
// requires (docs/PROTOCOL.md section 3). Internal to src/core.
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string_view>

#include "core/codec.h"
#include "core/message.h"

namespace tether::core::codec_detail {

enum class Field : uint8_t {
  Type, Channel, Data, Timestamp, Id, RequireAck, Base, MessageId, UpTo, Token,
  NewToken, Session, LastSeq, Window, Permissions, Resumed, ExpiresAt, UserId,
  Reason, Code, Action, MaxFrame, MaxBatch, Binary, Resend, Offsets, Recovered,
  Offset, Epoch, Direct, DirectOffset, Unknown,
};
enum class FieldKind : uint8_t { String, Uint64, Uint32, Int64, Bool, StringArray, AnyJson };

struct FieldSpec {
  std::string_view key;
  FieldKind kind;
  // A String longer than this many bytes is out of range (WrongType). 0: no limit.
  size_t max_bytes = 0;
};
// Indexed by Field.
inline constexpr FieldSpec kFields[] = {
    {"type", FieldKind::String},      {"channel", FieldKind::String},
    {"data", FieldKind::AnyJson},     {"timestamp", FieldKind::Int64},
    {"id", FieldKind::Uint64},        {"requireAck", FieldKind::Bool},
    {"base", FieldKind::Uint64},      {"messageId", FieldKind::Uint64},
    {"upTo", FieldKind::Uint64},      {"token", FieldKind::String},
    {"newToken", FieldKind::String},  {"session", FieldKind::String},
    {"lastSeq", FieldKind::Uint64},   {"window", FieldKind::Uint32},
    {"permissions", FieldKind::StringArray}, {"resumed", FieldKind::Bool},
    {"expiresAt", FieldKind::Int64},  {"userId", FieldKind::String},
    {"reason", FieldKind::String},    {"code", FieldKind::String},
    {"action", FieldKind::String},    {"maxFrame", FieldKind::Uint64},
    {"maxBatch", FieldKind::Uint32},  {"binary", FieldKind::Bool},
    {"resend", FieldKind::Bool},      {"offsets", FieldKind::Bool},
    {"recovered", FieldKind::Bool},   {"offset", FieldKind::Uint64},
    {"epoch", FieldKind::String, kMaxEpochBytes},
    {"direct", FieldKind::Bool},      {"directOffset", FieldKind::Uint64},
};
static_assert(std::size(kFields) == static_cast<size_t>(Field::Unknown));

using FieldSet = uint32_t;
static_assert(static_cast<size_t>(Field::Unknown) <= 32, "every Field needs a bit in a FieldSet");
constexpr FieldSet bit(Field f) { return FieldSet{1} << static_cast<unsigned>(f); }

Field lookup_field(std::string_view key);
bool lookup_type(std::string_view name, MessageType& type);
// The fields each type carries (message.h); others are ignored on decode.
FieldSet fields_of(MessageType type);
// The required field that is absent (zero/empty means absent, except for a
// ping's opaque timestamp: `seen` says whether it was there), or Unknown.
Field missing_field(const Message& m, FieldSet seen);

}  // namespace tether::core::codec_detail
