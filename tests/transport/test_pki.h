#pragma once
// Certificates made at run time with OpenSSL, written as PEM files to a
// temporary directory: a CA, server certificates it signs (good, wrong host,
// expired) and a self-signed one.
#include <string>

namespace tether::transport::test {

struct CertificateFiles {
  std::string cert_file;
  std::string key_file;
  std::string pin;  // base64(SHA-256(SubjectPublicKeyInfo DER)) of the key
};

struct TestPki {
  std::string ca_pem;
  std::string ca_file;
  CertificateFiles server;       // CA-signed, for IP 127.0.0.1 and DNS localhost
  CertificateFiles other_host;   // CA-signed, for DNS other.example only
  CertificateFiles expired;      // CA-signed, for 127.0.0.1, expired yesterday
  CertificateFiles self_signed;  // for 127.0.0.1, signed by its own key
  std::string unrelated_pin;     // the pin of a key no server uses
};

// Generated once per test run; the directory is removed at exit.
const TestPki& test_pki();

}  // namespace tether::transport::test
