#include "core/jwt.h"

#include <catch2/catch.hpp>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "core/base64.h"

using namespace tether::core;

namespace {

constexpr std::string_view kSecret = "test-secret-0123456789";
constexpr int64_t kNowMs = 1'700'000'000'000;  // 2023-11-14, whole seconds
constexpr int64_t kHourMs = 60 * 60 * 1000;

// Mints a token from arbitrary header and payload text, so tests can sign
// what sign_hs256 would never produce.
std::string sign_raw(std::string_view header_json, std::string_view payload_json,
                     std::string_view secret = kSecret) {
  const std::string signing_input =
      base64url_encode(header_json) + "." + base64url_encode(payload_json);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size(), mac,
       &mac_length);
  return signing_input + "." +
         base64url_encode({reinterpret_cast<const char*>(mac), mac_length});
}

std::string sign_payload(std::string_view payload_json) {
  return sign_raw(R"({"alg":"HS256","typ":"JWT"})", payload_json);
}

TokenClaims alice_claims() {
  TokenClaims claims;
  claims.subject = "alice";
  claims.issued_at_ms = kNowMs;
  claims.expires_at_ms = kNowMs + kHourMs;
  claims.permissions = {"subscribe:room:*", "publish:chat", "moderator"};
  return claims;
}

std::vector<std::string> split_on_dots(const std::string& token) {
  std::vector<std::string> parts(1);
  for (char c : token) {
    if (c == '.') {
      parts.emplace_back();
    } else {
      parts.back() += c;
    }
  }
  return parts;
}

// Replaces one character in the middle of a segment with a different valid one.
std::string flip_char(std::string text, size_t index) {
  text[index] = text[index] == 'A' ? 'B' : 'A';
  return text;
}

}  // namespace

TEST_CASE("token error codes are stable wire strings", "[core][auth]") {
  CHECK(std::string(token_error_code(TokenError::None)) == "ok");
  CHECK(std::string(token_error_code(TokenError::Malformed)) == "token_malformed");
  CHECK(std::string(token_error_code(TokenError::UnsupportedAlgorithm)) ==
        "unsupported_algorithm");
  CHECK(std::string(token_error_code(TokenError::BadSignature)) == "bad_signature");
  CHECK(std::string(token_error_code(TokenError::Expired)) == "token_expired");
  CHECK(std::string(token_error_code(TokenError::MissingSubject)) == "missing_subject");
}

TEST_CASE("signed claims verify and round-trip", "[core][auth]") {
  const std::string token = sign_hs256(alice_claims(), kSecret);
  const std::vector<std::string> parts = split_on_dots(token);
  REQUIRE(parts.size() == 3);
  CHECK(base64url_decode(parts[0]) == std::optional<std::string>(R"({"alg":"HS256","typ":"JWT"})"));
  CHECK(base64url_decode(parts[2])->size() == 32);

  const TokenCheck check = verify_hs256(token, kSecret, kNowMs + 1000);
  REQUIRE(check.error == TokenError::None);
  CHECK(check.claims.subject == "alice");
  CHECK(check.claims.issued_at_ms == kNowMs);
  CHECK(check.claims.expires_at_ms == kNowMs + kHourMs);
  CHECK(check.claims.permissions == alice_claims().permissions);
}

TEST_CASE("exp and iat are written in whole seconds and optional", "[core][auth]") {
  TokenClaims claims;
  claims.subject = "bob";
  claims.expires_at_ms = kNowMs + 1999;
  TokenCheck check = verify_hs256(sign_hs256(claims, kSecret), kSecret, kNowMs);
  REQUIRE(check.error == TokenError::None);
  CHECK(check.claims.expires_at_ms == kNowMs + 1000);  // truncated: never extends a token
  CHECK(check.claims.issued_at_ms == 0);
  CHECK(check.claims.permissions.empty());

  claims.expires_at_ms = 0;
  check = verify_hs256(sign_hs256(claims, kSecret), kSecret, std::numeric_limits<int64_t>::max());
  REQUIRE(check.error == TokenError::None);
  CHECK(check.claims.expires_at_ms == 0);
}

