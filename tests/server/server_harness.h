#pragma once
// An in-process server for tests: a Server on the test's EventLoop,
// listening on 127.0.0.1:<ephemeral>, with its log lines captured.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "server/server.h"
#include "transport/event_loop.h"

namespace tether::server::test {

// Options for a test server: the test secret, an ephemeral port, logs kept
// in `log_lines`.
ServerOptions test_options(std::vector<std::string>& log_lines);

// Records the lifecycle hooks' calls; consumes nothing.
struct RecordingApp : Application {
  void on_session_started(Server&, const SessionInfo& session) override { started.push_back(session.session_id); }
  void on_session_ended(Server&, const SessionInfo& session) override { ended.push_back(session.session_id); }
  std::vector<std::string> started;  // session ids
  std::vector<std::string> ended;
};

struct ServerHarness {
  // Starts at once (REQUIREs success); `tune` may adjust the options first.
  explicit ServerHarness(const std::function<void(ServerOptions&)>& tune = {}, Application* app = nullptr);

  std::string url() const { return url_; }
  bool logged(const std::string& needle) const;  // a log line contains it

  transport::EventLoop loop;
  std::vector<std::string> log_lines;
  std::unique_ptr<Server> server;
  uint16_t port = 0;

 private:
  std::string url_;
};

}  // namespace tether::server::test
