#pragma once
// The echo-through-fan-out workload through the C ABI, as an outside
// harness measures Tether: a tether_client publishes reliably on a channel
// it subscribes to, so each message comes back from the server's fan-out,
// and a send is complete when both its echo (MESSAGE) and its ACK have been
// pumped. Compared with the raw websocketpp echo in the same run.
#include <cstdint>
#include <string>

#include "measurement.h"
#include "tether/tether.h"

namespace tether::bench {

class CapiEchoDriver {
 public:
  CapiEchoDriver() = default;
  ~CapiEchoDriver();
  CapiEchoDriver(const CapiEchoDriver&) = delete;
  CapiEchoDriver& operator=(const CapiEchoDriver&) = delete;

  // Creates the client, connects to ws://127.0.0.1:port and subscribes.
  // `io_pump`: TETHER_IO_PUMP, the network work inside pump().
  bool connect(uint16_t port, const std::string& token, bool io_pump, std::string* error);
  // Sends payloads as bytes (tether_client_send_bytes, binary frames) instead of JSON.
  void set_binary(bool binary) { binary_ = binary; }

  // Keeps `window` sends incomplete; counts completed sends per second.
  bool run_throughput(const std::string& payload, uint32_t window, const PhaseLimits& limits,
                      ThroughputResult* result, std::string* error);
  // One send at a time; each sample is send -> echo and ack both pumped.
  bool run_pings(const std::string& payload, const PhaseLimits& limits, RttSamples* samples, std::string* error);

 private:
  enum class SendResult { Sent, QueueFull, Failed };
  // QueueFull is the library's backpressure (a window of large payloads can
  // outgrow the client's queue byte limit): pump, then send again.
  SendResult send(const std::string& payload, std::string* error);
  // One pump_events(); false (and *error) if a send failed or the link broke.
  bool pump(std::string* error);
  uint64_t completed() const { return echoes_ < acks_ ? echoes_ : acks_; }
  // Waits (pumping) until every send is complete, or kDrainTimeout.
  bool drain(std::string* error);

  tether_client* client_ = nullptr;
  bool binary_ = false;
  uint64_t sent_ = 0;
  uint64_t echoes_ = 0;
  uint64_t acks_ = 0;
};

}  // namespace tether::bench
