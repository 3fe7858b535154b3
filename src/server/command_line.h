#pragma once
// tether-server's command line: arguments (and TETHER_JWT_SECRET) to
// ServerOptions. Pure: no I/O, so it is testable and main() stays small.
#include <string>
#include <string_view>
#include <vector>

#include "server/cluster_broker.h"
#include "server/server_options.h"

namespace tether::server {

struct CommandLine {
  ServerOptions options;
  std::string state_file;  // --state-file: sessions survive a graceful restart
  // --redis and the flags after it: a cluster node (cluster.redis_url non-empty).
  ClusterOptions cluster;
  // --metrics-listen: /healthz and /metrics over HTTP (metrics_host empty: off).
  std::string metrics_host;
  uint16_t metrics_port = 0;
  bool show_help = false;
};

// Parses `args` (without the program name). `env_jwt_secret` (may be null)
// is used when --jwt-secret is absent. Returns "" on success, else a
// one-line message for the user. The result is validated (validate()).
std::string parse_command_line(const std::vector<std::string_view>& args, const char* env_jwt_secret,
                               CommandLine& out);

// The --help text.
const char* usage_text();

}  // namespace tether::server
