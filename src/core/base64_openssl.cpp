// The native base64 seam: libcrypto's EVP_EncodeBlock / EVP_DecodeBlock.
#include "core/base64.h"

#include <openssl/evp.h>

#include <algorithm>
#include <stdexcept>

namespace tether::core::base64 {
namespace {

// Both calls take int lengths; 1 GiB keeps every derived size in range.
constexpr size_t kMaxInputBytes = size_t{1} << 30;

}  // namespace

std::string encode(std::string_view bytes) {
  if (bytes.size() > kMaxInputBytes) throw std::length_error("base64 input too long");
  // +1: EVP_EncodeBlock NUL-terminates its output.
  std::string text(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(text.data()),
                                      reinterpret_cast<const unsigned char*>(bytes.data()),
                                      static_cast<int>(bytes.size()));
  text.resize(static_cast<size_t>(written));
  return text;
}

std::optional<std::string> decode(std::string_view text) {
  if (text.size() > kMaxInputBytes || text.size() % 4 != 0) return std::nullopt;
  std::string bytes(text.size() / 4 * 3, '\0');
  // EVP_DecodeBlock is lenient: it trims whitespace at either end and reads
  // '=' anywhere as a zero sextet (it counts those zero bytes in its result).
  // Only a re-encoding that gives back the input proves it was canonical.
  const int written = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(bytes.data()),
                                      reinterpret_cast<const unsigned char*>(text.data()),
                                      static_cast<int>(text.size()));
  if (written < 0 || static_cast<size_t>(written) != bytes.size()) return std::nullopt;
  const size_t padding = text.size() - std::min(text.size(), text.find_last_not_of('=') + 1);
  if (padding > 2) return std::nullopt;
  bytes.resize(bytes.size() - padding);
  if (encode(bytes) != text) return std::nullopt;
  return bytes;
}

}  // namespace tether::core::base64
