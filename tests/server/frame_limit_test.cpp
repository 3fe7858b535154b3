// Issue 8, defect 3 against the real server: a client allowed 4 MiB frames
// meets a server that accepts 1 MiB. A 2 MiB message fails once as too large
// and never starts a reconnect loop; neither does a 2 MiB token.
#include <catch2/catch.hpp>

#include <string>

#include "run_until.h"
#include "server_harness.h"
#include "test_client.h"
#include "tokens.h"

namespace tether::server::test {
namespace {

using core::ClientEvent;
using test_support::mint_token;
using test_support::TestClient;

constexpr size_t kServerLimit = 1u << 20;
constexpr size_t kClientLimit = 4u << 20;
// Long enough for dozens of reconnects at TestClient's 20..200 ms backoff.
constexpr int64_t kLoopWindowMs = 1500;

core::ClientConfig big_client_config(std::string token) {
  core::ClientConfig config = TestClient::default_config(std::move(token));
  config.limits.max_frame_bytes = kClientLimit;
  return config;
}

transport::ClientConnectOptions big_transport() {
  transport::ClientConnectOptions options;
  options.max_message_size = kClientLimit;
  return options;
}

std::string json_string_of(size_t bytes) { return "\"" + std::string(bytes - 2, 'x') + "\""; }

}  // namespace

TEST_CASE("a 2 MiB send to a 1 MiB server fails once as too large, without reconnecting",
          "[server][integration][limits]") {
  ServerHarness harness([](ServerOptions& options) { options.max_message_bytes = kServerLimit; });
  TestClient alice(harness.loop, harness.url(), big_client_config(mint_token("alice")), big_transport());
  // Offline only our own 4 MiB limit is known, so the send is queued.
  REQUIRE(alice.publish("room:1", json_string_of(2u << 20), true) == core::SendStatus::Ok);
  const uint64_t big_id = alice.last_message_id();
  REQUIRE(alice.publish("room:1", R"("small")", true) == core::SendStatus::Ok);
  alice.connect();
  REQUIRE(alice.wait_ready());
  // The server's auth_success says 1 MiB: the big one can never fit.
  CHECK(alice.session().frame_limit() == kServerLimit);
  REQUIRE(alice.wait_for([&] { return alice.count(ClientEvent::Kind::Acked) == 1; }));
  test_support::run_for(harness.loop, kLoopWindowMs);

  CHECK(alice.count(ClientEvent::Kind::SendFailed) == 1);
  const ClientEvent* failed = alice.find(ClientEvent::Kind::SendFailed);
  REQUIRE(failed != nullptr);
  CHECK(failed->message_id == big_id);
  CHECK(failed->outcome == core::SendOutcome::TooLarge);
  CHECK(alice.connections_opened() == 1);
  CHECK(alice.session().counters().reconnects == 0);
  CHECK(alice.state() == core::ClientState::Ready);

  // Now that the limit is known, such a send fails at once.
  CHECK(alice.publish("room:1", json_string_of(2u << 20), true) == core::SendStatus::TooLarge);
  CHECK(alice.publish("room:1", json_string_of(kServerLimit), true) == core::SendStatus::TooLarge);
  CHECK(alice.publish("room:1", json_string_of(kServerLimit - 1024), true) == core::SendStatus::Ok);
  REQUIRE(alice.wait_for([&] { return alice.count(ClientEvent::Kind::Acked) == 2; }));
  CHECK(alice.connections_opened() == 1);
}

TEST_CASE("a 2 MiB token to a 1 MiB server ends in Unauthorized, without reconnecting",
          "[server][integration][limits][auth]") {
  ServerHarness harness([](ServerOptions& options) { options.max_message_bytes = kServerLimit; });
  TestClient alice(harness.loop, harness.url(), big_client_config(std::string(2u << 20, 't')), big_transport());
  alice.connect();
  REQUIRE(alice.wait_for([&] { return alice.state() == core::ClientState::Unauthorized; }));
  const ClientEvent* failed = alice.find(ClientEvent::Kind::AuthFailed);
  REQUIRE(failed != nullptr);
  CHECK(failed->code == "token_too_large");
  REQUIRE_FALSE(alice.closes().empty());
  CHECK(alice.closes().back().code == core::close_code::kTooBig);
  test_support::run_for(harness.loop, kLoopWindowMs);
  CHECK(alice.connections_opened() == 1);
  CHECK(alice.state() == core::ClientState::Unauthorized);
}

}  // namespace tether::server::test
