#pragma once
// OpenSSL contexts for wss: per-connection client contexts that verify the
// server and record why verification failed, and the server's shared context.
#include "transport/detail/asio_setup.h"

#include <asio/ssl/context.hpp>

#include <memory>
#include <string>
#include <vector>

#include "transport/detail/tls_findings.h"

namespace tether::transport::detail {

struct ClientTlsSettings {
  std::string host;  // from the URL: a DNS name or an IP literal
  bool verify_peer = true;
  std::string ca_file;
  std::string ca_pem;
  std::vector<std::string> pinned_spki_sha256;
};

// A fresh context for one connection (its verification target is per host).
// On failure returns nullptr and sets `error`, e.g. for an unreadable ca_file.
std::shared_ptr<asio::ssl::context> make_client_tls_context(
    const ClientTlsSettings& settings, std::shared_ptr<TlsFindings> findings, std::string& error);

// The context every accepted connection shares. Nullptr and `error` if the
// certificate chain or key cannot be loaded or do not match.
std::shared_ptr<asio::ssl::context> make_server_tls_context(
    const std::string& cert_file, const std::string& key_file, std::string& error);

}  // namespace tether::transport::detail
