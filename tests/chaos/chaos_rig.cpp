#include "chaos_rig.h"

#include <catch2/catch.hpp>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "tokens.h"

namespace tether::chaos {

namespace {

constexpr size_t kPeers = 2;

std::string complaints_of(const ChaosPeer& peer) {
  std::string text;
  for (const auto& entry : peer.complaints()) text += " " + entry.first + "=" + std::to_string(entry.second);
  return text.empty() ? " none" : text;
}

std::string sessions_of(const ChaosPeer& peer) {
  std::string text;
  for (const ConnectionHistory& c : peer.connections()) {
    text += " [ready=" + std::to_string(c.ready_count) + " resumed=" + std::to_string(c.resumed_count) +
            " lost=" + std::to_string(c.session_lost_steps.size()) + "]";
  }
  return text;
}

}  // namespace

uint64_t env_or(const char* name, uint64_t fallback) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return fallback;
  uint64_t value = 0;
  const auto parsed = std::from_chars(text, text + std::strlen(text), value);
  return parsed.ec == std::errc() && *parsed.ptr == '\0' ? value : fallback;
}

ChaosRig::ChaosRig(const ExchangeOptions& options, std::vector<std::string> server_args)
    : channels_(options.channels) {
  std::vector<std::string> args = {"--jwt-secret", test_support::kTestSecret};
  args.insert(args.end(), server_args.begin(), server_args.end());
  server_ = std::make_unique<test_support::ServerProcess>(test_support::kServerBinary, std::move(args));
  const bool server_started = server_->start();
  INFO(server_->error());
  REQUIRE(server_started);
  proxy_ = std::make_unique<FaultProxy>(server_->port());
  const bool proxy_started = proxy_->start();
  INFO(proxy_->error());
  REQUIRE(proxy_started);

  PeerOptions alice;
  alice.index = 0;
  alice.peers = kPeers;
  alice.channels = options.channels;
  alice.url = proxy_->url();
  alice.token = test_support::mint_token("alice");
  alice.pool_size = 3;
  alice.seed = options.seed * 2 + 1;
  PeerOptions bob = alice;
  bob.index = 1;
  bob.token = test_support::mint_token("bob");
  bob.pool_size = 4;
  bob.seed = options.seed * 2 + 2;
#ifdef TETHER_SANITIZED_BUILD
  // Pongs come back slower from sanitized peers and server; a false alarm
  // costs a reconnect, which is harmless, but not every second.
  for (PeerOptions* peer : {&alice, &bob}) {
    peer->heartbeat_interval_ms = 1000;
    peer->heartbeat_timeout_ms = 900;
  }
#endif
  alice_ = std::make_unique<ChaosPeer>(alice);
  bob_ = std::make_unique<ChaosPeer>(bob);
  exchange_ = std::make_unique<Exchange>(options, std::vector<ChaosPeer*>{alice_.get(), bob_.get()});
}

void ChaosRig::connect_and_start() {
  alice_->connect();
  bob_->connect();
  auto subscribed = [this] {
    for (const ChaosPeer* peer : {alice_.get(), bob_.get()}) {
      const size_t other = 1 - peer->index();
      for (size_t channel = 0; channel < channels_; ++channel) {
        if (peer->subscribed_steps(other, channel).empty()) return false;
      }
    }
    return true;
  };
  const bool ready = exchange_->run_until(subscribed, kSetupDeadlineMs);
  INFO(describe());
  REQUIRE(ready);
  exchange_->start_sending();
}

std::string ChaosRig::describe() const {
  const ProxyStats proxy = proxy_->stats();
  return "alice: transport_errors=" + std::to_string(alice_->transport_errors()) +
         " complaints:" + complaints_of(*alice_) + " sessions:" + sessions_of(*alice_) +
         "\nbob: transport_errors=" + std::to_string(bob_->transport_errors()) + " complaints:" + complaints_of(*bob_) +
         " sessions:" + sessions_of(*bob_) + "\nproxy: accepted=" + std::to_string(proxy.accepted) +
         " open=" + std::to_string(proxy.open_links) + " refused_upstream=" + std::to_string(proxy.upstream_refused) +
         " forwarded=" + std::to_string(proxy.bytes_forwarded) + " blackholed=" + std::to_string(proxy.bytes_blackholed) +
         "\nexchange: sent=" + std::to_string(exchange_->sent()) +
         " send_errors=" + std::to_string(exchange_->send_errors()) + " " + exchange_->last_send_error();
}

}  // namespace tether::chaos
