#include "core/session_table.h"

#include <algorithm>
#include <cstdio>

namespace tether::core {

std::string SessionTable::new_session_id() {
  // 128 bits from the runtime-seeded generator. Guessing one is useless
  // anyway: a resume also needs a valid token for the same subject.
  if (id_source_) {
    for (;;) {
      std::string id = id_source_();
      if (!id.empty() && sessions_.count(id) == 0) return id;
    }
  }
  char text[33];
  for (;;) {
    std::snprintf(text, sizeof(text), "%016llx%016llx", static_cast<unsigned long long>(rng_.next_u64()),
                  static_cast<unsigned long long>(rng_.next_u64()));
    if (sessions_.count(text) == 0) return text;
  }
}

std::shared_ptr<SessionState> SessionTable::create(const ReliableConfig& reliable, uint32_t receive_window,
                                                   uint64_t connection) {
  auto state = std::make_shared<SessionState>(new_session_id(), reliable, receive_window);
  state->owner_connection = connection;
  sessions_.emplace(state->id, state);
  return state;
}

std::shared_ptr<SessionState> SessionTable::take_over(std::string_view id, std::string_view subject,
                                                      uint64_t connection) {
  auto it = sessions_.find(std::string(id));
  if (it == sessions_.end() || it->second->claims.subject != subject) return nullptr;
  SessionState& state = *it->second;
  if (state.owner_connection != 0 && state.owner_connection != connection) {
    replaced_.push_back(state.owner_connection);
  }
  state.owner_connection = connection;
  state.parked_until = kNever;
  return it->second;
}

void SessionTable::park(SessionState& state, TimeMs now, TimeMs ttl) {
  state.owner_connection = 0;
  state.parked_until = now + ttl;
}

void SessionTable::remove(std::string_view id) { sessions_.erase(std::string(id)); }

std::shared_ptr<SessionState> SessionTable::find(std::string_view id) const { return find(std::string(id)); }

std::shared_ptr<SessionState> SessionTable::find(const std::string& id) const {
  auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : it->second;
}

void SessionTable::expire(TimeMs now, std::vector<std::shared_ptr<SessionState>>& expired) {
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    if (it->second->owner_connection == 0 && now >= it->second->parked_until) {
      expired.push_back(it->second);
      it = sessions_.erase(it);
    } else {
      ++it;
    }
  }
}

TimeMs SessionTable::next_timeout() const {
  TimeMs next = kNever;
  for (const auto& entry : sessions_) {
    if (entry.second->owner_connection == 0) next = std::min(next, entry.second->parked_until);
  }
  return next;
}

std::vector<std::shared_ptr<SessionState>> SessionTable::all() const {
  std::vector<std::shared_ptr<SessionState>> out;
  out.reserve(sessions_.size());
  for (const auto& entry : sessions_) out.push_back(entry.second);
  return out;
}

bool SessionTable::adopt(std::shared_ptr<SessionState> state, TimeMs parked_until) {
  if (!state || state->id.empty() || sessions_.count(state->id) != 0) return false;
  state->owner_connection = 0;
  state->parked_until = parked_until;
  const std::string id = state->id;
  sessions_.emplace(id, std::move(state));
  return true;
}

bool SessionTable::poll_replaced(uint64_t& connection) {
  if (replaced_.empty()) return false;
  connection = replaced_.front();
  replaced_.pop_front();
  return true;
}

}  // namespace tether::core
