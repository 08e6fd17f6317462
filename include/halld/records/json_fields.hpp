// records/json_fields: reading one member of a JSON object the API received, with an error that
// names it. Pure.
#pragma once

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace halld::records {

// A JSON member of the expected type, or an error naming it.
template <class T>
std::optional<std::string> take(const nlohmann::json& body, const char* name, T& out) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return std::nullopt;
  try {
    out = it->get<T>();
  } catch (const nlohmann::json::exception&) {
    return fmt::format("'{}' has the wrong type", name);
  }
  return std::nullopt;
}

}  // namespace halld::records
