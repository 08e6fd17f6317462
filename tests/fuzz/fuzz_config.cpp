// Configuration files: a ConfigError with one line, or a Config; nothing else may escape.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "halld/core/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    auto config = halld::parse_config({reinterpret_cast<const char*>(data), size}, "fuzz.toml");
    if (config.database.conninfo.empty()) __builtin_trap();  // required key
  } catch (const halld::ConfigError&) {
  }
  return 0;
}
