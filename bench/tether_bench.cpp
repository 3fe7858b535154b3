// tether-bench: Tether against a raw websocketpp echo, same work, same run,
// over loopback. For 64 B and 1 KB payloads it measures pipelined reliable
// throughput (1000 in flight), one-at-a-time round trip p50/p99, and heap
// allocations per Engine::pump() while messages flow: for the client Engine
// (acked publish), and through the C ABI with each message echoed back by
// the server's fan-out (echo_capi_*), as an outside harness measures, with
// JSON and with binary payloads of the same size (echo_capi_binary_*, in
// binary frames; the baseline stays the raw text echo). Each figure is printed
// on one line with the ratio tether/baseline. Not a pass/fail test: it exits
// non-zero only when setup or a phase breaks.
//
// Usage: tether-bench [--quick] [--pin] [--only WORKLOAD] [--size BYTES] [--io-pump]
//   --quick  short phases, for the smoke test
//   --pin    servers on CPU 0, clients on CPU 1 (Tether's host and io threads
//            then share one core, as in a game pinned by its engine)
//   --only   one Tether workload against the baseline: engine (acked
//            publish), capi (JSON echo) or capi_binary; for profiling
//   --size   one payload size instead of 64 and 1024
//   --io-pump  the C ABI client with TETHER_IO_PUMP (its network work inside
//            pump(), no io thread); its figures are named echo_capi_pump_*
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "allocation_counter.h"
#include "capi_echo.h"
#include "measurement.h"
#include "pinning.h"
#include "raw_echo.h"
#include "tether_loopback.h"

using namespace tether::bench;
using std::chrono::milliseconds;

