#pragma once
// A Tether client for integration tests: a core::ClientSession driven over a
// transport::WsClient on the test's EventLoop, recording everything it sees.
// It reconnects and resumes by itself, exactly as the session decides.
//
//   TestClient alice(loop, server_url, mint_token("alice"));
//   alice.connect();
//   REQUIRE(alice.wait_ready());
//   alice.subscribe("room:1");
//   REQUIRE(alice.wait_for([&] { return alice.messages("room:1").size() == 1; }));
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/client_session.h"
#include "run_until.h"
#include "transport/close_info.h"
#include "transport/event_loop.h"
#include "transport/ws_client.h"

namespace tether::test_support {

struct ReceivedMessage {
  std::string channel;
  std::string data;  // raw JSON
  bool reliable = false;
};

class TestClient {
 public:
  // Defaults suited to tests: fast reconnects, no give-up.
  static core::ClientConfig default_config(std::string token);

  TestClient(transport::EventLoop& loop, std::string url, std::string token);
  // `transport_options`: TLS settings (ca_file, verify_peer ...); url and
  // subprotocols are filled in. config.wall_clock_offset_ms is set for you.
  TestClient(transport::EventLoop& loop, std::string url, core::ClientConfig config,
             transport::ClientConnectOptions transport_options = {});
  ~TestClient();
  TestClient(const TestClient&) = delete;
  TestClient& operator=(const TestClient&) = delete;

  // ---- commands (each pumps the session at once) ----------------------
  void connect();
  void close(uint16_t code = 1000);
  // Drops the TCP connection without a close handshake, like a network
  // failure. The session reconnects after its backoff and tries to resume.
  bool drop_connection();
  // Skips a backoff wait: reconnects now (configure a long backoff to decide
  // yourself when a dropped client comes back).
  void reconnect_now();
  // Reliable sends get increasing message ids (see last_message_id()).
  core::SendStatus publish(std::string_view channel, std::string_view json, bool reliable = false);
  // The same with a binary payload (docs/PROTOCOL.md 5.1).
  core::SendStatus publish_bytes(std::string_view channel, std::string_view bytes, bool reliable = false);
  core::SendStatus subscribe(std::string_view channel);
  core::SendStatus unsubscribe(std::string_view channel);

  // ---- waiting ---------------------------------------------------------
  bool wait_for(const std::function<bool()>& done, int64_t timeout_ms = kDeadlineMs);
  bool wait_ready(int64_t timeout_ms = kDeadlineMs);  // state Ready
  // Ready again after at least `count` authentications in total.
  bool wait_authenticated(size_t count, int64_t timeout_ms = kDeadlineMs);

  // ---- what happened ---------------------------------------------------
  core::ClientState state() const { return session_.state(); }
  core::ClientSession& session() { return session_; }
  const std::string& session_id() const { return session_.session_id(); }
  uint64_t last_message_id() const { return next_message_id_ - 1; }

  const std::vector<core::ClientEvent>& events() const { return events_; }
  size_t count(core::ClientEvent::Kind kind) const;
  // The first event of `kind` that `match` accepts (any, without `match`), or null.
  const core::ClientEvent* find(core::ClientEvent::Kind kind,
                                const std::function<bool(const core::ClientEvent&)>& match = {}) const;
  // Channel messages delivered to the application, optionally of one channel.
  std::vector<ReceivedMessage> messages(std::string_view channel = {}) const;
  // How each transport connection ended, in order.
  const std::vector<transport::CloseInfo>& closes() const { return closes_; }
  size_t connections_opened() const { return connections_opened_; }

 private:
  void start_connection();
  void pump();
  void arm_timer();
  core::TimeMs now() const { return loop_.now_ms(); }

  transport::EventLoop& loop_;
  std::string url_;
  transport::ClientConnectOptions transport_options_;
  core::ClientSession session_;
  transport::WsClient ws_;
  transport::ConnectionId current_ = transport::kNoConnection;  // the session's connection
  bool open_ = false;
  transport::TimerId timer_ = transport::kNoTimer;
  core::TimeMs timer_at_ = core::kNever;
  uint64_t next_message_id_ = 1;
  size_t connections_opened_ = 0;
  std::vector<core::ClientEvent> events_;
  std::vector<transport::CloseInfo> closes_;
};

}  // namespace tether::test_support
