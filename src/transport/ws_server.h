#pragma once
// A WebSocket server (ws:// or wss://) driven by an EventLoop.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "transport/close_info.h"
#include "transport/connection_id.h"
#include "transport/event_loop.h"

namespace tether::transport {

struct ServerListenOptions {
  std::string host = "127.0.0.1";  // address (or name) to bind; "0.0.0.0" or "::" for all
  uint16_t port = 0;               // 0 = an ephemeral port, reported by listen()
  std::string tls_cert_file;       // PEM certificate chain; both empty = plain ws
  std::string tls_key_file;        // PEM private key
  std::size_t max_message_size = 1 << 20;  // bytes; a bigger incoming message closes
                                           // with 1009 (0: websocketpp's 32 MB)
  std::size_t max_connections = 10000;     // handshakes beyond this get HTTP 503
  // Accepted sockets still in their TLS or WebSocket handshake. Each holds
  // buffers for up to handshake_timeout_ms, and max_connections counts only
  // finished handshakes, so these are bounded on their own: at the bound the
  // server stops accepting, and later connections wait unread in the
  // kernel's listen backlog until a handshake ends (a connect storm queues
  // instead of failing into backoff).
  std::size_t max_pending_handshakes = 1024;
  // Bytes sent on a connection and not yet taken by its socket, past which
  // writable() says to stop writing (0: no bound). A hint to the writer, who
  // keeps the rest: send_text itself never refuses for size.
  std::size_t max_send_buffer_bytes = 4u << 20;
  // Accepted when a client offers it. A client offering other subprotocols
  // only is rejected (HTTP 400); one offering none is accepted. Empty: accept
  // any client and select none.
  std::string subprotocol;
  int64_t handshake_timeout_ms = 10000;  // TLS + WebSocket handshake of an accepted socket
};

enum class ListenError : uint8_t {
  None,
  AlreadyListening,
  InvalidAddress,    // host is neither an IP address nor a resolvable name
  AddressInUse,
  BindFailed,        // any other bind/listen failure (permissions ...)
  TlsConfigInvalid,  // certificate or key unreadable, or not a pair
};

struct ListenResult {
  uint16_t port = 0;  // the bound port when ok()
  ListenError error = ListenError::None;
  std::string detail;
  bool ok() const noexcept { return error == ListenError::None; }
};

// Called on the loop thread; they may call back into the WsServer.
struct ServerHandlers {
  // `remote_address` is the peer's IP address, e.g. "127.0.0.1", valid during the call.
  std::function<void(ConnectionId, std::string_view remote_address)> on_open;
  std::function<void(ConnectionId, std::string_view text)> on_text;  // `text` valid during the call
  // A binary frame (valid during the call). Without this handler a binary
  // frame closes the connection with 1003.
  std::function<void(ConnectionId, std::string_view bytes)> on_binary;
  // A WebSocket ping with `bytes` of payload: return whether to answer it
  // (websocketpp queues the pong). Without this handler every ping is answered.
  std::function<bool(ConnectionId, std::size_t bytes)> on_ping;
  // Exactly once per opened connection, never after the WsServer is destroyed
  // and never from inside a WsServer call.
  std::function<void(ConnectionId, const CloseInfo&)> on_closed;
  // After writable() returned false: the connection's buffer has drained
  // below max_send_buffer_bytes. Never from inside a WsServer call.
  std::function<void(ConnectionId)> on_writable;
};

// Accepts RFC 6455 handshakes only (Sec-WebSocket-Version: 13): any other
// version gets HTTP 426 with Sec-WebSocket-Version: 13, a request with a
// body 413, a full server 503 with Retry-After, and the connection is closed.
//
// Thread safety: construct, call and destroy on the loop thread.
class WsServer {
 public:
  WsServer(EventLoop& loop, ServerHandlers handlers);
  // Stops listening and drops every connection at once, without handlers.
  ~WsServer();
  WsServer(const WsServer&) = delete;
  WsServer& operator=(const WsServer&) = delete;

  // Binds and starts accepting. One listener per WsServer.
  ListenResult listen(const ServerListenOptions& options) noexcept;

  // Stops accepting; open connections stay open. listen() may be called again.
  void stop_listening() noexcept;

  // Queues one text frame (copied). False unless the connection is open.
  // Frames sent in one loop turn, or while a write is in flight, go out in one write.
  // Text that is not UTF-8 is refused (false).
  bool send_text(ConnectionId id, std::string_view text) noexcept;
  // The same for text the core's codec encoded, which is not checked for
  // UTF-8 again: every string the codec writes was checked on the way in
  // (and the fuzz targets check every frame the sessions send). The check of
  // each outgoing frame was 12% of the server's time in tether-bench's echo.
  bool send_encoded_text(ConnectionId id, std::string_view text) noexcept;
  // The same for one binary frame.
  bool send_binary(ConnectionId id, std::string_view bytes) noexcept;

  // Bytes queued but not yet handed to the socket: a growing number means a
  // slow client. 0 for unknown ids. websocketpp counts only what waits behind
  // the socket write in progress, not that write itself.
  std::size_t buffered_bytes(ConnectionId id) const noexcept;

  // Whether to write more to an open connection: buffered_bytes() is below
  // max_send_buffer_bytes. If not, on_writable follows once it is (unless
  // the connection ends first). Since the write in progress is not counted,
  // a writer that stops at false holds at most about twice the bound, plus
  // whatever it wrote after its last true. False for unknown ids.
  bool writable(ConnectionId id) noexcept;

  // Starts the close handshake; on_closed follows. False for unknown or
  // already closing connections and for codes that may not be sent. The
  // reason is cut to 123 bytes.
  bool close(ConnectionId id, uint16_t code, std::string_view reason) noexcept;

  // Drops the TCP connection without a close handshake; on_closed follows
  // with ConnectionLost.
  bool abort(ConnectionId id) noexcept;

  // Closes every open connection (e.g. 1001 for a shutdown) and drops those
  // still in their handshake. Returns how many close handshakes it started.
  std::size_t close_all(uint16_t code, std::string_view reason) noexcept;

  // Connections that are open and not yet reported closed.
  std::size_t open_connection_count() const noexcept;

 private:
  class Impl;
  EventLoop* loop_;
  std::shared_ptr<Impl> impl_;
};

}  // namespace tether::transport
