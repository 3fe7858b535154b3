#include "transport/detail/upgrade_request.h"

#include <openssl/evp.h>

#include <cctype>

namespace tether::transport::detail {

namespace {

bool equals_ignoring_case(const std::string& a, const char* b) {
  size_t i = 0;
  for (; i < a.size() && b[i] != '\0'; ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return i == a.size() && b[i] == '\0';
}

// 16 bytes in base64 are 24 characters ending in "==" (RFC 6455 4.2.1).
bool is_websocket_key(const std::string& key) {
  if (key.size() != 24 || key.compare(22, 2, "==") != 0) return false;
  unsigned char decoded[18];  // EVP_DecodeBlock counts the padding's bytes too
  return EVP_DecodeBlock(decoded, reinterpret_cast<const unsigned char*>(key.data()), 24) == 18;
}

}  // namespace

UpgradeProblem check_upgrade_header(const std::string& name, const std::string& value, bool& saw_key) {
  if (name.find('\0') != std::string::npos || value.find('\0') != std::string::npos) {
    return UpgradeProblem::BadRequest;
  }
  if (equals_ignoring_case(name, "Transfer-Encoding")) return UpgradeProblem::HasBody;
  if (equals_ignoring_case(name, "Sec-WebSocket-Key")) {
    if (!is_websocket_key(value)) return UpgradeProblem::BadRequest;
    saw_key = true;
  }
  return UpgradeProblem::None;
}

}  // namespace tether::transport::detail
