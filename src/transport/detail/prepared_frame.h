#pragma once
// One outgoing data frame, framed here and handed to websocketpp already
// prepared, which skips its prepare_data_frame. That function checks every
// text payload for UTF-8 and masks a client's payload a byte at a time; in
// tether-bench's echo the check alone was 12% of the server's time, for text
// the core's codec wrote from input that was checked on the way in. Here the
// header comes from websocketpp's prepare_header and the mask from its
// word_mask_exact, so only the work changes, not the wire.
//
// Include only from a .cpp (or a one-includer header) that already pulls in
// websocketpp's connection.
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

#include <websocketpp/error.hpp>
#include <websocketpp/frame.hpp>
#include <websocketpp/processors/base.hpp>
#include <websocketpp/utf8_validator.hpp>

namespace tether::transport::detail {

// Whether a text payload is checked for UTF-8 before it goes out. Unchecked
// only for the codec's own frames (see the top of this file); anything else,
// such as a test's or a caller's arbitrary text, is checked, and refused
// with websocketpp's invalid_payload if it is not UTF-8.
enum class TextCheck : uint8_t { Check, Trusted };

// A client masks every frame with a fresh, unpredictable `masking_key`
// (RFC 6455 5.3); a server masks none (`masked` false, the key unused).
template <typename ConnectionPtr>
std::error_code send_prepared(const ConnectionPtr& connection, std::string_view bytes,
                              websocketpp::frame::opcode::value opcode, TextCheck check, bool masked,
                              uint32_t masking_key) {
  namespace frame = websocketpp::frame;
  if (opcode == frame::opcode::text && check == TextCheck::Check) {
    websocketpp::utf8_validator::validator utf8;
    if (!utf8.decode(bytes.begin(), bytes.end()) || !utf8.complete()) {
      return websocketpp::processor::error::make_error_code(websocketpp::processor::error::invalid_payload);
    }
  }
  auto message = connection->get_message(opcode, bytes.size());
  if (!message) return websocketpp::error::make_error_code(websocketpp::error::no_outgoing_buffers);
  std::string& payload = message->get_raw_payload();
  payload.assign(bytes.data(), bytes.size());
  frame::masking_key_type key;
  key.i = masked ? masking_key : 0;
  // The payload is its own heap (or in-object) buffer, so word_mask_exact's
  // word loads are aligned.
  if (masked) frame::word_mask_exact(reinterpret_cast<uint8_t*>(payload.data()), payload.size(), key);
  const frame::basic_header header(opcode, payload.size(), /*fin=*/true, masked, /*compressed=*/false);
  message->set_header(masked ? frame::prepare_header(header, frame::extended_header(payload.size(), key.i))
                             : frame::prepare_header(header, frame::extended_header(payload.size())));
  message->set_prepared(true);
  return connection->send(message);
}

}  // namespace tether::transport::detail
