#pragma once
// All server sessions by id: attached ones and parked ones awaiting resume.
// A resume takes over a session even if a stale connection still holds it
// (the client noticed the drop first); that connection is reported so the
// runtime can close it with 4005.
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/rng.h"
#include "core/session_state.h"

namespace tether::core {

class SessionTable {
 public:
  // Ids from a seeded generator: fine for tests, guessable in production.
  explicit SessionTable(uint64_t id_seed) : rng_(id_seed) {}
  // Ids from the runtime's secure random source (the core has none of its own).
  explicit SessionTable(std::function<std::string()> id_source) : rng_(0), id_source_(std::move(id_source)) {}

  std::shared_ptr<SessionState> create(const ReliableConfig& reliable, uint32_t receive_window,
                                       uint64_t connection);
  // The session `id` if it exists and belongs to `subject`; it becomes
  // attached to `connection`. Null otherwise (unknown, expired, other user).
  std::shared_ptr<SessionState> take_over(std::string_view id, std::string_view subject,
                                          uint64_t connection);
  // The connection left; keep the session for `ttl` so the client can resume.
  void park(SessionState& state, TimeMs now, TimeMs ttl);
  void remove(std::string_view id);
  std::shared_ptr<SessionState> find(std::string_view id) const;
  std::shared_ptr<SessionState> find(const std::string& id) const;  // without a copy of the key

  // Drops parked sessions whose time is up; they are returned so the
  // runtime can unsubscribe them and fail their pending messages.
  void expire(TimeMs now, std::vector<std::shared_ptr<SessionState>>& expired);
  TimeMs next_timeout() const;

  // Connections displaced by take_over(), to be closed with 4005.
  bool poll_replaced(uint64_t& connection);

  size_t size() const { return sessions_.size(); }
  std::vector<std::shared_ptr<SessionState>> all() const;
  // Adds a session restored from a snapshot, parked until `parked_until`.
  // False if the id is taken.
  bool adopt(std::shared_ptr<SessionState> state, TimeMs parked_until);

 private:
  std::string new_session_id();

  SeededRng rng_;
  std::function<std::string()> id_source_;
  std::unordered_map<std::string, std::shared_ptr<SessionState>> sessions_;
  std::deque<uint64_t> replaced_;
};

}  // namespace tether::core