namespace {

constexpr uint32_t kWindow = 1000;
constexpr const char* kJwtSecret = "tether-bench-secret";

// Baseline and Tether take turns, `rounds` times each, so that a change in
// the machine's load or in where the scheduler puts the threads (which moves
// loopback round trips by 2-3x on a small VM) hits both alike. Limits are per turn.
struct BenchPlan {
  int rounds;
  PhaseLimits warmup;
  PhaseLimits throughput;
  PhaseLimits pings;
};

// Full: about 22 s in all. Quick: about 3 s, only to prove every phase runs.
BenchPlan plan_for(bool quick) {
  if (quick) return {1, {20000, milliseconds(100)}, {200000, milliseconds(400)}, {2000, milliseconds(250)}};
  return {3, {200000, milliseconds(300)}, {1000000, milliseconds(1200)}, {10000, milliseconds(800)}};
}

// Which Tether workloads run; the raw baseline always does.
struct Selection {
  bool engine = true;
  bool capi = true;
  bool capi_binary = true;
  std::string capi_name = "echo_capi";  // echo_capi_pump with --io-pump
};

struct Contenders {
  RawEchoServer raw_server;
  RawEchoClient raw_client;
  TetherServerThread tether_server;
  TetherDriver tether_client;
  CapiEchoDriver capi_client;  // through libtether's C ABI, echoed by fan-out
};

bool set_up(Contenders& c, bool io_pump, std::string* error) {
  return c.raw_server.start(error) && c.raw_client.connect(c.raw_server.port(), error) &&
         c.tether_server.start(kJwtSecret, error) &&
         c.tether_client.connect(c.tether_server.port(), mint_bench_token(kJwtSecret), error) &&
         c.capi_client.connect(c.tether_server.port(), mint_bench_token(kJwtSecret), io_pump, error);
}

double ratio(double tether, double baseline) { return baseline > 0 ? tether / baseline : 0; }

void print_figure(const std::string& name, double tether, double baseline, int decimals) {
  std::printf("%s tether=%.*f baseline=%.*f ratio=%.2f\n", name.c_str(), decimals, tether, decimals, baseline,
              ratio(tether, baseline));
  std::fflush(stdout);
}

// Runs every phase for one payload size; false (and *error) if one broke.
bool measure_payload(Contenders& c, const BenchPlan& plan, const Selection& only, size_t payload_bytes,
                     const std::string& label, PumpAllocations* allocations, std::string* error) {
  const std::string payload = json_payload(payload_bytes);
  ThroughputResult raw_turn;
  ThroughputResult tether_turn;
  PumpAllocations turn_allocations;
  // Warm both sides first: buffers grow to their working size, caches fill.
  if (!c.raw_client.run_throughput(payload, kWindow, plan.warmup, &raw_turn, error) ||
      (only.engine &&
       !c.tether_client.run_throughput(payload, kWindow, plan.warmup, &tether_turn, &turn_allocations, error))) {
    return false;
  }

  // Binary payloads of the same size: bytes a JSON parser would refuse.
  std::string bytes(payload_bytes, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>((i * 131 + 7) & 0xff);
  auto capi_throughput = [&](bool binary, const PhaseLimits& limits, ThroughputResult* turn) {
    c.capi_client.set_binary(binary);
    return c.capi_client.run_throughput(binary ? bytes : payload, kWindow, limits, turn, error);
  };
  auto capi_pings = [&](bool binary, RttSamples* samples) {
    c.capi_client.set_binary(binary);
    return c.capi_client.run_pings(binary ? bytes : payload, plan.pings, samples, error);
  };

  ThroughputResult raw;
  ThroughputResult tether;
  ThroughputResult capi;
  ThroughputResult capi_binary;
  ThroughputResult capi_turn;
  if ((only.capi && !capi_throughput(false, plan.warmup, &capi_turn)) ||
      (only.capi_binary && !capi_throughput(true, plan.warmup, &capi_turn))) {
    return false;
  }
  for (int round = 0; round < plan.rounds; ++round) {
    if (!c.raw_client.run_throughput(payload, kWindow, plan.throughput, &raw_turn, error)) return false;
    raw.add(raw_turn);
    if (only.engine) {
      if (!c.tether_client.run_throughput(payload, kWindow, plan.throughput, &tether_turn, &turn_allocations, error)) {
        return false;
      }
      tether.add(tether_turn);
      allocations->allocations += turn_allocations.allocations;
      allocations->pumps += turn_allocations.pumps;
    }
    if (only.capi) {
      if (!capi_throughput(false, plan.throughput, &capi_turn)) return false;
      capi.add(capi_turn);
    }
    if (only.capi_binary) {
      if (!capi_throughput(true, plan.throughput, &capi_turn)) return false;
      capi_binary.add(capi_turn);
    }
  }
  // Each rate, then the CPU it cost per message (both ends, every thread):
  // lower is better there, and a rate ratio far below the CPU ratio means
  // time spent waiting rather than working.
  auto print_throughput = [&](const std::string& name, const ThroughputResult& result) {
    print_figure(name + "_" + label + "_msgs_per_s", result.per_second(), raw.per_second(), 0);
    print_figure(name + "_" + label + "_cpu_us_per_msg", result.cpu_microseconds_per_message(),
                 raw.cpu_microseconds_per_message(), 2);
  };
  if (only.engine) print_throughput("reliable", tether);
  if (only.capi) print_throughput(only.capi_name, capi);
  if (only.capi_binary) print_throughput(only.capi_name + "_binary", capi_binary);

  RttSamples raw_rtt;
  RttSamples tether_rtt;
  RttSamples capi_rtt;
  RttSamples capi_binary_rtt;
  for (int round = 0; round < plan.rounds; ++round) {
    if (!c.raw_client.run_pings(payload, plan.pings, &raw_rtt, error) ||
        (only.engine && !c.tether_client.run_pings(payload, plan.pings, &tether_rtt, error)) ||
        (only.capi && !capi_pings(false, &capi_rtt)) || (only.capi_binary && !capi_pings(true, &capi_binary_rtt))) {
      return false;
    }
  }
  auto print_rtt = [&](const std::string& name, const RttSamples& samples) {
    print_figure(name + "_" + label + "_p50_us", samples.percentile(0.50), raw_rtt.percentile(0.50), 1);
    print_figure(name + "_" + label + "_p99_us", samples.percentile(0.99), raw_rtt.percentile(0.99), 1);
  };
  if (only.engine) print_rtt("rtt", tether_rtt);
  if (only.capi) print_rtt(only.capi_name + "_rtt", capi_rtt);
  if (only.capi_binary) print_rtt(only.capi_name + "_binary_rtt", capi_binary_rtt);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  bool pin = false;
  Selection only;
  bool io_pump = false;
  std::vector<size_t> sizes = {64, 1024};
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--quick") {
      quick = true;
    } else if (arg == "--pin") {
      pin = true;
    } else if (arg == "--io-pump") {
      io_pump = true;
    } else if (arg == "--only" && has_value) {
      const std::string name = argv[++i];
      only.engine = name == "engine";
      only.capi = name == "capi";
      only.capi_binary = name == "capi_binary";
      if (!only.engine && !only.capi && !only.capi_binary) {
        std::fprintf(stderr, "tether-bench: --only engine, capi or capi_binary\n");
        return 2;
      }
    } else if (arg == "--size" && has_value) {
      const long bytes = std::strtol(argv[++i], nullptr, 10);
      if (bytes < 8 || bytes > (1 << 19)) {
        std::fprintf(stderr, "tether-bench: --size between 8 and 524288\n");
        return 2;
      }
      sizes = {static_cast<size_t>(bytes)};
    } else {
      std::fprintf(stderr, "usage: %s [--quick] [--pin] [--only engine|capi|capi_binary] [--size BYTES] [--io-pump]\n",
                   argv[0]);
      return 2;
    }
  }
  // Every thread created from here on starts on the clients' core; the
  // server threads move themselves to theirs.
  if (pin) {
    if (!pin_this_thread(1)) {
      std::fprintf(stderr, "tether-bench: cannot pin to CPU 1 (needs two cores)\n");
      return 1;
    }
    server_cpu() = 0;
  }
  const BenchPlan plan = plan_for(quick);
  std::printf("# loopback 127.0.0.1, window %u%s%s; ratio = tether/baseline (msgs_per_s: higher is better, "
              "cpu_us_per_msg and rtt: lower is better)\n", kWindow,
              pin ? ", pinned: servers on CPU 0, clients on CPU 1" : "",
              io_pump ? ", C ABI client with TETHER_IO_PUMP" : "");