TEST_CASE("tampering is detected as a bad signature", "[core][auth]") {
  const std::vector<std::string> parts = split_on_dots(sign_hs256(alice_claims(), kSecret));
  TokenClaims mallory = alice_claims();
  mallory.subject = "mallory";
  mallory.permissions = {"admin"};
  const std::vector<std::string> other = split_on_dots(sign_hs256(mallory, "attacker-secret"));

  SECTION("payload swapped for another one") {
    const std::string token = parts[0] + "." + other[1] + "." + parts[2];
    CHECK(verify_hs256(token, kSecret, kNowMs).error == TokenError::BadSignature);
  }
  SECTION("one payload character changed") {
    const std::string token = parts[0] + "." + flip_char(parts[1], 10) + "." + parts[2];
    CHECK(verify_hs256(token, kSecret, kNowMs).error == TokenError::BadSignature);
  }
  SECTION("one signature character changed") {
    const std::string token = parts[0] + "." + parts[1] + "." + flip_char(parts[2], 10);
    CHECK(verify_hs256(token, kSecret, kNowMs).error == TokenError::BadSignature);
  }
  SECTION("signature of the wrong length") {
    const std::string token =
        parts[0] + "." + parts[1] + "." + base64url_encode(std::string(31, 'x'));
    CHECK(verify_hs256(token, kSecret, kNowMs).error == TokenError::BadSignature);
  }
  SECTION("empty signature") {
    const std::string token = parts[0] + "." + parts[1] + ".";
    CHECK(verify_hs256(token, kSecret, kNowMs).error == TokenError::BadSignature);
  }
  SECTION("signed with another secret") {
    const std::string token = sign_hs256(alice_claims(), "another-secret");
    CHECK(verify_hs256(token, kSecret, kNowMs).error == TokenError::BadSignature);
  }
}

TEST_CASE("an empty secret neither signs nor verifies", "[core][auth]") {
  CHECK(sign_hs256(alice_claims(), "").empty());
  const std::string token = sign_raw(R"({"alg":"HS256"})", R"({"sub":"alice"})", "");
  CHECK(verify_hs256(token, "", kNowMs).error == TokenError::BadSignature);
}

TEST_CASE("only the HS256 algorithm is accepted", "[core][auth]") {
  const std::string payload = R"({"sub":"alice"})";
  SECTION("alg none, unsigned") {
    const std::string token = base64url_encode(R"({"alg":"none","typ":"JWT"})") + "." +
                              base64url_encode(payload) + ".";
    CHECK(verify_hs256(token, kSecret, kNowMs).error == TokenError::UnsupportedAlgorithm);
  }
  SECTION("alg none, even with a valid HMAC") {
    const std::string token = sign_raw(R"({"alg":"none"})", payload);
    CHECK(verify_hs256(token, kSecret, kNowMs).error == TokenError::UnsupportedAlgorithm);
  }
  SECTION("alg HS512") {
    const std::string token = sign_raw(R"({"alg":"HS512","typ":"JWT"})", payload);
    CHECK(verify_hs256(token, kSecret, kNowMs).error == TokenError::UnsupportedAlgorithm);
  }
  SECTION("alg compared exactly") {
    CHECK(verify_hs256(sign_raw(R"({"alg":"hs256"})", payload), kSecret, kNowMs).error ==
          TokenError::UnsupportedAlgorithm);
    CHECK(verify_hs256(sign_raw(R"({"alg":"HS256 "})", payload), kSecret, kNowMs).error ==
          TokenError::UnsupportedAlgorithm);
  }
  SECTION("the same payload with alg HS256 verifies") {
    CHECK(verify_hs256(sign_raw(R"({"alg":"HS256"})", payload), kSecret, kNowMs).error ==
          TokenError::None);
  }
  SECTION("a missing, non-string or repeated alg, or a crit header, is malformed") {
    for (const char* header : {R"({"typ":"JWT"})", R"({"alg":256})", R"({"alg":null})",
                               R"({"alg":"HS256","alg":"none"})", R"(["HS256"])",
                               R"({"alg":"HS256","crit":["exp"]})"}) {
      INFO(header);
      CHECK(verify_hs256(sign_raw(header, payload), kSecret, kNowMs).error ==
            TokenError::Malformed);
    }
  }
}

