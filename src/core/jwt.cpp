#include "core/jwt.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <climits>
#include <limits>
#include <utility>

#include "core/json_writer.h"

namespace tether::core {
namespace {

// Iterative: nesting depth cannot exhaust the stack. Validated: claims are UTF-8.
constexpr unsigned kJsonParseFlags =
    rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag;

// RFC 7519 NumericDate bounded to 9999-12-31, so seconds * 1000 + leeway stays far from overflow.
constexpr int64_t kMaxNumericDateSeconds = 253402300799;

constexpr std::string_view kHs256HeaderJson = R"({"alg":"HS256","typ":"JWT"})";
constexpr size_t kHmacSha256Bytes = 32;

const unsigned char* as_bytes(std::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

unsigned char* as_bytes(std::string& text) {
  return reinterpret_cast<unsigned char*>(text.data());
}

std::string_view view_of(const rapidjson::Value& string_value) {
  return {string_value.GetString(), string_value.GetStringLength()};
}

// A claim string we keep: valid UTF-8, so the session can write it out
// again (auth_success, a state file) without producing text nobody can read.
bool is_text(const rapidjson::Value& value) {
  return value.IsString() && !json::has_lone_surrogate(value.GetString(), value.GetStringLength());
}

bool is_base64url_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         c == '-' || c == '_';
}

std::optional<std::string> hmac_sha256(std::string_view secret, std::string_view data) {
  if (secret.size() > static_cast<size_t>(INT_MAX)) return std::nullopt;
  std::string mac(EVP_MAX_MD_SIZE, '\0');
  unsigned int mac_length = 0;
  if (HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()), as_bytes(data),
           data.size(), as_bytes(mac), &mac_length) == nullptr) {
    return std::nullopt;
  }
  mac.resize(mac_length);
  return mac;
}

// The three segments of a compact JWS, still encoded, plus the signed prefix.
struct EncodedToken {
  std::string_view signing_input;  // "header.payload"
  std::string_view header;
  std::string_view payload;
  std::string_view signature;
};

std::optional<EncodedToken> split_token(std::string_view token) {
  if (token.size() > kMaxTokenBytes) return std::nullopt;
  const size_t first_dot = token.find('.');
  if (first_dot == std::string_view::npos) return std::nullopt;
  const size_t second_dot = token.find('.', first_dot + 1);
  if (second_dot == std::string_view::npos) return std::nullopt;
  if (token.find('.', second_dot + 1) != std::string_view::npos) return std::nullopt;
  return EncodedToken{token.substr(0, second_dot), token.substr(0, first_dot),
                      token.substr(first_dot + 1, second_dot - first_dot - 1),
                      token.substr(second_dot + 1)};
}

struct DecodedToken {
  std::string signing_input;
  std::string header_json;
  std::string payload_json;
  std::string signature;
};

std::optional<DecodedToken> decode_token(std::string_view token) {
  const std::optional<EncodedToken> encoded = split_token(token);
  if (!encoded) return std::nullopt;
  std::optional<std::string> header = base64url_decode(encoded->header);
  std::optional<std::string> payload = base64url_decode(encoded->payload);
  std::optional<std::string> signature = base64url_decode(encoded->signature);
  if (!header || !payload || !signature) return std::nullopt;
  return DecodedToken{std::string(encoded->signing_input), std::move(*header),
                      std::move(*payload), std::move(*signature)};
}

bool parse_json_object(std::string_view json, rapidjson::Document& document) {
  document.Parse<kJsonParseFlags>(json.data(), json.size());
  return !document.HasParseError() && document.IsObject();
}

TokenError check_header(std::string_view header_json) {
  rapidjson::Document header;
  if (!parse_json_object(header_json, header)) return TokenError::Malformed;
  const rapidjson::Value* algorithm = nullptr;
  for (const auto& member : header.GetObject()) {
    const std::string_view name = view_of(member.name);
    // Duplicate names are ambiguous between parsers (RFC 7515 §4).
    if (name == "alg") {
      if (algorithm != nullptr) return TokenError::Malformed;
      algorithm = &member.value;
    }
    // We understand no extensions, and "crit" demands that we do (RFC 7515 §4.1.11).
    if (name == "crit") return TokenError::Malformed;
  }
  if (algorithm == nullptr || !algorithm->IsString()) return TokenError::Malformed;
  if (view_of(*algorithm) != "HS256") return TokenError::UnsupportedAlgorithm;
  return TokenError::None;
}

std::optional<int64_t> numeric_date_ms(const rapidjson::Value& value) {
  if (value.IsInt64()) {
    const int64_t seconds = value.GetInt64();
    if (seconds < 0 || seconds > kMaxNumericDateSeconds) return std::nullopt;
    return seconds * 1000;
  }
  if (value.IsDouble()) {  // NumericDate may be fractional
    const double seconds = value.GetDouble();
    if (!(seconds >= 0 && seconds <= static_cast<double>(kMaxNumericDateSeconds))) {
      return std::nullopt;
    }
    return static_cast<int64_t>(seconds * 1000.0);
  }
  return std::nullopt;
}

bool read_permissions(const rapidjson::Value& value, std::vector<std::string>& permissions) {
  if (!value.IsArray()) return false;
  for (const auto& entry : value.GetArray()) {
    if (!is_text(entry)) return false;
    permissions.emplace_back(view_of(entry));
  }
  return true;
}

