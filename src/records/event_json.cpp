#include "halld/records/event_json.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "halld/records/members.hpp"

namespace halld::records {
namespace {

using nlohmann::json;

// A member's JSON form: enumerations by name, times in ISO 8601, lists as arrays of objects.
template <class T>
json value_of(const T& member);

template <class Body>
json object_of(const Body& body) {
  json out = json::object();
  members(
      [&](std::string_view name, const auto& member) { out[std::string(name)] = value_of(member); },
      body);
  return out;
}

template <class T>
json value_of(const T& member) {
  if constexpr (std::is_enum_v<T>) {
    return enum_name(member);
  } else if constexpr (std::is_same_v<T, Timestamp>) {
    return iso8601(member);
  } else if constexpr (requires { member.begin(); } && !std::is_same_v<T, std::string>) {
    json items = json::array();
    for (const auto& item : member) items.push_back(object_of(item));
    return items;
  } else {
    return member;
  }
}

}  // namespace

std::string_view part_name(TerminalPart part) {
  return enum_name(part);
}
std::string_view part_state_name(PartState state) {
  return enum_name(state);
}

std::optional<TerminalPart> parse_part(std::string_view text) {
  return enum_of_name<TerminalPart>(text);
}

std::string_view type_name(const EventBody& body) {
  return event_type_names[body.index()];
}

std::string iso8601(Timestamp t) {
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}Z", t);
}

std::string iso8601_micros(std::chrono::system_clock::time_point t) {
  const auto seconds = std::chrono::floor<std::chrono::seconds>(t);
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(t - seconds).count();
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:06}Z", seconds, micros);
}

namespace {

std::optional<int> digits(std::string_view text, std::size_t from, std::size_t count) {
  if (from + count > text.size()) return std::nullopt;
  int value = 0;
  for (std::size_t i = from; i < from + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

std::optional<std::chrono::sys_days> leading_date(std::string_view text) {
  auto y = digits(text, 0, 4), mo = digits(text, 5, 2), d = digits(text, 8, 2);
  if (!y || !mo || !d || text[4] != '-' || text[7] != '-') return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year(*y),
                                        std::chrono::month(static_cast<unsigned>(*mo)),
                                        std::chrono::day(static_cast<unsigned>(*d))};
  if (!ymd.ok()) return std::nullopt;
  return std::chrono::sys_days(ymd);
}

}  // namespace

std::optional<std::chrono::sys_days> parse_date(std::string_view text) {
  return text.size() == 10 ? leading_date(text) : std::nullopt;
}

std::string date_text(std::chrono::sys_days day) {
  const std::chrono::year_month_day ymd(day);
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
}

std::optional<Instant> parse_instant(std::string_view text, std::chrono::minutes date_offset) {
  using std::chrono::minutes;
  const auto date = leading_date(text);
  if (!date) return std::nullopt;
  if (text.size() == 10) return Instant{Timestamp(*date) - date_offset, date_offset};
  auto h = digits(text, 11, 2), mi = digits(text, 14, 2);
  if (text[10] != 'T' || !h || !mi || text[13] != ':' || *h > 23 || *mi > 59) return std::nullopt;
  std::size_t at = 16;
  int s = 0;
  if (at < text.size() && text[at] == ':') {
    auto sec = digits(text, at + 1, 2);
    if (!sec || *sec > 59) return std::nullopt;
    s = *sec;
    at += 3;
  }
  minutes offset{0};
  if (text.substr(at) == "Z") {
    at += 1;
  } else if (at < text.size() && (text[at] == '+' || text[at] == '-')) {
    auto oh = digits(text, at + 1, 2), om = digits(text, at + 4, 2);
    if (!oh || !om || text.size() != at + 6 || text[at + 3] != ':' || *oh > 14 || *om > 59)
      return std::nullopt;
    offset = minutes(*oh * 60 + *om) * (text[at] == '-' ? -1 : 1);
    at += 6;
  } else {
    return std::nullopt;
  }
  if (at != text.size()) return std::nullopt;
  const auto local =
      Timestamp(*date) + std::chrono::hours(*h) + minutes(*mi) + std::chrono::seconds(s);
  return Instant{local - offset, offset};
}

json to_json(const Event& event) {
  json out = std::visit([](const auto& body) { return object_of(body); }, event.body);
  out["type"] = type_name(event.body);
  out["at"] = iso8601(event.at);
  return out;
}

}  // namespace halld::records
