#pragma once
// The real tether-server for C API tests, and the names they use with it.
#include <catch2/catch.hpp>

#include "server_process.h"
#include "tokens.h"

namespace tether::capi_test {

using tether::test_support::kServerBinary;
using tether::test_support::kTestSecret;
using tether::test_support::mint_token;
using tether::test_support::ServerProcess;

// tether-server with the test secret, started; the test fails if it cannot start.
struct RunningServer {
  RunningServer() {
    INFO(server.error());
    REQUIRE(server.start());
  }
  ServerProcess server{kServerBinary, {"--jwt-secret", kTestSecret}};
};

}  // namespace tether::capi_test
