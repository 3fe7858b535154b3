#pragma once
// tether-server's operations endpoints (--metrics-listen): /healthz for load
// balancers and Kubernetes probes, /metrics in the Prometheus text format.
#include <string>
#include <string_view>

#include "transport/http_server.h"

namespace tether::server {

class Server;
class ClusterBroker;

// Answers one request: /healthz (200 "ready", 503 "draining" or
// "not-ready"), /metrics (200, Prometheus text), anything else 404.
// `cluster` is null on a single node.
transport::HttpResponse answer_operations_request(std::string_view path, const Server& server,
                                                  const ClusterBroker* cluster);

// Every metric, in the Prometheus text exposition format (version 0.0.4).
std::string prometheus_metrics(const Server& server, const ClusterBroker* cluster);

}  // namespace tether::server
