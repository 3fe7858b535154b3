// JWT parsing and verification. Without the secret a fuzzer never gets past
// the HMAC check, so half the inputs are signed here first and reach the
// claims parser through verify_hs256, as a real token would.
//
// Input: first byte even: the rest is a token, verified and read unverified.
// Odd: the rest is "HEADER\nPAYLOAD" (or just PAYLOAD, under the standard
// header), each JSON, encoded and signed with kFuzzSecret.
// Checked: base64url has exactly one spelling per byte string; a verified
// token's claims survive sign_hs256 and verify again; a refreshed token
// issued for them verifies.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstddef>
#include <cstdint>

#include "harness.h"

using namespace tether::fuzz;

namespace {

constexpr int64_t kNowMs = kWallOffset + kStart;

std::string sign_segments(std::string_view header_json, std::string_view payload_json) {
  std::string token = base64url_encode(header_json) + '.' + base64url_encode(payload_json);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_length = 0;
  HMAC(EVP_sha256(), kFuzzSecret, static_cast<int>(std::string_view(kFuzzSecret).size()),
       reinterpret_cast<const unsigned char*>(token.data()), token.size(), mac, &mac_length);
  return token + '.' + base64url_encode(std::string_view(reinterpret_cast<const char*>(mac), mac_length));
}

void check_base64url(std::string_view text) {
  if (const std::optional<std::string> bytes = base64url_decode(text)) {
    FUZZ_CHECK(base64url_encode(*bytes) == text, "base64url_decode accepted a non-canonical spelling");
  }
  const std::string encoded = base64url_encode(text);
  const std::optional<std::string> decoded = base64url_decode(encoded);
  FUZZ_CHECK(text.empty() || (decoded && *decoded == text), "base64url does not round-trip");
}

// sign_hs256 writes dates in whole seconds, which moves a fractional exp up
// to 999 ms earlier: this much leeway makes up for it.
constexpr int64_t kTruncationLeewayMs = 1000;

// A token that verified: its claims, signed again, verify to the same claims
// (dates in whole seconds). Signing fails only for a token too long to
// verify (its header may have been shorter than ours) or for strings that
// are not UTF-8, which no verified claim may hold: a session writes them out
// again, in auth_success and in its state file.
void check_verified(const TokenClaims& claims, size_t token_bytes) {
  const std::string again = sign_hs256(claims, kFuzzSecret);
  FUZZ_CHECK(!again.empty() || token_bytes + 64 > kMaxTokenBytes, "verified claims cannot be signed again");
  if (again.empty()) return;
  const TokenCheck check = verify_hs256(again, kFuzzSecret, kNowMs, kTruncationLeewayMs);
  FUZZ_CHECK(check.error == TokenError::None, "a re-signed verified token does not verify");
  FUZZ_CHECK(check.claims.subject == claims.subject && check.claims.permissions == claims.permissions,
             "claims changed through sign and verify");
  FUZZ_CHECK(check.claims.expires_at_ms == claims.expires_at_ms / 1000 * 1000 &&
                 check.claims.issued_at_ms == claims.issued_at_ms / 1000 * 1000,
             "dates changed through sign and verify");

  // What a server answers a refresh with must verify on that server.
  const Hs256Authority authority(kFuzzSecret, kTruncationLeewayMs);
  const std::string refreshed = authority.issue_refreshed(claims, kNowMs);
  if (refreshed.empty()) return;
  const TokenCheck reissued = authority.verify(refreshed, kNowMs);
  FUZZ_CHECK(reissued.error == TokenError::None && reissued.claims.subject == claims.subject &&
                 reissued.claims.permissions == claims.permissions,
             "a refreshed token does not verify with the same subject and permissions");
}

void check_token(std::string_view token) {
  const TokenCheck check = verify_hs256(token, kFuzzSecret, kNowMs);
  if (check.error == TokenError::None) check_verified(check.claims, token.size());
  // The server's bound on tokens without exp, and a leeway.
  verify_hs256(token, kFuzzSecret, kNowMs, 30'000, 3'600'000);
  const TokenCheck unverified = read_claims_unverified(token);
  if (check.error == TokenError::None) {
    FUZZ_CHECK(unverified.error == TokenError::None && unverified.claims.subject == check.claims.subject,
               "a verified token's claims do not read unverified");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  if ((data[0] & 1) == 0) {
    check_token(input);
    check_base64url(input);
    return 0;
  }
  const size_t newline = input.find('\n');
  const std::string_view header =
      newline == std::string_view::npos ? std::string_view(R"({"alg":"HS256","typ":"JWT"})") : input.substr(0, newline);
  const std::string_view payload = newline == std::string_view::npos ? input : input.substr(newline + 1);
  check_token(sign_segments(header, payload));
  return 0;
}
