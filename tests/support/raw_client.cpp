#include "raw_client.h"

#include <utility>

#include "core/codec.h"

namespace tether::test_support {

RawClient::RawClient(transport::EventLoop& loop, std::string url, transport::ClientConnectOptions options)
    : loop_(loop), ws_(loop) {
  options.url = std::move(url);
  options.subprotocols = {"tether.v1"};
  transport::ClientHandlers handlers;
  handlers.on_open = [this](transport::ConnectionId) { open_ = true; };
  handlers.on_text = [this](transport::ConnectionId, std::string_view text) { texts_.emplace_back(text); };
  handlers.on_closed = [this](transport::ConnectionId, const transport::CloseInfo& info) {
    closed_ = true;
    close_info_ = info;
  };
  id_ = ws_.connect(options, std::move(handlers));
}

bool RawClient::send(std::string_view text) { return ws_.send_text(id_, text); }

bool RawClient::send_auth(std::string_view token, std::string_view session, uint64_t last_seq) {
  core::Message auth;
  auth.type = core::MessageType::Auth;
  auth.token.assign(token);
  auth.session.assign(session);
  auth.last_seq = last_seq;
  std::string frame;
  core::encode_message(auth, frame);
  return send(frame);
}

bool RawClient::close(uint16_t code, std::string_view reason) { return ws_.close(id_, code, reason); }

bool RawClient::abort() { return ws_.abort(id_); }

bool RawClient::wait_open(int64_t timeout_ms) {
  return run_until(loop_, [this] { return open_ || closed_; }, timeout_ms) && is_open();
}

bool RawClient::wait_closed(int64_t timeout_ms) {
  return run_until(loop_, [this] { return closed_; }, timeout_ms);
}

bool RawClient::wait_for_message(core::MessageType type, std::string_view code, int64_t timeout_ms) {
  size_t checked = 0;  // frames already decoded and found wanting
  return run_until(loop_, [&] {
    for (; checked < texts_.size(); ++checked) {
      std::vector<core::Message> decoded;
      std::vector<core::DecodeIssue> issues;
      core::decode_frame(texts_[checked], core::CodecLimits{}, decoded, issues);
      for (const core::Message& message : decoded) {
        if (message.type == type && (code.empty() || message.code == code)) return true;
      }
    }
    return false;
  }, timeout_ms);
}

std::vector<core::Message> RawClient::messages() const {
  std::vector<core::Message> all;
  std::vector<core::DecodeIssue> issues;
  for (const std::string& text : texts_) core::decode_frame(text, core::CodecLimits{}, all, issues);
  return all;
}

std::optional<core::Message> RawClient::find(core::MessageType type, std::string_view code) const {
  for (core::Message& message : messages()) {
    if (message.type == type && (code.empty() || message.code == code)) return std::move(message);
  }
  return std::nullopt;
}

}  // namespace tether::test_support
