#pragma once
// A TCP fault proxy for tests (loopback only): it accepts on 127.0.0.1 with
// an ephemeral port and forwards every connection to an upstream port (the
// tether-server), byte for byte, until a test tells it to misbehave. Each
// accepted connection is a link with its own id; a fault hits one link or,
// with kAllLinks, every live one.
//
// The faults are the ways real networks fail that a simulated link does not:
// - reset: RST both ways (SO_LINGER 0, then close), as a crashed middlebox;
// - close_with_fin: FIN both ways (shutdown send), pending bytes discarded,
//   so a peer sees an orderly end in the middle of whatever it was sending;
// - blackhole: bytes in one or both directions vanish and nothing is closed,
//   as a dead NAT mapping or a pulled cable: only a heartbeat notices;
// - latency and throttle: every chunk waits, or the link runs at N bytes/s;
// - split_segments: the next N bytes each way go out one byte per write with
//   TCP_NODELAY, so a peer's parser sees frames arrive a byte at a time.
//
// Threads: the proxy runs its own io thread. Every public function may be
// called from any other thread; a fault is in effect when the call returns.
// Never call them from inside the proxy (there is no such callback).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace tether::chaos {

using LinkId = uint64_t;
inline constexpr LinkId kAllLinks = 0;  // ids of real links start at 1

enum class Direction : uint8_t { ToServer, ToClient, Both };

// How many times each fault was applied, one per link it hit.
struct FaultCounts {
  uint64_t reset = 0;
  uint64_t fin = 0;
  uint64_t blackhole = 0;
  uint64_t latency = 0;
  uint64_t throttle = 0;
  uint64_t segments = 0;
  uint64_t total() const { return reset + fin + blackhole + latency + throttle + segments; }
};

struct ProxyStats {
  uint64_t accepted = 0;         // connections accepted since start
  uint64_t upstream_refused = 0; // accepted, but the upstream could not be reached (reset)
  size_t open_links = 0;         // links whose sockets are still open, faulted or not
  int64_t link_objects = 0;      // links not yet freed (open ones, and closed ones whose handlers run)
  uint64_t bytes_forwarded = 0;  // both directions
  uint64_t bytes_blackholed = 0; // read and dropped by a black hole
};

class FaultProxy {
 public:
  // Forwards to 127.0.0.1:upstream_port; that port may be down for a while
  // (a server restart): links accepted meanwhile are reset.
  explicit FaultProxy(uint16_t upstream_port);
  ~FaultProxy();  // stops the io thread and drops every link at once
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  // Binds 127.0.0.1:0 and starts the io thread. False (and error()) if not.
  bool start();
  uint16_t port() const { return port_; }
  std::string url() const { return "ws://127.0.0.1:" + std::to_string(port_); }
  const std::string& error() const { return error_; }

  // Links that are open and not yet reset, closed or black-holed: the ones
  // a fault can still hurt. In accept order.
  std::vector<LinkId> healthy_links() const;

  // Each returns how many links it hit (0 for an unknown or finished link).
  size_t reset(LinkId link);
  size_t close_with_fin(LinkId link);
  size_t blackhole(LinkId link, Direction direction);
  size_t set_latency(LinkId link, int64_t latency_ms);             // 0 = none
  size_t set_throttle(LinkId link, uint64_t bytes_per_second);     // 0 = none
  size_t split_segments(LinkId link, size_t bytes_each_direction);

  // Latency, throttle and splitting off again (not counted as a fault).
  // Resets, FINs and black holes are not undone: those links are dead.
  void heal(LinkId link);

  FaultCounts counts() const;
  ProxyStats stats() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
  uint16_t port_ = 0;
  std::string error_;
};

}  // namespace tether::chaos
