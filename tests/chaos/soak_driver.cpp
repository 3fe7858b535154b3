// The soak: many clients (through the C API) with reconnect churn through
// the fault proxy and steady publish traffic, against a tether-server that
// scripts/soak.sh started. Every sample interval it prints the RSS and open
// file descriptors of the server and of this process; at the end it judges
// them: RSS may grow less than 1% per 10 minutes after the warm-up, and once
// the churn stops and every client is back, both processes hold exactly
// the descriptors they held when the clients first connected.
//
//   tether_chaos_soak --server-port P --server-pid PID [--minutes 30]
//       [--sample-seconds 60] [--warmup-minutes M] [--clients 200] [--rate 2]
//       [--fault-seconds 0.5] [--churn-seconds 3] [--faults reset,fin,blackhole,segments]
// The JWT secret comes from TETHER_JWT_SECRET, as for tether-server.
// Exit code 0: passed; 1: failed; 2: bad arguments.
#include <dirent.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/rng.h"
#include "fault_proxy.h"
#include "tether/tether.h"
#include "tokens.h"

using namespace tether::chaos;
using Clock = std::chrono::steady_clock;

namespace {

struct SoakOptions {
  uint16_t server_port = 0;
  int server_pid = 0;
  double minutes = 30;
  double sample_seconds = 60;
  // Default: two thirds of the run, at most 20 minutes. With 200 clients the
  // client process's RSS climbs for about 20 minutes, as faults and
  // replacements reach each client and its buffers grow to the high-water
  // marks they keep (30-minute run on 2026-12-01: 44.5 MB at 15 min, 46.3 MB
  // from 20 min on, flat after), so a shorter warm-up measures that climb.
  double warmup_minutes = -1;
  int clients = 200;
  double rate = 2;             // reliable publishes per client per second; 0 = none
  int rooms = 20;
  double fault_interval_seconds = 0.5;   // one proxy fault this often; 0 = none
  double churn_interval_seconds = 3;     // one client replaced this often; 0 = none
  std::string faults = "reset,fin,blackhole,segments";  // the kinds drawn from
};

bool parse_options(int argc, char** argv, SoakOptions& o) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const double value = std::atof(argv[i + 1]);
    if (flag == "--faults") {
      o.faults = argv[i + 1];
      continue;
    }
    if (flag == "--server-port") o.server_port = static_cast<uint16_t>(value);
    else if (flag == "--server-pid") o.server_pid = static_cast<int>(value);
    else if (flag == "--minutes") o.minutes = value;
    else if (flag == "--sample-seconds") o.sample_seconds = value;
    else if (flag == "--warmup-minutes") o.warmup_minutes = value;
    else if (flag == "--clients") o.clients = static_cast<int>(value);
    else if (flag == "--rate") o.rate = value;
    else if (flag == "--fault-seconds") o.fault_interval_seconds = value;
    else if (flag == "--churn-seconds") o.churn_interval_seconds = value;
    else return false;
  }
  if (o.warmup_minutes < 0) o.warmup_minutes = std::min(20.0, o.minutes * 2 / 3);
  return argc % 2 == 1 && o.server_port != 0 && o.server_pid > 0 && o.minutes > 0 && o.sample_seconds > 0 &&
         o.clients > 0 && o.warmup_minutes < o.minutes;
}

// ---- /proc -------------------------------------------------------------------

struct ProcessSample {
  uint64_t rss_kb = 0;
  uint64_t fds = 0;
};

ProcessSample sample_process(const std::string& proc) {
  ProcessSample sample;
  std::ifstream status(proc + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) sample.rss_kb = std::strtoull(line.c_str() + 6, nullptr, 10);
  }
  if (DIR* dir = opendir((proc + "/fd").c_str())) {
    while (const dirent* entry = readdir(dir)) sample.fds += entry->d_name[0] != '.' ? 1 : 0;
    closedir(dir);
    --sample.fds;  // the descriptor this opendir holds
  }
  return sample;
}

// False once the process has exited (a zombie counts as exited).
bool process_alive(const std::string& proc) {
  std::ifstream status(proc + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("State:", 0) == 0) return line.find('Z') == std::string::npos;
  }
  return false;
}

// Bytes this process's heap has handed out and not got back (glibc): tells
// a leak (this grows) from fragmentation (RSS grows, this does not).
uint64_t heap_in_use_kb() {
#ifdef __GLIBC__
  return static_cast<uint64_t>(mallinfo2().uordblks) / 1024;
#else
  return 0;
#endif
}

