// Encoding: Messages -> compact JSON objects, written straight into the
// caller's string (see json_writer.h).
#include <rapidjson/rapidjson.h>

#include <algorithm>
#include <cstddef>
#include <iterator>
#include <limits>

#include "core/codec.h"
#include "core/json_writer.h"

namespace tether::core {
namespace {

using json::AppendWriter;
using json::InlineArena;
using json::StringAppendStream;

// Indexed by MessageType; Channel goes out without "type".
constexpr std::string_view kTypeNames[] = {
    "message", "auth", "auth_success", "auth_failed", "ping", "pong", "ack",
    "refresh_token", "token_refresh", "refresh_failed", "permission_denied",
    "subscribe", "unsubscribe", "subscribed", "unsubscribed", "error",
};
static_assert(std::size(kTypeNames) == static_cast<size_t>(MessageType::Error) + 1);

// Absent (zero/empty/false) fields are not written.
void write_string(AppendWriter& w, std::string_view key, std::string_view value) {
  if (value.empty()) return;
  w.plain_string(key);
  w.string(value);
}

template <typename Int>
void write_integer(AppendWriter& w, std::string_view key, Int value) {
  if (value == 0) return;
  w.plain_string(key);
  w.integer(value);
}

void write_true(AppendWriter& w, std::string_view key, bool value) {
  if (!value) return;
  w.plain_string(key);
  w.Bool(true);
}

// Room for every key and number plus the strings unescaped; escapes, if
// any, grow the output once more.
size_t expected_size(const Message& m) {
  size_t bytes = 160 + m.channel.size() + m.data.size() + m.token.size() + m.session.size() +
                 m.user_id.size() + m.reason.size() + m.code.size() + m.action.size() + m.epoch.size();
  for (const std::string& p : m.permissions) bytes += p.size() + 3;
  return bytes;
}

// A channel message is reliable exactly when it has a sequence number.
void write_channel_fields(AppendWriter& w, std::string_view channel, std::string_view data,
                          int64_t timestamp, uint64_t seq, uint64_t base, uint64_t offset, bool direct) {
  write_string(w, "channel", channel);
  w.plain_string("data");
  if (data.empty()) {
    w.Null();
  } else {
    w.raw(data, rapidjson::kObjectType);  // the type only matters to Writer's asserts
  }
  write_integer(w, "timestamp", timestamp);
  write_integer(w, "id", seq);
  write_true(w, "requireAck", seq != 0);
  write_integer(w, "base", base);
  write_integer(w, "offset", offset);
  write_true(w, "direct", direct);
}

// Where a subscription stands in its channel's stream (section 11.1).
void write_position(AppendWriter& w, const Message& m) {
  write_string(w, "epoch", m.epoch);
  write_integer(w, "offset", m.offset);
}

// `always`: write even an empty list, where empty and absent differ.
void write_permissions(AppendWriter& w, const std::vector<std::string>& permissions, bool always) {
  if (permissions.empty() && !always) return;
  w.plain_string("permissions");
  w.StartArray();
  for (const std::string& p : permissions) w.string(p);
  w.EndArray();
}

void write_reasons(AppendWriter& w, const Message& m) {
  write_string(w, "reason", m.reason);
  write_string(w, "code", m.code);
}

void write_fields(AppendWriter& w, const Message& m) {
  switch (m.type) {
    case MessageType::Channel:
      write_channel_fields(w, m.channel, m.data, m.timestamp, m.require_ack ? m.id : 0, m.base, m.offset,
                           m.direct);
      return;
    case MessageType::Auth:
      write_string(w, "token", m.token);
      write_string(w, "session", m.session);
      write_integer(w, "lastSeq", m.last_seq);
      write_integer(w, "window", m.window);
      write_integer(w, "maxFrame", m.max_frame);
      write_true(w, "binary", m.binary);
      write_true(w, "offsets", m.offsets);
      write_integer(w, "directOffset", m.direct_offset);
      return;
    case MessageType::AuthSuccess:
      write_string(w, "session", m.session);
      write_string(w, "userId", m.user_id);
      write_permissions(w, m.permissions, false);
      write_true(w, "resumed", m.resumed);
      write_true(w, "recovered", m.recovered);
      write_integer(w, "lastSeq", m.last_seq);
      write_integer(w, "expiresAt", m.expires_at);
      write_integer(w, "window", m.window);
      write_integer(w, "maxFrame", m.max_frame);
      write_integer(w, "maxBatch", m.max_batch);
      write_true(w, "binary", m.binary);
      return;
    case MessageType::Ping:
    case MessageType::Pong:
      // Opaque and echoed as it came: 0 is a value here, not an absence.
      w.plain_string("timestamp");
      w.integer(m.timestamp);
      return;
    case MessageType::Ack:
      write_integer(w, "messageId", m.message_id);
      write_integer(w, "upTo", m.up_to);
      write_true(w, "resend", m.resend);
      return;
    case MessageType::RefreshToken:
      write_string(w, "token", m.token);
      return;
    case MessageType::TokenRefresh:
      write_string(w, "newToken", m.token);
      write_integer(w, "expiresAt", m.expires_at);
      write_permissions(w, m.permissions, m.has_permissions);
      return;
    case MessageType::PermissionDenied:
      write_string(w, "channel", m.channel);
      write_string(w, "action", m.action);
      write_integer(w, "messageId", m.message_id);
      write_reasons(w, m);
      return;
    case MessageType::Subscribe:
    case MessageType::Subscribed:
      write_string(w, "channel", m.channel);
      write_position(w, m);
      return;
    case MessageType::Unsubscribe:
      write_string(w, "channel", m.channel);
      return;
    case MessageType::Unsubscribed:
      write_string(w, "channel", m.channel);
      write_reasons(w, m);
      return;
    case MessageType::AuthFailed:
    case MessageType::RefreshFailed:
      write_reasons(w, m);
      return;
    case MessageType::Error:  // channel and epoch: history_lost
      write_string(w, "channel", m.channel);
      write_string(w, "epoch", m.epoch);
      write_reasons(w, m);
      return;
  }
}

}  // namespace

std::string_view message_type_name(MessageType type) noexcept {
  return kTypeNames[static_cast<size_t>(type)];
}

size_t channel_message_bound(std::string_view channel, size_t data_bytes, bool with_offset) noexcept {
  // {"channel":"","data":,"timestamp":,"id":,"requireAck":true,"base":} is 67
  // bytes; three integers of at most 20 digits each; data is never empty.
  // ,"offset": and its 20 digits add 30, ,"direct":true 14 more.
  constexpr size_t kFixed = 67 + 3 * 20;
  constexpr size_t kPositionFields = 10 + 20 + 14;
  size_t escaped = 0;
  for (const char c : channel) {
    const auto byte = static_cast<unsigned char>(c);
    escaped += byte < 0x20 ? 6 : (c == '"' || c == '\\') ? 2 : 1;  // \u00XX, \" or the byte
  }
  // Empty data is written as null. A host may pass any size_t: saturate
  // rather than wrap, so an absurd size never looks small enough to fit.
  const size_t envelope = kFixed + (with_offset ? kPositionFields : 0) + escaped;
  const size_t data = std::max<size_t>(data_bytes, 4);
  return data > std::numeric_limits<size_t>::max() - envelope ? std::numeric_limits<size_t>::max() : envelope + data;
}

void encode_message(const Message& msg, std::string& out) noexcept {
  const size_t before = out.size();
  try {
    InlineArena<128> arena;
    StringAppendStream stream;
    stream.begin(out, expected_size(msg));
    AppendWriter writer(arena.get(), 2);  // object + permissions array
    writer.Reset(stream);
    writer.StartObject();
    if (msg.type != MessageType::Channel) {
      writer.plain_string("type");
      writer.plain_string(message_type_name(msg.type));
    }
    write_fields(writer, msg);
    writer.EndObject();
    stream.finish();
  } catch (...) {
    out.resize(before);
  }
}

void encode_channel_message(std::string_view channel, std::string_view data, int64_t timestamp,
                            uint64_t seq, uint64_t base, std::string& out, uint64_t offset,
                            bool direct) noexcept {
  const size_t before = out.size();
  try {
    InlineArena<128> arena;
    StringAppendStream stream;
    stream.begin(out, 96 + (offset != 0 ? 30 : 0) + (direct ? 14 : 0) + channel.size() + data.size());
    AppendWriter writer(arena.get(), 1);
    writer.Reset(stream);
    writer.StartObject();
    write_channel_fields(writer, channel, data, timestamp, seq, base, offset, direct);
    writer.EndObject();
    stream.finish();
  } catch (...) {
    out.resize(before);
  }
}

}  // namespace tether::core
