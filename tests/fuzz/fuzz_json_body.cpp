// Request bodies and the audit log: every body an intranet client can send goes through
// parse_body_json, and every body (readable or not) through the audit masking.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "halld/api/body.hpp"
#include "halld/core/text.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = halld::api::parse_body_json(text);
  if (auto* value = std::get_if<nlohmann::json>(&parsed)) {
    halld::api::mask_for_audit(*value);
    // What the audit log keeps must be storable: valid UTF-8 without an escaped U+0000.
    const auto dumped = value->dump();
    if (!halld::is_storable_text(dumped) || dumped.find("\\u0000") != std::string::npos)
      __builtin_trap();
  }
  const auto view = halld::api::audit_view_of_body(text);
  const auto dumped = view.dump();
  if (!halld::is_storable_text(dumped) || dumped.find("\\u0000") != std::string::npos)
    __builtin_trap();
  halld::printable_excerpt(text, 64);
  return 0;
}
