// store/sql_text: the two pieces of SQL text the stores build around their parameters — an
// array literal of numbers (bound as one parameter) and an instant rendered as ISO 8601 in UTC.
// Pure. Must not touch: values that are not numbers (they would need quoting).
#pragma once

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace halld::store {

// "{1,2,3}": a PostgreSQL array literal, passed as one parameter and cast (…::bigint[]).
template <class Number>
requires std::is_arithmetic_v<Number> std::string array_literal(const std::vector<Number>& values) {
  return fmt::format("{{{}}}", fmt::join(values, ","));
}

// The SQL that renders a timestamptz column as "2026-12-03T08:00:00Z" (times leave the
// database in UTC; pages show them in the hall's time).
inline std::string iso_utc(std::string_view column) {
  return fmt::format("to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')", column);
}

}  // namespace halld::store
