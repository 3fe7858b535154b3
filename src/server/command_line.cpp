#include "server/command_line.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <limits>

namespace tether::server {

namespace {

template <typename Number>
bool parse_number(std::string_view text, Number min, Number max, Number& out) {
  Number value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < min || value > max) return false;
  out = value;
  return true;
}

// HOST:PORT, with IPv6 hosts in brackets ([::1]:8080).
bool parse_listen(std::string_view text, std::string& host, uint16_t& port) {
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  std::string_view host_part = text.substr(0, colon);
  if (host_part.front() == '[') {
    if (host_part.size() < 3 || host_part.back() != ']') return false;
    host_part = host_part.substr(1, host_part.size() - 2);
  } else if (host_part.find(':') != std::string_view::npos) {
    return false;  // a bare IPv6 address is ambiguous
  }
  if (!parse_number<uint16_t>(text.substr(colon + 1), 0, std::numeric_limits<uint16_t>::max(), port)) return false;
  host.assign(host_part);
  return true;
}

}  // namespace

const char* usage_text() {
  return "Usage: tether-server [options]\n"
         "\n"
         "  --listen HOST:PORT         address to listen on (default 127.0.0.1:0, an ephemeral port;\n"
         "                             IPv6 as [::1]:PORT)\n"
         "  --jwt-secret SECRET        HS256 secret for client tokens (required; prefer the\n"
         "                             TETHER_JWT_SECRET environment variable: arguments are visible\n"
         "                             to other users of the machine)\n"
         "  --tls-cert FILE            PEM certificate chain; with --tls-key, serve wss://\n"
         "  --tls-key FILE             PEM private key\n"
         "  --max-connections N        concurrent connections; more handshakes get HTTP 503 with\n"
         "                             Retry-After: 1 (default 10000)\n"
         "  --max-pending-handshakes N accepted sockets still in their TLS or WebSocket handshake; at\n"
         "                             the bound the server stops accepting, and new connections wait\n"
         "                             in the listen backlog until one ends (default 1024)\n"
         "  --max-message-size BYTES   largest frame in either direction (default 1048576)\n"
         "  --max-send-buffer-bytes BYTES\n"
         "                             bytes written to one connection that its socket has not taken;\n"
         "                             past it nothing more is written until it drains (deliveries wait\n"
         "                             in the session buffer), and a client that sends this much more\n"
         "                             meanwhile is closed as a slow consumer, 4008 (default 4194304)\n"
         "  --handshake-timeout-ms MS  TCP accept to WebSocket open, TLS included; a slower client is\n"
         "                             dropped (default 10000)\n"
         "  --auth-timeout-ms MS       open -> valid auth, else close 4002 (default 10000)\n"
         "  --idle-timeout-ms MS       close 4000 after this long without traffic (default 60000)\n"
         "  --resume-ttl-ms MS         how long a dropped session can be resumed (default 120000)\n"
         "  --max-session-buffer-bytes BYTES\n"
         "                             channel + payload bytes queued or unacked for one session\n"
         "                             (a client that stops reading keeps its messages up to this);\n"
         "                             beyond it the session is dropped as a slow consumer, 4008\n"
         "                             (default 16777216)\n"
         "  --max-session-queue N      messages waiting to be sent to one session, beyond the\n"
         "                             client's window of unacked ones; beyond it 4008 (default 65536)\n"
         "  --receive-window N         reliable sequences a client may send ahead of a gap; the server\n"
         "                             holds at most this many out of order (default 4096, at most 65536)\n"
         "  --max-receive-buffer-bytes BYTES\n"
         "                             bytes of out-of-order messages held for one session (channel,\n"
         "                             payload and about 450 bytes each); beyond it they are not\n"
         "                             acked, so the client resends them once the gap fills\n"
         "                             (default 1048576)\n"
         "  --max-subscriptions N      channels one session may subscribe to; more are refused with\n"
         "                             permission_denied code too_many_subscriptions (default 1024)\n"
         "  --max-token-lifetime-s S   a token without exp expires this long after its iat (or after\n"
         "                             it is presented, without iat); 0 = never (default 86400)\n"
         "  --state-file FILE          on SIGINT/SIGTERM save sessions here; load them at start,\n"
         "                             so clients resume across a restart (default: none)\n"
         "  --redis URL                run as a cluster node: share channels with the other nodes\n"
         "                             through Redis (redis://IP:PORT, redis://localhost:PORT or\n"
         "                             unix:///path/to/socket; default: none, a single node)\n"
         "  --node-id ID               this node's name in logs and in Redis (letters, digits, '-',\n"
         "                             '_', '.'; default: random)\n"
         "  --history-size N           reliable messages Redis keeps per channel, for clients that\n"
         "                             resume on another node (default 1000)\n"
         "  --metrics-listen HOST:PORT serve GET /healthz (200 ready, 503 draining or not-ready) and\n"
         "                             /metrics (Prometheus text) over plain HTTP; keep it off public\n"
         "                             networks (default: none)\n"
         "  --drain-ms MS              with --redis: on SIGINT/SIGTERM stop accepting, then close each\n"
         "                             client with 1001 at a random moment within MS, so they move to\n"
         "                             the other nodes gradually; exit when all are gone (default 5000)\n"
         "  --help                     show this text\n"
         "\n"
         "Prints one line, \"tether-server listening on ws://HOST:PORT\", once listening.\n"
         "SIGINT or SIGTERM closes every connection with 1001 and exits 0.\n";
}

