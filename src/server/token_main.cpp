// tether-token: mints an HS256 token for tether-server, for demos, tests and
// development. Production tokens come from your own auth service.
//
//   tether-token --secret S --sub alice --perm publish:lobby --perm 'publish:room:*' [--ttl-s 3600]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "core/jwt.h"

int main(int argc, char** argv) {
  tether::core::TokenClaims claims;
  const char* env_secret = std::getenv("TETHER_JWT_SECRET");
  std::string secret = env_secret != nullptr ? env_secret : "";
  long long ttl_s = 3600;
  for (int i = 1; i < argc; i += 2) {  // every option takes a value
    const char* value = i + 1 < argc ? argv[i + 1] : nullptr;
    if (value == nullptr) {
      std::fprintf(stderr, "tether-token: %s needs a value\n", argv[i]);
      return 2;
    }
    if (std::strcmp(argv[i], "--secret") == 0) {
      secret = value;
    } else if (std::strcmp(argv[i], "--sub") == 0) {
      claims.subject = value;
    } else if (std::strcmp(argv[i], "--perm") == 0) {
      claims.permissions.emplace_back(value);
    } else if (std::strcmp(argv[i], "--ttl-s") == 0) {
      ttl_s = std::atoll(value);
    } else {
      std::fprintf(stderr, "usage: tether-token --secret S --sub USER [--perm P]... [--ttl-s SECONDS]\n");
      return 2;
    }
  }
  if (secret.empty() || claims.subject.empty() || ttl_s <= 0) {
    std::fprintf(stderr, "tether-token: --secret (or TETHER_JWT_SECRET), --sub and a positive --ttl-s are required\n");
    return 2;
  }
  using namespace std::chrono;
  const int64_t now_ms = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  claims.issued_at_ms = now_ms;
  claims.expires_at_ms = now_ms + ttl_s * 1000;
  const std::string token = tether::core::sign_hs256(claims, secret);
  if (token.empty()) {
    std::fprintf(stderr, "tether-token: could not sign (claims too large?)\n");
    return 1;
  }
  std::printf("%s\n", token.c_str());
  return 0;
}
