#include "tokens.h"

#include <chrono>

#include "core/jwt.h"

namespace tether::test_support {

std::vector<std::string> all_channels() { return {"publish:*", "subscribe:*"}; }

std::string mint_token(const std::string& user, std::vector<std::string> permissions, int64_t lifetime_ms,
                       std::string_view secret) {
  using namespace std::chrono;
  const int64_t now_ms = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  core::TokenClaims claims;
  claims.subject = user;
  claims.permissions = std::move(permissions);
  claims.issued_at_ms = now_ms;
  claims.expires_at_ms = now_ms + lifetime_ms;
  return core::sign_hs256(claims, secret);
}

}  // namespace tether::test_support
