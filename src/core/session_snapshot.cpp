#include "core/session_snapshot.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "core/codec.h"
#include "core/json_writer.h"

namespace tether::core {

namespace {

constexpr int kSnapshotVersion = 1;
using Writer = rapidjson::Writer<json::EscapingStringBuffer>;

void write_string(Writer& w, const char* key, const std::string& value) {
  w.Key(key);
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

constexpr char kHexDigits[] = "0123456789abcdef";

// A binary payload in a JSON file: two lowercase hex digits per byte. A
// state file is read rarely and only by us; this keeps it one JSON document.
std::string to_hex(std::string_view bytes) {
  std::string hex;
  hex.reserve(bytes.size() * 2);
  for (const char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    hex.push_back(kHexDigits[byte >> 4]);
    hex.push_back(kHexDigits[byte & 0x0f]);
  }
  return hex;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

bool from_hex(std::string_view hex, std::string& bytes) {
  if (hex.size() % 2 != 0) return false;
  bytes.clear();
  bytes.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int high = hex_value(hex[i]);
    const int low = hex_value(hex[i + 1]);
    if (high < 0 || low < 0) return false;
    bytes.push_back(static_cast<char>(high << 4 | low));
  }
  return true;
}

void write_pending(Writer& w, const ReliableSender::PendingMessage& p) {
  w.StartObject();
  w.Key("messageId");
  w.Uint64(p.message_id);
  write_string(w, "channel", p.channel);
  if (p.payload == PayloadKind::Binary) {
    write_string(w, "dataHex", to_hex(p.data));
  } else {
    // The payload verbatim, as a string ("" is null): read back as JSON it
    // would lose what a double cannot hold (a big integer rounds, and 1e400
    // would fail the whole load).
    write_string(w, "dataText", p.data);
  }
  w.Key("timestamp");
  w.Int64(p.timestamp);
  w.Key("reliable");
  w.Bool(p.reliable);
  w.Key("seq");
  w.Uint64(p.seq);
  if (p.offset != 0) {  // a cluster stream's message: the client's positions follow it
    w.Key("offset");
    w.Uint64(p.offset);
    w.Key("direct");
    w.Bool(p.direct);
  }
  w.EndObject();
}

void write_strings(Writer& w, const char* key, const std::vector<std::string>& values) {
  w.Key(key);
  w.StartArray();
  for (const std::string& v : values) w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
  w.EndArray();
}

void write_session(Writer& w, const SessionState& s) {
  w.StartObject();
  write_string(w, "id", s.id);
  write_string(w, "subject", s.claims.subject);
  w.Key("expiresAt");
  w.Int64(s.claims.expires_at_ms);
  w.Key("issuedAt");
  w.Int64(s.claims.issued_at_ms);
  write_strings(w, "permissions", s.claims.permissions);
  write_strings(w, "subscriptions", std::vector<std::string>(s.subscriptions.begin(), s.subscriptions.end()));
  w.Key("nextMessageId");
  w.Uint64(s.next_message_id);
  w.Key("deliveredUpTo");
  w.Uint64(s.receiver.delivered_up_to());
  const ReliableSender::Snapshot sender = s.sender.snapshot();
  w.Key("nextSeq");
  w.Uint64(sender.next_seq);
  w.Key("inFlight");
  w.StartArray();
  for (const auto& p : sender.in_flight) write_pending(w, p);
  w.EndArray();
  w.Key("queued");
  w.StartArray();
  for (const auto& p : sender.queued) write_pending(w, p);
  w.EndArray();
  w.EndObject();
}

// A string we keep: valid UTF-8, so the next snapshot we write can be read
// back, and what we send from it can be decoded.
bool is_text(const rapidjson::Value& value) {
  return value.IsString() && !json::has_lone_surrogate(value.GetString(), value.GetStringLength());
}

bool read_strings(const rapidjson::Value& object, const char* key, std::vector<std::string>& out) {
  auto it = object.FindMember(key);
  if (it == object.MemberEnd() || !it->value.IsArray()) return false;
  for (const auto& v : it->value.GetArray()) {
    if (!is_text(v)) return false;
    out.emplace_back(v.GetString(), v.GetStringLength());
  }
  return true;
}

bool read_u64(const rapidjson::Value& object, const char* key, uint64_t& out) {
  auto it = object.FindMember(key);
  if (it == object.MemberEnd() || !it->value.IsUint64()) return false;
  out = it->value.GetUint64();
  return true;
}

bool read_i64(const rapidjson::Value& object, const char* key, int64_t& out) {
  auto it = object.FindMember(key);
  if (it == object.MemberEnd() || !it->value.IsInt64()) return false;
  out = it->value.GetInt64();
  return true;
}

bool read_string(const rapidjson::Value& object, const char* key, std::string& out) {
  auto it = object.FindMember(key);
  if (it == object.MemberEnd() || !is_text(it->value)) return false;
  out.assign(it->value.GetString(), it->value.GetStringLength());
  return true;
}

// Payloads were validated when they were sent, so they are nowhere near
// this deep. A deeper one means a corrupt file, and re-serializing it
// (Accept recurses) could exhaust the stack.
constexpr size_t kMaxPayloadDepth = 1024;

// Whether no container in `root` is nested deeper than `max_depth`; without recursion.
bool within_depth(const rapidjson::Value& root, size_t max_depth) {
  std::vector<std::pair<const rapidjson::Value*, size_t>> pending{{&root, 1}};
  while (!pending.empty()) {
    const auto [value, depth] = pending.back();
    pending.pop_back();
    if (value->IsArray()) {
      if (depth > max_depth) return false;
      for (const auto& element : value->GetArray()) pending.emplace_back(&element, depth + 1);
    } else if (value->IsObject()) {
      if (depth > max_depth) return false;
      for (const auto& member : value->GetObject()) pending.emplace_back(&member.value, depth + 1);
    }
  }
  return true;
}

bool read_pending(const rapidjson::Value& v, ReliableSender::PendingMessage& p) {
  // The wire requires a channel: a message without one could never be delivered.
  if (!v.IsObject() || !read_u64(v, "messageId", p.message_id) || !read_string(v, "channel", p.channel) ||
      p.channel.empty() || !read_i64(v, "timestamp", p.timestamp) || !read_u64(v, "seq", p.seq)) {
    return false;
  }
  auto reliable = v.FindMember("reliable");
  if (reliable == v.MemberEnd() || !reliable->value.IsBool()) return false;
  p.reliable = reliable->value.GetBool();
  if (v.HasMember("offset")) {  // absent in files from before cluster positions
    auto direct = v.FindMember("direct");
    if (!read_u64(v, "offset", p.offset) || direct == v.MemberEnd() || !direct->value.IsBool()) return false;
    p.direct = direct->value.GetBool();
  }
  if (auto hex = v.FindMember("dataHex"); hex != v.MemberEnd()) {
    p.payload = PayloadKind::Binary;
    return hex->value.IsString() &&
           from_hex({hex->value.GetString(), hex->value.GetStringLength()}, p.data);
  }
  if (auto text = v.FindMember("dataText"); text != v.MemberEnd()) {
    if (!is_text(text->value)) return false;
    p.data.assign(text->value.GetString(), text->value.GetStringLength());
    // It goes on the wire as it is, so it must be JSON the codec would pass.
    CodecLimits payload_limits;
    payload_limits.max_frame_bytes = SIZE_MAX;
    payload_limits.max_depth = kMaxPayloadDepth;
    return p.data.empty() || validate_json_payload(p.data, payload_limits) == CodecError::None;
  }
  // Written before "dataText": the payload as JSON.
  auto data = v.FindMember("data");
  if (data == v.MemberEnd() || !within_depth(data->value, kMaxPayloadDepth)) return false;
  json::EscapingStringBuffer buffer;
  Writer writer(buffer);
  data->value.Accept(writer);
  p.data.assign(buffer.GetString(), buffer.GetSize());
  return !json::has_lone_surrogate(p.data);
}

bool read_pending_list(const rapidjson::Value& object, const char* key,
                       std::vector<ReliableSender::PendingMessage>& out) {
  auto it = object.FindMember(key);
  if (it == object.MemberEnd() || !it->value.IsArray()) return false;
  for (const auto& v : it->value.GetArray()) {
    ReliableSender::PendingMessage p;
    if (!read_pending(v, p)) return false;
    out.push_back(std::move(p));
  }
  return true;
}

std::shared_ptr<SessionState> read_session(const rapidjson::Value& v, const ReliableConfig& reliable,
                                           uint32_t receive_window) {
  std::string id;
  if (!v.IsObject() || !read_string(v, "id", id) || id.empty()) return nullptr;
  auto state = std::make_shared<SessionState>(id, reliable, receive_window);
  std::vector<std::string> subscriptions;
  uint64_t delivered_up_to = 0;
  ReliableSender::Snapshot sender;
  if (!read_string(v, "subject", state->claims.subject) || !read_i64(v, "expiresAt", state->claims.expires_at_ms) ||
      !read_i64(v, "issuedAt", state->claims.issued_at_ms) ||
      !read_strings(v, "permissions", state->claims.permissions) ||
      !read_strings(v, "subscriptions", subscriptions) || !read_u64(v, "nextMessageId", state->next_message_id) ||
      !read_u64(v, "deliveredUpTo", delivered_up_to) || !read_u64(v, "nextSeq", sender.next_seq) ||
      !read_pending_list(v, "inFlight", sender.in_flight) || !read_pending_list(v, "queued", sender.queued)) {
    return nullptr;
  }
  // The server only ever records valid channel names.
  for (const std::string& channel : subscriptions) {
    if (!is_valid_channel(channel)) return nullptr;
  }
  // A sender never has a sequence outstanding more than max_in_flight before
  // its next one. A file that says otherwise is corrupt, and restoring it
  // would take a filler entry per sequence in between (unbounded memory).
  for (const auto& p : sender.in_flight) {
    if (p.seq < sender.next_seq && sender.next_seq - p.seq > reliable.max_in_flight) return nullptr;
  }
  state->permissions = PermissionSet(state->claims.permissions);
  state->subscriptions.insert(subscriptions.begin(), subscriptions.end());
  state->receiver.restore(delivered_up_to);
  state->sender.restore(sender);
  return state;
}

}  // namespace

std::string snapshot_sessions(const SessionTable& table, std::string_view app_state) {
  json::EscapingStringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  w.Key("version");
  w.Int(kSnapshotVersion);
  w.Key("sessions");
  w.StartArray();
  for (const auto& state : table.all()) write_session(w, *state);
  w.EndArray();
  w.Key("app");
  w.String(app_state.data(), static_cast<rapidjson::SizeType>(app_state.size()));
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

RestoreResult restore_sessions(std::string_view snapshot, SessionTable& table, const ReliableConfig& reliable,
                               uint32_t receive_window, TimeMs now, TimeMs ttl) {
  RestoreResult result;
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag>(snapshot.data(),
                                                                                     snapshot.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    result.error = "not a JSON object";
    return result;
  }
  auto version = doc.FindMember("version");
  if (version == doc.MemberEnd() || !version->value.IsInt() || version->value.GetInt() != kSnapshotVersion) {
    result.error = "unsupported snapshot version";
    return result;
  }
  auto sessions = doc.FindMember("sessions");
  if (sessions == doc.MemberEnd() || !sessions->value.IsArray()) {
    result.error = "no sessions array";
    return result;
  }
  // Validate everything before touching the table: all or nothing.
  std::vector<std::shared_ptr<SessionState>> states;
  for (const auto& v : sessions->value.GetArray()) {
    auto state = read_session(v, reliable, receive_window);
    if (!state) {
      result.error = "malformed session entry";
      return result;
    }
    states.push_back(std::move(state));
  }
  auto app = doc.FindMember("app");
  if (app != doc.MemberEnd() && app->value.IsString()) {
    if (!is_text(app->value)) {
      result.error = "malformed app state";
      return result;
    }
    result.app_state.assign(app->value.GetString(), app->value.GetStringLength());
  }
  for (auto& state : states) {
    if (table.adopt(state, now + ttl)) {
      ++result.restored;
      result.sessions.push_back(std::move(state));
    }
  }
  result.ok = true;
  return result;
}

}  // namespace tether::core
