#pragma once
// A close frame's reason holds at most 123 bytes of UTF-8.
#include <cstddef>
#include <string>
#include <string_view>

namespace tether::transport::detail {

inline constexpr std::size_t kMaxCloseReasonBytes = 123;

// Cuts at a character boundary, so the peer never sees broken UTF-8 (1007).
inline std::string fit_close_reason(std::string_view reason) {
  if (reason.size() <= kMaxCloseReasonBytes) return std::string(reason);
  std::size_t end = kMaxCloseReasonBytes;
  while (end > 0 && (static_cast<unsigned char>(reason[end]) & 0xC0) == 0x80) --end;
  return std::string(reason.substr(0, end));
}

}  // namespace tether::transport::detail
