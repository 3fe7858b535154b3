#pragma once
// Many hand-driven connections to one ServerEndpoint, in virtual time: the
// runtime's part (src/server) done by hand, so fan-out, slow consumers,
// flow control and every bound run here exactly as in tether-server.
// Clients are raw: tests feed them JSON text, so they can send what no
// conforming client would, and read back every message the server sent.
// A client can stop reading (its socket stops taking output), as a host
// that stops pumping does.
#include <algorithm>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/codec_binary.h"
#include "core/server_endpoint.h"
#include "sim_pair.h"

namespace tether::test {

inline EndpointConfig endpoint_config_of(ServerConfig session) {
  EndpointConfig config;
  config.session = std::move(session);
  // As tether-server with an application: every client publish is routed
  // by the host (this harness), which passes it on to publish().
  config.publishes_to_host = true;
  return config;
}

class ServerSim {
 public:
  struct Client {
    ConnectionId id = 0;
    std::vector<Message> received;   // every message of every frame, in order
    size_t largest_frame = 0;        // bytes of the largest frame sent to it
    size_t frames = 0;               // frames sent to it
    size_t binary_frames = 0;        // of which binary
    bool closed = false;             // the server closed it (or the test did)
    uint16_t close_code = 0;
    bool reading = true;             // false: its socket takes nothing (set_reading)
    std::string session_id;          // from its auth_success
    std::shared_ptr<const SessionState> session;  // kept even after the server forgets it

    const std::shared_ptr<const SessionState>& state() const { return session; }
    // The messages of `type` received since the last take() of that type
    // (or forget_received()).
    std::vector<Message> take(MessageType type) {
      size_t& from = read_up_to[static_cast<size_t>(type)];
      std::vector<Message> out;
      for (size_t i = from; i < received.size(); ++i) {
        if (received[i].type == type) out.push_back(received[i]);
      }
      from = received.size();
      return out;
    }
    void forget_received() {
      for (size_t& from : read_up_to) from = received.size();
    }
    size_t read_up_to[static_cast<size_t>(MessageType::Error) + 1] = {};
  };

  // max_token_lifetime_ms: the authority's bound on tokens without exp.
  explicit ServerSim(ServerConfig config = default_server_config(), int64_t max_token_lifetime_ms = 0)
      : ServerSim(endpoint_config_of(std::move(config)), max_token_lifetime_ms) {}
  explicit ServerSim(EndpointConfig config, int64_t max_token_lifetime_ms = 0,
                     std::unique_ptr<Broker> broker = nullptr)
      : authority(kSecret, 0, 0, max_token_lifetime_ms),
        endpoint(std::move(config), authority, 42, std::move(broker)) {}

  // Opens a connection and authenticates it with a token for `user`.
  Client& auth(const std::string& user, std::vector<std::string> permissions,
               const std::string& resume_session = {}, uint64_t last_seq = 0) {
    return auth_with(make_token(user, std::move(permissions)), resume_session, last_seq);
  }
  // The same, offering binary frames (docs/PROTOCOL.md 5.1).
  Client& auth_binary(const std::string& user, std::vector<std::string> permissions) {
    return auth_with(make_token(user, std::move(permissions)), {}, 0, true);
  }
  Client& auth_with(const std::string& token, const std::string& resume_session = {}, uint64_t last_seq = 0,
                    bool offer_binary = false) {
    Client& c = open();
    std::string frame = R"({"type":"auth","token":")" + token + "\"";
    if (!resume_session.empty()) {
      frame += R"(,"session":")" + resume_session + R"(","lastSeq":)" + std::to_string(last_seq);
    }
    if (offer_binary) frame += R"(,"binary":true)";
    send(c, frame + "}");
    return c;
  }

  Client& open() {
    clients_.emplace_back();
    Client& c = clients_.back();
    c.id = ++next_connection_;
    endpoint.handle_open(c.id, now);
    flush();
    return c;
  }

  // The client's frame reaches the server; then everyone's output is flushed.
  void send(Client& c, std::string_view frame) {
    if (!c.closed) {
      endpoint.set_writable(c.id, c.reading);
      endpoint.handle_text(c.id, frame, now);
    }
    flush();
  }
  void send_binary(Client& c, std::string_view frame) {
    if (!c.closed) {
      endpoint.set_writable(c.id, c.reading);
      endpoint.handle_binary(c.id, frame, now);
    }
    flush();
  }

  // The client's connection drops (the session is parked for resume).
  void drop(Client& c) {
    if (!c.closed) {
      c.closed = true;
      endpoint.handle_closed(c.id, now);
    }
    flush();
  }

  // Whether the client's socket takes what the server writes.
  void set_reading(Client& c, bool reading) {
    c.reading = reading;
    endpoint.set_writable(c.id, reading);
    flush();
  }