TEST_CASE("exp is enforced, with leeway", "[core][auth]") {
  const int64_t exp_ms = kNowMs + kHourMs;
  TokenClaims claims = alice_claims();
  claims.expires_at_ms = exp_ms;
  const std::string token = sign_hs256(claims, kSecret);

  CHECK(verify_hs256(token, kSecret, exp_ms - 1).error == TokenError::None);
  CHECK(verify_hs256(token, kSecret, exp_ms).error == TokenError::Expired);  // boundary
  CHECK(verify_hs256(token, kSecret, exp_ms + kHourMs).error == TokenError::Expired);

  CHECK(verify_hs256(token, kSecret, exp_ms + 4999, 5000).error == TokenError::None);
  CHECK(verify_hs256(token, kSecret, exp_ms + 5000, 5000).error == TokenError::Expired);

  // Negative leeway is no leeway; enormous leeway saturates rather than overflowing.
  CHECK(verify_hs256(token, kSecret, exp_ms - 1, -5000).error == TokenError::None);
  CHECK(verify_hs256(token, kSecret, exp_ms, -5000).error == TokenError::Expired);
  CHECK(verify_hs256(token, kSecret, exp_ms + kHourMs, std::numeric_limits<int64_t>::max())
            .error == TokenError::None);
}

TEST_CASE("expired tokens return no claims", "[core][auth]") {
  const TokenCheck check =
      verify_hs256(sign_hs256(alice_claims(), kSecret), kSecret, kNowMs + 2 * kHourMs);
  CHECK(check.error == TokenError::Expired);
  CHECK(check.claims.subject.empty());
  CHECK(check.claims.permissions.empty());
}

TEST_CASE("a token needs a non-empty subject", "[core][auth]") {
  TokenClaims claims = alice_claims();
  claims.subject.clear();
  CHECK(verify_hs256(sign_hs256(claims, kSecret), kSecret, kNowMs).error ==
        TokenError::MissingSubject);
  CHECK(verify_hs256(sign_payload(R"({"sub":""})"), kSecret, kNowMs).error ==
        TokenError::MissingSubject);
  CHECK(verify_hs256(sign_payload(R"({"exp":1800000000})"), kSecret, kNowMs).error ==
        TokenError::MissingSubject);
}

TEST_CASE("structurally broken tokens are malformed", "[core][auth]") {
  const std::vector<std::string> parts = split_on_dots(sign_hs256(alice_claims(), kSecret));
  const std::string header = parts[0], payload = parts[1], signature = parts[2];
  const std::vector<std::string> garbage = {
      "",
      "no-dots-at-all",
      "..",
      header + "." + payload,                                // two parts
      header + "." + payload + "." + signature + "." + "x",  // four parts
      header + "." + payload + "." + signature + ".",
      header + ".e30!." + signature,                         // '!' is not base64url
      header + "." + payload + "+" + "." + signature,        // standard, not url, alphabet
      header + "." + payload + "/" + "." + signature,
      header + "." + payload + "." + signature + "=",        // padding
      header + "." + payload + " ." + signature,             // whitespace
      header + "." + payload.substr(0, 5) + "." + signature, // length % 4 == 1
      "eyJhbGciOiJIUzI1NiJ9.\xff\xfe.abc",
  };
  for (const std::string& token : garbage) {
    INFO(token);
    CHECK(verify_hs256(token, kSecret, kNowMs).error == TokenError::Malformed);
    CHECK(read_claims_unverified(token).error == TokenError::Malformed);
  }
}

TEST_CASE("a correctly signed payload that is not a claims object is malformed",
          "[core][auth]") {
  const std::vector<std::string> payloads = {
      "not json",
      "",
      R"(["sub","alice"])",
      R"("alice")",
      R"({"sub":"alice"} trailing)",
      R"({"sub":"alice")",
      "{\"sub\":\"\xff\"}",                          // not UTF-8
      R"({"sub":42})",
      R"({"sub":"alice","sub":"admin"})",            // repeated claim
      R"({"sub":"alice","exp":"1800000000"})",
      R"({"sub":"alice","exp":null})",
      R"({"sub":"alice","exp":-1})",
      R"({"sub":"alice","exp":0})",                  // would read back as "no expiry"
      R"({"sub":"alice","exp":1e300})",
      R"({"sub":"alice","exp":18446744073709551615})",
      R"({"sub":"alice","iat":"now"})",
      R"({"sub":"alice","permissions":"admin"})",
      R"({"sub":"alice","permissions":["publish:*",7]})",
      R"({"sub":"alice","permissions":[["admin"]]})",
  };
  for (const std::string& payload : payloads) {
    INFO(payload);
    CHECK(verify_hs256(sign_payload(payload), kSecret, kNowMs).error == TokenError::Malformed);
  }
}

