#pragma once
// Unpredictable bytes from OpenSSL's CSPRNG, for secrets such as session ids.
#include <cstddef>
#include <string>

namespace tether::transport {

// Fills `out` with `size` random bytes. False if the CSPRNG failed.
bool secure_random_bytes(void* out, std::size_t size) noexcept;

// `bytes` random bytes as lowercase hex; empty if the CSPRNG failed.
std::string secure_random_hex(std::size_t bytes);

}  // namespace tether::transport
