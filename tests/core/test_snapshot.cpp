// A server restart with a session snapshot in between is invisible to clients.
#include <catch2/catch.hpp>

#include <algorithm>

#include "core/session_snapshot.h"
#include "sim_pair.h"

using namespace tether::core;
using tether::test::SimPair;

namespace {
// Simulates a graceful restart: persist, drop every connection, lose all
// memory, load the snapshot back.
void restart_server(SimPair& p) {
  const std::string snapshot = snapshot_sessions(p.table);
  p.cut();
  for (const auto& state : p.table.all()) p.table.remove(state->id);
  REQUIRE(p.table.size() == 0);
  const RestoreResult restored = restore_sessions(snapshot, p.table, p.server_config.reliable,
                                                  p.server_config.receive_window, p.now, 60000);
  REQUIRE(restored.ok);
  CHECK(restored.restored == 1);
}
}  // namespace

TEST_CASE("sessions survive a server restart through a snapshot, exactly once", "[core][snapshot]") {
  SimPair p;
  p.latency_ms = 30;
  std::vector<std::string> at_server, at_client;
  p.on_server_event = [&](ServerSession&, ServerEvent& e) {
    if (e.kind == ServerEvent::Kind::Publish) at_server.push_back(e.data);
  };
  p.connect();
  REQUIRE(p.run_until([&] { return p.client.state() == ClientState::Ready; }, 1000));
  p.client.subscribe("news", p.now);
  const std::string session = p.client.session_id();
  auto state = p.table.find(session);
  for (int i = 0; i < 50; ++i) {
    p.client.send("up", std::to_string(i), true, static_cast<uint64_t>(i + 1), p.now);
    state->enqueue("down", std::to_string(i), true, 1);
    p.advance(3);
  }
  restart_server(p);  // messages are in flight both ways
  state.reset();
  for (int i = 50; i < 60; ++i) p.client.send("up", std::to_string(i), true, static_cast<uint64_t>(i + 1), p.now);
  REQUIRE(p.run_until(
      [&] {
        for (const auto& e : p.client_events) {
          if (e.kind == ClientEvent::Kind::Message) at_client.push_back(e.data);
        }
        p.client_events.erase(std::remove_if(p.client_events.begin(), p.client_events.end(),
                                             [](const ClientEvent& e) { return e.kind == ClientEvent::Kind::Message; }),
                              p.client_events.end());
        return at_server.size() >= 60 && at_client.size() >= 50 && p.client.sender().in_flight() == 0;
      },
      30000));
  p.advance(2000);
  CHECK(p.client.session_id() == session);
  auto resumed = p.table.find(session);
  REQUIRE(resumed != nullptr);
  CHECK(resumed->subscriptions.count("news") == 1);
  std::vector<std::string> expected_up, expected_down;
  for (int i = 0; i < 60; ++i) expected_up.push_back(std::to_string(i));
  for (int i = 0; i < 50; ++i) expected_down.push_back(std::to_string(i));
  CHECK(at_server == expected_up);
  CHECK(at_client == expected_down);
  resumed->drain_resolutions();
  CHECK(resumed->delivered > 0);  // the restored sender finished what was in flight at the restart
  CHECK(resumed->failed == 0);
  CHECK(resumed->sender.in_flight() == 0);
  CHECK(resumed->sender.queued_messages() == 0);
}

TEST_CASE("a corrupt snapshot restores nothing and says why", "[core][snapshot]") {
  SessionTable table(1);
  ReliableConfig reliable;
  for (const char* bad : {"", "[]", "{\"version\":99,\"sessions\":[]}", "{\"version\":1}",
                          "{\"version\":1,\"sessions\":[{\"id\":\"x\"}]}"}) {
    const RestoreResult r = restore_sessions(bad, table, reliable, 64, 0, 1000);
    INFO(bad);
    CHECK_FALSE(r.ok);
    CHECK_FALSE(r.error.empty());
  }
  CHECK(table.size() == 0);
  const RestoreResult empty = restore_sessions("{\"version\":1,\"sessions\":[]}", table, reliable, 64, 0, 1000);
  CHECK(empty.ok);
  CHECK(empty.restored == 0);
}

TEST_CASE("every control byte in a subject, a permission and the app state survives save and load",
          "[core][snapshot]") {
  // RapidJSON 1.1.0's SSE2 writer left 0x1A..0x1F raw, and the whole file
  // then failed to load (the state_file fuzzer found it).
  std::string controls;
  for (int byte = 1; byte < 0x20; ++byte) controls += static_cast<char>(byte);
  // At every alignment: the SIMD scan reads 16 aligned bytes at a time.
  std::string spread;
  for (int pad = 0; pad < 16; ++pad) spread += std::string(static_cast<size_t>(pad), 'x') + controls;
  ReliableConfig reliable;
  auto state = std::make_shared<SessionState>("0123456789abcdef0123456789abcdef", reliable, 64);
  state->claims.subject = "user" + spread;
  state->claims.permissions = {"subscribe:" + spread};
  state->claims.expires_at_ms = 4102444800000;
  SessionTable table(1);
  REQUIRE(table.adopt(state, kNever));
  const std::string app = "{\"note\":\"" + std::string("\\u001a") + "\"}" + spread;
  const std::string saved = snapshot_sessions(table, app);
  for (char c : controls) CHECK(saved.find(c) == std::string::npos);  // every one escaped

  SessionTable reloaded(2);
  const RestoreResult restored = restore_sessions(saved, reloaded, reliable, 64, 0, 1000);
  INFO(restored.error);
  REQUIRE(restored.ok);
  REQUIRE(restored.restored == 1);
  CHECK(restored.sessions[0]->claims.subject == state->claims.subject);
  CHECK(restored.sessions[0]->claims.permissions == state->claims.permissions);
  CHECK(restored.app_state == app);
}

TEST_CASE("a queued message's stream offset and direct mark survive a snapshot", "[core][snapshot]") {
  SimPair p;
  p.connect();
  REQUIRE(p.run_until([&] { return p.client.state() == ClientState::Ready; }, 1000));
  auto state = p.table.find(p.client.session_id());
  REQUIRE(state != nullptr);
  state->offsets = true;  // as for a client that offered offsets
  Delivery from_channel;
  from_channel.channel = "room";
  from_channel.data = "1";
  from_channel.reliable = true;
  from_channel.offset = 41;
  Delivery direct = from_channel;
  direct.offset = 7;
  direct.direct = true;
  p.cut();  // nothing leaves: both stay pending
  REQUIRE(state->enqueue(from_channel, 1));
  REQUIRE(state->enqueue(direct, 1));
  const std::string snapshot = snapshot_sessions(p.table);
  CHECK(snapshot.find("\"offset\":41") != std::string::npos);

  SessionTable fresh(99);
  const RestoreResult restored =
      restore_sessions(snapshot, fresh, p.server_config.reliable, p.server_config.receive_window, p.now, 60000);
  REQUIRE(restored.ok);
  REQUIRE(restored.sessions.size() == 1);
  const ReliableSender::Snapshot saved = restored.sessions[0]->sender.snapshot();
  std::vector<ReliableSender::PendingMessage> pending = saved.in_flight;
  pending.insert(pending.end(), saved.queued.begin(), saved.queued.end());
  REQUIRE(pending.size() == 2);
  CHECK(pending[0].offset == 41);
  CHECK_FALSE(pending[0].direct);
  CHECK(pending[1].offset == 7);
  CHECK(pending[1].direct);
}