TEST_CASE("claim parsing accepts what RFC 7519 allows", "[core][auth]") {
  SECTION("fractional NumericDate") {
    const TokenCheck check =
        verify_hs256(sign_payload(R"({"sub":"a","exp":1800000000.5})"), kSecret, kNowMs);
    REQUIRE(check.error == TokenError::None);
    CHECK(check.claims.expires_at_ms == 1'800'000'000'500);
  }
  SECTION("unknown claims are ignored") {
    const TokenCheck check = verify_hs256(
        sign_payload(R"({"sub":"a","aud":"x","nested":{"k":[1,2]},"permissions":[]})"), kSecret,
        kNowMs);
    REQUIRE(check.error == TokenError::None);
    CHECK(check.claims.subject == "a");
  }
  SECTION("the deepest nesting that fits in a token") {
    const std::string deep = R"({"sub":"a","x":)" + std::string(3000, '[') +
                             std::string(3000, ']') + "}";
    const std::string token = sign_payload(deep);
    REQUIRE(token.size() <= kMaxTokenBytes);
    CHECK(verify_hs256(token, kSecret, kNowMs).error == TokenError::None);
  }
}

TEST_CASE("tokens over 8 KiB are rejected before decoding", "[core][auth]") {
  std::string largest_accepted, smallest_rejected;
  for (size_t padding = 5000; smallest_rejected.empty(); ++padding) {
    const std::string token =
        sign_payload(R"({"sub":"a","pad":")" + std::string(padding, 'x') + "\"}");
    (token.size() <= kMaxTokenBytes ? largest_accepted : smallest_rejected) = token;
  }
  CHECK(largest_accepted.size() <= kMaxTokenBytes);
  CHECK(smallest_rejected.size() > kMaxTokenBytes);
  CHECK(verify_hs256(largest_accepted, kSecret, kNowMs).error == TokenError::None);
  CHECK(verify_hs256(smallest_rejected, kSecret, kNowMs).error == TokenError::Malformed);
  CHECK(read_claims_unverified(smallest_rejected).error == TokenError::Malformed);

  TokenClaims huge = alice_claims();
  huge.permissions.assign(1000, "subscribe:room:*");
  CHECK(sign_hs256(huge, kSecret).empty());  // it could never verify
}

TEST_CASE("read_claims_unverified reads claims without the secret", "[core][auth]") {
  const std::string token = sign_hs256(alice_claims(), "a-secret-the-client-never-sees");
  const TokenCheck check = read_claims_unverified(token);
  REQUIRE(check.error == TokenError::None);
  CHECK(check.claims.subject == "alice");
  CHECK(check.claims.expires_at_ms == kNowMs + kHourMs);
  CHECK(check.claims.issued_at_ms == kNowMs);
  CHECK(check.claims.permissions == alice_claims().permissions);

  CHECK(read_claims_unverified(sign_payload(R"({"exp":1800000000})")).error ==
        TokenError::MissingSubject);
  CHECK(read_claims_unverified(sign_payload(R"({"sub":"a","exp":"soon"})")).error ==
        TokenError::Malformed);
}

TEST_CASE("base64url is strict and unpadded", "[core][auth]") {
  CHECK(base64url_encode("") == "");
  CHECK(base64url_encode("f") == "Zg");
  CHECK(base64url_encode("fo") == "Zm8");
  CHECK(base64url_encode("foo") == "Zm9v");
  CHECK(base64url_encode("\xfb\xff") == "-_8");

  const std::vector<std::string> samples = {"",     "f",           "fo",
                                            "foob", "\xfb\xff\xbf", std::string("\0\x01", 2)};
  for (const std::string& bytes : samples) {
    CHECK(base64url_decode(base64url_encode(bytes)) == std::optional<std::string>(bytes));
  }
  CHECK(base64url_decode("-_8") == std::optional<std::string>("\xfb\xff"));

  for (const char* invalid : {"Zg==", "Zm8=", "+/8", "Z", "Zm9vY", "Zm 9", "Zm9v\n", "Zg.", "Zh"}) {
    INFO(invalid);
    CHECK_FALSE(base64url_decode(invalid).has_value());
  }
}

