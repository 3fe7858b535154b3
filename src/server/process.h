#pragma once
// Runs a server as a process: listen, print the startup line, serve until
// SIGINT/SIGTERM, then close every client with 1001 and return. Shared by
// tether-server and applications that embed the server (the lobby sample).
#include <string>

#include "server/application.h"
#include "server/command_line.h"

namespace tether::server {

// `program` names the process in messages ("tether-server"). With a state
// file, sessions (and the application's state) are loaded from it at start
// and saved to it at shutdown, so clients resume across a restart.
// Returns the process exit code.
int serve_until_signal(const CommandLine& command_line, Application* app, const char* program);

// main() for a server binary: parses arguments (TETHER_JWT_SECRET too),
// handles --help and usage errors (exit 2), then serve_until_signal().
int server_main(int argc, char** argv, Application* app, const char* program);

}  // namespace tether::server
