// Any bytes given to the JSON archive reader end as archives or as problems, never as a crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "halld/archive/import.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  halld::archive::KnownCodes known;
  known.cities.insert("4101");
  known.business_types.insert("bill_payment");
  auto result = halld::archive::read_json({reinterpret_cast<const char*>(data), size}, known);
  // A valid result must be internally consistent with what the reader promised.
  if (result.problems.empty()) {
    for (const auto& hall : result.archives.halls) {
      if (hall.code.empty() || hall.latitude < -90 || hall.latitude > 90) __builtin_trap();
    }
  }
  return 0;
}
