#pragma once
// Drives a client Engine from a test's thread the way a game does: pump once
// per "frame", keep copies of the events, wait for conditions with deadlines.
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "client/engine.h"

namespace tether::test {

using client::Engine;
using client::EngineConfig;
using client::EngineEvent;
using core::ClientEvent;
using core::ClientState;

// Generous: CI machines are slow and shared.
constexpr int64_t kWaitMs = 20000;

inline EngineConfig engine_config(const std::string& url, const std::string& token) {
  EngineConfig config;
  config.urls = {url};
  config.session.token = token;
  config.session.backoff.initial_delay_ms = 50;
  config.session.backoff.max_delay_ms = 500;
  config.session.backoff.max_attempts = 0;
  config.session.heartbeat.interval_ms = 1000;
  config.session.heartbeat.timeout_ms = 900;  // generous: CI machines stall
  config.session.reliable.ack_timeout_ms = 2000;
  config.log_level = client::LogLevel::Off;
  config.seed = 7;
  return config;
}

class EngineDriver {
 public:
  explicit EngineDriver(EngineConfig config) {
    std::string error;
    engine = Engine::create(std::move(config), &error);
    create_error = error;
  }

  // One frame: drain the engine and keep copies of what came out.
  size_t pump() {
    const size_t n = engine->pump();
    for (size_t i = 0; i < n; ++i) events.push_back(engine->event(i));
    return n;
  }

  bool wait(const std::function<bool()>& done, int64_t timeout_ms = kWaitMs) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
      pump();
      if (done()) return true;
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));  // a 500 fps game loop
    }
  }

  size_t count(ClientEvent::Kind kind, EngineEvent::Kind engine_kind = EngineEvent::Kind::Session) const {
    size_t n = 0;
    for (const auto& e : events) n += (e.kind == engine_kind && e.session.kind == kind) ? 1 : 0;
    return n;
  }
  size_t count_state(ClientState state) const {
    size_t n = 0;
    for (const auto& e : events) {
      n += (e.kind == EngineEvent::Kind::Session && e.session.kind == ClientEvent::Kind::StateChanged &&
            e.session.state == state)
               ? 1
               : 0;
    }
    return n;
  }
  const EngineEvent* last(ClientEvent::Kind kind, EngineEvent::Kind engine_kind = EngineEvent::Kind::Session) const {
    for (auto it = events.rbegin(); it != events.rend(); ++it) {
      if (it->kind == engine_kind && it->session.kind == kind) return &*it;
    }
    return nullptr;
  }
  bool ready() const { return engine->pool_stats().state == ClientState::Ready; }
  bool all_ready() const {
    for (uint32_t i = 0; i < engine->pool_size(); ++i) {
      if (engine->connection_stats(i).state != ClientState::Ready) return false;
    }
    return true;
  }
  std::vector<std::string> messages(const std::string& channel) const {
    std::vector<std::string> out;
    for (const auto& e : events) {
      if (e.kind == EngineEvent::Kind::Session && e.session.kind == ClientEvent::Kind::Message &&
          e.session.channel == channel) {
        out.push_back(e.session.data);
      }
    }
    return out;
  }

  std::unique_ptr<Engine> engine;
  std::string create_error;
  std::vector<EngineEvent> events;
};

}  // namespace tether::test
