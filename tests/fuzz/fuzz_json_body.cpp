// Request bodies and the audit log: every body an intranet client can send goes through
// parse_body_json, and every body (readable or not) through the audit masking.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "halld/api/body.hpp"
#include "halld/core/text.hpp"

namespace {

// Whether JSON text holds the escape of U+0000, which PostgreSQL's jsonb refuses: a "\u0000"
// whose backslash is not itself escaped ("\\u0000" is a backslash followed by "u0000").
bool has_escaped_nul(std::string_view json) {
  for (auto at = json.find("\\u0000"); at != std::string_view::npos;
       at = json.find("\\u0000", at + 1)) {
    std::size_t backslashes = 0;
    while (at > backslashes && json[at - backslashes - 1] == '\\') ++backslashes;
    if (backslashes % 2 == 0) return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = halld::api::parse_body_json(text);
  if (auto* value = std::get_if<nlohmann::json>(&parsed)) {
    halld::api::mask_for_audit(*value);
    // What the audit log keeps must be storable: valid UTF-8 without an escaped U+0000.
    const auto dumped = value->dump();
    if (!halld::is_storable_text(dumped) || has_escaped_nul(dumped)) __builtin_trap();
  }
  const auto view = halld::api::audit_view_of_body(text);
  const auto dumped = view.dump();
  if (!halld::is_storable_text(dumped) || has_escaped_nul(dumped)) __builtin_trap();
  halld::printable_excerpt(text, 64);
  return 0;
}
