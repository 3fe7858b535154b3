#include "raw_echo.h"

#include <cstdio>
#include <future>
#include <random>
#include <atomic>
#include <thread>
#include <utility>

#include <websocketpp/client.hpp>
#include <websocketpp/config/asio_no_tls.hpp>
#include <websocketpp/config/asio_no_tls_client.hpp>
#include <websocketpp/server.hpp>

#include "pinning.h"

namespace tether::bench {

namespace {

// Client masking keys from a generator seeded once. websocketpp's default
// draws std::random_device per frame, which on some hosts (AMD EPYC guests:
// RDSEED runs dry under load, ~23 us a call) would make the baseline measure
// the CPU's entropy source instead of websocketpp: 42k msgs/s at any size.
class SeededMaskGenerator {
 public:
  uint32_t operator()() { return engine_(); }

 private:
  std::mt19937 engine_{std::random_device{}()};
};

// Stock asio_client in every other respect.
struct BaselineClientConfig : websocketpp::config::asio_client {
  using type = BaselineClientConfig;
  using rng_type = SeededMaskGenerator;
};

using EchoEndpoint = websocketpp::server<websocketpp::config::asio>;
using DriverEndpoint = websocketpp::client<BaselineClientConfig>;
using websocketpp::connection_hdl;

template <typename Endpoint>
void silence_logs(Endpoint& endpoint) {
  endpoint.clear_access_channels(websocketpp::log::alevel::all);
  endpoint.clear_error_channels(websocketpp::log::elevel::all);
}

// Small frames must leave at once; Tether's transport sets the same option.
template <typename Endpoint>
void disable_nagle(Endpoint& endpoint, connection_hdl handle) {
  websocketpp::lib::error_code error;
  auto connection = endpoint.get_con_from_hdl(handle, error);
  if (error) return;
  asio::error_code ignored;
  connection->get_raw_socket().set_option(asio::ip::tcp::no_delay(true), ignored);
}

// An exception escaping run() would terminate the process; report it instead.
template <typename Endpoint>
void run_endpoint(Endpoint& endpoint, const char* who) {
  try {
    endpoint.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s thread stopped: %s\n", who, e.what());
  }
}

// During its own phases the baseline client polls in a loop, yielding when
// idle, as Tether's host loop pumps: a thread that sleeps in epoll wakes up
// more slowly, which would flatter Tether's round trips. Between them (while
// Tether's turn runs) it sleeps in epoll: spinning then took CPU time from
// the workload being measured, on a 2-core machine a large share.
template <typename Endpoint>
void run_endpoint_polling(Endpoint& endpoint, const std::atomic<bool>& phase_running, const char* who) {
  try {
    while (!endpoint.stopped()) {
      if (!phase_running.load(std::memory_order_acquire)) {
        endpoint.run_one();  // returns once a handler ran (the next phase's start) or on stop()
        continue;
      }
      if (endpoint.poll() == 0) std::this_thread::yield();
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s thread stopped: %s\n", who, e.what());
  }
}

// Longest a caller waits for a phase: its own limit plus the drain.
std::chrono::milliseconds phase_wait(const PhaseLimits& limits) {
  return limits.max_duration + kDrainTimeout + std::chrono::seconds(1);
}

}  // namespace

// ---- RawEchoServer -----------------------------------------------------------

struct RawEchoServer::Impl {
  EchoEndpoint endpoint;
  std::thread thread;
  uint16_t port = 0;

  ~Impl() {
    endpoint.stop();
    if (thread.joinable()) thread.join();
  }
};

RawEchoServer::RawEchoServer() : impl_(std::make_unique<Impl>()) {}
RawEchoServer::~RawEchoServer() = default;

uint16_t RawEchoServer::port() const { return impl_->port; }

bool RawEchoServer::start(std::string* error) {
  EchoEndpoint& endpoint = impl_->endpoint;
  silence_logs(endpoint);
  websocketpp::lib::error_code failure;
  endpoint.init_asio(failure);
  if (failure) {
    *error = "baseline server init: " + failure.message();
    return false;
  }
  endpoint.set_tcp_post_init_handler([&endpoint](connection_hdl handle) { disable_nagle(endpoint, handle); });
  endpoint.set_message_handler([&endpoint](connection_hdl handle, EchoEndpoint::message_ptr message) {
    websocketpp::lib::error_code ignored;
    endpoint.send(handle, message->get_payload(), message->get_opcode(), ignored);
  });
  endpoint.listen(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0), failure);
  if (failure) {
    *error = "baseline server listen: " + failure.message();
    return false;
  }
  asio::error_code address_failure;
  impl_->port = endpoint.get_local_endpoint(address_failure).port();
  endpoint.start_accept(failure);
  if (failure || address_failure) {
    *error = "baseline server accept: " + (failure ? failure.message() : address_failure.message());
    return false;
  }
  impl_->thread = std::thread([&endpoint] {
    pin_server_thread();
    run_endpoint(endpoint, "baseline server");
  });
  return true;
}

// ---- RawEchoClient -----------------------------------------------------------

struct RawEchoClient::Impl {
  enum class Mode { Idle, Throughput, Pings };

  DriverEndpoint endpoint;
  std::thread thread;
  connection_hdl connection;
  std::promise<bool> opened;

  // The running phase: touched only on the client thread once posted there.
  Mode mode = Mode::Idle;
  std::string payload;
  PhaseLimits limits;
  Clock::time_point started;
  double cpu_started = 0;
  Clock::time_point deadline;
  Clock::time_point ping_sent_at;
  uint64_t sent = 0;
  uint64_t echoed = 0;
  bool stopping = false;
  ThroughputResult* throughput = nullptr;
  RttSamples* samples = nullptr;
  std::promise<std::string> phase_done;  // the error, empty on success
  std::atomic<bool> phase_running{false};  // set by run_phase for the phase's duration

