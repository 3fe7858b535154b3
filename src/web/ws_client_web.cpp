// transport::WsClient for the browser build (transport/ws_client.h), over
// the browser's WebSocket through emscripten/websocket.h.
//
// The browser owns TLS (wss:// is verified by it, against its own trust
// store) and hides why a connection failed: a refused port, a bad
// certificate and a rejected upgrade all end in one close with 1006 before
// open, reported as ConnectFailed. Options the browser cannot honour (CA
// files, pins, verify_peer off) are rejected when the client is created
// (capi/config_translation.cpp), and reported as InvalidOptions here too.
//
// Browser callbacks run the handlers directly: JavaScript never interrupts
// running WebAssembly, so they never run inside a WsClient call or a loop
// handler. What must not be reported from inside a call (abort, a timeout,
// invalid options) goes through the loop instead.
#include "transport/ws_client.h"

#include <emscripten/em_js.h>
#include <emscripten/websocket.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>

namespace tether::transport {

namespace {

constexpr uint16_t kNoCloseFrame = 1006;
constexpr uint16_t kUnsupportedData = 1003;
constexpr uint16_t kMessageTooBig = 1009;
constexpr size_t kMaxCloseReasonBytes = 123;

// WebSocket.close() throws for a reason over 123 bytes of UTF-8: cut at a
// character boundary, so the browser's decoding cannot make it longer.
std::string_view cut_reason(std::string_view reason) {
  if (reason.size() <= kMaxCloseReasonBytes) return reason;
  size_t end = kMaxCloseReasonBytes;
  while (end > 0 && (static_cast<unsigned char>(reason[end]) & 0xC0) == 0x80) --end;
  return reason.substr(0, end);
}

// The only codes a page may pass to WebSocket.close(); anything else throws.
bool browser_may_send(uint16_t code) { return code == 1000 || (code >= 3000 && code <= 4999); }

// A remote close, classified as close_classifier.cpp does for native.
TransportError error_for_remote_code(uint16_t code) {
  if (code == 1002 || code == kUnsupportedData || code == 1007) return TransportError::ProtocolError;
  if (code == kMessageTooBig) return TransportError::MessageTooBig;
  if (code == kNoCloseFrame) return TransportError::ConnectionLost;
  return TransportError::None;
}

// The WebSocket constructor throws on a url it cannot parse, and
// emscripten_websocket_new does not catch it: the exception would unwind
// through WebAssembly. Ask first, as the constructor would.
EM_JS(int, tether_web_url_is_usable, (const char* url), {
  try {
    var parsed = new URL(UTF8ToString(url));
    return (parsed.protocol == "ws:" || parsed.protocol == "wss:") && parsed.hash == "" ? 1 : 0;
  } catch (e) {
    return 0;
  }
});

}  // namespace

bool is_valid_spki_pin(std::string_view pin) noexcept {
  constexpr size_t kPinLength = 44;  // base64 of 32 bytes
  if (pin.size() != kPinLength || pin.back() != '=') return false;
  constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (size_t i = 0; i + 1 < pin.size(); ++i) {
    if (kAlphabet.find(pin[i]) == std::string_view::npos) return false;
  }
  return true;
}

class WsClient::Impl : public std::enable_shared_from_this<WsClient::Impl> {
 public:
  struct Connection {
    WsClient::Impl* owner = nullptr;
    ConnectionId id = kNoConnection;
    EMSCRIPTEN_WEBSOCKET_T socket = 0;
    ClientHandlers handlers;
    size_t max_message_size = 0;
    TimerId connect_timer = kNoTimer;
    bool open = false;
    bool closing = false;  // close() or a local failure: no more sends
    std::optional<CloseInfo> local_close;  // what to report when the browser's close arrives
  };

  explicit Impl(EventLoop& loop) : loop_(loop) {}

  ~Impl() {
    for (auto& [id, connection] : connections_) detach(*connection, /*close_socket=*/true);
  }

