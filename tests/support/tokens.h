#pragma once
// Minting HS256 tokens for tests (core::sign_hs256 with wall-clock expiry).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tether::test_support {

// The secret tests give the server (--jwt-secret / ServerOptions::jwt_secret).
inline constexpr const char* kTestSecret = "tether-test-secret";

// Permissions for a user who may publish and subscribe anywhere.
std::vector<std::string> all_channels();

// A token for `user` with `permissions`, expiring `lifetime_ms` from now
// (negative: already expired that long ago), signed with `secret`.
std::string mint_token(const std::string& user, std::vector<std::string> permissions = all_channels(),
                       int64_t lifetime_ms = 60 * 60 * 1000, std::string_view secret = kTestSecret);

}  // namespace tether::test_support
