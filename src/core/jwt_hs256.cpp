// HS256 (HMAC-SHA256) signing and verification, and Hs256Authority: the
// server's and the token tool's, through libcrypto. Reading claims is
// jwt_claims.cpp; the browser build has neither libcrypto nor this file.
#include "core/jwt.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <climits>
#include <limits>
#include <utility>

#include "core/jwt_parse.h"

namespace tether::core {
namespace {

using jwt_parse::kMaxNumericDateSeconds;

constexpr std::string_view kHs256HeaderJson = R"({"alg":"HS256","typ":"JWT"})";
constexpr size_t kHmacSha256Bytes = 32;

std::optional<std::string> hmac_sha256(std::string_view secret, std::string_view data) {
  if (secret.size() > static_cast<size_t>(INT_MAX)) return std::nullopt;
  std::string mac(EVP_MAX_MD_SIZE, '\0');
  unsigned int mac_length = 0;
  if (HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(),
           reinterpret_cast<unsigned char*>(mac.data()), &mac_length) == nullptr) {
    return std::nullopt;
  }
  mac.resize(mac_length);
  return mac;
}

bool is_expired(int64_t expires_at_ms, int64_t unix_now_ms, int64_t leeway_ms) {
  if (expires_at_ms == 0) return false;
  leeway_ms = std::max<int64_t>(leeway_ms, 0);
  // A leeway this large means "never expires"; saturate instead of overflowing.
  if (leeway_ms > std::numeric_limits<int64_t>::max() - expires_at_ms) return false;
  return unix_now_ms >= expires_at_ms + leeway_ms;
}

bool is_not_yet_valid(int64_t not_before_ms, int64_t unix_now_ms, int64_t leeway_ms) {
  if (not_before_ms == 0) return false;
  leeway_ms = std::max<int64_t>(leeway_ms, 0);
  if (leeway_ms > std::numeric_limits<int64_t>::max() - unix_now_ms) return false;
  return unix_now_ms + leeway_ms < not_before_ms;
}

TokenCheck failed(TokenError error) {
  TokenCheck check;
  check.error = error;
  return check;
}

std::optional<std::string> claims_json(const TokenClaims& claims) {
  // Each string is bounded first: RapidJSON lengths are 32-bit, and a longer
  // token could never verify anyway.
  size_t string_bytes = claims.subject.size();
  for (const std::string& permission : claims.permissions) string_bytes += permission.size();
  if (string_bytes > kMaxTokenBytes) return std::nullopt;

  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer, rapidjson::UTF8<>, rapidjson::UTF8<>,
                    rapidjson::CrtAllocator, rapidjson::kWriteValidateEncodingFlag>
      writer(buffer);
  auto write_string = [&writer](std::string_view text) {
    return writer.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
  };
  bool ok = writer.StartObject();
  if (!claims.subject.empty()) ok = ok && writer.Key("sub") && write_string(claims.subject);
  if (claims.expires_at_ms != 0) {
    ok = ok && writer.Key("exp") && writer.Int64(claims.expires_at_ms / 1000);
  }
  if (claims.issued_at_ms != 0) {
    ok = ok && writer.Key("iat") && writer.Int64(claims.issued_at_ms / 1000);
  }
  if (claims.not_before_ms != 0) {
    ok = ok && writer.Key("nbf") && writer.Int64(claims.not_before_ms / 1000);
  }
  if (!claims.permissions.empty()) {
    ok = ok && writer.Key("permissions") && writer.StartArray();
    for (const std::string& permission : claims.permissions) {
      ok = ok && write_string(permission);
    }
    ok = ok && writer.EndArray();
  }
  ok = ok && writer.EndObject();
  if (!ok) return std::nullopt;
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace

TokenCheck verify_hs256(std::string_view token, std::string_view secret, int64_t unix_now_ms,
                        int64_t leeway_ms, int64_t max_lifetime_ms) noexcept {
  try {
    const std::optional<jwt_parse::DecodedToken> decoded = jwt_parse::decode_token(token);
    if (!decoded) return failed(TokenError::Malformed);
    if (const TokenError error = jwt_parse::check_header(decoded->header_json);
        error != TokenError::None) {
      return failed(error);
    }
    // An empty key would let anyone mint tokens.
    if (secret.empty()) return failed(TokenError::BadSignature);
    const std::optional<std::string> expected = hmac_sha256(secret, decoded->signing_input);
    if (!expected || expected->size() != kHmacSha256Bytes ||
        decoded->signature.size() != kHmacSha256Bytes ||
        CRYPTO_memcmp(expected->data(), decoded->signature.data(), kHmacSha256Bytes) != 0) {
      return failed(TokenError::BadSignature);
    }
    TokenCheck check;
    if (const TokenError error = jwt_parse::parse_claims(decoded->payload_json, check.claims);
        error != TokenError::None) {
      return failed(error);
    }
    TokenClaims& claims = check.claims;
    if (claims.expires_at_ms == 0 && max_lifetime_ms > 0) {
      // No exp: a token that leaked would be good forever. The server's
      // maximum lifetime, counted from its issue, stands in for it.
      const int64_t from = claims.issued_at_ms != 0 ? claims.issued_at_ms : std::max<int64_t>(unix_now_ms, 1);
      claims.expires_at_ms = std::min(from, kMaxNumericDateSeconds * 1000) +
                             std::min(max_lifetime_ms, kMaxNumericDateSeconds * 1000);
    }
    if (is_expired(claims.expires_at_ms, unix_now_ms, leeway_ms)) {
      return failed(TokenError::Expired);
    }
    if (is_not_yet_valid(claims.not_before_ms, unix_now_ms, leeway_ms)) {
      return failed(TokenError::NotYetValid);
    }
    return check;
  } catch (...) {  // allocation failure: the token is not accepted
    return failed(TokenError::Malformed);
  }
}

std::string sign_hs256(const TokenClaims& claims, std::string_view secret) noexcept {
  try {
    if (secret.empty()) return {};
    const std::optional<std::string> payload_json = claims_json(claims);
    if (!payload_json) return {};
    std::string token = base64url_encode(kHs256HeaderJson) + '.' + base64url_encode(*payload_json);
    const std::optional<std::string> mac = hmac_sha256(secret, token);
    if (!mac) return {};
    token += '.';
    token += base64url_encode(*mac);
    if (token.size() > kMaxTokenBytes) return {};
    return token;
  } catch (...) {
    return {};
  }
}

Hs256Authority::Hs256Authority(std::string secret, int64_t leeway_ms,
                               int64_t refreshed_lifetime_ms, int64_t max_lifetime_ms)
    : secret_(std::move(secret)),
      leeway_ms_(leeway_ms),
      refreshed_lifetime_ms_(refreshed_lifetime_ms),
      max_lifetime_ms_(max_lifetime_ms) {}

TokenCheck Hs256Authority::verify(std::string_view token, int64_t unix_now_ms) const noexcept {
  return verify_hs256(token, secret_, unix_now_ms, leeway_ms_, max_lifetime_ms_);
}

std::string Hs256Authority::issue_refreshed(const TokenClaims& current,
                                            int64_t unix_now_ms) const noexcept {
  try {
    if (current.subject.empty() || unix_now_ms < 0) return {};
    int64_t lifetime_ms = refreshed_lifetime_ms_;
    if (lifetime_ms <= 0) {
      const bool lifetime_known =
          current.issued_at_ms > 0 && current.expires_at_ms > current.issued_at_ms;
      lifetime_ms = lifetime_known ? current.expires_at_ms - current.issued_at_ms
                                   : kDefaultRefreshedLifetimeMs;
    }
    // Beyond the NumericDate range the token would fail to verify; refuse to issue it.
    if (lifetime_ms > kMaxNumericDateSeconds * 1000 - unix_now_ms) return {};
    TokenClaims refreshed;
    refreshed.subject = current.subject;
    refreshed.permissions = current.permissions;
    refreshed.issued_at_ms = unix_now_ms;
    refreshed.expires_at_ms = unix_now_ms + lifetime_ms;
    return sign_hs256(refreshed, secret_);
  } catch (...) {
    return {};
  }
}

}  // namespace tether::core
