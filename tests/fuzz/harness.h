#pragma once
// Shared by the libFuzzer targets of the core (scripts/fuzz.sh runs them).
//
// The session targets (fuzz_server, fuzz_client) read their input as a
// script, one step per line, so seeds can be written by hand and a crash
// input read at a glance:
//   @        jump to the next deadline and fire it
//   @N       let N ms of virtual time pass, firing deadlines on the way
//   !...     a transport event, +... a command (each target lists its own)
//   other    one text frame. $alice, $bob, $expiring and $noexp become
//            tokens signed here with kFuzzSecret, so the fuzzer can get past
//            auth without forging an HMAC.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/codec.h"
#include "core/codec_binary.h"
#include "core/frame_writer.h"
#include "core/jwt.h"
#include "core/time.h"

namespace tether::fuzz {

using namespace tether::core;

// An oracle failed: abort, so libFuzzer saves the input as a crash.
#define FUZZ_CHECK(condition, what)                                           \
  do {                                                                        \
    if (!(condition)) {                                                       \
      std::fprintf(stderr, "fuzz check failed: %s (%s:%d)\n", what, __FILE__, \
                   __LINE__);                                                 \
      std::abort();                                                           \
    }                                                                         \
  } while (0)

constexpr const char* kFuzzSecret = "fuzz-secret";
// Virtual time starts here; wall clock = virtual + kWallOffset (as in tests/core).
constexpr TimeMs kStart = 1000;
constexpr int64_t kWallOffset = 1'700'000'000'000;
constexpr int64_t kYear2100Ms = 4'102'444'800'000;

// The tokens a script can name. Signed once: the harness must not spend
// its executions on HMACs.
struct Tokens {
  std::string alice, bob, expiring, noexp;

  static const Tokens& get() {
    static const Tokens tokens = make();
    return tokens;
  }

 private:
  static std::string sign(const char* user, std::vector<std::string> permissions, int64_t expires_at_ms) {
    TokenClaims claims;
    claims.subject = user;
    claims.permissions = std::move(permissions);
    claims.issued_at_ms = kWallOffset;
    claims.expires_at_ms = expires_at_ms;
    return sign_hs256(claims, kFuzzSecret);
  }
  static Tokens make() {
    Tokens t;
    t.alice = sign("alice", {"publish:room:*", "subscribe:room:*"}, kYear2100Ms);
    t.bob = sign("bob", {"admin"}, kYear2100Ms);
    // Expires two minutes into the run: refreshes and 4003 closes are reachable.
    t.expiring = sign("alice", {"publish:room:*", "subscribe:*"}, kWallOffset + kStart + 120'000);
    t.noexp = sign("alice", {"subscribe:room:*"}, 0);  // bounded by the server's max lifetime
    return t;
  }
};

// `line` with every $name replaced by its token (and $session by `session`).
inline std::string expand(std::string_view line, std::string_view session = {}) {
  const Tokens& tokens = Tokens::get();
  const std::pair<std::string_view, std::string_view> names[] = {
      {"$alice", tokens.alice}, {"$bob", tokens.bob},       {"$expiring", tokens.expiring},
      {"$noexp", tokens.noexp}, {"$session", session},
  };
  std::string out;
  size_t from = 0;
  for (size_t at = line.find('$'); at != std::string_view::npos; at = line.find('$', at + 1)) {
    for (const auto& [name, value] : names) {
      if (line.compare(at, name.size(), name) != 0) continue;
      out.append(line, from, at - from).append(value);
      from = at + name.size();
      at = from - 1;
      break;
    }
  }
  return out.append(line, from, std::string_view::npos);
}

// The script's lines, in order (empty lines dropped).
inline std::vector<std::string_view> lines_of(std::string_view input) {
  std::vector<std::string_view> lines;
  while (!input.empty()) {
    const size_t end = input.find('\n');
    const std::string_view line = input.substr(0, end);
    if (!line.empty()) lines.push_back(line);
    if (end == std::string_view::npos) break;
    input.remove_prefix(end + 1);
  }
  return lines;
}

// "@N": how far to advance (capped at kMaxDurationMs); "@": -1, the next deadline.
inline TimeMs parse_advance(std::string_view line) {
  if (line.size() == 1) return -1;
  TimeMs ms = 0;
  for (char c : line.substr(1)) {
    if (c < '0' || c > '9') break;
    ms = std::min<TimeMs>(ms * 10 + (c - '0'), kMaxDurationMs);
  }
  return ms;
}

// Whatever a session sends must be a frame any peer decodes without a
// single complaint: nothing it writes may be malformed, mistyped or missing
// a field. (Size and batch limits are the peer's, checked elsewhere.)
inline void check_sent_frame(std::string_view frame, FrameKind kind = FrameKind::Text) {
  CodecLimits generous;
  generous.max_frame_bytes = SIZE_MAX;
  std::vector<Message> messages;
  std::vector<DecodeIssue> issues;
  const CodecError error = kind == FrameKind::Binary ? decode_binary_frame(frame, generous, messages, issues)
                                                     : decode_frame(frame, generous, messages, issues);
  if (error != CodecError::None || !issues.empty()) {
    std::fprintf(stderr, "sent frame: %.*s\nissue: %s %s\n", static_cast<int>(std::min<size_t>(frame.size(), 2000)),
                 frame.data(), codec_error_name(issues.empty() ? error : issues[0].error),
                 issues.empty() ? "" : issues[0].detail.c_str());
  }
  FUZZ_CHECK(error == CodecError::None && issues.empty(), "a session sent a frame that does not decode cleanly");
}

}  // namespace tether::fuzz
