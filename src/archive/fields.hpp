// Internal to archive: the field checks the JSON reader applies — codes, dates, time zones, one
// JSON object's fields read with their problems located, codes unique within a namespace.
#pragma once

#include <fmt/format.h>

#include <charconv>
#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>
#include <set>

#include "halld/archive/import.hpp"
#include "halld/core/text.hpp"

namespace halld::archive::fields {

using nlohmann::json;
using namespace halld::records;

// The days of a week as opening hours name them.
inline constexpr std::string_view weekdays[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

class Problems {
 public:
  void add(std::string location, std::string reason) {
    if (list.size() < max_problems)
      list.push_back({std::move(location), std::move(reason)});
    else
      ++not_listed;
  }
  std::vector<Problem> list;
  std::size_t not_listed = 0;
};

inline std::string describe(const json& value) {
  switch (value.type()) {
    case json::value_t::string: {
      auto text = value.get<std::string>();
      if (text.size() > 40) text = text.substr(0, 40) + "…";
      return fmt::format("the string \"{}\"", text);
    }
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float:
      return fmt::format("the number {}", value.dump());
    case json::value_t::boolean:
      return "a boolean";
    case json::value_t::null:
      return "null";
    case json::value_t::array:
      return "an array";
    default:
      return "an object";
  }
}

inline bool is_code(std::string_view text) {
  if (text.empty() || text.size() > 32) return false;
  for (char c : text) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.'))
      return false;
  }
  return true;
}

inline bool is_iso_date(std::string_view text) {
  int y = 0;
  unsigned m = 0, d = 0;
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
  if (std::from_chars(text.data(), text.data() + 4, y).ptr != text.data() + 4) return false;
  if (std::from_chars(text.data() + 5, text.data() + 7, m).ptr != text.data() + 7) return false;
  if (std::from_chars(text.data() + 8, text.data() + 10, d).ptr != text.data() + 10) return false;
  return std::chrono::year_month_day{std::chrono::year{y}, std::chrono::month{m},
                                     std::chrono::day{d}}
      .ok();
}

// IANA names look like "Asia/Shanghai" or "America/Argentina/Buenos_Aires"; "UTC" stands alone.
inline bool is_time_zone_name(std::string_view text) {
  if (text == "UTC") return true;
  auto slash = text.find('/');
  if (slash == 0 || slash == std::string_view::npos || text.back() == '/') return false;
  for (char c : text) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '+' ||
          c == '/'))
      return false;
  }
  return text.find("//") == std::string_view::npos;
}

enum class Need { required, optional };

// Reads the fields of one JSON object, reporting each problem with its location once, and
// flagging keys nobody asked for (a misspelt key must not be silently ignored).
class Fields {
 public:
  Fields(const json& object, std::string path, Problems& problems)
      : object_(object), problems_(problems) {
    auto origin = object.is_object() ? object.find("_origin") : object.end();
    if (origin != object.end() && origin->is_string()) {
      location_ = origin->get<std::string>();
      separator_ = " column ";
      used_.insert("_origin");
    } else {
      location_ = std::move(path);
    }
    if (!object.is_object())
      problems_.add(this->location(), "expects an object, got " + describe(object));
  }

  bool valid() const { return object_.is_object(); }
  // The document itself has no path of its own; its fields are named plainly ("halls[2]").
  std::string location() const { return location_.empty() ? "(document)" : location_; }
  std::string at(std::string_view key) const {
    return location_.empty() ? std::string(key) : location_ + separator_ + std::string(key);
  }

  const json* get(std::string_view key, Need need) {
    used_.insert(std::string(key));
    if (!valid()) return nullptr;
    auto it = object_.find(key);
    if (it == object_.end() || it->is_null()) {
      if (need == Need::required) problems_.add(at(key), "is missing");
      return nullptr;
    }
    return &*it;
  }

  std::optional<std::string> text(std::string_view key, Need need, std::size_t max_chars = 200) {
    const json* value = get(key, need);
    if (!value) return std::nullopt;
    if (!value->is_string()) return wrong(key, "a string", *value);
    auto s = value->get<std::string>();
    if ((need == Need::required && s.empty()) || s.size() > max_chars) {
      return wrong(key,
                   fmt::format("a {}string of at most {} bytes",
                               need == Need::required ? "non-empty " : "", max_chars),
                   *value);
    }
    // Names and addresses are read by people: text that hides or reorders characters (controls,
    // bidi overrides, zero-width marks, a byte-order mark) would let one hall pass for another.
    if (!is_display_text(s)) {
      problems_.add(at(key), "holds control or invisible formatting characters (or is not UTF-8)");
      return std::nullopt;
    }
    return s;
  }

  std::optional<std::string> code(std::string_view key, Need need = Need::required) {
    const json* value = get(key, need);
    if (!value) return std::nullopt;
    if (!value->is_string() || !is_code(value->get<std::string>())) {
      return wrong(key, "a code of 1 to 32 letters, digits, '_', '-' or '.'", *value);
    }
    return value->get<std::string>();
  }

  std::optional<double> number(std::string_view key, Need need, double min, double max) {
    const json* value = get(key, need);
    if (!value) return std::nullopt;
    if (!value->is_number() || value->get<double>() < min || value->get<double>() > max) {
      return wrong(key, fmt::format("a number from {} to {}", min, max), *value);
    }
    return value->get<double>();
  }

  std::optional<int> integer(std::string_view key, Need need, int min, int max) {
    const json* value = get(key, need);
    if (!value) return std::nullopt;
    if (!value->is_number_integer() || value->get<std::int64_t>() < min ||
        value->get<std::int64_t>() > max) {
      return wrong(key, fmt::format("a whole number from {} to {}", min, max), *value);
    }
    return static_cast<int>(value->get<std::int64_t>());
  }

  template <class Enum>
  std::optional<Enum> choice(std::string_view key, Need need) {
    const json* value = get(key, need);
    if (!value) return std::nullopt;
    std::optional<Enum> parsed;
    if (value->is_string()) parsed = parse_enum<Enum>(value->get<std::string>());
    if (!parsed) return wrong(key, "one of: " + enum_names_listed<Enum>(), *value);
    return parsed;
  }

  // An array (absent counts as empty).
  const json& list(std::string_view key) {
    static const json empty = json::array();
    const json* value = get(key, Need::optional);
    if (!value) return empty;
    if (!value->is_array()) {
      wrong(key, "an array", *value);
      return empty;
    }
    return *value;
  }

  void finish() {
    if (!valid()) return;
    for (const auto& [key, value] : object_.items()) {
      if (!used_.contains(key)) problems_.add(at(key), "is not a known field");
    }
  }

  void problem(std::string_view key, std::string reason) {
    problems_.add(at(key), std::move(reason));
  }

 private:
  std::nullopt_t wrong(std::string_view key, std::string_view expected, const json& got) {
    problems_.add(at(key), fmt::format("expects {}, got {}", expected, describe(got)));
    return std::nullopt;
  }

  const json& object_;
  Problems& problems_;
  std::string location_;
  std::string separator_ = ".";
  std::set<std::string> used_;
};

// Remembers codes seen so far in one namespace and reports the second use of each.
class UniqueCodes {
 public:
  bool claim(const std::string& code, const std::string& where, Problems& problems,
             std::string_view what) {
    auto [it, inserted] = first_.emplace(code, where);
    if (!inserted)
      problems.add(where, fmt::format("{} '{}' is already defined at {}", what, code, it->second));
    return inserted;
  }
  bool contains(std::string_view code) const { return first_.contains(std::string(code)); }

 private:
  std::map<std::string, std::string> first_;
};

}  // namespace halld::archive::fields
