#include "transport/detail/spki_pin.h"

#include <openssl/evp.h>


namespace tether::transport::detail {

namespace {
constexpr std::size_t kSha256Size = 32;
constexpr std::size_t kPinLength = 44;  // base64 of 32 bytes: 43 characters and one '='
}  // namespace

bool is_valid_spki_pin(std::string_view pin) noexcept {
  if (pin.size() != kPinLength || pin.back() != '=') return false;
  constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (std::size_t i = 0; i + 1 < pin.size(); ++i) {
    if (kAlphabet.find(pin[i]) == std::string_view::npos) return false;
  }
  return true;
}

std::string spki_sha256_base64(X509* cert) {
  if (cert == nullptr) return {};
  unsigned char* der = nullptr;
  const int der_length = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
  if (der_length <= 0) return {};
  unsigned char digest[kSha256Size];
  unsigned int digest_length = 0;
  const int hashed = EVP_Digest(der, static_cast<std::size_t>(der_length), digest, &digest_length,
                                EVP_sha256(), nullptr);
  OPENSSL_free(der);
  if (hashed != 1 || digest_length != kSha256Size) return {};
  unsigned char encoded[kPinLength + 1];
  EVP_EncodeBlock(encoded, digest, static_cast<int>(kSha256Size));
  return std::string(reinterpret_cast<const char*>(encoded), kPinLength);
}

}  // namespace tether::transport::detail
