#pragma once
// One raw WebSocket connection for tests that speak the wire protocol by
// hand: malformed frames, traffic before auth, resume races. It records
// every frame and how the connection ended; nothing is interpreted for you
// except on request (messages() decodes what arrived).
//
//   RawClient raw(loop, server_url);
//   REQUIRE(raw.wait_open());
//   raw.send("{not json");
//   REQUIRE(raw.wait_for_message(core::MessageType::Error));
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/message.h"
#include "run_until.h"
#include "transport/close_info.h"
#include "transport/event_loop.h"
#include "transport/ws_client.h"

namespace tether::test_support {

class RawClient {
 public:
  // Connects at once, offering subprotocol "tether.v1". `options` may carry
  // TLS settings; its url and subprotocols are filled in.
  RawClient(transport::EventLoop& loop, std::string url, transport::ClientConnectOptions options = {});
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool send(std::string_view text);
  // Sends {"type":"auth",...}; `session`/`last_seq` ask for a resume.
  bool send_auth(std::string_view token, std::string_view session = {}, uint64_t last_seq = 0);
  bool close(uint16_t code = 1000, std::string_view reason = {});
  bool abort();

  bool wait_open(int64_t timeout_ms = kDeadlineMs);
  bool wait_closed(int64_t timeout_ms = kDeadlineMs);
  // Waits for a decoded message of `type` (and `code`, if given).
  bool wait_for_message(core::MessageType type, std::string_view code = {}, int64_t timeout_ms = kDeadlineMs);

  bool is_open() const { return open_ && !closed_; }
  bool is_closed() const { return closed_; }
  const transport::CloseInfo& close_info() const { return close_info_; }  // valid once is_closed()
  const std::vector<std::string>& texts() const { return texts_; }
  // Every message in every frame received, batches flattened. Frames that
  // do not decode are skipped (the server never sends any).
  std::vector<core::Message> messages() const;
  // The first received message of `type` (and `code`, if given).
  std::optional<core::Message> find(core::MessageType type, std::string_view code = {}) const;

 private:
  transport::EventLoop& loop_;
  transport::WsClient ws_;
  transport::ConnectionId id_ = transport::kNoConnection;
  bool open_ = false;
  bool closed_ = false;
  transport::CloseInfo close_info_;
  std::vector<std::string> texts_;
};

}  // namespace tether::test_support
