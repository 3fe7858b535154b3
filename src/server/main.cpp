// tether-server: the Tether server as a process. Prints one startup line,
// serves until SIGINT/SIGTERM, then closes every client with 1001 and exits 0.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "server/command_line.h"
#include "server/server.h"
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

}  // namespace

extern "C" void tether_server_request_stop(int) { g_stop_requested = 1; }

namespace {

int serve(const tether::server::ServerOptions& options) {
  tether::transport::EventLoop loop;
  tether::server::Server server(loop, options);
  const tether::transport::ListenResult listening = server.start();
  if (!listening.ok()) {
    std::fprintf(stderr, "tether-server: cannot listen: %s\n", listening.detail.c_str());
    return kExitFailure;
  }
  // Before the startup line: whoever reads it may signal us at once.
  std::signal(SIGINT, tether_server_request_stop);
  std::signal(SIGTERM, tether_server_request_stop);
  std::printf("tether-server listening on %s\n", tether::server::listen_url(options, listening.port).c_str());
  std::fflush(stdout);

  int64_t give_up_at = 0;
  std::function<void()> watch = [&] {
    if (g_stop_requested && give_up_at == 0) {
      server.shutdown(1001);
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
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    std::vector<std::string_view> args(argv + (argc > 0 ? 1 : 0), argv + argc);
    tether::server::CommandLine command_line;
    const std::string error =
        tether::server::parse_command_line(args, std::getenv("TETHER_JWT_SECRET"), command_line);
    if (!error.empty()) {
      std::fprintf(stderr, "tether-server: %s\nTry 'tether-server --help'.\n", error.c_str());
      return kExitUsage;
    }
    if (command_line.show_help) {
      std::fputs(tether::server::usage_text(), stdout);
      return kExitOk;
    }
    return serve(command_line.options);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "tether-server: %s\n", error.what());
    return kExitFailure;
  } catch (...) {
    return kExitFailure;
  }
}
