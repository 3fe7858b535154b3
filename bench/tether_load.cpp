// tether-load: thousands of client sessions in one process, on one event
// loop (each a core::ClientSession over the transport, as the sans-I/O
// design allows), against a tether-server it starts. It measures:
//   - connect rate: every client connected, authenticated and subscribed;
//   - server RSS per idle authenticated, subscribed connection (/proc);
//   - heartbeat CPU: server and client CPU over an idle stretch;
//   - a reconnect storm: SIGTERM with --state-file, an outage, a restart on
//     the same port, then when each client is READY and resumed again, in
//     arrivals per 100 ms.
// A measuring tool (Linux, like the tests): it reads /proc and raises its
// descriptor limit, which the server inherits.
//
//   tether-load [--clients N] [--channels C] [--idle-seconds S]
//               [--outage-ms MS] [--no-storm] [--server PATH]
// Exits non-zero if a phase does not complete (a client never READY, not
// resumed after the storm, or the server fails).
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "server_process.h"
#include "test_client.h"
#include "tokens.h"

using namespace tether;
using namespace tether::test_support;
using core::ClientEvent;
using core::ClientState;

namespace {

struct Options {
  size_t clients = 10000;
  size_t channels = 100;
  double idle_seconds = 32;  // two heartbeat intervals at the default 15 s
  int64_t outage_ms = 1000;
  bool storm = true;
  std::string server = kServerBinary;
};

bool parse(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    const bool has_value = i + 1 < argc;
    if (flag == "--no-storm") {
      o.storm = false;
    } else if (flag == "--clients" && has_value) {
      o.clients = std::strtoull(argv[++i], nullptr, 10);
    } else if (flag == "--channels" && has_value) {
      o.channels = std::strtoull(argv[++i], nullptr, 10);
    } else if (flag == "--idle-seconds" && has_value) {
      o.idle_seconds = std::strtod(argv[++i], nullptr);
    } else if (flag == "--outage-ms" && has_value) {
      o.outage_ms = std::strtoll(argv[++i], nullptr, 10);
    } else if (flag == "--server" && has_value) {
      o.server = argv[++i];
    } else {
      return false;
    }
  }
  return o.clients > 0 && o.channels > 0 && o.idle_seconds >= 0 && o.outage_ms >= 0;
}

// Resident set size of a process, from /proc/PID/status (kB).
long rss_kb(int pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return -1;
}

