// The hex of an SMS-SUBMIT PDU as a modem would be handed it. Whatever decodes must encode again
// (its number and text are sendable) into parts that decode to the same text.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "halld/sms/pdu.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace halld::sms;
  auto decoded = decode_submit(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!std::holds_alternative<Submit>(decoded)) return 0;
  const auto& submit = std::get<Submit>(decoded);
  const std::string text = utf8_of(submit.text);
  if (text.empty()) return 0;
  auto encoded = encode_submit(submit.destination, text, {});
  if (!std::holds_alternative<std::vector<EncodedPdu>>(encoded)) __builtin_trap();
  std::u16string joined;
  for (const auto& pdu : std::get<std::vector<EncodedPdu>>(encoded)) {
    auto part = decode_submit(pdu.hex);
    if (!std::holds_alternative<Submit>(part)) __builtin_trap();
    if (std::get<Submit>(part).destination != submit.destination) __builtin_trap();
    joined += std::get<Submit>(part).text;
  }
  if (utf8_of(joined) != text) __builtin_trap();
  return 0;
}
