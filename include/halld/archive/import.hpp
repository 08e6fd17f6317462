// archive/import: reads a province's archives from the documented import formats (JSON, or a
// folder of CSV files; docs/archives.md) into records::ArchiveSet, validating everything.
// Owns: the file formats and every validation rule. Pure: bytes in, values or problems out;
// the caller reads files and applies the result (store/archive_store) all or nothing.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "halld/records/archive.hpp"

namespace halld::archive {

inline constexpr std::string_view format_name = "halld-archives-v1";
// A hostile or mistaken file must not exhaust memory: the reader stops counting after this.
inline constexpr std::size_t max_problems = 1000;
inline constexpr std::size_t max_file_bytes = 256u << 20;

struct Problem {
  std::string location;  // "halls[3] 410101001 .windows[2].kind" or "windows.csv:14"
  std::string reason;
};

// Codes already in the database, which the file may refer to without defining them.
struct KnownCodes {
  std::set<std::string, std::less<>> cities;
  std::set<std::string, std::less<>> business_types;
  std::set<std::string, std::less<>> halls;
  // The registered protocol descriptions a channel may name, with their families.
  std::map<std::string, records::ChannelProtocol, std::less<>> described_protocols;
};

struct ReadResult {
  records::ArchiveSet archives;
  std::vector<Problem> problems;  // non-empty: nothing may be applied
  std::size_t problems_not_listed = 0;
};

ReadResult read_document(const nlohmann::json& document, const KnownCodes& known);
ReadResult read_json(std::string_view text, const KnownCodes& known);

// CSV: named tables (file name → contents) in the layout of docs/archives.md, turned into the
// JSON document form; each row keeps its origin ("halls.csv:7") for error messages.
struct CsvTables {
  std::map<std::string, std::string> files;  // e.g. "halls.csv" → text
};
inline constexpr std::string_view csv_file_names[] = {
    "province.csv",  "cities.csv",   "business_types.csv", "customer_classes.csv",
    "halls.csv",     "holidays.csv", "windows.csv",        "clerks.csv",
    "terminals.csv", "devices.csv",  "channels.csv"};
nlohmann::json csv_to_document(const CsvTables& tables, std::vector<Problem>& problems);

// RFC 4180 CSV (quoted fields, embedded commas, quotes and newlines); throws CsvError.
struct CsvError : std::runtime_error {
  CsvError(std::size_t line, const std::string& what) : std::runtime_error(what), line(line) {}
  std::size_t line;
};
std::vector<std::vector<std::string>> parse_csv(std::string_view text);

}  // namespace halld::archive
