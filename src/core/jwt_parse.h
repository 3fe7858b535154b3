#pragma once
// Reading a compact JWT, shared by read_claims_unverified (jwt_claims.cpp,
// client and server) and HS256 verification (jwt_hs256.cpp, server only):
// base64url and JSON, no cryptography.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/jwt.h"

namespace tether::core::jwt_parse {

// RFC 7519 NumericDate bounded to 9999-12-31, so seconds * 1000 + leeway stays far from overflow.
constexpr int64_t kMaxNumericDateSeconds = 253402300799;

struct DecodedToken {
  std::string signing_input;  // "header.payload", still encoded
  std::string header_json;
  std::string payload_json;
  std::string signature;
};

// nullopt unless the token is at most kMaxTokenBytes of three base64url
// segments. Throws std::bad_alloc.
std::optional<DecodedToken> decode_token(std::string_view token);

// None when the header is a JSON object whose one "alg" is "HS256" and that
// has no "crit"; otherwise Malformed or UnsupportedAlgorithm.
TokenError check_header(std::string_view header_json);

// Fills claims from the payload: Malformed for JSON or claim types we refuse,
// MissingSubject without a non-empty "sub". Throws std::bad_alloc.
TokenError parse_claims(std::string_view payload_json, TokenClaims& claims);

}  // namespace tether::core::jwt_parse