TokenError parse_claims(std::string_view payload_json, TokenClaims& claims) {
  rapidjson::Document payload;
  if (!parse_json_object(payload_json, payload)) return TokenError::Malformed;
  bool seen_sub = false, seen_exp = false, seen_iat = false, seen_nbf = false, seen_permissions = false;
  for (const auto& member : payload.GetObject()) {
    const std::string_view name = view_of(member.name);
    const rapidjson::Value& value = member.value;
    // A repeated claim is rejected: parsers disagree on which copy wins.
    if (name == "sub") {
      if (std::exchange(seen_sub, true) || !is_text(value)) return TokenError::Malformed;
      claims.subject.assign(view_of(value));
    } else if (name == "exp") {
      const std::optional<int64_t> ms = numeric_date_ms(value);
      // exp 0 would read back as "no expiry"; it is long past anyway, so refuse it.
      if (std::exchange(seen_exp, true) || !ms || *ms == 0) return TokenError::Malformed;
      claims.expires_at_ms = *ms;
    } else if (name == "iat") {
      const std::optional<int64_t> ms = numeric_date_ms(value);
      if (std::exchange(seen_iat, true) || !ms) return TokenError::Malformed;
      claims.issued_at_ms = *ms;
    } else if (name == "nbf") {
      const std::optional<int64_t> ms = numeric_date_ms(value);
      if (std::exchange(seen_nbf, true) || !ms) return TokenError::Malformed;
      claims.not_before_ms = *ms;
    } else if (name == "permissions") {
      if (std::exchange(seen_permissions, true) || !read_permissions(value, claims.permissions)) {
        return TokenError::Malformed;
      }
    }
  }
  if (claims.subject.empty()) return TokenError::MissingSubject;
  return TokenError::None;
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

const char* token_error_code(TokenError error) noexcept {
  switch (error) {
    case TokenError::None: return "ok";
    case TokenError::Malformed: return "token_malformed";
    case TokenError::UnsupportedAlgorithm: return "unsupported_algorithm";
    case TokenError::BadSignature: return "bad_signature";
    case TokenError::Expired: return "token_expired";
    case TokenError::MissingSubject: return "missing_subject";
    case TokenError::NotYetValid: return "token_not_yet_valid";
  }
  return "token_malformed";  // out-of-range value cast into the enum
}

std::string base64url_encode(std::string_view bytes) noexcept {
  try {
    if (bytes.size() > static_cast<size_t>(INT_MAX / 4 * 3)) return {};
    // +1: EVP_EncodeBlock NUL-terminates its output.
    std::string text(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    const int written =
        EVP_EncodeBlock(as_bytes(text), as_bytes(bytes), static_cast<int>(bytes.size()));
    text.resize(static_cast<size_t>(written));
    while (!text.empty() && text.back() == '=') text.pop_back();
    for (char& c : text) {
      if (c == '+') c = '-';
      if (c == '/') c = '_';
    }
    return text;
  } catch (...) {
    return {};
  }
}

std::optional<std::string> base64url_decode(std::string_view text) noexcept {
  try {
    if (text.size() % 4 == 1 || text.size() > static_cast<size_t>(INT_MAX / 2)) {
      return std::nullopt;
    }
    // Translate to the standard alphabet and restore the padding OpenSSL expects.
    std::string standard(text);
    for (char& c : standard) {
      if (!is_base64url_char(c)) return std::nullopt;
      if (c == '-') c = '+';
      if (c == '_') c = '/';
    }
    const size_t padding = (4 - standard.size() % 4) % 4;
    standard.append(padding, '=');
    std::string bytes(standard.size() / 4 * 3, '\0');
    const int written = EVP_DecodeBlock(as_bytes(bytes), as_bytes(standard),
                                        static_cast<int>(standard.size()));
    if (written < 0) return std::nullopt;
    // EVP_DecodeBlock counts the zero bytes it emits for padding.
    bytes.resize(static_cast<size_t>(written) - padding);
    // Unused low bits in the last character give one byte string several
    // spellings; accept only the canonical one so tokens are not malleable.
    if (base64url_encode(bytes) != text) return std::nullopt;
    return bytes;
  } catch (...) {
    return std::nullopt;
  }
}

TokenCheck verify_hs256(std::string_view token, std::string_view secret, int64_t unix_now_ms,
                        int64_t leeway_ms, int64_t max_lifetime_ms) noexcept {
  try {
    const std::optional<DecodedToken> decoded = decode_token(token);
    if (!decoded) return failed(TokenError::Malformed);
    if (const TokenError error = check_header(decoded->header_json); error != TokenError::None) {
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
    if (const TokenError error = parse_claims(decoded->payload_json, check.claims);
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

TokenCheck read_claims_unverified(std::string_view token) noexcept {
  try {
    const std::optional<DecodedToken> decoded = decode_token(token);
    if (!decoded) return failed(TokenError::Malformed);
    TokenCheck check;
    if (const TokenError error = parse_claims(decoded->payload_json, check.claims);
        error != TokenError::None) {
      return failed(error);
    }
    return check;
  } catch (...) {
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
