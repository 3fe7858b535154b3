#pragma once
// Standard base64 (RFC 4648 §4, alphabet A-Z a-z 0-9 + /, '=' padding), the
// one seam through which the core encodes and decodes it. Natively it is
// OpenSSL's (base64_openssl.cpp); in the browser build, the platform's
// atob()/btoa() (src/web/base64_browser.cpp). Nothing here is hand-rolled.
#include <optional>
#include <string>
#include <string_view>

namespace tether::core::base64 {

// Padded: 4 * ceil(n / 3) characters. Throws std::bad_alloc, or
// std::length_error for input the platform cannot take (over 1 GiB).
std::string encode(std::string_view bytes);

// Accepts exactly what encode() writes, and nothing else: padding required,
// no whitespace, no characters outside the alphabet, and the unused low bits
// of the last character zero, so each byte string has one accepted
// spelling. Returns nullopt for anything else. Throws std::bad_alloc.
std::optional<std::string> decode(std::string_view text);

}  // namespace tether::core::base64
