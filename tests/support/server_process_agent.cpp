// ServerProcess on Windows: the tether-server runs on the Linux side, under
// tether-test-server-agent (server_agent_protocol.h), reached over loopback.
#include <cstdlib>

#include "server_agent_protocol.h"
#include "server_process.h"

namespace tether::test_support {

namespace {

// An answer waits for the agent's own deadline plus this margin.
constexpr int64_t kAgentMarginMs = 10000;
constexpr int64_t kAgentQuickMs = kServerStopTimeoutMs + kAgentMarginMs;

}  // namespace

bool ServerProcess::call_agent(const std::string& request, std::vector<std::string>& answer,
                               int64_t timeout_ms) const {
  agent_error_.clear();
  if (!agent_.valid()) {
    const char* port = std::getenv(kServerAgentEnv);
    if (port == nullptr || std::atoi(port) <= 0 || std::atoi(port) > 65535) {
      agent_error_ = std::string("set ") + kServerAgentEnv +
                     " to the port of tether-test-server-agent (scripts/cross-windows.sh runs it)";
      return false;
    }
    agent_ = LoopbackSocket::connect_to(static_cast<uint16_t>(std::atoi(port)));
    if (!agent_.valid()) {
      agent_error_ = std::string("cannot reach tether-test-server-agent on port ") + port;
      return false;
    }
  }
  std::string line;
  if (!agent_.send_all(request) || !agent_.read_line(line, static_cast<int>(timeout_ms + kAgentMarginMs))) {
    agent_.close();  // the agent kills this connection's server
    agent_error_ = "tether-test-server-agent did not answer: " + request;
    return false;
  }
  std::vector<std::string> fields = split_agent_fields(line);
  if (fields.front() != "ok") {
    agent_error_ = fields.size() > 1 ? fields[1] : line;
    return false;
  }
  answer.assign(fields.begin() + 1, fields.end());
  return true;
}

bool ServerProcess::start(int64_t timeout_ms) {
  error_.clear();
  startup_line_.clear();
  url_.clear();
  std::vector<std::string> request = {"start", std::to_string(timeout_ms), std::to_string(port_)};
  request.insert(request.end(), args_.begin(), args_.end());
  std::vector<std::string> answer;
  if (!call_agent(join_agent_fields(request), answer, timeout_ms) || answer.size() < 2) {
    error_ = agent_error_.empty() ? "a short answer to start" : agent_error_;
    return false;
  }
  pid_ = std::atoi(answer[0].c_str());
  exit_code_ = -1;
  if (take_startup_line(answer[1])) return true;
  kill();
  return false;
}

int ServerProcess::stop(int64_t timeout_ms) {
  std::vector<std::string> answer;
  if (!agent_.valid()) return exit_code_;
  if (!call_agent(join_agent_fields({"stop", std::to_string(timeout_ms)}), answer, timeout_ms) || answer.empty()) {
    return -1;
  }
  exit_code_ = std::atoi(answer[0].c_str());
  return exit_code_;
}

bool ServerProcess::terminate() {
  std::vector<std::string> answer;
  return agent_.valid() && call_agent(join_agent_fields({"terminate"}), answer, kAgentQuickMs) && !answer.empty() &&
         answer[0] == "1";
}

bool ServerProcess::has_exited() {
  std::vector<std::string> answer;
  if (!agent_.valid()) return true;
  if (!call_agent(join_agent_fields({"exited"}), answer, kAgentQuickMs) || answer.size() < 2) return true;
  if (answer[0] == "1") exit_code_ = std::atoi(answer[1].c_str());
  return answer[0] == "1";
}

int ServerProcess::exit_code() const { return exit_code_; }

void ServerProcess::kill() {
  std::vector<std::string> answer;
  if (agent_.valid() && call_agent(join_agent_fields({"kill"}), answer, kAgentQuickMs) && !answer.empty()) {
    exit_code_ = std::atoi(answer[0].c_str());
  }
}

int ServerProcess::pid() const { return pid_; }  // a Linux pid, for messages only

std::vector<std::string> ServerProcess::log_lines() const {
  std::vector<std::string> answer;
  std::vector<std::string> lines;
  if (!agent_.valid() || !call_agent(join_agent_fields({"log"}), answer, kAgentQuickMs) || answer.empty()) {
    return lines;
  }
  const int count = std::atoi(answer[0].c_str());
  std::string line;
  for (int i = 0; i < count && agent_.read_line(line, static_cast<int>(kAgentQuickMs)); ++i) lines.push_back(line);
  return lines;
}

bool ServerProcess::wait_for_log(const std::string& needle, int64_t timeout_ms) {
  std::vector<std::string> answer;
  return agent_.valid() &&
         call_agent(join_agent_fields({"wait_log", std::to_string(timeout_ms), needle}), answer, timeout_ms) &&
         !answer.empty() && answer[0] == "1";
}

}  // namespace tether::test_support
