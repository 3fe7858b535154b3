#pragma once
// The baseline: a plain websocketpp echo server and client, each on its own
// thread, with no protocol on top. What Tether adds (JSON envelopes, acks,
// the engine's threads) is measured against this.
#include <cstdint>
#include <memory>
#include <string>

#include "measurement.h"

namespace tether::bench {

class RawEchoServer {
 public:
  RawEchoServer();
  ~RawEchoServer();  // stops the thread
  RawEchoServer(const RawEchoServer&) = delete;
  RawEchoServer& operator=(const RawEchoServer&) = delete;

  // Listens on 127.0.0.1 with an ephemeral port and starts serving.
  bool start(std::string* error);
  uint16_t port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Phases run on the client's own thread (posted to it): each echo is handled
// where it arrives, as a native websocketpp application would.
class RawEchoClient {
 public:
  RawEchoClient();
  ~RawEchoClient();  // stops the thread
  RawEchoClient(const RawEchoClient&) = delete;
  RawEchoClient& operator=(const RawEchoClient&) = delete;

  // Connects to ws://127.0.0.1:port and waits until the connection is open.
  bool connect(uint16_t port, std::string* error);

  // Keeps `window` messages outstanding; each echo counts as an ack.
  bool run_throughput(const std::string& payload, uint32_t window, const PhaseLimits& limits,
                      ThroughputResult* result, std::string* error);
  // One message at a time; each sample (send -> echo received) is appended.
  bool run_pings(const std::string& payload, const PhaseLimits& limits, RttSamples* samples,
                 std::string* error);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tether::bench