// CPU seconds (user + system) a process has used, from /proc/PID/stat.
double cpu_seconds(int pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const size_t after_name = text.rfind(')');  // the name may hold spaces
  if (after_name == std::string::npos) return -1;
  std::istringstream fields(text.substr(after_name + 2));
  std::string skip;
  for (int i = 0; i < 11; ++i) fields >> skip;  // state .. cmajflt (fields 3-13)
  double user = 0, system = 0;
  fields >> user >> system;
  return (user + system) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double self_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// 10,000 connections need more than the usual 1,024 descriptors.
void raise_descriptor_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

// Runs the loop until `done` holds, checking it every 10 ms rather than after
// every handler (a check walks thousands of clients).
bool run_checking(transport::EventLoop& loop, const std::function<bool()>& done, int64_t timeout_ms) {
  const int64_t deadline = loop.now_ms() + timeout_ms;
  while (!done()) {
    if (loop.now_ms() >= deadline) return false;
    bool tick = false;
    loop.set_timer(10, [&tick] { tick = true; });
    loop.run_until([&tick] { return tick; }, 1000);
  }
  return true;
}

class Fleet {
 public:
  Fleet(transport::EventLoop& loop, const Options& options, const std::string& url) {
    clients_.reserve(options.clients);
    for (size_t i = 0; i < options.clients; ++i) {
      core::ClientConfig config;  // the library's defaults: what a game ships with
      config.token = mint_token("load-" + std::to_string(i));
      clients_.push_back(std::make_unique<TestClient>(loop, url, std::move(config)));
    }
  }

  TestClient& operator[](size_t i) { return *clients_[i]; }
  size_t size() const { return clients_.size(); }

  size_t count(const std::function<bool(TestClient&)>& match) {
    size_t n = 0;
    for (auto& c : clients_) n += match(*c) ? 1 : 0;
    return n;
  }
  size_t attempts() {
    size_t n = 0;
    for (auto& c : clients_) n += c->connections_opened();
    return n;
  }
  size_t gave_up() {
    return count([](TestClient& c) { return c.state() == ClientState::GaveUp; });
  }

 private:
  std::vector<std::unique_ptr<TestClient>> clients_;
};

bool subscribed(TestClient& c) { return c.count(ClientEvent::Kind::Subscribed) > 0; }

// Connect every client at once, then subscribe each to one of `channels` rooms.
bool connect_phase(transport::EventLoop& loop, Fleet& fleet, const Options& o) {
  const int64_t start = loop.now_ms();
  for (size_t i = 0; i < fleet.size(); ++i) fleet[i].connect();
  const bool ready = run_checking(
      loop, [&] { return fleet.count([](TestClient& c) { return c.state() == ClientState::Ready; }) == fleet.size(); },
      120000);
  const double ready_s = (loop.now_ms() - start) / 1000.0;
  for (size_t i = 0; i < fleet.size(); ++i) fleet[i].subscribe("room:" + std::to_string(i % o.channels));
  const bool all_subscribed = ready && run_checking(loop, [&] { return fleet.count(subscribed) == fleet.size(); }, 60000);
  const double total_s = (loop.now_ms() - start) / 1000.0;
  std::printf("connect: clients=%zu ready_s=%.2f connects_per_s=%.0f subscribed_s=%.2f attempts=%zu gave_up=%zu\n",
              fleet.size(), ready_s, fleet.size() / std::max(ready_s, 0.001), total_s, fleet.attempts(),
              fleet.gave_up());
  if (!all_subscribed) std::fprintf(stderr, "tether-load: not every client became ready and subscribed\n");
  return all_subscribed;
}

// Server RSS with every client idle, then CPU over an idle stretch.
void idle_phase(transport::EventLoop& loop, Fleet& fleet, ServerProcess& server, long baseline_kb,
                const Options& o) {
  run_checking(loop, [] { return false; }, 1000);  // let the last writes settle
  const long loaded_kb = rss_kb(server.pid());
  std::printf("server_rss: baseline_kb=%ld loaded_kb=%ld clients=%zu per_connection_bytes=%.0f\n", baseline_kb,
              loaded_kb, fleet.size(), (loaded_kb - baseline_kb) * 1024.0 / fleet.size());
  if (o.idle_seconds <= 0) return;
  const double server_cpu0 = cpu_seconds(server.pid());
  const double client_cpu0 = self_cpu_seconds();
  const int64_t start = loop.now_ms();
  run_checking(loop, [] { return false; }, static_cast<int64_t>(o.idle_seconds * 1000));
  const double wall_s = (loop.now_ms() - start) / 1000.0;
  const double server_cpu = cpu_seconds(server.pid()) - server_cpu0;
  const double client_cpu = self_cpu_seconds() - client_cpu0;
  std::printf("heartbeat: idle_s=%.1f interval_ms=%" PRId64 " server_cpu_pct=%.2f client_cpu_pct=%.2f\n", wall_s,
              core::ClientConfig{}.heartbeat.interval_ms, 100 * server_cpu / wall_s, 100 * client_cpu / wall_s);
}

// SIGTERM (the server saves its sessions), an outage, a restart on the same
// port; then each client's first READY, and whether it resumed.
bool storm_phase(transport::EventLoop& loop, Fleet& fleet, ServerProcess& server, const Options& o) {
  std::vector<size_t> marks(fleet.size()), close_marks(fleet.size());
  for (size_t i = 0; i < fleet.size(); ++i) {
    marks[i] = fleet[i].events().size();
    close_marks[i] = fleet[i].closes().size();
  }
  const size_t attempts_before = fleet.attempts();
  if (!server.terminate() || !run_checking(loop, [&] { return server.has_exited(); }, 30000) ||
      server.exit_code() != 0) {
    std::fprintf(stderr, "tether-load: the server did not shut down cleanly\n");
    return false;
  }
  run_checking(loop, [] { return false; }, o.outage_ms);
  if (!server.restart()) {
    std::fprintf(stderr, "tether-load: restart failed: %s\n", server.error().c_str());
    return false;
  }
  const int64_t listening = loop.now_ms();
  // What happened during the outage is not looked at: from here on, each
  // scan (every 10 ms) sees what happened since the previous one.
  for (size_t i = 0; i < fleet.size(); ++i) marks[i] = fleet[i].events().size();
  std::vector<int64_t> arrival(fleet.size(), -1);
  std::vector<int64_t> first_attempt(fleet.size(), -1);  // first Connecting after the restart
  size_t arrived = 0, resumed = 0;
  auto scan = [&] {
    for (size_t i = 0; i < fleet.size(); ++i) {
      if (arrival[i] >= 0) continue;
      const auto& events = fleet[i].events();
      for (; marks[i] < events.size(); ++marks[i]) {
        const ClientEvent& e = events[marks[i]];
        if (e.kind != ClientEvent::Kind::StateChanged) continue;
        if (e.state == ClientState::Connecting && first_attempt[i] < 0) first_attempt[i] = loop.now_ms() - listening;
        if (e.state != ClientState::Ready) continue;
        arrival[i] = loop.now_ms() - listening;
        ++arrived;
        resumed += e.resumed ? 1 : 0;
        break;
      }
    }
    return arrived == fleet.size();
  };
  const bool all = run_checking(loop, scan, 60000);
  int64_t last = 0;
  for (int64_t a : arrival) last = std::max(last, a);
  // How attempts failed on the way: refused while down, or turned away by the restarted server.
  std::map<std::string, size_t> failures;
  for (size_t i = 0; i < fleet.size(); ++i) {
    const auto& closes = fleet[i].closes();
    for (size_t c = close_marks[i]; c < closes.size(); ++c) {
      ++failures[std::string(transport::to_string(closes[c].error)) + "/" + std::to_string(closes[c].code)];
    }
  }
  std::printf("storm: clients=%zu outage_ms=%" PRId64 " all_ready_ms=%" PRId64
              " arrived=%zu resumed=%zu attempts=%zu gave_up=%zu\n",
              fleet.size(), o.outage_ms, all ? last : -1, arrived, resumed, fleet.attempts() - attempts_before,
              fleet.gave_up());
  // Per 100 ms after the restart: READY arrivals, and first attempts (a
  // gap between the two is the server; attempts that come late, the backoff).
  std::vector<size_t> buckets(static_cast<size_t>(last / 100) + 1, 0);
  std::vector<size_t> attempt_buckets(buckets.size(), 0);
  for (size_t i = 0; i < fleet.size(); ++i) {
    if (arrival[i] >= 0) ++buckets[static_cast<size_t>(arrival[i] / 100)];
    if (first_attempt[i] >= 0 && first_attempt[i] <= last) ++attempt_buckets[static_cast<size_t>(first_attempt[i] / 100)];
  }
  std::printf("storm_closes:");
  for (const auto& [why, n] : failures) std::printf(" %s=%zu", why.c_str(), n);
  std::printf("\n");
  std::printf("storm_arrivals_per_100ms:");
  for (size_t b : buckets) std::printf(" %zu", b);
  std::printf("\nstorm_first_attempts_per_100ms:");
  for (size_t b : attempt_buckets) std::printf(" %zu", b);
  std::printf("\n");
  if (!all || resumed != fleet.size()) {
    std::fprintf(stderr, "tether-load: %zu of %zu clients came back, %zu resumed\n", arrived, fleet.size(), resumed);
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (!parse(argc, argv, options)) {
    std::fprintf(stderr,
                 "usage: tether-load [--clients N] [--channels C] [--idle-seconds S] [--outage-ms MS] "
                 "[--no-storm] [--server PATH]\n");
    return 2;
  }
  raise_descriptor_limit();
  const std::string state_file = "/tmp/tether-load-" + std::to_string(getpid()) + ".state";
  ServerProcess server(options.server, {"--jwt-secret", kTestSecret, "--state-file", state_file,
                                        "--max-connections", std::to_string(options.clients + 1000)});
  if (!server.start()) {
    std::fprintf(stderr, "tether-load: the server did not start: %s\n", server.error().c_str());
    return 1;
  }
  const long baseline_kb = rss_kb(server.pid());
  transport::EventLoop loop;
  bool ok;
  {
    Fleet fleet(loop, options, server.url());
    ok = connect_phase(loop, fleet, options);
    if (ok) idle_phase(loop, fleet, server, baseline_kb, options);
    if (ok && options.storm) ok = storm_phase(loop, fleet, server, options);
    std::printf("client_rss_kb=%ld\n", rss_kb(getpid()));
  }
  server.stop();
  std::remove(state_file.c_str());
  return ok ? 0 : 1;
}
