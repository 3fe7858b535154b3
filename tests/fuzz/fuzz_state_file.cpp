// Loading a --state-file: restore_sessions on any bytes, then what a
// restarted server does next: a client resumes a restored session and its
// messages flow.
// Checked: each restored session saves and loads back to the same text,
// and the resumed connection sends only frames that decode cleanly.
#include <cstddef>
#include <cstdint>

#include "core/server_session.h"
#include "core/session_snapshot.h"
#include "core/session_table.h"
#include "harness.h"

using namespace tether::fuzz;

namespace {

ServerConfig fuzz_config() {
  ServerConfig config;
  config.wall_clock_offset_ms = kWallOffset;
  config.reliable.ack_timeout_ms = 400;
  config.reliable.queue_max_messages = 64;
  config.reliable.max_buffered_bytes = 1 << 16;
  config.receive_window = 16;
  FUZZ_CHECK(validate(config) == nullptr, "the harness's server config is invalid");
  return config;
}

// The session saved alone, loaded into a fresh table and saved again: the
// same text, so nothing a restart carries is lost or invented on the way.
void check_saves_back(const std::shared_ptr<SessionState>& state, const ServerConfig& config) {
  SessionTable alone(1);
  FUZZ_CHECK(alone.adopt(state, kNever), "a restored session cannot be adopted");
  const std::string saved = snapshot_sessions(alone, "app");
  SessionTable reloaded(2);
  const RestoreResult again = restore_sessions(saved, reloaded, config.reliable, config.receive_window, kStart, 1);
  FUZZ_CHECK(again.ok && again.restored == 1 && again.app_state == "app", "a saved session does not load");
  FUZZ_CHECK(snapshot_sessions(reloaded, "app") == saved, "a session changed through save and load");
}

// The client of a restored session comes back: resume with its token,
// receive what was held for it, ack it all.
void resume(const std::shared_ptr<SessionState>& state, SessionTable& table, const ServerConfig& config,
            uint64_t last_seq) {
  TokenClaims claims;
  claims.subject = state->claims.subject;
  claims.expires_at_ms = kYear2100Ms;
  const std::string token = sign_hs256(claims, kFuzzSecret);
  if (token.empty()) return;  // a subject no token can carry
  const Hs256Authority authority(kFuzzSecret);
  SessionScratch scratch;
  ServerSession session(config, authority, table, scratch, 1);
  TimeMs now = kStart;
  session.handle_open(now);
  Message auth;
  auth.type = MessageType::Auth;
  auth.token = token;
  auth.session = state->id;  // any text a file can hold: encoded, not pasted
  auth.last_seq = last_seq;
  std::string auth_frame;
  encode_message(auth, auth_frame);
  session.handle_text(auth_frame, now);
  std::string frame;
  tether::core::FrameKind text_only_kind = tether::core::FrameKind::Text;  // JSON only here
  for (int round = 0; round < 4; ++round) {
    while (session.poll_transmit(frame, text_only_kind, now)) check_sent_frame(frame);
    session.handle_text(R"({"type":"ack","upTo":)" + std::to_string(state->sender.next_seq()) + "}", now);
    now = std::max(now, session.next_timeout() == kNever ? now : session.next_timeout());
    session.handle_timeout(now);
  }
  session.handle_closed(now);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const ServerConfig config = fuzz_config();
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  SessionTable table(42);
  const RestoreResult restored = restore_sessions(input, table, config.reliable, config.receive_window, kStart, 120000);
  if (!restored.ok) {
    FUZZ_CHECK(table.size() == 0, "a state file that failed to load left sessions behind");
    return 0;
  }
  for (const auto& state : restored.sessions) check_saves_back(state, config);
  if (!restored.sessions.empty()) resume(restored.sessions[0], table, config, size % 3);
  return 0;
}
