#include "capi_echo.h"


namespace tether::bench {

namespace {

constexpr const char* kEchoChannel = "bench:echo";
constexpr std::chrono::seconds kConnectTimeout{10};

std::string last_error(tether_client* client) { return tether_client_last_error(client); }

}  // namespace

CapiEchoDriver::~CapiEchoDriver() {
  if (client_ != nullptr) tether_client_destroy(client_);
}

bool CapiEchoDriver::connect(uint16_t port, const std::string& token, bool io_pump, std::string* error) {
  const std::string url = "ws://127.0.0.1:" + std::to_string(port);
  tether_config config;
  tether_config_init(&config);
  config.io_mode = io_pump ? TETHER_IO_PUMP : TETHER_IO_THREAD;
  config.url = url.c_str();
  config.token = token.c_str();
  if (tether_client_create(&config, &client_) != TETHER_OK) {
    *error = "tether_client_create: " + std::string(tether_client_last_error(nullptr));
    return false;
  }
  if (tether_client_subscribe(client_, kEchoChannel) != TETHER_OK || tether_client_connect(client_) != TETHER_OK) {
    *error = "capi connect: " + last_error(client_);
    return false;
  }
  const Clock::time_point deadline = Clock::now() + kConnectTimeout;
  while (Clock::now() < deadline) {
    const tether_event* events = nullptr;
    const int32_t count = tether_client_pump_events(client_, &events);
    for (int32_t i = 0; i < count; ++i) {
      if (events[i].type == TETHER_EVENT_SUBSCRIBED) return true;
      if (events[i].type == TETHER_EVENT_AUTH_FAILED) {
        *error = std::string("capi auth failed: ") + events[i].code;
        return false;
      }
    }
  }
  *error = "capi client did not subscribe";
  return false;
}

CapiEchoDriver::SendResult CapiEchoDriver::send(const std::string& payload, std::string* error) {
  uint64_t message_id = 0;
  const int32_t result =
      binary_ ? tether_client_send_bytes(client_, kEchoChannel, payload.data(), payload.size(), TETHER_SEND_RELIABLE,
                                         &message_id)
              : tether_client_send(client_, kEchoChannel, payload.data(), payload.size(), TETHER_SEND_RELIABLE,
                                   &message_id);
  if (result == TETHER_ERROR_QUEUE_FULL) return SendResult::QueueFull;
  if (result != TETHER_OK) {
    *error = std::string(binary_ ? "tether_client_send_bytes: " : "tether_client_send: ") + last_error(client_);
    return SendResult::Failed;
  }
  ++sent_;
  return SendResult::Sent;
}

bool CapiEchoDriver::pump(std::string* error) {
  const tether_event* events = nullptr;
  const int32_t count = tether_client_pump_events(client_, &events);
  for (int32_t i = 0; i < count; ++i) {
    const tether_event& e = events[i];
    if (e.type == TETHER_EVENT_MESSAGE) {
      ++echoes_;
    } else if (e.type == TETHER_EVENT_ACK) {
      ++acks_;
    } else if (e.type == TETHER_EVENT_SEND_FAILED) {
      *error = "capi send failed, outcome " + std::to_string(e.outcome);
      return false;
    }
  }
  return true;
}

bool CapiEchoDriver::drain(std::string* error) {
  const Clock::time_point deadline = Clock::now() + kDrainTimeout;
  while (completed() < sent_) {
    if (!pump(error)) return false;
    if (Clock::now() > deadline) {
      *error = "capi: " + std::to_string(sent_ - completed()) + " sends incomplete after the drain timeout";
      return false;
    }
  }
  return true;
}

bool CapiEchoDriver::run_throughput(const std::string& payload, uint32_t window, const PhaseLimits& limits,
                                    ThroughputResult* result, std::string* error) {
  *result = {};
  const uint64_t first = completed();
  const Clock::time_point started = Clock::now();
  const double cpu_started = process_cpu_seconds();
  const Clock::time_point deadline = started + limits.max_duration;
  for (;;) {
    const Clock::time_point now = Clock::now();
    const uint64_t done = completed() - first;
    if (done >= limits.max_messages || now >= deadline) {
      result->messages = done;
      result->seconds = std::chrono::duration<double>(now - started).count();
      result->cpu_seconds = process_cpu_seconds() - cpu_started;
      return drain(error);
    }
    // A tight loop, as a game's may be: pump_events() yields when it sees one.
    while (sent_ - completed() < window && sent_ - first < limits.max_messages) {
      const SendResult sent = send(payload, error);
      if (sent == SendResult::Failed) return false;
      if (sent == SendResult::QueueFull) break;
    }
    if (!pump(error)) return false;
  }
}

bool CapiEchoDriver::run_pings(const std::string& payload, const PhaseLimits& limits, RttSamples* samples,
                               std::string* error) {
  const size_t wanted = samples->microseconds.size() + limits.max_messages;
  samples->microseconds.reserve(wanted);
  const Clock::time_point deadline = Clock::now() + limits.max_duration;
  while (samples->microseconds.size() < wanted && Clock::now() < deadline) {
    const Clock::time_point sent_at = Clock::now();
    if (send(payload, error) != SendResult::Sent) {  // one at a time: the queue cannot be full
      if (error->empty()) *error = "capi: queue_full with nothing outstanding";
      return false;
    }
    while (completed() < sent_) {
      if (!pump(error)) return false;
      if (Clock::now() - sent_at > kDrainTimeout) {
        *error = "capi: no echo and ack within the drain timeout";
        return false;
      }
    }
    samples->microseconds.push_back(microseconds_between(sent_at, Clock::now()));
  }
  return true;
}

}  // namespace tether::bench
