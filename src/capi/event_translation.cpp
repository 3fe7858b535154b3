#include "capi/event_translation.h"

#include <cstdint>

#include "capi/enum_mapping.h"

namespace tether::capi {

namespace {

using client::EngineEvent;
using core::ClientEvent;

uint32_t event_type(const EngineEvent& event) {
  switch (event.kind) {
    case EngineEvent::Kind::Transport: return TETHER_EVENT_TRANSPORT_ERROR;
    case EngineEvent::Kind::Log: return TETHER_EVENT_LOG;
    case EngineEvent::Kind::Session: break;
  }
  switch (event.session.kind) {
    case ClientEvent::Kind::StateChanged: return TETHER_EVENT_STATE_CHANGED;
    case ClientEvent::Kind::Message: return TETHER_EVENT_MESSAGE;
    case ClientEvent::Kind::Acked: return TETHER_EVENT_ACK;
    case ClientEvent::Kind::SendFailed: return TETHER_EVENT_SEND_FAILED;
    case ClientEvent::Kind::AuthOk: return TETHER_EVENT_AUTH_OK;
    case ClientEvent::Kind::AuthFailed: return TETHER_EVENT_AUTH_FAILED;
    case ClientEvent::Kind::TokenRefreshed: return TETHER_EVENT_TOKEN_REFRESHED;
    case ClientEvent::Kind::TokenExpiring: return TETHER_EVENT_TOKEN_EXPIRING;
    case ClientEvent::Kind::PermissionDenied: return TETHER_EVENT_PERMISSION_DENIED;
    case ClientEvent::Kind::Subscribed: return TETHER_EVENT_SUBSCRIBED;
    case ClientEvent::Kind::Unsubscribed: return TETHER_EVENT_UNSUBSCRIBED;
    case ClientEvent::Kind::Error: return TETHER_EVENT_ERROR;
  }
  return TETHER_EVENT_ERROR;
}

// Frames are at most 4 GiB (max_message_bytes is a uint32_t), so every text
// length fits; the clamp only guards against a future limit change.
uint32_t length_of(size_t length) {
  return static_cast<uint64_t>(length) > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(length);
}
uint32_t length_of(const std::string& text) { return length_of(text.size()); }

// Events whose permission set the host sees (AUTH_OK, TOKEN_REFRESHED).
bool carries_permissions(const EngineEvent& event) {
  return event.kind == EngineEvent::Kind::Session &&
         (event.session.kind == ClientEvent::Kind::AuthOk ||
          event.session.kind == ClientEvent::Kind::TokenRefreshed);
}

// Bytes of a permission list joined with '\n' (without the closing NUL).
size_t joined_length(const std::vector<std::string>& permissions) {
  size_t length = permissions.empty() ? 0 : permissions.size() - 1;
  for (const std::string& permission : permissions) length += permission.size();
  return length;
}

void translate(const EngineEvent& in, tether_event& out) {
  const ClientEvent& s = in.session;
  out = tether_event{};
  out.type = event_type(in);
  out.connection = in.connection;
  out.time_ms = in.time_ms;
  // Fields a kind does not use hold their zero defaults in the engine event.
  out.message_id = s.message_id;
  out.expires_at_ms = s.expires_at;
  out.timestamp_ms = s.timestamp;
  out.delay_ms = s.delay_ms;
  out.state = to_c(s.state);
  out.attempt = s.attempt;
  out.close_code = s.close_code;
  out.close_initiator = to_c(s.initiator);
  out.outcome = to_c(s.outcome);
  out.flags = (s.reliable ? TETHER_EVENT_FLAG_RELIABLE : 0u) | (s.resumed ? TETHER_EVENT_FLAG_RESUMED : 0u) |
              (s.payload == tether::core::PayloadKind::Binary ? TETHER_EVENT_FLAG_BINARY : 0u) |
              (s.recovered ? TETHER_EVENT_FLAG_RECOVERED : 0u);
  if (in.kind == EngineEvent::Kind::Log) out.log_level = static_cast<uint32_t>(to_c(in.log_level));
  out.channel = s.channel.c_str();
  out.channel_len = length_of(s.channel);
  out.data = s.data.c_str();
  out.data_len = length_of(s.data);
  out.code = s.code.c_str();
  out.code_len = length_of(s.code);
  out.reason = s.reason.c_str();
  out.reason_len = length_of(s.reason);
  out.action = s.action.c_str();
  out.action_len = length_of(s.action);
  out.token = s.token.c_str();
  out.token_len = length_of(s.token);
  out.user_id = s.user_id.c_str();
  out.user_id_len = length_of(s.user_id);
  out.session = s.session.c_str();
  out.session_len = length_of(s.session);
  out.permission_count = static_cast<uint32_t>(s.permissions.size());
}

}  // namespace

void translate_events(const client::Engine& engine, size_t count, std::vector<tether_event>& out,
                      std::string& permissions_text) {
  // Join every permission list first: the buffer must stop growing before
  // events point into it. Each list ends with a NUL so it reads as C text.
  permissions_text.clear();
  for (size_t i = 0; i < count; ++i) {
    if (!carries_permissions(engine.event(i))) continue;
    const ClientEvent& s = engine.event(i).session;
    for (size_t p = 0; p < s.permissions.size(); ++p) {
      if (p > 0) permissions_text += '\n';
      permissions_text += s.permissions[p];
    }
    permissions_text += '\0';
  }

  out.resize(count);
  size_t joined_offset = 0;
  for (size_t i = 0; i < count; ++i) {
    const EngineEvent& in = engine.event(i);
    translate(in, out[i]);
    if (carries_permissions(in)) {
      const size_t length = joined_length(in.session.permissions);
      out[i].permissions = permissions_text.c_str() + joined_offset;
      out[i].permissions_len = length_of(length);
      joined_offset += length + 1;
    } else {
      out[i].permissions = "";
    }
  }
}

}  // namespace tether::capi
