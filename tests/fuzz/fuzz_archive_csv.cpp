// CSV folders: the input is split at 0x1E into up to four files (cities, halls, windows,
// terminals), each parsed, converted and validated like `halld import FOLDER` does.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "halld/archive/import.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const char* names[] = {"cities.csv", "halls.csv", "windows.csv", "terminals.csv"};
  std::string_view input(reinterpret_cast<const char*>(data), size);
  halld::archive::CsvTables tables;
  for (const char* name : names) {
    auto end = input.find('\x1e');
    tables.files[name] = std::string(input.substr(0, end));
    if (end == std::string_view::npos) break;
    input.remove_prefix(end + 1);
  }
  std::vector<halld::archive::Problem> problems;
  auto document = halld::archive::csv_to_document(tables, problems);
  (void)halld::archive::read_document(document, {});
  return 0;
}
