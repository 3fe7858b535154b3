#pragma once
// What the TLS layer saw while checking the server, kept for CloseInfo.
#include <string>

namespace tether::transport::detail {

// Only the first failure is kept: it is the one that ended the handshake.
struct TlsFindings {
  int verify_error = 0;           // X509_V_OK unless the chain was rejected
  std::string verify_error_text;  // OpenSSL's text, e.g. "certificate has expired"
  bool hostname_mismatch = false;
  bool pin_mismatch = false;
  std::string alert;              // the first TLS alert sent or received, for detail
};

}  // namespace tether::transport::detail