  ~Impl() {
    endpoint.stop();
    if (thread.joinable()) thread.join();
  }

  // Runs `start` on the client thread and waits until the phase reports back.
  template <typename Start>
  bool run_phase(Start start, const PhaseLimits& phase_limits, std::string* error) {
    phase_done = std::promise<std::string>();
    std::future<std::string> done = phase_done.get_future();
    limits = phase_limits;
    phase_running.store(true, std::memory_order_release);
    asio::post(endpoint.get_io_service(), std::move(start));
    const bool finished = done.wait_for(phase_wait(phase_limits)) == std::future_status::ready;
    phase_running.store(false, std::memory_order_release);
    if (!finished) {
      *error = "baseline phase did not finish in time";
      return false;
    }
    *error = done.get();
    return error->empty();
  }

  void begin(Mode phase_mode) {
    mode = phase_mode;
    sent = echoed = 0;
    stopping = false;
    started = Clock::now();
    cpu_started = process_cpu_seconds();
    deadline = started + limits.max_duration;
  }

  void finish(std::string error) {
    mode = Mode::Idle;
    phase_done.set_value(std::move(error));
  }

  bool send_one() {
    websocketpp::lib::error_code failure;
    endpoint.send(connection, payload, websocketpp::frame::opcode::text, failure);
    if (failure) {
      finish("baseline send: " + failure.message());
      return false;
    }
    ++sent;
    return true;
  }

  void on_message(const DriverEndpoint::message_ptr& message) {
    if (mode == Mode::Idle) return;
    if (message->get_payload().size() != payload.size()) return finish("baseline echo has the wrong size");
    ++echoed;
    if (mode == Mode::Pings) return on_ping_echo();
    if (!stopping) {
      const Clock::time_point now = Clock::now();
      if (echoed >= limits.max_messages || now >= deadline) {
        stopping = true;
        throughput->messages = echoed;
        throughput->seconds = std::chrono::duration<double>(now - started).count();
        throughput->cpu_seconds = process_cpu_seconds() - cpu_started;
      } else if (sent < limits.max_messages && !send_one()) {
        return;
      }
    }
    // Drained: nothing of this phase is left to arrive during the next one.
    if (stopping && echoed == sent) finish({});
  }

  void on_ping_echo() {
    const Clock::time_point now = Clock::now();
    samples->microseconds.push_back(microseconds_between(ping_sent_at, now));
    if (echoed >= limits.max_messages || now >= deadline) return finish({});
    ping_sent_at = Clock::now();
    send_one();
  }
};

RawEchoClient::RawEchoClient() : impl_(std::make_unique<Impl>()) {}
RawEchoClient::~RawEchoClient() = default;

bool RawEchoClient::connect(uint16_t port, std::string* error) {
  Impl& impl = *impl_;
  DriverEndpoint& endpoint = impl.endpoint;
  silence_logs(endpoint);
  websocketpp::lib::error_code failure;
  endpoint.init_asio(failure);
  if (failure) {
    *error = "baseline client init: " + failure.message();
    return false;
  }
  endpoint.set_tcp_post_init_handler([&endpoint](connection_hdl handle) { disable_nagle(endpoint, handle); });
  endpoint.set_open_handler([&impl](connection_hdl) { impl.opened.set_value(true); });
  endpoint.set_fail_handler([&impl](connection_hdl) { impl.opened.set_value(false); });
  endpoint.set_message_handler(
      [&impl](connection_hdl, DriverEndpoint::message_ptr message) { impl.on_message(message); });
  DriverEndpoint::connection_ptr connection =
      endpoint.get_connection("ws://127.0.0.1:" + std::to_string(port) + "/", failure);
  if (failure) {
    *error = "baseline client connect: " + failure.message();
    return false;
  }
  impl.connection = connection->get_handle();
  endpoint.connect(connection);
  std::future<bool> opened = impl.opened.get_future();
  impl.thread = std::thread(
      [&endpoint, &impl] { run_endpoint_polling(endpoint, impl.phase_running, "baseline client"); });
  if (opened.wait_for(std::chrono::seconds(5)) != std::future_status::ready || !opened.get()) {
    *error = "baseline client could not connect";
    return false;
  }
  return true;
}

bool RawEchoClient::run_throughput(const std::string& payload, uint32_t window, const PhaseLimits& limits,
                                   ThroughputResult* result, std::string* error) {
  Impl& impl = *impl_;
  *result = {};
  impl.payload = payload;
  impl.throughput = result;
  return impl.run_phase(
      [&impl, window] {
        impl.begin(Impl::Mode::Throughput);
        while (impl.sent < window && impl.sent < impl.limits.max_messages) {
          if (!impl.send_one()) return;
        }
      },
      limits, error);
}

bool RawEchoClient::run_pings(const std::string& payload, const PhaseLimits& limits, RttSamples* samples,
                              std::string* error) {
  Impl& impl = *impl_;
  samples->microseconds.reserve(samples->microseconds.size() + limits.max_messages);
  impl.payload = payload;
  impl.samples = samples;
  return impl.run_phase(
      [&impl] {
        impl.begin(Impl::Mode::Pings);
        impl.ping_sent_at = Clock::now();
        impl.send_one();
      },
      limits, error);
}

}  // namespace tether::bench
