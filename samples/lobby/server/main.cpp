// tether-lobby-server: tether-server plus the lobby rules on the "lobby"
// channel. Same command line as tether-server (see --help).
#include "lobby_app.h"
#include "server/process.h"

int main(int argc, char** argv) {
  lobby::LobbyApp app;
  return tether::server::server_main(argc, argv, &app, "tether-lobby-server");
}