std::string parse_command_line(const std::vector<std::string_view>& args, const char* env_jwt_secret,
                               CommandLine& out) {
  out = CommandLine{};
  bool secret_given = false;
  bool drain_given = false;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view flag = args[i];
    std::string_view value;
    bool has_value = false;
    // --flag=value and --flag value are both accepted.
    if (const size_t equals = flag.find('='); flag.substr(0, 2) == "--" && equals != std::string_view::npos) {
      value = flag.substr(equals + 1);
      flag = flag.substr(0, equals);
      has_value = true;
    }
    if (flag == "--help" || flag == "-h") {
      out.show_help = true;
      return {};
    }
    const bool known = flag == "--listen" || flag == "--jwt-secret" || flag == "--tls-cert" || flag == "--tls-key" ||
                       flag == "--max-connections" || flag == "--max-pending-handshakes" ||
                       flag == "--max-message-size" || flag == "--auth-timeout-ms" ||
                       flag == "--idle-timeout-ms" || flag == "--resume-ttl-ms" || flag == "--state-file" ||
                       flag == "--max-session-buffer-bytes" || flag == "--max-session-queue" ||
                       flag == "--receive-window" || flag == "--max-receive-buffer-bytes" ||
                       flag == "--max-subscriptions" || flag == "--max-token-lifetime-s" ||
                       flag == "--max-send-buffer-bytes" || flag == "--handshake-timeout-ms" ||
                       flag == "--redis" || flag == "--node-id" || flag == "--history-size" ||
                       flag == "--drain-ms" || flag == "--metrics-listen";
    if (!known) return "unknown argument: " + std::string(flag);
    if (!has_value) {
      if (i + 1 >= args.size()) return std::string(flag) + " needs a value";
      value = args[++i];
    }
    const std::string name(flag);
    ServerOptions& options = out.options;
    constexpr int64_t kMaxMs = int64_t{24} * 60 * 60 * 1000 * 365;
    constexpr uint32_t kMaxReceiveWindow = 65536;
    bool ok = true;
    if (flag == "--listen") {
      ok = parse_listen(value, options.host, options.port);
      if (!ok) return "--listen needs HOST:PORT, e.g. 127.0.0.1:8080";
    } else if (flag == "--jwt-secret") {
      options.jwt_secret.assign(value);
      secret_given = true;
    } else if (flag == "--tls-cert") {
      options.tls_cert_file.assign(value);
    } else if (flag == "--tls-key") {
      options.tls_key_file.assign(value);
    } else if (flag == "--max-connections") {
      ok = parse_number<size_t>(value, 1, std::numeric_limits<size_t>::max(), options.max_connections);
    } else if (flag == "--max-pending-handshakes") {
      ok = parse_number<size_t>(value, 1, std::numeric_limits<size_t>::max(), options.max_pending_handshakes);
    } else if (flag == "--max-message-size") {
      ok = parse_number<size_t>(value, 1024, std::numeric_limits<uint32_t>::max(), options.max_message_bytes);
    } else if (flag == "--max-send-buffer-bytes") {
      ok = parse_number<size_t>(value, 1, std::numeric_limits<size_t>::max(), options.max_send_buffer_bytes);
    } else if (flag == "--handshake-timeout-ms") {
      ok = parse_number<int64_t>(value, 1, kMaxMs, options.handshake_timeout_ms);
    } else if (flag == "--auth-timeout-ms") {
      ok = parse_number<int64_t>(value, 1, kMaxMs, options.session.auth_timeout_ms);
    } else if (flag == "--idle-timeout-ms") {
      ok = parse_number<int64_t>(value, 1, kMaxMs, options.session.idle_timeout_ms);
    } else if (flag == "--resume-ttl-ms") {
      ok = parse_number<int64_t>(value, 0, kMaxMs, options.session.resume_ttl_ms);
    } else if (flag == "--max-session-buffer-bytes") {
      // Bounds the queue and the queue plus in-flight messages alike.
      core::ReliableConfig& reliable = options.session.reliable;
      ok = parse_number<size_t>(value, 1, std::numeric_limits<size_t>::max(), reliable.max_buffered_bytes);
      reliable.queue_max_bytes = reliable.max_buffered_bytes;
    } else if (flag == "--max-session-queue") {
      ok = parse_number<size_t>(value, 1, std::numeric_limits<size_t>::max(),
                                options.session.reliable.queue_max_messages);
    } else if (flag == "--receive-window") {
      ok = parse_number<uint32_t>(value, 1, kMaxReceiveWindow, options.session.receive_window);
    } else if (flag == "--max-receive-buffer-bytes") {
      ok = parse_number<size_t>(value, 1, std::numeric_limits<size_t>::max(),
                                options.session.client_limits.max_receive_buffer_bytes);
    } else if (flag == "--max-subscriptions") {
      ok = parse_number<size_t>(value, 1, std::numeric_limits<size_t>::max(),
                                options.session.client_limits.max_subscriptions);
    } else if (flag == "--max-token-lifetime-s") {
      int64_t seconds = 0;
      ok = parse_number<int64_t>(value, 0, kMaxMs / 1000, seconds);
      options.max_token_lifetime_ms = seconds * 1000;
    } else if (flag == "--state-file") {
      out.state_file = std::string(value);
      ok = !value.empty();
    } else if (flag == "--redis") {
      transport::RedisAddress address;
      const std::string problem = transport::parse_redis_url(value, address);
      if (!problem.empty()) return "invalid value for --redis: " + problem;
      out.cluster.redis_url.assign(value);
    } else if (flag == "--node-id") {
      out.cluster.node_id.assign(value);
    } else if (flag == "--history-size") {
      ok = parse_number<size_t>(value, 1, 10'000'000, out.cluster.history_size);
    } else if (flag == "--metrics-listen") {
      ok = parse_listen(value, out.metrics_host, out.metrics_port);
      if (!ok) return "--metrics-listen needs HOST:PORT, e.g. 127.0.0.1:9100";
    } else if (flag == "--drain-ms") {
      ok = parse_number<int64_t>(value, 0, kMaxMs, out.cluster.drain_ms);
      drain_given = true;
    }
    if (!ok) return "invalid value for " + name + ": " + std::string(value);
  }
  if (!secret_given && env_jwt_secret != nullptr) out.options.jwt_secret = env_jwt_secret;
  if (out.options.jwt_secret.empty()) return "a JWT secret is required (--jwt-secret or TETHER_JWT_SECRET)";
  if (const char* problem = validate(out.options)) return problem;
  if (!out.cluster.redis_url.empty()) {
    // History must outlive every session that may resume from it.
    out.cluster.history_ttl_ms = std::max<int64_t>(out.cluster.history_ttl_ms, 2 * out.options.session.resume_ttl_ms);
    if (const char* problem = validate(out.cluster)) return problem;
  } else if (!out.cluster.node_id.empty() || out.cluster.history_size != ClusterOptions{}.history_size ||
             drain_given) {
    return "--node-id, --history-size and --drain-ms need --redis";
  }
  return {};
}

}  // namespace tether::server
