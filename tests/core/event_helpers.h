#pragma once
// Queries over the events a SimPair collected, for the session tests.
#include <algorithm>
#include <string>
#include <vector>

#include "sim_pair.h"

namespace tether::test {

inline size_t count_events(const SimPair& p, ClientEvent::Kind kind) {
  return static_cast<size_t>(std::count_if(p.client_events.begin(), p.client_events.end(),
                                           [&](const ClientEvent& e) { return e.kind == kind; }));
}

inline const ClientEvent* last_event(const SimPair& p, ClientEvent::Kind kind) {
  for (auto it = p.client_events.rbegin(); it != p.client_events.rend(); ++it) {
    if (it->kind == kind) return &*it;
  }
  return nullptr;
}

inline size_t count_states(const SimPair& p, ClientState state) {
  return static_cast<size_t>(std::count_if(p.client_events.begin(), p.client_events.end(), [&](const ClientEvent& e) {
    return e.kind == ClientEvent::Kind::StateChanged && e.state == state;
  }));
}

inline size_t count_server_events(const SimPair& p, ServerEvent::Kind kind) {
  return static_cast<size_t>(std::count_if(p.server_events.begin(), p.server_events.end(),
                                           [&](const ServerEvent& e) { return e.kind == kind; }));
}

// SendFailed events for `message_id`, with the outcome of the last one.
inline size_t count_failures(const SimPair& p, uint64_t message_id, SendOutcome* outcome = nullptr) {
  size_t n = 0;
  for (const ClientEvent& e : p.client_events) {
    if (e.kind != ClientEvent::Kind::SendFailed || e.message_id != message_id) continue;
    ++n;
    if (outcome) *outcome = e.outcome;
  }
  return n;
}

inline bool is_ready(const SimPair& p) { return p.client.state() == ClientState::Ready; }

// A JSON string payload of exactly `bytes` bytes.
inline std::string payload_of(size_t bytes) { return "\"" + std::string(bytes - 2, 'x') + "\""; }

}  // namespace tether::test
