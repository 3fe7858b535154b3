#include "transport/secure_random.h"

#include <openssl/rand.h>

#include <climits>
#include <vector>

namespace tether::transport {

bool secure_random_bytes(void* out, std::size_t size) noexcept {
  if (size > static_cast<std::size_t>(INT_MAX)) return false;
  return RAND_bytes(static_cast<unsigned char*>(out), static_cast<int>(size)) == 1;
}

std::string secure_random_hex(std::size_t bytes) {
  std::vector<unsigned char> raw(bytes);
  if (!secure_random_bytes(raw.data(), raw.size())) return {};
  static const char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(bytes * 2);
  for (unsigned char b : raw) {
    hex.push_back(kDigits[b >> 4]);
    hex.push_back(kDigits[b & 0x0f]);
  }
  return hex;
}

}  // namespace tether::transport
