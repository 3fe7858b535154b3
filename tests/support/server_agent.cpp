// tether-test-server-agent: runs tether-server on Linux for test programs
// that cannot (the Windows suites under Wine: a Windows process can neither
// start a Linux binary with pipes nor signal it). Tests only.
//
//   tether-test-server-agent --server build/bin/tether-server
//   -> "tether-test-server-agent listening on 127.0.0.1:PORT"
//
// Each connection owns at most one server, started with the arguments its
// first "start" gives (server_agent_protocol.h); the connection closing
// kills it. Only the --server binary is ever run, on 127.0.0.1.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "loopback_socket.h"
#include "server_agent_protocol.h"
#include "server_process.h"

using namespace tether::test_support;

namespace {

constexpr int kIdleForeverMs = std::numeric_limits<int>::max();

int64_t number(const std::string& text) { return std::strtoll(text.c_str(), nullptr, 10); }

std::string ok(std::vector<std::string> fields) {
  fields.insert(fields.begin(), "ok");
  return join_agent_fields(fields);
}

std::string error(const std::string& why) {
  std::string flat = why;  // one field: no tabs or newlines
  for (char& c : flat) {
    if (c == '\t' || c == '\n' || c == '\r') c = ' ';
  }
  return join_agent_fields({"error", flat});
}

// One request -> its answer.
std::string answer(const std::vector<std::string>& request, const std::string& binary,
                   std::unique_ptr<ServerProcess>& server) {
  const std::string& verb = request.front();
  if (verb == "start" && request.size() >= 3) {
    if (!server) {
      std::vector<std::string> args(request.begin() + 3, request.end());
      server = std::make_unique<ServerProcess>(binary, args, static_cast<uint16_t>(number(request[2])));
    }
    if (!server->start(number(request[1]))) return error(server->error());
    return ok({std::to_string(server->pid()), server->startup_line()});
  }
  if (!server) return error("no server: start one first");
  if (verb == "stop" && request.size() == 2) return ok({std::to_string(server->stop(number(request[1])))});
  if (verb == "terminate") return ok({server->terminate() ? "1" : "0"});
  if (verb == "exited") {
    const bool exited = server->has_exited();
    return ok({exited ? "1" : "0", std::to_string(server->exit_code())});
  }
  if (verb == "kill") {
    server->kill();
    return ok({std::to_string(server->exit_code())});
  }
  if (verb == "log") {
    const std::vector<std::string> lines = server->log_lines();
    std::string text = ok({std::to_string(lines.size())});
    for (const std::string& line : lines) text += line + '\n';
    return text;
  }
  if (verb == "wait_log" && request.size() == 3) {
    return ok({server->wait_for_log(request[2], number(request[1])) ? "1" : "0"});
  }
  return error("unknown request: " + verb);
}

void serve(LoopbackSocket connection, std::string binary) {
  std::unique_ptr<ServerProcess> server;
  std::string line;
  while (connection.read_line(line, kIdleForeverMs)) {
    if (!connection.send_all(answer(split_agent_fields(line), binary, server))) break;
  }
  // The connection is gone: so is its server (ServerProcess's destructor kills it).
}

}  // namespace

int main(int argc, char** argv) {
  std::string binary;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--server") == 0) binary = argv[i + 1];
  }
  if (binary.empty()) {
    std::fprintf(stderr, "usage: tether-test-server-agent --server PATH_TO_TETHER_SERVER\n");
    return 2;
  }
  LoopbackSocket listener = LoopbackSocket::listen_on();
  if (!listener.valid()) {
    std::fprintf(stderr, "tether-test-server-agent: cannot listen on 127.0.0.1\n");
    return 1;
  }
  std::printf("tether-test-server-agent listening on 127.0.0.1:%u\n", static_cast<unsigned>(listener.local_port()));
  std::fflush(stdout);
  // Runs until killed; each connection's thread ends with its connection.
  for (;;) {
    LoopbackSocket connection = listener.accept_client(kIdleForeverMs);
    if (connection.valid()) std::thread(serve, std::move(connection), binary).detach();
  }
}
