#pragma once
// The client engine: a pool of ClientSessions driven over websocketpp by one
// internal io thread. Heartbeats, acks and reconnects run there whatever the
// host's frame rate; the host sees results only through pump().
//
// Threads: every public method may be called from any thread. Session state
// sits behind one mutex; events cross to the host through a double buffer
// that pump() swaps, so pump() itself never allocates.
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "client/engine_types.h"

namespace tether::client {

class Engine {
 public:
  // Starts the io thread. Null (and *error set) for an invalid config.
  static std::unique_ptr<Engine> create(EngineConfig config, std::string* error);
  // Quick from any state: drops connections without handshakes and joins the thread.
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // For a process that exits with this engine alive: ends the io thread (a
  // lock-free stop, then a join), leaving the rest to the OS; later calls
  // find a halted engine. Called from an exit handler registered after
  // construct_process_state(), so what the thread uses is still alive.
  void halt_for_exit() noexcept;
  static void construct_process_state() noexcept;

  void connect();
  void close();
  void reconnect_now();
  // False (nothing changes) for a token that is not UTF-8.
  bool set_token(std::string token);

  // `message_id` receives the id reported in Acked/SendFailed (reliable) or
  // 0 (unreliable). The payload (JSON text, or bytes for Binary) is copied
  // before returning.
  core::SendStatus send(std::string_view channel, std::string_view data, bool reliable, uint64_t* message_id,
                        core::PayloadKind payload = core::PayloadKind::Json);
  core::SendStatus subscribe(std::string_view channel);
  core::SendStatus unsubscribe(std::string_view channel);

  // Makes the events produced since the previous pump() readable and returns
  // how many there are. Pointers into earlier events become invalid.
  size_t pump();
  const EngineEvent& event(size_t index) const;
  // Backpressure and buffer memory. Thread safety: the pumping thread.
  PendingEventStats pending_event_stats() const;

  uint32_t pool_size() const;
  ConnectionStats connection_stats(uint32_t index) const;
  ConnectionStats pool_stats() const;

  void set_simulation(const NetworkSimulation& simulation);
  // Drops one connection (index) or all (-1) as a network failure would.
  void simulate_cut(int32_t index);

  void set_log_level(LogLevel level);

 private:
  class Impl;
  explicit Engine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tether::client
