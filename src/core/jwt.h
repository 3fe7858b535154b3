#pragma once
// HS256 JSON Web Tokens (RFC 7519 / RFC 7515 compact form): verify on the
// server, read unverified on the client to schedule refresh, sign to issue.
// Pure functions of their arguments; time comes in as unix milliseconds.
// Nothing here throws: failures come back as a TokenError or an empty string.
// Reading (read_claims_unverified, base64url) is jwt_claims.cpp, for every
// build; HS256 (verify, sign, the authorities) is jwt_hs256.cpp, libcrypto,
// which the browser build (src/web) leaves out.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tether::core {

struct TokenClaims {
  std::string subject;              // "sub"
  int64_t expires_at_ms = 0;        // "exp" in unix ms; 0 = no exp claim
  int64_t issued_at_ms = 0;         // "iat" in unix ms; 0 = no iat claim
  int64_t not_before_ms = 0;        // "nbf" in unix ms; 0 = no nbf claim
  std::vector<std::string> permissions;  // "permissions"; absent = empty
};

enum class TokenError : uint8_t {
  None,
  Malformed,             // not three base64url segments of JSON, wrong claim types, a claim
                         // string that is not UTF-8 (an escaped lone surrogate), or > kMaxTokenBytes
  UnsupportedAlgorithm,  // header "alg" is anything but "HS256" (including "none")
  BadSignature,          // HMAC mismatch, or the verifying secret is empty
  Expired,               // unix_now_ms >= exp * 1000 + leeway_ms
  MissingSubject,        // no "sub", or an empty one
  NotYetValid,           // unix_now_ms + leeway_ms < nbf * 1000
};

// Stable snake_case wire codes: "ok", "token_malformed", "unsupported_algorithm",
// "bad_signature", "token_expired", "missing_subject", "token_not_yet_valid".
const char* token_error_code(TokenError error) noexcept;

struct TokenCheck {
  TokenError error = TokenError::None;
  TokenClaims claims;  // filled only when error == None
};

// Tokens longer than this are rejected as Malformed before any decoding.
constexpr size_t kMaxTokenBytes = 8 * 1024;

// Server side. Checks, in order: size and structure, header alg == "HS256"
// exactly, the HMAC-SHA256 signature (constant-time), the claims' types, "sub",
// then "exp" (expired when unix_now_ms >= exp*1000 + leeway_ms; negative
// leeway counts as 0), then "nbf" (NotYetValid when unix_now_ms + leeway_ms
// < nbf*1000). An empty secret never verifies anything.
// max_lifetime_ms > 0: a token without "exp" expires max_lifetime_ms after
// its "iat" (or after unix_now_ms if it has none either), and the returned
// claims carry that expiry. Tokens with "exp" keep theirs.
TokenCheck verify_hs256(std::string_view token, std::string_view secret,
                        int64_t unix_now_ms, int64_t leeway_ms = 0,
                        int64_t max_lifetime_ms = 0) noexcept;

// Client side: decodes the payload WITHOUT checking the header or signature,
// only to learn "exp" for scheduling a refresh. Never trust the result.
TokenCheck read_claims_unverified(std::string_view token) noexcept;

// Signs claims into a compact JWT with header {"alg":"HS256","typ":"JWT"}.
// "exp"/"iat" are written in whole seconds (ms / 1000) when non-zero, "sub"
// and "permissions" when non-empty. Returns "" for an empty secret, strings
// that are not valid UTF-8, a token that would exceed kMaxTokenBytes (it could
// never verify), or on allocation failure.
std::string sign_hs256(const TokenClaims& claims, std::string_view secret) noexcept;

// The unpadded base64url of RFC 7515 §2 that each JWT segment uses.
// Returns "" only for empty input or on allocation failure.
std::string base64url_encode(std::string_view bytes) noexcept;
// Rejects (nullopt) padding, characters outside [A-Za-z0-9_-], impossible
// lengths (len % 4 == 1) and non-canonical trailing bits, so every byte
// string has exactly one accepted spelling.
std::optional<std::string> base64url_decode(std::string_view text) noexcept;

// What a server session is configured with, so applications can plug in
// their own auth. Implementations must not throw.
class TokenAuthority {
 public:
  virtual ~TokenAuthority() = default;
  virtual TokenCheck verify(std::string_view token, int64_t unix_now_ms) const = 0;
  // Issues a replacement token for a verified session (same subject and
  // permissions, new expiry). Returns "" if this authority cannot issue.
  virtual std::string issue_refreshed(const TokenClaims& current,
                                      int64_t unix_now_ms) const = 0;
};

// The default authority: a shared HS256 secret.
class Hs256Authority final : public TokenAuthority {
 public:
  // refreshed_lifetime_ms: lifetime of issued tokens; 0 = reuse the current
  // token's lifetime (exp - iat), or kDefaultRefreshedLifetimeMs if unknown.
  // max_lifetime_ms: bounds tokens without "exp" (verify_hs256); 0 = they
  // never expire.
  explicit Hs256Authority(std::string secret, int64_t leeway_ms = 0,
                          int64_t refreshed_lifetime_ms = 0, int64_t max_lifetime_ms = 0);

  TokenCheck verify(std::string_view token, int64_t unix_now_ms) const noexcept override;
  // Returns "" for an empty subject or secret, or an expiry that cannot be represented.
  std::string issue_refreshed(const TokenClaims& current,
                              int64_t unix_now_ms) const noexcept override;

  static constexpr int64_t kDefaultRefreshedLifetimeMs = 60 * 60 * 1000;

 private:
  std::string secret_;
  int64_t leeway_ms_;
  int64_t refreshed_lifetime_ms_;
  int64_t max_lifetime_ms_;
};

}  // namespace tether::core
