// The archive as CSV tables (RFC 4180, via libcsv), turned into the JSON document the reader
// checks.
#include <csv.h>
#include <fmt/format.h>

#include "fields.hpp"
#include "halld/archive/import.hpp"

namespace halld::archive {

using fields::weekdays;
using nlohmann::json;

std::vector<std::vector<std::string>> parse_csv(std::string_view text) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // BOM from spreadsheet exports
  struct State {
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> row;
  } state;
  csv_parser parser;
  if (csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI) != 0)
    throw CsvError(0, "cannot initialise the CSV parser");
  auto on_field = [](void* data, std::size_t size, void* user) {
    static_cast<State*>(user)->row.emplace_back(static_cast<const char*>(data), size);
  };
  auto on_row = [](int, void* user) {
    auto* s = static_cast<State*>(user);
    s->rows.push_back(std::move(s->row));
    s->row.clear();
  };
  std::size_t parsed = csv_parse(&parser, text.data(), text.size(), on_field, on_row, &state);
  bool failed = parsed != text.size() || csv_fini(&parser, on_field, on_row, &state) != 0;
  std::string reason = failed ? csv_strerror(csv_error(&parser)) : "";
  csv_free(&parser);
  if (failed) throw CsvError(state.rows.size() + 1, reason);
  return state.rows;
}

namespace {

// Columns of each CSV file and, for child tables, which JSON array of the hall they fill.
struct CsvLayout {
  std::string_view file;
  std::vector<std::string_view> columns;
  std::vector<std::string_view>
      numeric;  // converted to JSON numbers (or booleans) when they parse as such
  std::vector<std::string_view> lists;  // '|'-separated values → JSON arrays
  std::string_view hall_array;          // empty: top-level table
};

const std::vector<CsvLayout>& csv_layouts() {
  static const std::vector<CsvLayout> layouts = {
      {"province.csv", {"code", "name"}, {}, {}, ""},
      {"cities.csv", {"code", "name"}, {}, {}, ""},
      {"business_types.csv",
       {"code", "name", "name_en", "channel", "target_handling_min"},
       {"target_handling_min"},
       {},
       ""},
      {"customer_classes.csv", {"code", "name", "name_en", "weight"}, {"weight"}, {}, ""},
      {"halls.csv",
       {"code", "name", "city", "county", "address", "latitude", "longitude", "level",
        "target_wait_min", "status", "timezone", "mon", "tue", "wed", "thu", "fri", "sat", "sun"},
       {"latitude", "longitude", "target_wait_min"},
       {},
       ""},
      {"holidays.csv", {"hall", "date", "hours", "note"}, {}, {}, "exceptions"},
      {"windows.csv",
       {"hall", "number", "kind", "business_types"},
       {"number"},
       {"business_types"},
       "windows"},
      {"clerks.csv", {"hall", "staff_no", "name", "status"}, {}, {}, "clerks"},
      {"terminals.csv",
       {"hall", "id", "type", "placement", "vendor", "model", "components", "status"},
       {},
       {"components"},
       "terminals"},
      {"devices.csv", {"hall", "id", "kind", "name", "vendor", "model"}, {}, {}, "devices"},
      {"channels.csv",
       {"code",          "hall",     "protocol",  "link",      "host",
        "port",          "identity", "register",  "heartbeat", "heartbeat_s",
        "offline_after", "device",   "baud",      "data_bits", "parity",
        "stop_bits",     "flow",     "addresses", "poll_ms",   "timeout_ms",
        "retries",       "gap_ms",   "site",      "enabled",   "tap"},
       {"port", "heartbeat_s", "offline_after", "baud", "data_bits", "stop_bits", "addresses",
        "poll_ms", "timeout_ms", "retries", "gap_ms", "enabled", "tap"},
       {"addresses"},
       ""},
  };
  return layouts;
}

json csv_cell(const CsvLayout& layout, std::string_view column, const std::string& cell) {
  auto has = [&](const auto& list) {
    return std::find(list.begin(), list.end(), column) != list.end();
  };
  auto value = [numeric = has(layout.numeric)](const std::string& text) -> json {
    if (numeric) {
      json number = json::parse(text, nullptr, false);
      if (!number.is_discarded() && (number.is_number() || number.is_boolean())) return number;
    }
    return text;
  };
  if (has(layout.lists)) {
    json items = json::array();
    std::size_t start = 0;
    while (start <= cell.size()) {
      auto bar = cell.find('|', start);
      if (bar == std::string::npos) bar = cell.size();
      if (bar > start) items.push_back(value(cell.substr(start, bar - start)));
      start = bar + 1;
    }
    return items;
  }
  return value(cell);
}

}  // namespace

