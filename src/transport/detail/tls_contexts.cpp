#include "transport/detail/tls_contexts.h"

#ifdef _WIN32
// Before OpenSSL's headers, which undo wincrypt.h's X509_NAME & co.
#include <windows.h>
#include <wincrypt.h>
#endif

#include <asio/buffer.hpp>
#include <asio/ip/address.hpp>
#include <asio/ssl/verify_context.hpp>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <exception>

#include "transport/detail/spki_pin.h"

namespace tether::transport::detail {

namespace {

// Asio keeps its verify callback in the context's app data, so the findings
// go into an ex-data slot of their own.
int findings_slot() {
  static const int slot = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return slot;
}

void record_alert(const SSL* ssl, int where, int alert) {
  if ((where & SSL_CB_ALERT) == 0) return;
  auto* findings = static_cast<TlsFindings*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), findings_slot()));
  if (findings == nullptr || !findings->alert.empty()) return;
  findings->alert = std::string((where & SSL_CB_READ) != 0 ? "received" : "sent") +
                    " TLS alert \"" + SSL_alert_desc_string_long(alert) + "\"";
}

bool is_hostname_error(int error) {
  return error == X509_V_ERR_HOSTNAME_MISMATCH || error == X509_V_ERR_IP_ADDRESS_MISMATCH;
}

// Runs for each certificate of the server's chain, root first, leaf (depth 0)
// last; OpenSSL checks the host name right before the leaf's turn.
class PeerVerifier {
 public:
  PeerVerifier(bool verify_chain, std::vector<std::string> pins, std::shared_ptr<TlsFindings> findings)
      : verify_chain_(verify_chain), pins_(std::move(pins)), findings_(std::move(findings)) {}

  bool operator()(bool preverified, asio::ssl::verify_context& context) const {
    X509_STORE_CTX* store = context.native_handle();
    if (!preverified && verify_chain_) {
      record_failure(X509_STORE_CTX_get_error(store));
      return false;
    }
    // With verify_peer off, chain problems are ignored and only pins matter.
    if (X509_STORE_CTX_get_error_depth(store) == 0 && !pins_.empty()) {
      const std::string pin = spki_sha256_base64(X509_STORE_CTX_get_current_cert(store));
      if (pin.empty() || std::find(pins_.begin(), pins_.end(), pin) == pins_.end()) {
        findings_->pin_mismatch = true;
        X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
        return false;
      }
    }
    return true;
  }

 private:
  void record_failure(int error) const {
    if (findings_->hostname_mismatch || findings_->verify_error != X509_V_OK) return;
    if (is_hostname_error(error)) {
      findings_->hostname_mismatch = true;
    } else {
      findings_->verify_error = error;
      findings_->verify_error_text = X509_verify_cert_error_string(error);
    }
  }

  bool verify_chain_;
  std::vector<std::string> pins_;
  std::shared_ptr<TlsFindings> findings_;
};

#ifdef _WIN32
// OpenSSL's default verify paths are files under its build-time OPENSSLDIR,
// which do not exist on a player's Windows machine: there the system CAs are
// the "ROOT" system store (the user's view, which includes the machine's).
void add_windows_root_store(SSL_CTX* context) {
  HCERTSTORE system_store = CertOpenSystemStoreW(0, L"ROOT");
  if (system_store == nullptr) return;
  X509_STORE* store = SSL_CTX_get_cert_store(context);
  PCCERT_CONTEXT cert = nullptr;
  while ((cert = CertEnumCertificatesInStore(system_store, cert)) != nullptr) {
    const unsigned char* der = cert->pbCertEncoded;
    X509* x509 = d2i_X509(nullptr, &der, static_cast<long>(cert->cbCertEncoded));
    if (x509 == nullptr) continue;
    X509_STORE_add_cert(store, x509);  // a duplicate is refused, harmlessly
    X509_free(x509);
  }
  CertCloseStore(system_store, 0);
}
#endif

bool expect_host(SSL_CTX* context, const std::string& host) {
  X509_VERIFY_PARAM* param = SSL_CTX_get0_param(context);
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  asio::error_code not_an_ip;
  asio::ip::make_address(host, not_an_ip);
  if (!not_an_ip) return X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) == 1;
  return X509_VERIFY_PARAM_set1_host(param, host.data(), host.size()) == 1;
}

std::shared_ptr<asio::ssl::context> build_client_context(
    const ClientTlsSettings& settings, std::shared_ptr<TlsFindings> findings, std::string& error) {
  auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  SSL_CTX* native = context->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);

  asio::error_code ec;
  context->set_default_verify_paths(ec);  // system CAs are always trusted too; none is fine
#ifdef _WIN32
  add_windows_root_store(native);
#endif
  if (!settings.ca_file.empty()) {
    context->load_verify_file(settings.ca_file, ec);
    if (ec) {
      error = "cannot load ca_file \"" + settings.ca_file + "\": " + ec.message();
      return nullptr;
    }
  }
  if (!settings.ca_pem.empty()) {
    context->add_certificate_authority(asio::buffer(settings.ca_pem), ec);
    if (ec) {
      error = "cannot parse ca_pem: " + ec.message();
      return nullptr;
    }
  }
  if (settings.verify_peer && !expect_host(native, settings.host)) {
    error = "cannot verify the host name \"" + settings.host + "\"";
    return nullptr;
  }

  const bool check_anything = settings.verify_peer || !settings.pinned_spki_sha256.empty();
  context->set_verify_mode(check_anything ? asio::ssl::verify_peer : asio::ssl::verify_none);
  SSL_CTX_set_ex_data(native, findings_slot(), findings.get());
  SSL_CTX_set_info_callback(native, &record_alert);
  // The verifier owns the findings, so they live exactly as long as the context.
  context->set_verify_callback(
      PeerVerifier(settings.verify_peer, settings.pinned_spki_sha256, std::move(findings)), ec);
  if (ec) {
    error = "cannot install the TLS verify callback: " + ec.message();
    return nullptr;
  }
  return context;
}

std::shared_ptr<asio::ssl::context> build_server_context(
    const std::string& cert_file, const std::string& key_file, std::string& error) {
  auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  SSL_CTX* native = context->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  context->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_compression);

  asio::error_code ec;
  context->use_certificate_chain_file(cert_file, ec);
  if (ec) {
    error = "cannot load tls_cert_file \"" + cert_file + "\": " + ec.message();
    return nullptr;
  }
  context->use_private_key_file(key_file, asio::ssl::context::pem, ec);
  if (ec) {
    error = "cannot load tls_key_file \"" + key_file + "\": " + ec.message();
    return nullptr;
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    error = "tls_key_file does not match tls_cert_file";
    return nullptr;
  }
  return context;
}

}  // namespace

// Asio reports OpenSSL failures by throwing from a few calls; keep them here.
std::shared_ptr<asio::ssl::context> make_client_tls_context(
    const ClientTlsSettings& settings, std::shared_ptr<TlsFindings> findings, std::string& error) {
  try {
    return build_client_context(settings, std::move(findings), error);
  } catch (const std::exception& e) {
    error = std::string("cannot set up TLS: ") + e.what();
    return nullptr;
  }
}

std::shared_ptr<asio::ssl::context> make_server_tls_context(
    const std::string& cert_file, const std::string& key_file, std::string& error) {
  try {
    return build_server_context(cert_file, key_file, error);
  } catch (const std::exception& e) {
    error = std::string("cannot set up TLS: ") + e.what();
    return nullptr;
  }
}

}  // namespace tether::transport::detail