  // Moves virtual time to `at`, firing every connection's deadline and
  // session expiry on the way, as a runtime's timers would.
  void advance_to(TimeMs at) {
    for (int guard = 0; guard < 10000; ++guard) {
      TimeMs next = endpoint.next_expiry();
      for (const Client& c : clients_) {
        if (!c.closed) next = std::min(next, endpoint.next_timeout(c.id));
      }
      if (next > at) break;
      fire(std::max(now, next));
    }
    fire(std::max(now, at));
  }
  void advance(TimeMs ms) { advance_to(now + ms); }

  // An application message through the endpoint (fan-out, or one session).
  bool publish(std::string_view channel, std::string_view data, bool reliable) {
    const bool ok = endpoint.publish(channel, data, reliable, now);
    flush();
    return ok;
  }
  bool send_to(const Client& c, std::string_view channel, std::string_view data, bool reliable) {
    const bool ok = endpoint.send_to_session(c.session_id, channel, data, reliable, now);
    flush();
    return ok;
  }

  // Routes events, then writes to every dirty connection that reads and
  // acts on closes: what src/server does at the end of a loop turn.
  void flush() {
    for (int guard = 0; guard < 100; ++guard) {
      route_events();
      ConnectionId id = 0;
      bool any = false;
      while (endpoint.poll_dirty(id)) {
        any = true;
        flush_connection(id);
      }
      if (!any) break;
    }
  }

  size_t count_events(EndpointEvent::Kind kind) const {
    return static_cast<size_t>(
        std::count_if(events.begin(), events.end(), [kind](const EndpointEvent& e) { return e.kind == kind; }));
  }

  Hs256Authority authority;
  ServerEndpoint endpoint;
  TimeMs now = kStart;
  std::vector<EndpointEvent> events;  // every event the endpoint reported, in order

 private:
  Client* client_of(ConnectionId id) {
    for (Client& c : clients_) {
      if (c.id == id) return &c;
    }
    return nullptr;
  }

  void fire(TimeMs at) {
    now = at;
    for (Client& c : clients_) {
      if (!c.closed) endpoint.handle_timeout(c.id, now);
    }
    endpoint.expire_sessions(now);
    flush();
  }

  void route_events() {
    EndpointEvent event;
    while (endpoint.poll_event(event)) {
      if (event.kind == EndpointEvent::Kind::Publish) {
        endpoint.publish(event.channel, event.data, event.reliable, now, event.payload);
      }
      events.push_back(std::move(event));
    }
  }

  void flush_connection(ConnectionId id) {
    Client* c = client_of(id);
    if (c == nullptr || c->closed) return;
    endpoint.set_writable(id, c->reading);
    std::string frame;
    FrameKind kind = FrameKind::Text;
    while (endpoint.poll_transmit(id, frame, kind, now)) {
      ++c->frames;
      c->largest_frame = std::max(c->largest_frame, frame.size());
      std::vector<DecodeIssue> issues;
      CodecLimits unlimited;
      unlimited.max_frame_bytes = frame.size();
      const size_t first_new = c->received.size();
      if (kind == FrameKind::Binary) {
        ++c->binary_frames;
        decode_binary_frame(frame, unlimited, c->received, issues);
      } else {
        decode_frame(frame, unlimited, c->received, issues);
      }
      for (size_t i = first_new; i < c->received.size(); ++i) {
        if (c->received[i].type != MessageType::AuthSuccess) continue;
        c->session_id = c->received[i].session;
      }
    }
    if (!c->session_id.empty()) {
      if (auto session = endpoint.find_session(c->session_id)) c->session = std::move(session);
    }
    TransportAction action;
    while (endpoint.poll_action(id, action)) {
      if (action.kind != TransportAction::Kind::Close) continue;
      c->closed = true;
      c->close_code = action.code;
      endpoint.handle_closed(id, now);
    }
  }

  std::deque<Client> clients_;
  ConnectionId next_connection_ = 0;
};

// {"channel":...,"data":...,"id":seq,"requireAck":true,"base":base}; seq 0 = unreliable.
inline std::string publish_frame(const std::string& channel, const std::string& data, uint64_t seq = 0,
                                 uint64_t base = 0) {
  Message m;
  m.channel = channel;
  m.data = data;
  m.id = seq;
  m.require_ack = seq != 0;
  m.base = base;
  std::string out;
  encode_message(m, out);
  return out;
}

inline std::string subscribe_frame(const std::string& channel) {
  Message m;
  m.type = MessageType::Subscribe;
  m.channel = channel;
  std::string out;
  encode_message(m, out);
  return out;
}

}  // namespace tether::test
