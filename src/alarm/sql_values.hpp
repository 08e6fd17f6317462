// Internal to alarm: how the alarm tables' values are read and written.
#pragma once

#include <cstdint>
#include <optional>
#include <pqxx/pqxx>

#include "halld/records/events.hpp"

namespace halld::alarm {

inline std::int64_t epoch(records::Timestamp t) {
  return t.time_since_epoch().count();
}
inline records::Timestamp from_epoch(std::int64_t s) {
  return records::Timestamp(std::chrono::seconds(s));
}

template <class T>
std::optional<T> optional_of(const pqxx::field& f) {
  return f.is_null() ? std::nullopt : std::optional<T>(f.as<T>());
}

}  // namespace halld::alarm
