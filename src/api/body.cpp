#include "halld/api/body.hpp"

#include <fmt/format.h>

#include "halld/core/text.hpp"

namespace halld::api {
namespace {

using nlohmann::json;

// The deepest nesting of arrays and objects in `text`, counting no further than `limit + 1`.
std::size_t nesting_depth(std::string_view text, std::size_t limit) {
  std::size_t depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (const char c : text) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
      if (deepest > limit) return deepest;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

// JSON pointer escaping of one member name (RFC 6901), with unprintable bytes repaired.
std::string pointer_token(std::string_view key) {
  std::string out;
  for (const char c : printable_excerpt(key, 64)) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out += c;
  }
  return out;
}

// The JSON pointer of the first string or member name holding U+0000, or nullopt.
std::optional<std::string> first_nul(const json& value, const std::string& at) {
  if (value.is_string()) {
    if (value.get_ref<const std::string&>().find('\0') != std::string::npos)
      return at.empty() ? "/" : at;
  } else if (value.is_object()) {
    for (const auto& [key, item] : value.items()) {
      const auto here = at + "/" + pointer_token(key);
      if (key.find('\0') != std::string::npos) return here;
      if (auto found = first_nul(item, here)) return found;
    }
  } else if (value.is_array()) {
    std::size_t index = 0;
    for (const auto& item : value) {
      if (auto found = first_nul(item, fmt::format("{}/{}", at, index++))) return found;
    }
  }
  return std::nullopt;
}

bool is_secret(std::string_view key) {
  return key.find("password") != std::string_view::npos || key == "secret" || key == "csrf_token";
}

std::string storable(const std::string& text) {
  return is_storable_text(text) ? text : printable_excerpt(text, text.size() * 3);
}

}  // namespace

std::variant<json, BodyProblem> parse_body_json(std::string_view text) {
  if (nesting_depth(text, max_json_depth) > max_json_depth) {
    return BodyProblem{
        "too_deep",
        fmt::format("the body nests arrays and objects deeper than {} levels", max_json_depth)};
  }
  json value;
  try {
    value = json::parse(text);
  } catch (const json::parse_error& e) {
    return BodyProblem{"bad_json", fmt::format("the body is not valid JSON (byte {})", e.byte)};
  } catch (const json::exception&) {
    return BodyProblem{"bad_json", "the body is not usable JSON (a number out of range)"};
  }
  if (auto at = first_nul(value, "")) {
    return BodyProblem{"bad_text",
                       fmt::format("'{}' holds U+0000, which no text field may contain", *at)};
  }
  return value;
}

void mask_for_audit(json& value) {
  if (value.is_string()) {
    auto& text = value.get_ref<std::string&>();
    if (!is_storable_text(text)) text = storable(text);
  } else if (value.is_array()) {
    for (auto& item : value) mask_for_audit(item);
  } else if (value.is_object()) {
    bool names_storable = true;
    for (auto& [key, item] : value.get_ref<json::object_t&>()) {
      names_storable = names_storable && is_storable_text(key);
      if (is_secret(key))
        item = "***";
      else
        mask_for_audit(item);
    }
    if (!names_storable) {
      json::object_t repaired;
      for (auto& [key, item] : value.get_ref<json::object_t&>())
        repaired.emplace(storable(key), std::move(item));
      value = std::move(repaired);
    }
  }
}

json audit_view_of_body(std::string_view body) {
  if (body.empty()) return nullptr;
  auto parsed = parse_body_json(body);
  if (auto* problem = std::get_if<BodyProblem>(&parsed)) {
    return {{"unreadable", problem->message}, {"bytes", body.size()}};
  }
  auto& value = std::get<json>(parsed);
  mask_for_audit(value);
  return std::move(value);
}

}  // namespace halld::api
