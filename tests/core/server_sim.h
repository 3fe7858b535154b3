#pragma once
// Many hand-driven connections to ServerSessions sharing one SessionTable,
// with the fan-out a runtime does (a Publish event is queued on every
// session subscribed to its channel, parked ones included), in virtual time.
// Clients are raw: tests feed them JSON text, so they can send what no
// conforming client would, and read back every message the server sent.
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sim_pair.h"

namespace tether::test {

class ServerSim {
 public:
  struct Client {
    std::unique_ptr<ServerSession> session;
    std::vector<Message> received;   // every message of every frame, in order
    size_t largest_frame = 0;        // bytes of the largest frame sent to it
    bool closed = false;             // the server closed it (or the test did)
    uint16_t close_code = 0;

    const std::shared_ptr<SessionState>& state() const { return session->state(); }
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
      : config(std::move(config)), authority(kSecret, 0, 0, max_token_lifetime_ms), table(42) {}

  // Opens a connection and authenticates it with a token for `user`.
  Client& auth(const std::string& user, std::vector<std::string> permissions,
               const std::string& resume_session = {}, uint64_t last_seq = 0) {
    return auth_with(make_token(user, std::move(permissions)), resume_session, last_seq);
  }
  Client& auth_with(const std::string& token, const std::string& resume_session = {}, uint64_t last_seq = 0) {
    Client& c = open();
    std::string frame = R"({"type":"auth","token":")" + token + "\"";
    if (!resume_session.empty()) {
      frame += R"(,"session":")" + resume_session + R"(","lastSeq":)" + std::to_string(last_seq);
    }
    send(c, frame + "}");
    return c;
  }

  Client& open() {
    clients_.emplace_back();
    Client& c = clients_.back();
    c.session = std::make_unique<ServerSession>(config, authority, table, ++next_connection_);
    c.session->handle_open(now);
    return c;
  }

  // The client's frame reaches its server session; then everyone's output is flushed.
  void send(Client& c, std::string_view frame) {
    if (!c.closed) c.session->handle_text(frame, now);
    flush();
  }

  // The client's connection drops (the session is parked for resume).
  void drop(Client& c) {
    if (!c.closed) {
      c.closed = true;
      c.session->handle_closed(now);
    }
    flush();
  }

  void flush() {
    for (int guard = 0; guard < 100 && route_events(); ++guard) {
    }
    for (Client& c : clients_) {
      if (c.closed) continue;
      std::string frame;
      while (c.session->poll_transmit(frame, now)) {
        c.largest_frame = std::max(c.largest_frame, frame.size());
        std::vector<DecodeIssue> issues;
        CodecLimits unlimited;
        unlimited.max_frame_bytes = frame.size();
        decode_frame(frame, unlimited, c.received, issues);
      }
      TransportAction action;
      while (c.session->poll_action(action)) {
        if (action.kind != TransportAction::Kind::Close) continue;
        c.closed = true;
        c.close_code = action.code;
        c.session->handle_closed(now);
      }
    }
  }

  ServerConfig config;
  Hs256Authority authority;
  SessionTable table;
  TimeMs now = kStart;
  std::vector<ServerEvent> events;  // from every session, in order

 private:
  bool route_events() {
    bool any = false;
    for (Client& c : clients_) {
      ServerEvent event;
      while (c.session->poll_event(event)) {
        any = true;
        if (event.kind == ServerEvent::Kind::Publish) fan_out(event);
        events.push_back(std::move(event));
      }
    }
    return any;
  }

  void fan_out(const ServerEvent& event) {
    for (const std::shared_ptr<SessionState>& state : table.all()) {
      if (state->subscriptions.count(event.channel) == 0) continue;
      state->enqueue(event.channel, event.data, event.reliable, now + kWallOffset);
    }
  }

  std::deque<Client> clients_;
  uint64_t next_connection_ = 0;
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
