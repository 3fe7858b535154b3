#pragma once
// The line protocol between ServerProcess on Windows (server_process_agent.cpp)
// and tether-test-server-agent on Linux (server_agent.cpp). Tests only.
//
// One connection per ServerProcess; closing it kills that server. Each line
// is one request or answer, fields separated by '\t' (no field holds a tab
// or a newline). Every answer starts with "ok" or "error\t<why>".
//
//   start <timeout_ms> <port> <arg>...  -> ok <pid> <startup line>
//       the first start fixes the arguments; later ones start the same
//       server again on <port> (after kill or stop)
//   stop <timeout_ms>       -> ok <exit code>   SIGTERM, wait, then SIGKILL
//   terminate               -> ok <1|0>         SIGTERM without waiting
//   exited                  -> ok <1|0> <exit code>
//   kill                    -> ok <exit code>   SIGKILL and reap
//   log                     -> ok <n>, then n lines: the server's stderr
//   wait_log <timeout_ms> <needle>  -> ok <1|0>
#include <string>
#include <vector>

namespace tether::test_support {

// The environment variable that gives the agent's port to the tests.
constexpr const char* kServerAgentEnv = "TETHER_TEST_SERVER_AGENT";

inline std::string join_agent_fields(const std::vector<std::string>& fields) {
  std::string line;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) line += '\t';
    line += fields[i];
  }
  return line + '\n';
}

inline std::vector<std::string> split_agent_fields(const std::string& line) {
  std::vector<std::string> fields;
  size_t start = 0;
  for (size_t tab; (tab = line.find('\t', start)) != std::string::npos; start = tab + 1) {
    fields.emplace_back(line, start, tab - start);
  }
  fields.emplace_back(line, start);
  return fields;
}

}  // namespace tether::test_support
