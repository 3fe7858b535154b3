#pragma once
// A game host on the C API for the cluster tests: one client whose `urls`
// list the nodes, pumped once per frame, booking what it was told.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "tether/tether.h"

namespace tether::cluster_test {

constexpr int64_t kHostDeadlineMs = 60000;

class CapiHost {
 public:
  // Connects at once; `adjust` changes the config before create.
  CapiHost(const std::vector<std::string>& urls, const std::string& token,
           const std::function<void(tether_config&)>& adjust = {})
      : urls_(urls), token_(token) {
    std::vector<const char*> list;
    for (const std::string& url : urls_) list.push_back(url.c_str());
    tether_config config;
    tether_config_init(&config);
    config.urls = list.data();
    config.url_count = static_cast<uint32_t>(list.size());
    config.token = token_.c_str();
    config.backoff_initial_ms = 50;
    config.backoff_max_ms = 250;
    config.backoff_max_attempts = 0;
    config.heartbeat_interval_ms = 600;
    config.heartbeat_timeout_ms = 500;
    config.log_level = TETHER_LOG_OFF;
    if (adjust) adjust(config);
    REQUIRE(tether_client_create(&config, &client) == TETHER_OK);
    REQUIRE(tether_client_connect(client) == TETHER_OK);
  }
  ~CapiHost() { tether_client_destroy(client); }
  CapiHost(const CapiHost&) = delete;
  CapiHost& operator=(const CapiHost&) = delete;

  void pump() {
    const int32_t n = tether_client_pump(client);
    for (int32_t i = 0; i < n; ++i) {
      const tether_event* e = tether_client_event(client, static_cast<uint32_t>(i));
      switch (e->type) {
        case TETHER_EVENT_MESSAGE:
          // Payloads here are [n, ...]: the number is what the tests follow.
          messages_[std::string(e->channel, e->channel_len)].push_back(std::strtol(e->data + 1, nullptr, 10));
          break;
        case TETHER_EVENT_STATE_CHANGED:
          if (e->state != TETHER_STATE_READY) break;
          ++readies;
          if (e->flags & TETHER_EVENT_FLAG_RESUMED) ++resumed_readies;
          break;
        case TETHER_EVENT_AUTH_OK:
          if (e->flags & TETHER_EVENT_FLAG_RECOVERED) ++recovered_auths;
          break;
        case TETHER_EVENT_ACK: ++acks; break;
        case TETHER_EVENT_SEND_FAILED: ++send_failures; break;
        case TETHER_EVENT_SUBSCRIBED: ++subscribed; break;
        case TETHER_EVENT_ERROR: ++errors[std::string(e->code, e->code_len)]; break;
        default: break;
      }
    }
  }
  // Pumps a frame at a time (1 ms apart) until `done`; false past the deadline.
  bool pump_until(const std::function<bool()>& done, int64_t timeout_ms = kHostDeadlineMs) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      pump();
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
  }
  std::vector<long> numbers(const std::string& channel) const {
    auto found = messages_.find(channel);
    return found == messages_.end() ? std::vector<long>() : found->second;
  }

  tether_client* client = nullptr;
  int readies = 0;
  int resumed_readies = 0;
  int recovered_auths = 0;  // AUTH_OK with FLAG_RECOVERED: taken over from another node
  int acks = 0;
  int send_failures = 0;
  int subscribed = 0;
  std::map<std::string, int> errors;  // ERROR events by code

 private:
  std::vector<std::string> urls_;
  std::string token_;
  std::map<std::string, std::vector<long>> messages_;
};

}  // namespace tether::cluster_test