  ConnectionId connect(const ClientConnectOptions& options, ClientHandlers handlers) {
    const ConnectionId id = next_id_++;
    auto owned = std::make_unique<Connection>();
    Connection& connection = *owned;
    connection.owner = this;
    connection.id = id;
    connection.handlers = std::move(handlers);
    connection.max_message_size = options.max_message_size;
    connections_.emplace(id, std::move(owned));

    if (const char* problem = unsupported(options)) {
      finish_later(connection, failure(TransportError::InvalidOptions, problem));
      return id;
    }
    std::string protocols;
    for (const std::string& protocol : options.subprotocols) {
      if (!protocols.empty()) protocols += ',';
      protocols += protocol;
    }
    EmscriptenWebSocketCreateAttributes attributes;
    emscripten_websocket_init_create_attributes(&attributes);
    attributes.url = options.url.c_str();
    attributes.protocols = protocols.empty() ? nullptr : protocols.c_str();
    const EMSCRIPTEN_WEBSOCKET_T socket = emscripten_websocket_new(&attributes);
    if (socket <= 0) {
      // The WebSocket constructor threw (a malformed url) or there is none.
      finish_later(connection, failure(TransportError::InvalidOptions, "the browser refused the url " + options.url));
      return id;
    }
    connection.socket = socket;
    emscripten_websocket_set_onopen_callback(socket, &connection, &on_open);
    emscripten_websocket_set_onmessage_callback(socket, &connection, &on_message);
    emscripten_websocket_set_onclose_callback(socket, &connection, &on_close);
    if (options.connect_timeout_ms > 0) {
      std::weak_ptr<Impl> weak = shared_from_this();
      connection.connect_timer = loop_.set_timer(options.connect_timeout_ms, [weak, id] {
        if (auto self = weak.lock()) self->on_connect_timeout(id);
      });
    }
    return id;
  }

  Connection* find(ConnectionId id) {
    auto it = connections_.find(id);
    return it == connections_.end() ? nullptr : it->second.get();
  }

  bool send(ConnectionId id, std::string_view bytes, bool binary, bool check_text, std::string* refusal) {
    if (refusal != nullptr) refusal->clear();
    Connection* connection = find(id);
    if (connection == nullptr || !connection->open || connection->closing) return false;
    EMSCRIPTEN_RESULT result;
    if (binary) {
      result = emscripten_websocket_send_binary(connection->socket, const_cast<char*>(bytes.data()),
                                                static_cast<uint32_t>(bytes.size()));
    } else {
      // emscripten_websocket_send_utf8_text takes NUL-terminated text.
      if (bytes.find('\0') != std::string_view::npos || (check_text && !is_utf8(bytes))) {
        if (refusal != nullptr) *refusal = "text frame is not UTF-8 without NUL";
        return false;
      }
      text_.assign(bytes.data(), bytes.size());
      result = emscripten_websocket_send_utf8_text(connection->socket, text_.c_str());
    }
    return result == EMSCRIPTEN_RESULT_SUCCESS;
  }

  size_t buffered_bytes(ConnectionId id) {
    Connection* connection = find(id);
    unsigned long long amount = 0;
    if (connection == nullptr || connection->socket <= 0) return 0;
    if (emscripten_websocket_get_buffered_amount(connection->socket, &amount) != EMSCRIPTEN_RESULT_SUCCESS) return 0;
    return static_cast<size_t>(amount);
  }

  bool close(ConnectionId id, uint16_t code, std::string_view reason) {
    Connection* connection = find(id);
    if (connection == nullptr || connection->closing) return false;
    if (code == 1005 || code == 1006 || code == 1015 || code < 1000 || code >= 5000) return false;
    if (!connection->open) {
      // Before open this abandons the attempt.
      fail(*connection, failure(TransportError::None, "connect abandoned"), CloseInitiator::Local);
      return true;
    }
    CloseInfo info;
    info.code = code;
    info.reason = std::string(cut_reason(reason));
    info.initiator = CloseInitiator::Local;
    connection->closing = true;
    connection->local_close = info;
    // The browser sends only 1000 and 3000-4999; others go as 1000, reason kept.
    const uint16_t sent = browser_may_send(code) ? code : 1000;
    emscripten_websocket_close(connection->socket, sent, info.reason.c_str());
    return true;
  }

  bool abort(ConnectionId id) {
    Connection* connection = find(id);
    if (connection == nullptr) return false;
    fail(*connection, failure(TransportError::ConnectionLost, "aborted"), CloseInitiator::Transport);
    return true;
  }

