// Reading a token's claims (base64url and JSON), for the client and the
// server alike. No cryptography: HS256 is jwt_hs256.cpp, and the browser
// build, which has no libcrypto, compiles this file without it.
#include "core/jwt.h"

#include <rapidjson/document.h>

#include <string>
#include <utility>
#include <vector>

#include "core/base64.h"
#include "core/json_writer.h"
#include "core/jwt_parse.h"

namespace tether::core {
namespace jwt_parse {
namespace {

// Iterative: nesting depth cannot exhaust the stack. Validated: claims are UTF-8.
constexpr unsigned kJsonParseFlags =
    rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag;

std::string_view view_of(const rapidjson::Value& string_value) {
  return {string_value.GetString(), string_value.GetStringLength()};
}

// A claim string we keep: valid UTF-8, so the session can write it out
// again (auth_success, a state file) without producing text nobody can read.
bool is_text(const rapidjson::Value& value) {
  return value.IsString() && !json::has_lone_surrogate(value.GetString(), value.GetStringLength());
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

bool parse_json_object(std::string_view json, rapidjson::Document& document) {
  document.Parse<kJsonParseFlags>(json.data(), json.size());
  return !document.HasParseError() && document.IsObject();
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

}  // namespace

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

}  // namespace jwt_parse

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
    std::string text = base64::encode(bytes);
    while (!text.empty() && text.back() == '=') text.pop_back();
    for (char& c : text) {
      if (c == '+') c = '-';
      if (c == '/') c = '_';
    }
    return text;
  } catch (...) {  // allocation failure, or input too long to encode
    return {};
  }
}

std::optional<std::string> base64url_decode(std::string_view text) noexcept {
  try {
    // The standard alphabet's own characters and padding are not base64url.
    if (text.find_first_of("+/=") != std::string_view::npos) return std::nullopt;
    std::string standard(text);
    for (char& c : standard) {
      if (c == '-') c = '+';
      if (c == '_') c = '/';
    }
    // base64::decode rejects the rest: other characters, a length that
    // cannot be (len % 4 == 1), and non-canonical trailing bits, so every
    // byte string has exactly one accepted spelling and tokens are not malleable.
    standard.append((4 - standard.size() % 4) % 4, '=');
    return base64::decode(standard);
  } catch (...) {
    return std::nullopt;
  }
}

TokenCheck read_claims_unverified(std::string_view token) noexcept {
  TokenCheck check;
  try {
    const std::optional<jwt_parse::DecodedToken> decoded = jwt_parse::decode_token(token);
    check.error = decoded ? jwt_parse::parse_claims(decoded->payload_json, check.claims)
                          : TokenError::Malformed;
  } catch (...) {
    check.error = TokenError::Malformed;
  }
  if (check.error != TokenError::None) check.claims = TokenClaims{};  // filled only on success
  return check;
}

}  // namespace tether::core