// This process after handing its free heap pages back to the system (glibc
// keeps them otherwise): with 200 I/O threads, and threads replaced with
// every client, its arenas hold on to freed memory that is not a leak. What
// remains is what is in use, so a leak still shows.
ProcessSample sample_process_trimmed() {
#ifdef __GLIBC__
  malloc_trim(0);
#endif
  return sample_process("/proc/self");
}

struct Sample {
  double seconds;
  ProcessSample server;
  ProcessSample client;
};

// RSS growth after the warm-up, in percent per 10 minutes: the least-squares
// slope over every sample from the warm-up on, against the RSS at warm-up.
double growth_per_10_minutes(const std::vector<Sample>& samples, double warmup_seconds, bool server) {
  double n = 0, sum_t = 0, sum_r = 0, sum_tt = 0, sum_tr = 0, base = 0;
  for (const Sample& s : samples) {
    if (s.seconds < warmup_seconds) continue;
    const double rss = static_cast<double>(server ? s.server.rss_kb : s.client.rss_kb);
    if (n == 0) base = rss;
    n += 1;
    sum_t += s.seconds;
    sum_r += rss;
    sum_tt += s.seconds * s.seconds;
    sum_tr += s.seconds * rss;
  }
  const double denominator = n * sum_tt - sum_t * sum_t;
  if (n < 2 || denominator <= 0 || base <= 0) return 0;
  const double slope_kb_per_second = (n * sum_tr - sum_t * sum_r) / denominator;
  return slope_kb_per_second * 600 / base * 100;
}

// ---- clients -----------------------------------------------------------------

struct Totals {
  uint64_t sent = 0, acked = 0, failed = 0, delivered = 0, send_errors = 0;
  uint64_t reconnects = 0, session_losses = 0, replaced = 0;
};

// One soak client: publishes to its room and reads everyone else's.
class SoakClient {
 public:
  SoakClient(const std::string& url, const std::string& secret, int number, int room, uint64_t seed)
      : room_("soak:room:" + std::to_string(room)) {
    const std::string token = tether::test_support::mint_token("soak-" + std::to_string(number),
                                                               tether::test_support::all_channels(),
                                                               24 * 60 * 60 * 1000, secret);
    tether_config config;
    tether_config_init(&config);
    config.url = url.c_str();
    config.token = token.c_str();
    config.backoff_initial_ms = 50;
    config.backoff_max_ms = 1000;
    config.backoff_max_attempts = 0;
    config.heartbeat_interval_ms = 2000;
    config.heartbeat_timeout_ms = 1500;
    config.ack_max_retries = 50;
    config.seed = seed;
    config.log_level = TETHER_LOG_OFF;
    if (tether_client_create(&config, &handle_) != TETHER_OK) return;
    tether_client_subscribe(handle_, room_.c_str());
    tether_client_connect(handle_);
  }
  ~SoakClient() { tether_client_destroy(handle_); }
  SoakClient(const SoakClient&) = delete;
  SoakClient& operator=(const SoakClient&) = delete;

  bool created() const { return handle_ != nullptr; }
  bool ready() const { return ready_; }

  void pump(Totals& totals) {
    const int32_t count = tether_client_pump(handle_);
    for (int32_t i = 0; i < count; ++i) {
      const tether_event* e = tether_client_event(handle_, static_cast<uint32_t>(i));
      if (e == nullptr) continue;
      switch (e->type) {
        case TETHER_EVENT_ACK: ++totals.acked; break;
        case TETHER_EVENT_SEND_FAILED: ++totals.failed; break;
        case TETHER_EVENT_MESSAGE: ++totals.delivered; break;
        case TETHER_EVENT_STATE_CHANGED:
          ready_ = e->state == TETHER_STATE_READY;
          if (ready_ && ever_ready_) {
            ++totals.reconnects;
            if ((e->flags & TETHER_EVENT_FLAG_RESUMED) == 0) ++totals.session_losses;
          }
          ever_ready_ |= ready_;
          break;
        default: break;
      }
    }
  }

  void publish(Totals& totals) {
    const std::string json = "{\"n\":" + std::to_string(++published_) + "}";
    if (tether_client_send(handle_, room_.c_str(), json.data(), json.size(), TETHER_SEND_RELIABLE, nullptr) ==
        TETHER_OK) {
      ++totals.sent;
    } else {
      ++totals.send_errors;
    }
  }

