#include "server/process.h"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string_view>
#include <vector>

#include "server/cluster_broker.h"
#include "server/metrics.h"
#include "server/server.h"
#include "transport/http_server.h"
#include "transport/event_loop.h"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
// A signal handler may only set a flag; the loop looks at it this often.
constexpr int64_t kSignalPollMs = 50;
// How long clients get to answer the 1001 close before we exit anyway.
constexpr int64_t kShutdownGraceMs = 1500;

volatile std::sig_atomic_t g_stop_requested = 0;

bool read_file(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream text;
  text << in.rdbuf();
  out = text.str();
  return true;
}

// Written beside the target and renamed over it, so a crash mid-write
// never leaves a truncated state file.
bool write_file(const std::string& path, const std::string& text) {
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out || !(out << text) || !out.flush()) return false;
  }
  std::remove(path.c_str());
  return std::rename(temporary.c_str(), path.c_str()) == 0;
}

}  // namespace

extern "C" void tether_server_request_stop(int) { g_stop_requested = 1; }

namespace tether::server {

int serve_until_signal(const CommandLine& command_line, Application* app, const char* program) {
  transport::EventLoop loop;
  std::unique_ptr<core::Broker> broker;
  const core::Broker* cluster_broker = nullptr;  // owned by the server once it runs
  if (!command_line.cluster.redis_url.empty()) {
    ClusterOptions cluster_options = command_line.cluster;
    cluster_options.log = [](std::string_view line) {
      std::fwrite(line.data(), 1, line.size(), stderr);
      std::fputc('\n', stderr);
      std::fflush(stderr);
    };
    auto cluster = std::make_unique<ClusterBroker>(loop, std::move(cluster_options));
    std::fprintf(stderr, "%s: cluster node %s, Redis at %s\n", program, cluster->node_id().c_str(),
                 command_line.cluster.redis_url.c_str());
    cluster_broker = cluster.get();
    broker = std::move(cluster);
  }
  Server server(loop, command_line.options, app, std::move(broker));
  const std::string& state_file = command_line.state_file;
  std::string saved;
  if (!state_file.empty() && read_file(state_file, saved)) {
    const std::string problem = server.load_state(saved);
    if (!problem.empty()) std::fprintf(stderr, "%s: ignoring state file %s: %s\n", program, state_file.c_str(), problem.c_str());
  }
  const transport::ListenResult listening = server.start();
  if (!listening.ok()) {
    std::fprintf(stderr, "%s: cannot listen: %s\n", program, listening.detail.c_str());
    return kExitFailure;
  }
  std::unique_ptr<transport::HttpServer> operations;
  if (!command_line.metrics_host.empty()) {
    const ClusterBroker* cluster = dynamic_cast<const ClusterBroker*>(cluster_broker);
    operations = std::make_unique<transport::HttpServer>(
        loop, [&server, cluster](std::string_view, std::string_view path) {
          return answer_operations_request(path, server, cluster);
        });
    const transport::ListenResult bound = operations->listen(command_line.metrics_host, command_line.metrics_port);
    if (!bound.ok()) {
      std::fprintf(stderr, "%s: cannot serve metrics: %s\n", program, bound.detail.c_str());
      return kExitFailure;
    }
    const bool v6 = command_line.metrics_host.find(':') != std::string::npos;
    std::fprintf(stderr, "%s: metrics on http://%s%s%s:%u/metrics\n", program, v6 ? "[" : "",
                 command_line.metrics_host.c_str(), v6 ? "]" : "", static_cast<unsigned>(bound.port));
  }
  // Before the startup line: whoever reads it may signal us at once.
  std::signal(SIGINT, tether_server_request_stop);
  std::signal(SIGTERM, tether_server_request_stop);
  std::printf("%s listening on %s\n", program, listen_url(command_line.options, listening.port).c_str());
  std::fflush(stdout);

  int64_t give_up_at = 0;
  const bool cluster = !command_line.cluster.redis_url.empty();
  std::function<void()> watch = [&] {
    if (g_stop_requested && give_up_at == 0 && cluster) {
      // A cluster node's clients move to the other nodes, spread out.
      server.drain(command_line.cluster.drain_ms);
      give_up_at = loop.now_ms() + command_line.cluster.drain_ms + kShutdownGraceMs;
    } else if (g_stop_requested && give_up_at == 0) {
      if (state_file.empty()) {
        server.shutdown(core::close_code::kGoingAway);
      } else {
        server.shutdown_for_restart(core::close_code::kGoingAway);
      }
      give_up_at = loop.now_ms() + kShutdownGraceMs;
    }
    if (give_up_at != 0 && (server.connection_count() == 0 || loop.now_ms() >= give_up_at)) {
      loop.stop();
      return;
    }
    loop.set_timer(kSignalPollMs, watch);
  };
  loop.set_timer(kSignalPollMs, watch);
  loop.run();
  if (!state_file.empty() && !write_file(state_file, server.save_state())) {
    std::fprintf(stderr, "%s: could not write state file %s\n", program, state_file.c_str());
    return kExitFailure;
  }
  return kExitOk;
}

int server_main(int argc, char** argv, Application* app, const char* program) {
  try {
    std::vector<std::string_view> args(argv + (argc > 0 ? 1 : 0), argv + argc);
    CommandLine command_line;
    const std::string error = parse_command_line(args, std::getenv("TETHER_JWT_SECRET"), command_line);
    if (!error.empty()) {
      std::fprintf(stderr, "%s: %s\nTry '%s --help'.\n", program, error.c_str(), program);
      return kExitUsage;
    }
    if (command_line.show_help) {
      std::fputs(usage_text(), stdout);
      return kExitOk;
    }
    return serve_until_signal(command_line, app, program);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "%s: %s\n", program, error.what());
    return kExitFailure;
  } catch (...) {
    return kExitFailure;
  }
}

}  // namespace tether::server
