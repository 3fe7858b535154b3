#include "test_pki.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <memory>

namespace tether::transport::test {

namespace {

constexpr long kDay = 24 * 60 * 60;

struct KeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct CertFree {
  void operator()(X509* cert) const { X509_free(cert); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;
using Cert = std::unique_ptr<X509, CertFree>;

Key make_key() {
  Key key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  REQUIRE(key);
  return key;
}

std::string pin_of(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  const int length = i2d_PUBKEY(key, &der);  // SubjectPublicKeyInfo
  REQUIRE(length > 0);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_length = 0;
  REQUIRE(EVP_Digest(der, static_cast<size_t>(length), digest, &digest_length, EVP_sha256(), nullptr) == 1);
  OPENSSL_free(der);
  unsigned char encoded[64];
  const int encoded_length = EVP_EncodeBlock(encoded, digest, static_cast<int>(digest_length));
  return std::string(reinterpret_cast<char*>(encoded), static_cast<std::size_t>(encoded_length));
}

void add_extension(X509* cert, X509V3_CTX* context, int nid, const std::string& value) {
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, context, nid, value.c_str());
  REQUIRE(extension != nullptr);
  REQUIRE(X509_add_ext(cert, extension, -1) == 1);
  X509_EXTENSION_free(extension);
}

struct CertSpec {
  std::string common_name;
  std::string subject_alt_names;  // e.g. "IP:127.0.0.1,DNS:localhost"; empty for a CA
  bool is_ca = false;
  long valid_from = -kDay;  // seconds relative to now
  long valid_until = 30 * kDay;
};

// Signs with `issuer_key` as `issuer`, or self-signs when issuer is null.
Cert make_cert(const CertSpec& spec, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key) {
  static long serial = 1;
  Cert cert(X509_new());
  REQUIRE(cert);
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial++);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), spec.valid_from);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), spec.valid_until);
  REQUIRE(X509_set_pubkey(cert.get(), key) == 1);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(spec.common_name.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), issuer != nullptr ? X509_get_subject_name(issuer) : name);

  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, issuer != nullptr ? issuer : cert.get(), cert.get(), nullptr, nullptr, 0);
  add_extension(cert.get(), &context, NID_basic_constraints, spec.is_ca ? "critical,CA:TRUE" : "CA:FALSE");
  add_extension(cert.get(), &context, NID_subject_key_identifier, "hash");
  if (spec.is_ca) {
    add_extension(cert.get(), &context, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else if (issuer != nullptr) {
    add_extension(cert.get(), &context, NID_authority_key_identifier, "keyid:always");
    add_extension(cert.get(), &context, NID_key_usage, "critical,digitalSignature");
    add_extension(cert.get(), &context, NID_ext_key_usage, "serverAuth");
  }
  if (!spec.subject_alt_names.empty()) {
    add_extension(cert.get(), &context, NID_subject_alt_name, spec.subject_alt_names);
  }
  REQUIRE(X509_sign(cert.get(), issuer_key != nullptr ? issuer_key : key, EVP_sha256()) > 0);
  return cert;
}

std::string to_pem(X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  REQUIRE(PEM_write_bio_X509(bio, cert) == 1);
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<std::size_t>(length));
  BIO_free(bio);
  return pem;
}

void write_cert(const std::filesystem::path& path, X509* cert) {
  BIO* bio = BIO_new_file(path.c_str(), "w");
  REQUIRE(bio != nullptr);
  REQUIRE(PEM_write_bio_X509(bio, cert) == 1);
  BIO_free(bio);
}

void write_key(const std::filesystem::path& path, EVP_PKEY* key) {
  BIO* bio = BIO_new_file(path.c_str(), "w");
  REQUIRE(bio != nullptr);
  REQUIRE(PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr) == 1);
  BIO_free(bio);
}

// Removes the directory when the test program exits.
struct TempDir {
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "tether-transport-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
  std::filesystem::path path;
};

CertificateFiles issue(const TempDir& dir, const std::string& name, const CertSpec& spec, X509* ca,
                       EVP_PKEY* ca_key) {
  Key key = make_key();
  Cert cert = make_cert(spec, key.get(), ca, ca_key);
  CertificateFiles files{(dir.path / (name + ".crt")).string(), (dir.path / (name + ".key")).string(),
                         pin_of(key.get())};
  write_cert(files.cert_file, cert.get());
  write_key(files.key_file, key.get());
  return files;
}

TestPki generate(const TempDir& dir) {
  TestPki pki;
  Key ca_key = make_key();
  CertSpec ca_spec;
  ca_spec.common_name = "Tether Test CA";
  ca_spec.is_ca = true;
  Cert ca = make_cert(ca_spec, ca_key.get(), nullptr, nullptr);
  pki.ca_pem = to_pem(ca.get());
  pki.ca_file = (dir.path / "ca.crt").string();
  write_cert(pki.ca_file, ca.get());

  CertSpec server_spec{"127.0.0.1", "IP:127.0.0.1,DNS:localhost"};
  pki.server = issue(dir, "server", server_spec, ca.get(), ca_key.get());
  pki.other_host = issue(dir, "other", {"other.example", "DNS:other.example"}, ca.get(), ca_key.get());
  CertSpec expired_spec = server_spec;
  expired_spec.valid_from = -10 * kDay;
  expired_spec.valid_until = -kDay;
  pki.expired = issue(dir, "expired", expired_spec, ca.get(), ca_key.get());
  pki.self_signed = issue(dir, "self", server_spec, nullptr, nullptr);
  pki.unrelated_pin = pin_of(make_key().get());
  return pki;
}

}  // namespace

const TestPki& test_pki() {
  static const TempDir dir;
  static const TestPki pki = generate(dir);
  return pki;
}

}  // namespace tether::transport::test
