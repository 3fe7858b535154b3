#include "server/metrics.h"

#include <cstdint>
#include <cstdio>

#include "server/cluster_broker.h"
#include "server/server.h"

namespace tether::server {

namespace {

class MetricsText {
 public:
  // One metric without labels.
  void add(const char* name, const char* type, const char* help, double value) {
    header(name, type, help);
    sample(name, "", value);
  }
  void header(const char* name, const char* type, const char* help) {
    text_ += "# HELP ";
    text_ += name;
    text_ += ' ';
    text_ += help;
    text_ += "\n# TYPE ";
    text_ += name;
    text_ += ' ';
    text_ += type;
    text_ += '\n';
  }
  // `labels` is written as is: {key="value"}, from fixed strings only.
  void sample(const char* name, const char* labels, double value) {
    char number[32];
    std::snprintf(number, sizeof number, "%.17g", value);
    text_ += name;
    text_ += labels;
    text_ += ' ';
    text_ += number;
    text_ += '\n';
  }
  std::string take() { return std::move(text_); }

 private:
  std::string text_;
};

const char* health_name(Server::Health health) {
  switch (health) {
    case Server::Health::Ready: return "ready";
    case Server::Health::Draining: return "draining";
    case Server::Health::NotReady: return "not-ready";
  }
  return "not-ready";
}

}  // namespace

std::string prometheus_metrics(const Server& server, const ClusterBroker* cluster) {
  MetricsText m;
  const core::EndpointCounters counters = server.counters();
  const TrafficCounters& traffic = server.traffic();
  const double u = 1;  // keeps the casts below short
  m.add("tether_connections", "gauge", "Open client connections.", u * server.connection_count());
  m.add("tether_sessions", "gauge", "Sessions held, connected or parked for resume.", u * server.session_count());
  m.add("tether_ready", "gauge", "1 while the node takes clients (what /healthz reports as ready).",
        server.health() == Server::Health::Ready ? 1 : 0);
  m.add("tether_messages_in_total", "counter", "Channel messages clients published.", u * counters.publishes_in);
  m.add("tether_messages_out_total", "counter", "Messages queued for delivery to sessions.", u * counters.deliveries);
  m.add("tether_frames_in_total", "counter", "WebSocket frames received from clients.", u * traffic.frames_in);
  m.add("tether_frames_out_total", "counter", "WebSocket frames written to clients.", u * traffic.frames_out);
  m.add("tether_bytes_in_total", "counter", "Payload bytes received from clients.", u * traffic.bytes_in);
  m.add("tether_bytes_out_total", "counter", "Payload bytes written to clients.", u * traffic.bytes_out);
  m.add("tether_auth_failures_total", "counter", "Connections refused at auth (auth_failed).", u * counters.auth_failures);
  m.add("tether_client_errors_total", "counter", "Error replies to bad client input.", u * counters.client_errors);
  m.add("tether_pings_unanswered_total", "counter", "WebSocket pings past the per-connection rate, not answered.",
        u * counters.pings_unanswered);
  m.add("tether_slow_consumer_closes_total", "counter", "Sessions dropped as slow consumers (4008).",
        u * counters.slow_consumers);
  m.header("tether_drops_total", "counter", "Messages not delivered, by reason.");
  m.sample("tether_drops_total", "{reason=\"not_committed\"}", u * counters.not_committed);
  if (cluster == nullptr) return m.take();

  const ClusterStats stats = cluster->stats();
  m.sample("tether_drops_total", "{reason=\"redis_unavailable\"}", u * stats.dropped_publishes);
  m.sample("tether_drops_total", "{reason=\"history_lost\"}", u * stats.history_lost);
  m.add("tether_redis_connected", "gauge", "1 while both connections to Redis are up.", stats.connected ? 1 : 0);
  m.add("tether_redis_rtt_seconds", "gauge", "Smoothed Redis command round trip.", stats.redis_rtt_us / 1e6);
  m.add("tether_cluster_published_total", "counter", "Publishes Redis committed.", u * stats.published);
  m.add("tether_cluster_duplicates_total", "counter", "Resent publishes Redis had committed already.",
        u * stats.duplicates);
  m.add("tether_cluster_received_total", "counter", "Messages received from Redis for local subscribers.",
        u * stats.received);
  m.add("tether_cluster_fetched_total", "counter", "Messages pub/sub missed, fetched from the streams.",
        u * stats.fetched);
  m.add("tether_cluster_session_claims_total", "counter", "Resumes this node asked the cluster about.",
        u * stats.claims);
  m.add("tether_cluster_sessions_recovered_total", "counter", "Sessions taken over from another node.",
        u * stats.recovered);
  m.add("tether_cluster_caught_up_total", "counter",
        "Messages fetched from the streams for sessions continuing from a position.", u * stats.caught_up);
  return m.take();
}

transport::HttpResponse answer_operations_request(std::string_view path, const Server& server,
                                                  const ClusterBroker* cluster) {
  transport::HttpResponse response;
  if (path == "/healthz") {
    const Server::Health health = server.health();
    response.status = health == Server::Health::Ready ? 200 : 503;
    response.body = std::string(health_name(health)) + "\n";
  } else if (path == "/metrics") {
    response.content_type = "text/plain; version=0.0.4; charset=utf-8";
    response.body = prometheus_metrics(server, cluster);
  } else {
    response.status = 404;
    response.body = "not found: /healthz or /metrics\n";
  }
  return response;
}

}  // namespace tether::server
