#pragma once
// Public-key pinning: base64(SHA-256(SubjectPublicKeyInfo DER)), the format of
// HPKP and of `openssl x509 -pubkey | openssl pkey -pubin -outform der |
// openssl dgst -sha256 -binary | base64`.
#include <openssl/x509.h>

#include <string>
#include <string_view>

namespace tether::transport::detail {

// True for 44 characters of standard base64 encoding exactly 32 bytes.
bool is_valid_spki_pin(std::string_view pin) noexcept;

// The pin of `cert`'s public key; empty if it cannot be computed.
std::string spki_sha256_base64(X509* cert);

}  // namespace tether::transport::detail
