#pragma once
// WebSocket client connections (ws:// and wss://) driven by an EventLoop.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "transport/close_info.h"
#include "transport/connection_id.h"
#include "transport/event_loop.h"

namespace tether::transport {

struct ClientConnectOptions {
  std::string url;                        // ws://host[:port]/path or wss://...
  std::vector<std::string> subprotocols;  // offered in order; if any, the server must pick one
  int64_t connect_timeout_ms = 10000;     // DNS + TCP + TLS + WebSocket handshake, together
  std::size_t max_message_size = 1 << 20; // bytes; a bigger incoming message closes
                                          // with 1009 (0: websocketpp's 32 MB)

  // wss only. A wss url never falls back to ws.
  bool verify_peer = true;  // certificate chain and host name; turn off only for tests
  std::string ca_file;      // extra trusted CAs (PEM file); system CAs are always trusted
  std::string ca_pem;       // extra trusted CAs (PEM text)
  // base64(SHA-256(SubjectPublicKeyInfo DER)) of acceptable server keys. If
  // non-empty the server's leaf certificate must match one, even with
  // verify_peer off.
  std::vector<std::string> pinned_spki_sha256;
};

// True for a pin in pinned_spki_sha256's format: 44 characters of standard
// base64 that decode to exactly 32 bytes. Lets a config be checked up front.
bool is_valid_spki_pin(std::string_view pin) noexcept;

// Called on the loop thread. They may call back into the WsClient, including
// connect() from on_closed.
struct ClientHandlers {
  std::function<void(ConnectionId)> on_open;
  // `text` is valid only during the call.
  std::function<void(ConnectionId, std::string_view text)> on_text;
  // A binary frame, valid only during the call. Without this handler a
  // binary frame closes the connection with 1003.
  std::function<void(ConnectionId, std::string_view bytes)> on_binary;
  // Exactly once per connect(), failed attempts included, and never after the
  // WsClient is destroyed. Never called from inside a WsClient call.
  std::function<void(ConnectionId, const CloseInfo&)> on_closed;
};

// Thread safety: construct, call and destroy on the loop thread.
class WsClient {
 public:
  explicit WsClient(EventLoop& loop);
  // Drops every connection at once, without close handshakes or handlers.
  ~WsClient();
  WsClient(const WsClient&) = delete;
  WsClient& operator=(const WsClient&) = delete;

  // Constructs now, rather than on first use, the process-wide state that
  // connections use: the error categories of Asio, websocketpp and the
  // standard library, and OpenSSL. Exit handlers and static destructors run
  // in reverse order of registration, so a handler registered after this
  // call runs while that state is still alive, and can stop a network
  // thread that still uses it (a host that exits with live clients).
  static void construct_process_state() noexcept;

  // Starts connecting; progress arrives through `handlers`. Invalid options are
  // reported the same way (TransportError::InvalidOptions). Returns
  // kNoConnection only if the attempt could not even be recorded (out of memory).
  ConnectionId connect(const ClientConnectOptions& options, ClientHandlers handlers) noexcept;

  // Queues one text frame (copied). False unless the connection is open.
  // Frames sent in one loop turn, or while a write is in flight, go out in one write.
  // `refusal` (if given) is set when the frame itself was refused, e.g. text
  // that is not UTF-8, and left empty when the connection is just not open
  // (or already closing): the frame is lost either way, but only a refusal
  // means on_closed will not follow by itself.
  // (Inline: every implementation of this header, native or browser, only
  // provides send_frame.)
  bool send_text(ConnectionId id, std::string_view text, std::string* refusal = nullptr) noexcept {
    return send_frame(id, text, FrameFormat::CheckedText, refusal);
  }
  // The same for text the core's codec encoded, which is not checked for
  // UTF-8 again (see WsServer::send_encoded_text).
  bool send_encoded_text(ConnectionId id, std::string_view text, std::string* refusal = nullptr) noexcept {
    return send_frame(id, text, FrameFormat::EncodedText, refusal);
  }
  // The same for one binary frame (any bytes: never refused for content).
  bool send_binary(ConnectionId id, std::string_view bytes, std::string* refusal = nullptr) noexcept {
    return send_frame(id, bytes, FrameFormat::Binary, refusal);
  }

  // Bytes queued but not yet handed to the socket: a growing number means a
  // slow network. 0 for unknown ids.
  std::size_t buffered_bytes(ConnectionId id) const noexcept;

  // Starts the close handshake; on_closed follows. Before the connection is
  // open this abandons the attempt instead. False for unknown or already
  // closing connections and for codes that may not be sent (e.g. 1005, 1006).
  // The reason is cut to 123 bytes.
  bool close(ConnectionId id, uint16_t code, std::string_view reason) noexcept;

  // Drops the TCP connection without a close handshake, as a network failure
  // would; on_closed follows with ConnectionLost. False for unknown ids.
  bool abort(ConnectionId id) noexcept;

 private:
  class Impl;
  enum class FrameFormat : uint8_t { CheckedText, EncodedText, Binary };
  bool send_frame(ConnectionId id, std::string_view bytes, FrameFormat format, std::string* refusal) noexcept;
  EventLoop* loop_;
  std::shared_ptr<Impl> impl_;
};

}  // namespace tether::transport
