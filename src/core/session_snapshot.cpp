#include "core/session_snapshot.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <memory>
#include <utility>

namespace tether::core {

namespace {

constexpr int kSnapshotVersion = 1;
using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void write_string(Writer& w, const char* key, const std::string& value) {
  w.Key(key);
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

void write_pending(Writer& w, const ReliableSender::PendingMessage& p) {
  w.StartObject();
  w.Key("messageId");
  w.Uint64(p.message_id);
  write_string(w, "channel", p.channel);
  w.Key("data");
  // Payloads were validated JSON when they were sent.
  if (p.data.empty()) {
    w.Null();
  } else {
    w.RawValue(p.data.data(), p.data.size(), rapidjson::kObjectType);
  }
  w.Key("timestamp");
  w.Int64(p.timestamp);
  w.Key("reliable");
  w.Bool(p.reliable);
  w.Key("seq");
  w.Uint64(p.seq);
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

bool read_strings(const rapidjson::Value& object, const char* key, std::vector<std::string>& out) {
  auto it = object.FindMember(key);
  if (it == object.MemberEnd() || !it->value.IsArray()) return false;
  for (const auto& v : it->value.GetArray()) {
    if (!v.IsString()) return false;
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
  if (it == object.MemberEnd() || !it->value.IsString()) return false;
  out.assign(it->value.GetString(), it->value.GetStringLength());
  return true;
}

bool read_pending(const rapidjson::Value& v, ReliableSender::PendingMessage& p) {
  if (!v.IsObject() || !read_u64(v, "messageId", p.message_id) || !read_string(v, "channel", p.channel) ||
      !read_i64(v, "timestamp", p.timestamp) || !read_u64(v, "seq", p.seq)) {
    return false;
  }
  auto reliable = v.FindMember("reliable");
  auto data = v.FindMember("data");
  if (reliable == v.MemberEnd() || !reliable->value.IsBool() || data == v.MemberEnd()) return false;
  p.reliable = reliable->value.GetBool();
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  data->value.Accept(writer);
  p.data.assign(buffer.GetString(), buffer.GetSize());
  return true;
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
  state->permissions = PermissionSet(state->claims.permissions);
  state->subscriptions.insert(subscriptions.begin(), subscriptions.end());
  state->receiver.restore(delivered_up_to);
  state->sender.restore(sender);
  return state;
}

}  // namespace

std::string snapshot_sessions(const SessionTable& table, std::string_view app_state) {
  rapidjson::StringBuffer buffer;
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
