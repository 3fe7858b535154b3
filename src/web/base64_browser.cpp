// The browser's base64 seam (src/core/base64.h): the platform's btoa() and
// atob(), over "binary strings" (one UTF-16 code unit per byte, 0-255), so
// bytes cross to JavaScript and back exactly, NUL and 0x80-0xFF included.
//
// atob() is more forgiving than base64.h promises: it skips ASCII whitespace
// anywhere, takes unpadded input and ignores the last character's unused low
// bits. Re-encoding with btoa() and comparing with the input rejects all of
// those, so both builds accept the same strings (only what encode() writes).
#include "core/base64.h"

#include <emscripten/emscripten.h>

#include <stdexcept>

// Binary string <-> linear memory, in chunks: apply() with one argument per
// byte would overflow the JavaScript stack for long input.
EM_JS(int, tether_base64_encode_js, (const unsigned char* bytes, int length, char* out), {
  let binary = "";
  for (let i = 0; i < length; i += 0x8000) {
    const end = Math.min(length, i + 0x8000);
    binary += String.fromCharCode.apply(null, HEAPU8.subarray(bytes + i, bytes + end));
  }
  const text = btoa(binary);
  for (let i = 0; i < text.length; ++i) HEAPU8[out + i] = text.charCodeAt(i);
  return text.length;
});

// Returns the number of bytes written to out, or -1 if text is not canonical base64.
EM_JS(int, tether_base64_decode_js, (const unsigned char* text, int length, char* out), {
  let input = "";
  for (let i = 0; i < length; i += 0x8000) {
    const end = Math.min(length, i + 0x8000);
    input += String.fromCharCode.apply(null, HEAPU8.subarray(text + i, text + end));
  }
  let binary;
  try {
    binary = atob(input);
  } catch (e) {  // InvalidCharacterError: outside the alphabet, or an impossible length
    return -1;
  }
  if (btoa(binary) !== input) return -1;
  for (let i = 0; i < binary.length; ++i) HEAPU8[out + i] = binary.charCodeAt(i);
  return binary.length;
});

namespace {

// Lengths cross as int; 1 GiB keeps every derived size in range (as natively).
constexpr size_t kMaxInputBytes = size_t{1} << 30;

const unsigned char* as_bytes(std::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

}  // namespace

namespace tether::core::base64 {

std::string encode(std::string_view bytes) {
  if (bytes.size() > kMaxInputBytes) throw std::length_error("base64 input too long");
  std::string text(4 * ((bytes.size() + 2) / 3), '\0');
  const int written =
      tether_base64_encode_js(as_bytes(bytes), static_cast<int>(bytes.size()), text.data());
  text.resize(static_cast<size_t>(written));
  return text;
}

std::optional<std::string> decode(std::string_view text) {
  // Checked here too, so out is always large enough for what atob() returns.
  if (text.size() > kMaxInputBytes || text.size() % 4 != 0) return std::nullopt;
  std::string bytes(text.size() / 4 * 3, '\0');
  const int written =
      tether_base64_decode_js(as_bytes(text), static_cast<int>(text.size()), bytes.data());
  if (written < 0) return std::nullopt;
  bytes.resize(static_cast<size_t>(written));
  return bytes;
}

}  // namespace tether::core::base64