json csv_to_document(const CsvTables& tables, std::vector<Problem>& problems) {
  json document = {{"format", format_name}};
  std::map<std::string, std::size_t> hall_index;  // code → position in document["halls"]
  for (const auto& [name, text] : tables.files) {
    if (std::find(std::begin(csv_file_names), std::end(csv_file_names), name) ==
        std::end(csv_file_names)) {
      problems.push_back({name, fmt::format("is not a known archive table; expected: {}",
                                            fmt::join(csv_file_names, ", "))});
    }
  }
  for (const auto& layout : csv_layouts()) {
    auto file = tables.files.find(std::string(layout.file));
    if (file == tables.files.end()) continue;
    std::vector<std::vector<std::string>> rows;
    try {
      rows = parse_csv(file->second);
    } catch (const CsvError& e) {
      problems.push_back({fmt::format("{} record {}", layout.file, e.line),
                          fmt::format("is not valid CSV: {}", e.what())});
      continue;
    }
    if (rows.empty()) continue;
    const auto& header = rows.front();
    bool header_ok = true;
    for (const auto& column : header) {
      if (std::find(layout.columns.begin(), layout.columns.end(), column) == layout.columns.end()) {
        problems.push_back({fmt::format("{}:1", layout.file),
                            fmt::format("unknown column '{}'; expected columns from: {}", column,
                                        fmt::join(layout.columns, ", "))});
        header_ok = false;
      }
    }
    if (!header_ok) continue;
    for (std::size_t r = 1; r < rows.size(); ++r) {
      std::string origin = fmt::format("{}:{}", layout.file, r + 1);
      if (rows[r].size() != header.size()) {
        problems.push_back({origin, fmt::format("has {} fields, the header has {}", rows[r].size(),
                                                header.size())});
        continue;
      }
      json object = {{"_origin", origin}};
      json hours = json::object();
      std::string hall;
      for (std::size_t c = 0; c < header.size(); ++c) {
        const auto& column = header[c];
        const auto& cell = rows[r][c];
        if (cell.empty()) continue;
        if (column == "hall" && !layout.hall_array.empty())
          hall = cell;
        else if (std::find(std::begin(weekdays), std::end(weekdays), column) != std::end(weekdays))
          hours[column] = cell;
        else
          object[column] = csv_cell(layout, column, cell);
      }
      if (layout.file == "halls.csv") {
        object["opening_hours"] = hours;
        hall_index[object.value("code", std::string())] = document["halls"].size();
        document["halls"].push_back(std::move(object));
      } else if (layout.file == "province.csv") {
        document["province"] = std::move(object);
      } else if (layout.hall_array.empty()) {
        document[std::string(layout.file.substr(0, layout.file.size() - 4))].push_back(
            std::move(object));
      } else if (auto it = hall_index.find(hall); it != hall_index.end()) {
        document["halls"][it->second][std::string(layout.hall_array)].push_back(std::move(object));
      } else {
        problems.push_back({origin + " column hall",
                            fmt::format("refers to hall '{}', which is not in halls.csv", hall)});
      }
    }
  }
  return document;
}

}  // namespace halld::archive