  Contenders contenders;
  std::string error;
  if (io_pump) only.capi_name = "echo_capi_pump";
  if (!set_up(contenders, io_pump, &error)) {
    std::fprintf(stderr, "tether-bench: setup failed: %s\n", error.c_str());
    return 1;
  }
  PumpAllocations allocations;
  for (const size_t bytes : sizes) {
    const std::string label = bytes == 64 ? "64B" : bytes == 1024 ? "1KB" : std::to_string(bytes) + "B";
    if (!measure_payload(contenders, plan, only, bytes, label, &allocations, &error)) {
      std::fprintf(stderr, "tether-bench: %s\n", error.c_str());
      return 1;
    }
  }
  std::printf("allocations_per_pump=%.2f (pumps=%llu, counting %s)\n", allocations.per_pump(),
              static_cast<unsigned long long>(allocations.pumps),
              malloc_is_counted() ? "malloc and operator new" : "operator new only");
  // Should be 0 0. Otherwise pump() showed an Acked event twice, or never;
  // the counts above stay right (see AckTracker), the engine does not.
  const AckTracker& acks = contenders.tether_client.acks();
  std::printf("pump_event_anomalies repeated=%llu missed=%llu\n",
              static_cast<unsigned long long>(acks.repeated_events()),
              static_cast<unsigned long long>(acks.missed_events()));
  return 0;
}
