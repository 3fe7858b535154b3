// Sends from many threads while one thread pumps, and destroy racing them.
#include <atomic>
#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "capi_harness.h"
#include "capi_server.h"
#include "tether/tether.h"

using namespace tether::capi_test;

TEST_CASE("reliable sends from several threads are all acked, each id once", "[capi][integration]") {
  ServerProcess server(kServerBinary, {"--jwt-secret", kTestSecret});
  INFO(server.error());
  REQUIRE(server.start());
  TestClient client(server.url(), mint_token("alice"));
  REQUIRE(tether_client_connect(client.handle()) == TETHER_OK);

  constexpr int kThreads = 4;
  constexpr int kSendsPerThread = 200;
  std::vector<std::vector<uint64_t>> ids(kThreads);
  std::atomic<int> refused{0};
  std::vector<std::thread> senders;
  for (int t = 0; t < kThreads; ++t) {
    senders.emplace_back([&, t] {
      const std::string channel = "room:" + std::to_string(t);
      for (int i = 0; i < kSendsPerThread; ++i) {
        const std::string json = "{\"thread\":" + std::to_string(t) + ",\"i\":" + std::to_string(i) + "}";
        uint64_t id = 0;
        if (tether_client_send(client.handle(), channel.c_str(), json.data(), json.size(), TETHER_SEND_RELIABLE,
                               &id) != TETHER_OK) {
          ++refused;
        }
        ids[t].push_back(id);
      }
    });
  }
  // Pumping meanwhile, on this thread only.
  const bool all_acked =
      client.pump_until([&] { return client.count(TETHER_EVENT_ACK) == kThreads * kSendsPerThread; });
  for (std::thread& sender : senders) sender.join();
  INFO("acks " << client.count(TETHER_EVENT_ACK) << ", send failures " << client.count(TETHER_EVENT_SEND_FAILED)
               << ", errors " << client.count(TETHER_EVENT_ERROR) << ", state changes "
               << client.count(TETHER_EVENT_STATE_CHANGED) << ", events " << client.events.size());
  REQUIRE(all_acked);
  CHECK(refused == 0);

  std::set<uint64_t> sent;
  for (const auto& thread_ids : ids) sent.insert(thread_ids.begin(), thread_ids.end());
  std::set<uint64_t> acked;
  for (const RecordedEvent& e : client.events) {
    if (e.type == TETHER_EVENT_ACK) acked.insert(e.message_id);
  }
  CHECK(sent.size() == kThreads * kSendsPerThread);
  CHECK(acked == sent);
}

TEST_CASE("destroy while other threads send and pump: they see INVALID_HANDLE", "[capi]") {
  tether_config config = test_config("ws://127.0.0.1:1", "token");
  config.queue_max_messages = 1000000;
  tether_client* client = nullptr;
  REQUIRE(tether_client_create(&config, &client) == TETHER_OK);
  REQUIRE(tether_client_connect(client) == TETHER_OK);

  std::atomic<int> started{0};
  std::atomic<int> stopped_by_invalid_handle{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&] {
      ++started;
      for (;;) {
        const int32_t result = tether_client_send(client, "room", "{}", 2, TETHER_SEND_RELIABLE, nullptr);
        tether_stats stats{};
        stats.struct_size = sizeof(stats);
        tether_client_pool_stats(client, &stats);
        if (result == TETHER_ERROR_INVALID_HANDLE) {
          ++stopped_by_invalid_handle;
          return;
        }
      }
    });
  }
  std::thread pumper([&] {
    while (tether_client_pump(client) >= 0) {
    }
  });
  while (started < 3) std::this_thread::yield();
  tether_client_destroy(client);
  for (std::thread& thread : threads) thread.join();
  pumper.join();
  CHECK(stopped_by_invalid_handle == 3);
}