 private:
  std::string room_;
  tether_client* handle_ = nullptr;
  uint64_t published_ = 0;
  bool ready_ = false;
  bool ever_ready_ = false;
};

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  SoakOptions o;
  const char* secret = std::getenv("TETHER_JWT_SECRET");
  if (!parse_options(argc, argv, o) || secret == nullptr) {
    std::fprintf(stderr,
                 "usage: TETHER_JWT_SECRET=... %s --server-port P --server-pid PID [--minutes M] "
                 "[--sample-seconds S] [--warmup-minutes W] [--clients N] [--rate R] [--fault-seconds F] "
                 "[--churn-seconds C] [--faults reset,fin,blackhole,segments]\n",
                 argv[0]);
    return 2;
  }
  FaultProxy proxy(o.server_port);
  if (!proxy.start()) {
    std::fprintf(stderr, "%s\n", proxy.error().c_str());
    return 1;
  }
  const std::string server_proc = "/proc/" + std::to_string(o.server_pid);
  std::vector<std::string> fault_kinds;
  for (size_t start = 0; start <= o.faults.size();) {
    const size_t comma = std::min(o.faults.find(',', start), o.faults.size());
    if (comma > start) fault_kinds.push_back(o.faults.substr(start, comma - start));
    start = comma + 1;
  }
  if (fault_kinds.empty()) o.fault_interval_seconds = 0;
  tether::core::SeededRng rng(2024);
  Totals totals;
  int created = 0;
  std::vector<std::unique_ptr<SoakClient>> clients;
  auto new_client = [&](int slot) {
    ++created;
    return std::make_unique<SoakClient>(proxy.url(), secret, created, slot % o.rooms, rng.next_u64());
  };
  for (int i = 0; i < o.clients; ++i) clients.push_back(new_client(i));

  // The frame loop, on one clock for the whole run: pumps every client,
  // publishes on schedule (with `traffic`), and with `churn` injects a proxy
  // fault and replaces a client at their intervals. Returns when `done()`
  // holds, or false after `timeout_seconds`.
  const Clock::time_point run_start = Clock::now();
  const double publish_interval = o.rate > 0 ? 1.0 / o.rate : 0;
  std::vector<double> next_publish(clients.size(), 0);
  double next_fault = 0, next_churn = 0;
  auto frames = [&](auto done, double timeout_seconds, bool traffic, bool churn) {
    const double give_up_at = seconds_since(run_start) + timeout_seconds;
    if (churn) {
      next_fault = std::max(next_fault, seconds_since(run_start));
      next_churn = std::max(next_churn, seconds_since(run_start));
    }
    while (!done()) {
      const double now = seconds_since(run_start);
      if (now >= give_up_at) return false;
      for (size_t i = 0; i < clients.size(); ++i) {
        clients[i]->pump(totals);
        if (traffic && o.rate > 0 && clients[i]->ready() && now >= next_publish[i]) {
          clients[i]->publish(totals);
          next_publish[i] = now + publish_interval * (0.5 + rng.next_unit());
        }
      }
      if (churn && o.fault_interval_seconds > 0 && now >= next_fault) {
        next_fault += o.fault_interval_seconds;
        const std::vector<LinkId> links = proxy.healthy_links();
        if (!links.empty()) {
          const LinkId link = links[static_cast<size_t>(rng.next_in(0, static_cast<int64_t>(links.size()) - 1))];
          const std::string& kind = fault_kinds[static_cast<size_t>(
              rng.next_in(0, static_cast<int64_t>(fault_kinds.size()) - 1))];
          if (kind == "reset") {
            proxy.reset(link);
          } else if (kind == "fin") {
            proxy.close_with_fin(link);
          } else if (kind == "blackhole") {
            proxy.blackhole(link, Direction::Both);
          } else {
            proxy.split_segments(link, 4096);
          }
        }
      }
      if (churn && o.churn_interval_seconds > 0 && now >= next_churn) {
        next_churn += o.churn_interval_seconds;
        const size_t slot = static_cast<size_t>(rng.next_in(0, static_cast<int64_t>(clients.size()) - 1));
        clients[slot] = new_client(static_cast<int>(slot));
        ++totals.replaced;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));  // a game frame
    }
    return true;
  };
  auto settled = [&] {
    for (const auto& c : clients) {
      if (!c->created() || !c->ready()) return false;
    }
    // Only the clients' live links remain: dead ones were noticed and closed.
    return proxy.stats().open_links == clients.size();
  };
  constexpr double kSettleTimeoutSeconds = 120;

  if (!frames(settled, kSettleTimeoutSeconds, false, false)) {
    std::fprintf(stderr, "soak: the clients did not all connect\n");
    return 1;
  }
  const Sample baseline{0, sample_process(server_proc), sample_process_trimmed()};
  std::printf("soak: %d clients ready; baseline server_fds=%llu client_fds=%llu\n", o.clients,
              static_cast<unsigned long long>(baseline.server.fds),
              static_cast<unsigned long long>(baseline.client.fds));

  std::vector<Sample> samples;
  const Clock::time_point start = Clock::now();
  const double run_seconds = o.minutes * 60;
  for (double next_sample = o.sample_seconds; next_sample <= run_seconds + 1e-9; next_sample += o.sample_seconds) {
    frames([&] { return seconds_since(start) >= next_sample; }, run_seconds + 60, true, true);
    Sample now{seconds_since(start), sample_process(server_proc), sample_process_trimmed()};
    samples.push_back(now);
    const Sample& s = samples.back();
    const FaultCounts f = proxy.counts();
    const ProxyStats links = proxy.stats();
    std::printf("soak t=%.0fs server_rss_kb=%llu server_fds=%llu client_rss_kb=%llu client_fds=%llu sent=%llu acked=%llu delivered=%llu failed=%llu reconnects=%llu replaced=%llu faults=%llu "
                "client_heap_kb=%llu proxy_links=%zu\n",
                s.seconds, static_cast<unsigned long long>(s.server.rss_kb),
                static_cast<unsigned long long>(s.server.fds), static_cast<unsigned long long>(s.client.rss_kb),
                static_cast<unsigned long long>(s.client.fds), static_cast<unsigned long long>(totals.sent),
                static_cast<unsigned long long>(totals.acked), static_cast<unsigned long long>(totals.delivered),
                static_cast<unsigned long long>(totals.failed), static_cast<unsigned long long>(totals.reconnects),
                static_cast<unsigned long long>(totals.replaced), static_cast<unsigned long long>(f.total()),
                static_cast<unsigned long long>(heap_in_use_kb()), links.open_links);
    std::fflush(stdout);
    if (!process_alive(server_proc)) {
      std::fprintf(stderr, "soak: the server exited\n");
      return 1;
    }
  }

  // Churn over: every client back, every dead link gone.
  const bool back = frames(settled, kSettleTimeoutSeconds, false, false);
  const Sample final_sample{seconds_since(start), sample_process(server_proc), sample_process_trimmed()};
  const double warmup_seconds = o.warmup_minutes * 60;
  const double server_growth = growth_per_10_minutes(samples, warmup_seconds, true);
  const double client_growth = growth_per_10_minutes(samples, warmup_seconds, false);
  const bool rss_flat = server_growth < 1.0 && client_growth < 1.0;
  const bool fds_back = back && final_sample.server.fds <= baseline.server.fds &&
                        final_sample.client.fds <= baseline.client.fds;
  const bool healthy = totals.failed == 0 && totals.send_errors == 0 && totals.session_losses == 0;
  std::printf("soak result: minutes=%.1f samples=%zu warmup_minutes=%.1f server_rss_growth_pct_per_10min=%.3f "
              "client_rss_growth_pct_per_10min=%.3f server_fds=%llu/%llu client_fds=%llu/%llu settled=%s "
              "sent=%llu acked=%llu delivered=%llu failed=%llu send_errors=%llu session_losses=%llu "
              "reconnects=%llu replaced=%llu faults=%llu -> %s\n",
              o.minutes, samples.size(), o.warmup_minutes, server_growth, client_growth,
              static_cast<unsigned long long>(final_sample.server.fds),
              static_cast<unsigned long long>(baseline.server.fds),
              static_cast<unsigned long long>(final_sample.client.fds),
              static_cast<unsigned long long>(baseline.client.fds), back ? "yes" : "no",
              static_cast<unsigned long long>(totals.sent), static_cast<unsigned long long>(totals.acked),
              static_cast<unsigned long long>(totals.delivered), static_cast<unsigned long long>(totals.failed),
              static_cast<unsigned long long>(totals.send_errors),
              static_cast<unsigned long long>(totals.session_losses),
              static_cast<unsigned long long>(totals.reconnects), static_cast<unsigned long long>(totals.replaced),
              static_cast<unsigned long long>(proxy.counts().total()),
              rss_flat && fds_back && healthy ? "PASS" : "FAIL");
  return rss_flat && fds_back && healthy ? 0 : 1;
}