 private:
  static const char* unsupported(const ClientConnectOptions& options) {
    if ((options.url.rfind("ws://", 0) != 0 && options.url.rfind("wss://", 0) != 0) ||
        tether_web_url_is_usable(options.url.c_str()) == 0) {
      return "the browser cannot open this url";
    }
    if (!options.verify_peer || !options.ca_file.empty() || !options.ca_pem.empty() ||
        !options.pinned_spki_sha256.empty()) {
      return "the browser verifies TLS itself: CA files, pins and verify_peer = 0 are not available";
    }
    return nullptr;
  }

  static bool is_utf8(std::string_view text) {
    size_t i = 0;
    while (i < text.size()) {
      const auto c = static_cast<unsigned char>(text[i]);
      size_t length = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
      if (length == 0 || i + length > text.size()) return false;
      uint32_t point = length == 1 ? c : c & (0x7F >> length);
      for (size_t k = 1; k < length; ++k) {
        const auto next = static_cast<unsigned char>(text[i + k]);
        if ((next & 0xC0) != 0x80) return false;
        point = (point << 6) | (next & 0x3F);
      }
      const uint32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
      if (point < smallest[length] || point > 0x10FFFF || (point >= 0xD800 && point <= 0xDFFF)) return false;
      i += length;
    }
    return true;
  }

  static CloseInfo failure(TransportError error, std::string detail) {
    CloseInfo info;
    info.code = kNoCloseFrame;
    info.initiator = CloseInitiator::Transport;
    info.error = error;
    info.detail = std::move(detail);
    return info;
  }

  // Ends a connection now, from inside a call or a timer: the socket is
  // dropped at once, and on_closed follows from the loop.
  void fail(Connection& connection, CloseInfo info, CloseInitiator initiator) {
    info.initiator = initiator;
    detach(connection, /*close_socket=*/true);
    connection.closing = true;
    finish_later(connection, std::move(info));
  }

  void finish_later(Connection& connection, CloseInfo info) {
    std::weak_ptr<Impl> weak = shared_from_this();
    const ConnectionId id = connection.id;
    loop_.post([weak, id, info = std::move(info)] {
      if (auto self = weak.lock()) self->finish(id, info);
    });
  }

  // Reports the end of a connection and forgets it.
  void finish(ConnectionId id, const CloseInfo& info) {
    auto it = connections_.find(id);
    if (it == connections_.end()) return;
    std::unique_ptr<Connection> connection = std::move(it->second);
    connections_.erase(it);
    detach(*connection, /*close_socket=*/true);
    if (connection->handlers.on_closed) connection->handlers.on_closed(id, info);
  }

  // The browser stops calling back for this socket, and forgets it.
  void detach(Connection& connection, bool close_socket) {
    if (connection.connect_timer != kNoTimer) loop_.cancel_timer(connection.connect_timer);
    connection.connect_timer = kNoTimer;
    if (connection.socket <= 0) return;
    unsigned short state = 3;
    emscripten_websocket_get_ready_state(connection.socket, &state);
    if (close_socket && state < 2) emscripten_websocket_close(connection.socket, 1000, "");
    emscripten_websocket_delete(connection.socket);  // also drops its callbacks
    connection.socket = 0;
  }

  void on_connect_timeout(ConnectionId id) {
    Connection* connection = find(id);
    if (connection == nullptr) return;
    connection->connect_timer = kNoTimer;
    if (connection->open) return;
    fail(*connection, failure(TransportError::Timeout, "the WebSocket did not open in time"),
         CloseInitiator::Transport);
  }

  static EM_BOOL on_open(int, const EmscriptenWebSocketOpenEvent*, void* user_data) {
    auto* connection = static_cast<Connection*>(user_data);
    Impl& self = *connection->owner;
    if (connection->connect_timer != kNoTimer) self.loop_.cancel_timer(connection->connect_timer);
    connection->connect_timer = kNoTimer;
    connection->open = true;
    if (connection->handlers.on_open) connection->handlers.on_open(connection->id);
    return EM_TRUE;
  }

