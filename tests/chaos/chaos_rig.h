#pragma once
// The end-to-end setup every chaos test shares: the real tether-server
// (ephemeral port, test JWT secret), the fault proxy in front of it, and two
// peers on the C API whose pools connect only through the proxy:
//
//   alice (pool 3) and bob (pool 4) -> fault proxy -> tether-server,
//   which fans each one's messages out to the other.
//
// Sizes come from the environment when set, so scripts/chaos.sh can run a
// longer variant of the same tests.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "chaos_peer.h"
#include "exchange.h"
#include "fault_proxy.h"
#include "server_process.h"

namespace tether::chaos {

// The unsigned integer in environment variable `name`, else `fallback`.
uint64_t env_or(const char* name, uint64_t fallback);

// Generous: a healthy run takes a fraction of it; only a failure waits it out.
constexpr int64_t kSetupDeadlineMs = 30000;

class ChaosRig {
 public:
  // Starts the server (with `server_args` beyond the secret) and the proxy;
  // REQUIREs both. The peers are created but not connected.
  explicit ChaosRig(const ExchangeOptions& options, std::vector<std::string> server_args = {});

  // Connects both peers and waits until every subscription is confirmed,
  // then lets the exchange send.
  void connect_and_start();

  // Counters worth reading when a check fails.
  std::string describe() const;

  test_support::ServerProcess& server() { return *server_; }
  FaultProxy& proxy() { return *proxy_; }
  ChaosPeer& alice() { return *alice_; }
  ChaosPeer& bob() { return *bob_; }
  Exchange& exchange() { return *exchange_; }

 private:
  size_t channels_;
  std::unique_ptr<test_support::ServerProcess> server_;
  std::unique_ptr<FaultProxy> proxy_;
  std::unique_ptr<ChaosPeer> alice_;
  std::unique_ptr<ChaosPeer> bob_;
  std::unique_ptr<Exchange> exchange_;
};

}  // namespace tether::chaos
