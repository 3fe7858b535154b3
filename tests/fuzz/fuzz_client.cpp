// The client session fed arbitrary server frames, in virtual time, with
// the host's commands mixed in so acks, refusals and resumes have something
// to act on. The transport opens at once whenever the session asks for a
// connection.
//
// Input: the first byte's bits pick the setup:
//   1  before connecting, queue two reliable sends, one unreliable, a subscribe
//   2  a token that expires two minutes in (refresh traffic)
//   4  our own frames limited to 1024 bytes and batches of 2
// then a script (harness.h) with these lines:
//   !CODE      the connection closes with CODE, seen by the transport as
//   !L/!R/!T   initiated Locally, by the Remote or by the Transport (!R1001)
//   +pub +pubu a reliable / unreliable send on room:7   +big  one of 2000 bytes
//   +bin +binu a reliable / unreliable binary send on room:7
//   %BYTES     the rest of the line arrives as a binary frame
//   +sub +unsub  (room:7)   +pause +resume (inbound)   +token (set_token)
//   +now (reconnect_now)    +close   +connect
// Checked: every frame the client sends decodes cleanly, and every reliable
// send resolves exactly once (at the latest when the host closes).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include "core/client_session.h"
#include "harness.h"

using namespace tether::fuzz;

namespace {

ClientConfig fuzz_config(uint8_t setup) {
  ClientConfig config;
  config.token = (setup & 2) != 0 ? Tokens::get().expiring : Tokens::get().alice;
  config.wall_clock_offset_ms = kWallOffset;
  config.backoff.initial_delay_ms = 100;
  config.backoff.max_delay_ms = 2000;
  config.backoff.max_attempts = 4;  // GaveUp is reachable
  config.heartbeat.interval_ms = 1000;
  config.heartbeat.timeout_ms = 500;
  config.reliable.ack_timeout_ms = 400;
  config.reliable.max_retries = 3;
  config.reliable.queue_max_messages = 8;  // QueueFull is reachable
  config.receive_window = 16;
  if ((setup & 4) != 0) {
    config.limits.max_frame_bytes = 1024;
    config.limits.max_batch = 2;
  }
  FUZZ_CHECK(validate(config) == nullptr, "the harness's client config is invalid");
  return config;
}

class ClientHarness {
 public:
  explicit ClientHarness(uint8_t setup) : session_(fuzz_config(setup), 7) {
    if ((setup & 1) != 0) {
      send(true);
      send(true);
      send(false);
      session_.subscribe("room:7", now_);
    }
    session_.connect(now_);
    flush();
  }

  void run(std::string_view script) {
    for (std::string_view line : lines_of(script)) {
      if (line[0] == '@') {
        advance(parse_advance(line));
      } else if (line[0] == '!') {
        transport_closed(line.substr(1));
      } else if (line[0] == '+') {
        command(line.substr(1));
      } else if (line[0] == '%') {
        session_.handle_binary(line.substr(1), now_);
      } else {
        session_.handle_text(expand(line), now_);
      }
      flush();
    }
    for (int i = 0; i < 8; ++i) advance(-1);
    // Host close resolves whatever is still pending, exactly once.
    session_.close(now_);
    flush();
    FUZZ_CHECK(unresolved_.empty(), "a reliable send never resolved");
  }

 private:
  void send(bool reliable, size_t padding = 0, PayloadKind payload = PayloadKind::Json) {
    const uint64_t id = next_message_id_++;
    const std::string data = R"({"n":)" + std::to_string(id) + R"(,"pad":")" + std::string(padding, 'x') + "\"}";
    if (session_.send("room:7", data, reliable, id, now_, payload) == SendStatus::Ok && reliable) {
      unresolved_.insert(id);
    }
  }

  void command(std::string_view name) {
    if (name == "pub") send(true);
    else if (name == "pubu") send(false);
    else if (name == "big") send(true, 2000);
    else if (name == "bin") send(true, 0, PayloadKind::Binary);
    else if (name == "binu") send(false, 0, PayloadKind::Binary);
    else if (name == "sub") session_.subscribe("room:7", now_);
    else if (name == "unsub") session_.unsubscribe("room:7", now_);
    else if (name == "pause") session_.set_inbound_paused(true);
    else if (name == "resume") session_.set_inbound_paused(false);
    else if (name == "token") session_.set_token(Tokens::get().alice, now_);
    else if (name == "now") session_.reconnect_now(now_);
    else if (name == "close") session_.close(now_);
    else if (name == "connect") session_.connect(now_);
  }

  // "!1006", "!R4001", "!L1009": the transport reports the connection ended.
  void transport_closed(std::string_view spec) {
    if (!transport_open_) return;
    std::optional<CloseInitiator> initiator;
    if (!spec.empty() && (spec[0] == 'L' || spec[0] == 'R' || spec[0] == 'T')) {
      initiator = spec[0] == 'L' ? CloseInitiator::Local
                  : spec[0] == 'R' ? CloseInitiator::Remote
                                   : CloseInitiator::Transport;
      spec.remove_prefix(1);
    }
    uint32_t code = 0;
    for (char c : spec.substr(0, 5)) {
      if (c < '0' || c > '9') break;
      code = code * 10 + static_cast<uint32_t>(c - '0');
    }
    transport_open_ = false;
    session_.handle_closed(static_cast<uint16_t>(code), "fuzz", now_, initiator);
  }

  void advance(TimeMs ms) {
    const TimeMs target = ms < 0 ? session_.next_timeout() : add_saturating(now_, ms);
    if (target == kNever) return;
    for (int guard = 0; guard < 64 && session_.next_timeout() <= target; ++guard) {
      fire(std::max(now_, session_.next_timeout()));
    }
    fire(std::max(now_, target));
  }

  void fire(TimeMs now) {
    now_ = now;
    session_.handle_timeout(now_);
    flush();
  }

  // Drains every output until the session is quiet; a Connect opens at once.
  void flush() {
    for (int guard = 0; guard < 16; ++guard) {
      bool any = false;
      TransportAction action;
      while (session_.poll_action(action)) {
        any = true;
        if (action.kind == TransportAction::Kind::Close) {
          transport_open_ = false;
        } else if (!transport_open_) {
          transport_open_ = true;
          session_.handle_open(now_);
        }
      }
      std::string frame;
      FrameKind kind = FrameKind::Text;
      while (session_.poll_transmit(frame, kind)) {
        any = true;
        check_sent_frame(frame, kind);
      }
      ClientEvent event;
      while (session_.poll_event(event)) {
        any = true;
        if (event.kind == ClientEvent::Kind::Acked || event.kind == ClientEvent::Kind::SendFailed) {
          FUZZ_CHECK(unresolved_.erase(event.message_id) == 1, "a reliable send resolved twice, or was never sent");
        }
      }
      if (!any) return;
    }
  }

  ClientSession session_;
  TimeMs now_ = kStart;
  bool transport_open_ = false;
  uint64_t next_message_id_ = 1;
  std::set<uint64_t> unresolved_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  ClientHarness harness(data[0]);
  harness.run(std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
  return 0;
}
