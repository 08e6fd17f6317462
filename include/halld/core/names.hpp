// core/names: an enum's wire names kept in one table of {value, name} pairs, read both ways.
// Pure. Must not touch: what the names mean.
#pragma once

#include <optional>
#include <string_view>
#include <type_traits>

namespace halld {

// The name of `value` in the table; "?" for a value the table lacks.
template <class Table, class Value>
std::string_view name_in(const Table& table, Value value) {
  for (const auto& [v, name] : table) {
    if (v == value) return name;
  }
  return "?";
}

// The value named `text`; nullopt for a name the table lacks.
template <class Table>
auto value_in(const Table& table, std::string_view text)
    -> std::optional<std::remove_cvref_t<decltype(table[0].first)>> {
  for (const auto& [v, name] : table) {
    if (name == text) return v;
  }
  return std::nullopt;
}

}  // namespace halld
