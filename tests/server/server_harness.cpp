#include "server_harness.h"

#include <catch2/catch.hpp>

#include "tokens.h"

namespace tether::server::test {

ServerOptions test_options(std::vector<std::string>& log_lines) {
  ServerOptions options;
  options.host = "127.0.0.1";
  options.port = 0;
  options.jwt_secret = test_support::kTestSecret;
  options.log = [&log_lines](std::string_view line) { log_lines.emplace_back(line); };
  return options;
}

ServerHarness::ServerHarness(const std::function<void(ServerOptions&)>& tune, Application* app) {
  ServerOptions options = test_options(log_lines);
  if (tune) tune(options);
  server = std::make_unique<Server>(loop, options, app);
  const transport::ListenResult result = server->start();
  INFO(result.detail);
  REQUIRE(result.ok());
  port = result.port;
  url_ = listen_url(options, port);
}

bool ServerHarness::logged(const std::string& needle) const {
  for (const std::string& line : log_lines) {
    if (line.find(needle) != std::string::npos) return true;
  }
  return false;
}

}  // namespace tether::server::test