// The seam under base64url: libcrypto natively, atob()/btoa() in the browser
// (src/web/base64_browser.cpp), both held to the same contract.
TEST_CASE("base64 accepts exactly what it writes", "[core][auth]") {
  CHECK(base64::encode("") == "");
  CHECK(base64::encode("f") == "Zg==");
  CHECK(base64::encode("fo") == "Zm8=");
  CHECK(base64::encode("foo") == "Zm9v");
  CHECK(base64::encode("\xfb\xff\xbf") == "+/+/");
  CHECK(base64::decode("") == std::optional<std::string>(""));
  CHECK(base64::decode("Zg==") == std::optional<std::string>("f"));
  CHECK(base64::decode("AAE=") == std::optional<std::string>(std::string("\0\x01", 2)));
  CHECK(base64::decode("+/+/") == std::optional<std::string>("\xfb\xff\xbf"));

  const std::vector<std::string> invalid = {
      "Zg",      "Zg=",      "Zm8",       // padding is required
      "Zh==",    "Zm9=",                  // non-canonical trailing bits
      "Z===",    "====",     "Zg==Zg==",  // '=' only as the last one or two characters
      "=Zm9",    "Zm=v",
      " Zm9v",   "Zm9v ",    "Zm9v\n",    "Zm 9v",  // no whitespace, even where OpenSSL trims it
      "Zm9v\n\n\n\n", "Zm9-",     "Zm9_",      "Zm9.",
      std::string("Zm9\0", 4), "Zm9\xc3",
  };
  for (const std::string& text : invalid) {
    INFO(text);
    CHECK_FALSE(base64::decode(text).has_value());
  }
}

TEST_CASE("Hs256Authority verifies with its secret and leeway", "[core][auth]") {
  const Hs256Authority authority(std::string(kSecret), 5000);
  const TokenAuthority& as_base = authority;
  const std::string token = sign_hs256(alice_claims(), kSecret);
  const int64_t exp_ms = alice_claims().expires_at_ms;

  CHECK(as_base.verify(token, kNowMs).claims.subject == "alice");
  CHECK(as_base.verify(token, exp_ms + 4999).error == TokenError::None);
  CHECK(as_base.verify(token, exp_ms + 5000).error == TokenError::Expired);
  CHECK(as_base.verify(sign_hs256(alice_claims(), "other"), kNowMs).error ==
        TokenError::BadSignature);
}

TEST_CASE("Hs256Authority issues refreshed tokens", "[core][auth]") {
  const TokenClaims current = alice_claims();  // one hour lifetime
  const int64_t later_ms = kNowMs + 50 * 60 * 1000;

  SECTION("reusing the current lifetime") {
    const Hs256Authority authority{std::string(kSecret)};
    const std::string refreshed = authority.issue_refreshed(current, later_ms);
    const TokenCheck check = authority.verify(refreshed, later_ms);
    REQUIRE(check.error == TokenError::None);
    CHECK(check.claims.subject == current.subject);
    CHECK(check.claims.permissions == current.permissions);
    CHECK(check.claims.issued_at_ms == later_ms);
    CHECK(check.claims.expires_at_ms == later_ms + kHourMs);
    CHECK(check.claims.expires_at_ms > current.expires_at_ms);
    // Still valid after the original would have expired.
    CHECK(authority.verify(refreshed, current.expires_at_ms + 1000).error == TokenError::None);
    CHECK(authority.verify(refreshed, later_ms + kHourMs).error == TokenError::Expired);
  }
  SECTION("with a configured lifetime") {
    const Hs256Authority authority(std::string(kSecret), 0, 10 * 60 * 1000);
    const TokenCheck check = authority.verify(authority.issue_refreshed(current, later_ms), later_ms);
    REQUIRE(check.error == TokenError::None);
    CHECK(check.claims.expires_at_ms == later_ms + 10 * 60 * 1000);
  }
  SECTION("an unknown lifetime defaults to one hour") {
    const Hs256Authority authority{std::string(kSecret)};
    TokenClaims no_iat = current;
    no_iat.issued_at_ms = 0;
    const TokenCheck check = authority.verify(authority.issue_refreshed(no_iat, later_ms), later_ms);
    REQUIRE(check.error == TokenError::None);
    CHECK(check.claims.expires_at_ms == later_ms + Hs256Authority::kDefaultRefreshedLifetimeMs);
  }
  SECTION("refuses what it cannot issue") {
    TokenClaims anonymous = current;
    anonymous.subject.clear();
    CHECK(Hs256Authority(std::string(kSecret)).issue_refreshed(anonymous, later_ms).empty());
    CHECK(Hs256Authority("").issue_refreshed(current, later_ms).empty());
    CHECK(Hs256Authority(std::string(kSecret), 0, std::numeric_limits<int64_t>::max())
              .issue_refreshed(current, later_ms)
              .empty());
  }
}