  static EM_BOOL on_message(int, const EmscriptenWebSocketMessageEvent* event, void* user_data) {
    auto* connection = static_cast<Connection*>(user_data);
    Impl& self = *connection->owner;
    if (connection->closing) return EM_TRUE;
    // Text arrives NUL-terminated, and numBytes counts the NUL.
    const size_t size = event->isText && event->numBytes > 0 ? event->numBytes - 1 : event->numBytes;
    const std::string_view data(reinterpret_cast<const char*>(event->data), size);
    if (connection->max_message_size > 0 && size > connection->max_message_size) {
      self.close_for(*connection, kMessageTooBig, TransportError::MessageTooBig, "message too big");
      return EM_TRUE;
    }
    const ConnectionId id = connection->id;
    if (event->isText) {
      if (connection->handlers.on_text) connection->handlers.on_text(id, data);
    } else if (connection->handlers.on_binary) {
      connection->handlers.on_binary(id, data);
    } else {
      self.close_for(*connection, kUnsupportedData, TransportError::ProtocolError, "binary frame not expected");
    }
    return EM_TRUE;
  }

  // This side closes because the peer broke a rule (initiator Remote, as native).
  void close_for(Connection& connection, uint16_t code, TransportError error, const char* detail) {
    CloseInfo info;
    info.code = code;
    info.initiator = CloseInitiator::Remote;
    info.error = error;
    info.detail = detail;
    connection.closing = true;
    connection.local_close = info;
    emscripten_websocket_close(connection.socket, browser_may_send(code) ? code : 1000, detail);
  }

  static EM_BOOL on_close(int, const EmscriptenWebSocketCloseEvent* event, void* user_data) {
    auto* connection = static_cast<Connection*>(user_data);
    Impl& self = *connection->owner;
    CloseInfo info;
    if (connection->local_close) {
      info = *connection->local_close;
      info.clean = event->wasClean != 0;
    } else if (!connection->open) {
      info = failure(TransportError::ConnectFailed,
                     "the browser could not open the WebSocket (refused, unreachable, TLS or upgrade failure: "
                     "browsers do not say which)");
    } else {
      info.code = event->code;
      info.reason = event->reason;
      info.clean = event->wasClean != 0;
      info.initiator = event->code == kNoCloseFrame ? CloseInitiator::Transport : CloseInitiator::Remote;
      info.error = error_for_remote_code(event->code);
      if (info.error == TransportError::ConnectionLost) info.detail = "the connection dropped";
    }
    self.finish(connection->id, info);  // frees connection
    return EM_TRUE;
  }

  EventLoop& loop_;
  std::map<ConnectionId, std::unique_ptr<Connection>> connections_;
  ConnectionId next_id_ = 1;
  std::string text_;  // reused: send_utf8_text needs a NUL
};

// No network thread in the browser, so nothing can outlive the page's exit.
void WsClient::construct_process_state() noexcept {}

WsClient::WsClient(EventLoop& loop) : loop_(&loop), impl_(std::make_shared<Impl>(loop)) {}
WsClient::~WsClient() {
  impl_.reset();  // drops every socket and its callbacks, reporting nothing
  loop_ = nullptr;
}

ConnectionId WsClient::connect(const ClientConnectOptions& options, ClientHandlers handlers) noexcept {
  try {
    return impl_->connect(options, std::move(handlers));
  } catch (...) {
    return kNoConnection;
  }
}

bool WsClient::send_frame(ConnectionId id, std::string_view bytes, FrameFormat format, std::string* refusal) noexcept {
  try {
    return impl_->send(id, bytes, format == FrameFormat::Binary, format == FrameFormat::CheckedText, refusal);
  } catch (...) {
    return false;
  }
}

std::size_t WsClient::buffered_bytes(ConnectionId id) const noexcept { return impl_->buffered_bytes(id); }

bool WsClient::close(ConnectionId id, uint16_t code, std::string_view reason) noexcept {
  try {
    return impl_->close(id, code, reason);
  } catch (...) {
    return false;
  }
}

bool WsClient::abort(ConnectionId id) noexcept {
  try {
    return impl_->abort(id);
  } catch (...) {
    return false;
  }
}

}  // namespace tether::transport
