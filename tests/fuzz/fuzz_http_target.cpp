// Request targets and opening-hours strings: the small text decoders behind every request.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string_view>

#include "halld/api/http.hpp"
#include "halld/core/text.hpp"
#include "halld/records/archive.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = halld::api::parse_target(text);
  if (auto* target = std::get_if<halld::api::Target>(&parsed)) {
    if (target->path.empty() || target->path.front() != '/') __builtin_trap();
    // Everything decoded is storable text: no route ever sees malformed UTF-8 or a NUL.
    if (!halld::is_storable_text(target->path)) __builtin_trap();
    for (const auto& [key, value] : target->query) {
      if (!halld::is_storable_text(key) || !halld::is_storable_text(value)) __builtin_trap();
    }
  }
  try {
    auto hours = halld::records::parse_day_hours(text);
    // What parses must format back to something that parses to the same hours.
    auto again = halld::records::parse_day_hours(halld::records::format_day_hours(hours));
    if (hours.has_value() != again.has_value() ||
        (hours && (hours->opens != again->opens || hours->closes != again->closes))) {
      __builtin_trap();
    }
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
