#pragma once
// What the server checks in an upgrade request beyond websocketpp's own
// checks (RFC 6455 4.2.1): a Sec-WebSocket-Key that is 16 bytes in base64
// (so a repeated header, which websocketpp joins with ", ", fails too), no
// NUL in any header, and no body announced by Transfer-Encoding.
#include <string>

namespace tether::transport::detail {

enum class UpgradeProblem { None, BadRequest, HasBody };

// One header; `name` compared without case. Called for each header in turn.
UpgradeProblem check_upgrade_header(const std::string& name, const std::string& value, bool& saw_key);

// `headers`: name -> value pairs (websocketpp's request keeps a map).
template <typename Headers>
UpgradeProblem check_upgrade_headers(const Headers& headers) {
  bool saw_key = false;
  for (const auto& [name, value] : headers) {
    if (const UpgradeProblem problem = check_upgrade_header(name, value, saw_key); problem != UpgradeProblem::None) {
      return problem;
    }
  }
  return saw_key ? UpgradeProblem::None : UpgradeProblem::BadRequest;
}

}  // namespace tether::transport::detail
