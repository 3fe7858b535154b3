// Token lifetime (issue 9, item 10): a token without `exp` would be good
// forever if it leaked, so the server bounds it by a maximum lifetime from
// its `iat`; `nbf` (not before) is enforced with the same leeway as `exp`.
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <string>

#include "core/jwt.h"
#include "server_sim.h"

using namespace tether::core;

namespace {

constexpr std::string_view kKey = "lifetime-secret";
constexpr int64_t kNowMs = 1'700'000'000'000;  // whole seconds
constexpr int64_t kHourMs = 60 * 60 * 1000;
constexpr int64_t kDayMs = 24 * kHourMs;

std::string token_of(int64_t issued_at_ms, int64_t expires_at_ms = 0, int64_t not_before_ms = 0) {
  TokenClaims claims;
  claims.subject = "alice";
  claims.issued_at_ms = issued_at_ms;
  claims.expires_at_ms = expires_at_ms;
  claims.not_before_ms = not_before_ms;
  return sign_hs256(claims, kKey);
}

}  // namespace

TEST_CASE("a token without exp expires the maximum lifetime after its iat", "[core][auth]") {
  const std::string recent = token_of(kNowMs - kHourMs);
  const TokenCheck check = verify_hs256(recent, kKey, kNowMs, 0, kDayMs);
  REQUIRE(check.error == TokenError::None);
  CHECK(check.claims.expires_at_ms == kNowMs - kHourMs + kDayMs);  // the session sees this expiry

  const std::string old = token_of(kNowMs - kDayMs - 1000);
  CHECK(verify_hs256(old, kKey, kNowMs, 0, kDayMs).error == TokenError::Expired);
  CHECK(verify_hs256(old, kKey, kNowMs, 2000, kDayMs).error == TokenError::None);  // leeway applies

  // Without iat either, it expires the maximum lifetime after it is presented.
  const TokenCheck no_iat = verify_hs256(token_of(0), kKey, kNowMs, 0, kDayMs);
  REQUIRE(no_iat.error == TokenError::None);
  CHECK(no_iat.claims.expires_at_ms == kNowMs + kDayMs);

  // A token with exp keeps it, even beyond the maximum; no maximum, no expiry.
  const TokenCheck long_lived = verify_hs256(token_of(kNowMs, kNowMs + 7 * kDayMs), kKey, kNowMs, 0, kDayMs);
  REQUIRE(long_lived.error == TokenError::None);
  CHECK(long_lived.claims.expires_at_ms == kNowMs + 7 * kDayMs);
  const TokenCheck unbounded = verify_hs256(old, kKey, kNowMs);
  REQUIRE(unbounded.error == TokenError::None);
  CHECK(unbounded.claims.expires_at_ms == 0);

  // Extreme values saturate rather than overflow.
  const TokenCheck huge = verify_hs256(recent, kKey, kNowMs, 0, std::numeric_limits<int64_t>::max());
  CHECK(huge.error == TokenError::None);
  CHECK(huge.claims.expires_at_ms > kNowMs);
}

TEST_CASE("nbf is enforced with the leeway", "[core][auth]") {
  const int64_t nbf = kNowMs + 60 * 1000;
  const std::string early = token_of(kNowMs, kNowMs + kHourMs, nbf);
  CHECK(verify_hs256(early, kKey, kNowMs).error == TokenError::NotYetValid);
  CHECK(verify_hs256(early, kKey, nbf - 1).error == TokenError::NotYetValid);
  CHECK(verify_hs256(early, kKey, nbf).error == TokenError::None);  // valid from nbf on
  CHECK(verify_hs256(early, kKey, kNowMs, 60 * 1000).error == TokenError::None);
  CHECK(verify_hs256(early, kKey, kNowMs, std::numeric_limits<int64_t>::max()).error == TokenError::None);
  CHECK(std::string(token_error_code(TokenError::NotYetValid)) == "token_not_yet_valid");

  const TokenCheck claims = read_claims_unverified(early);
  REQUIRE(claims.error == TokenError::None);
  CHECK(claims.claims.not_before_ms == nbf);

  // Like every NumericDate: a non-negative number, once.
  const auto read = [](std::string_view payload) {
    const std::string token = base64url_encode(R"({"alg":"HS256","typ":"JWT"})") + "." +
                              base64url_encode(payload) + "." + base64url_encode(std::string(32, 's'));
    return read_claims_unverified(token).error;
  };
  CHECK(read(R"({"sub":"alice","nbf":1700000000})") == TokenError::None);
  CHECK(read(R"({"sub":"alice","nbf":"soon"})") == TokenError::Malformed);
  CHECK(read(R"({"sub":"alice","nbf":1,"nbf":2})") == TokenError::Malformed);
  CHECK(read(R"({"sub":"alice","nbf":-5})") == TokenError::Malformed);
}

TEST_CASE("the server refuses a token before nbf and bounds one without exp", "[core][auth][server]") {
  using namespace tether::test;
  ServerConfig config = default_server_config();
  config.idle_timeout_ms = 2 * kDayMs;  // only the token ends this session
  ServerSim sim(config, kDayMs);
  const int64_t wall_now = sim.now + kWallOffset;

  TokenClaims early;
  early.subject = "alice";
  early.not_before_ms = (wall_now / 1000 + 3600) * 1000;
  ServerSim::Client& refused = sim.auth_with(sign_hs256(early, kSecret));
  const std::vector<Message> failed = refused.take(MessageType::AuthFailed);
  REQUIRE(failed.size() == 1);
  CHECK(failed[0].code == "token_not_yet_valid");
  CHECK(refused.closed);
  CHECK(refused.close_code == close_code::kAuthFailed);

  // No exp: the session expires a day after iat, and says so.
  TokenClaims forever;
  forever.subject = "bob";
  forever.issued_at_ms = (wall_now / 1000 - 3600) * 1000;
  ServerSim::Client& bob = sim.auth_with(sign_hs256(forever, kSecret));
  const std::vector<Message> success = bob.take(MessageType::AuthSuccess);
  REQUIRE(success.size() == 1);
  CHECK(success[0].expires_at == forever.issued_at_ms + kDayMs);
  const TimeMs expiry = success[0].expires_at - kWallOffset;
  CHECK(sim.endpoint.next_timeout(bob.id) <= expiry);
  sim.advance_to(expiry);
  CHECK(bob.closed);
  CHECK(bob.close_code == close_code::kTokenExpired);
}
