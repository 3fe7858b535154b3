// tether-burst-node: tether-server with one application rule, for the
// cluster tests: a publish of N (a JSON number) on channel "burst" is
// answered with N reliable messages to the publisher's session alone
// (send_to_session), [1,"pad"] .. [N,"pad"], each padded to about 1 KB so
// they outgrow the socket buffers. In a cluster they go through the
// session's direct stream, so they survive this node.
#include <cstdlib>
#include <string>

#include "server/application.h"
#include "server/process.h"
#include "server/server.h"

namespace {

class BurstApp final : public tether::server::Application {
 public:
  bool on_publish(tether::server::Server& server, const tether::server::SessionInfo& from, std::string_view channel,
                  std::string_view data, bool /*reliable*/) override {
    if (channel != "burst") return false;
    const long count = std::strtol(std::string(data).c_str(), nullptr, 10);
    const std::string pad(1000, 'x');
    for (long i = 1; i <= count && i <= 100000; ++i) {
      server.send_to_session(from.session_id, "burst", "[" + std::to_string(i) + ",\"" + pad + "\"]", true);
    }
    return true;
  }
};

}  // namespace

int main(int argc, char** argv) {
  BurstApp app;
  return tether::server::server_main(argc, argv, &app, "tether-burst-node");
}
