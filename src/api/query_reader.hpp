// Internal to api: reading and validating a request's query string.
#pragma once

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>
#include <optional>
#include <string>
#include <vector>

#include "halld/api/http.hpp"
#include "halld/records/event_json.hpp"

namespace halld::api {

// How a report table is answered: the JSON body, or its rows as CSV or an Excel workbook.
enum class TableFormat { json, csv, xlsx };

// Validates a query string against the parameters an endpoint accepts; the first problem
// becomes a 400 with a message naming the parameter.
class QueryReader {
 public:
  QueryReader(const RequestContext& context, const std::vector<std::string_view>& allowed)
      : query_(context.query) {
    for (const auto& [key, value] : query_) {
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        fail(fmt::format("unknown query parameter '{}'; this endpoint accepts: {}", key,
                         fmt::join(allowed, ", ")));
      }
    }
  }

  std::string text(std::string_view key, std::size_t max_size = 100) {
    auto it = query_.find(key);
    if (it == query_.end()) return {};
    if (it->second.size() > max_size)
      fail(fmt::format("'{}' is longer than {} bytes", key, max_size));
    return it->second;
  }

  int integer(std::string_view key, int fallback, int min, int max) {
    auto it = query_.find(key);
    if (it == query_.end()) return fallback;
    int value = 0;
    auto [end, ec] =
        std::from_chars(it->second.data(), it->second.data() + it->second.size(), value);
    if (ec != std::errc() || end != it->second.data() + it->second.size() || value < min ||
        value > max) {
      fail(fmt::format("'{}' must be a whole number from {} to {}", key, min, max));
      return fallback;
    }
    return value;
  }

  // 'format': json (the default), csv or xlsx.
  TableFormat table_format() {
    const auto format = text("format", 8);
    if (format == "csv") return TableFormat::csv;
    if (format == "xlsx") return TableFormat::xlsx;
    if (!format.empty() && format != "json") fail("'format' must be json, csv or xlsx");
    return TableFormat::json;
  }

  // 'from' and 'to' (dates or ISO-8601 times with offset; dates at `offset`; a date as 'to'
  // includes that day), each defaulting as given; nullopt after fail() when malformed or empty.
  std::optional<std::pair<records::Instant, records::Instant>> range(records::Instant from,
                                                                     records::Instant to,
                                                                     std::chrono::minutes offset) {
    for (auto [name, target] : {std::pair{"from", &from}, std::pair{"to", &to}}) {
      const auto value = text(name, 40);
      if (value.empty()) continue;
      auto parsed = records::parse_instant(value, offset);
      if (!parsed) {
        fail(
            fmt::format("'{}' must be a date (2026-11-16) or an ISO-8601 time with offset "
                        "(2026-11-16T08:30:00+08:00)",
                        name));
        return std::nullopt;
      }
      *target = *parsed;
      if (target == &to && value.size() == 10) to.at += std::chrono::days(1);
    }
    if (to.at <= from.at) {
      fail("'to' must be after 'from'");
      return std::nullopt;
    }
    if (to.at - from.at > std::chrono::days(3 * 366)) {
      fail("the range may span at most three years");
      return std::nullopt;
    }
    return std::pair{from, to};
  }

  const std::optional<std::string>& problem() const { return problem_; }

  void fail(std::string message) {
    if (!problem_) problem_ = std::move(message);
  }

 private:
  const std::map<std::string, std::string, std::less<>>& query_;
  std::optional<std::string> problem_;
};

inline Response bad_query(const std::string& message) {
  return error_response(http::status::bad_request, "bad_query", message);
}

}  // namespace halld::api
