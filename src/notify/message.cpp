#include "halld/notify/message.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <array>
#include <cmath>

namespace halld::notify {

namespace {

constexpr std::array<std::string_view, 10> placeholders = {
    "state",  "severity", "hall",  "hall_code", "indicator",
    "object", "value",    "limit", "unit",      "time"};

std::string number(double v) {
  if (std::abs(v - std::round(v)) < 1e-9)
    return fmt::format("{}", static_cast<long long>(std::llround(v)));
  std::string text = fmt::format("{:.2f}", v);
  while (text.back() == '0') text.pop_back();
  return text;
}

std::string_view state_name(Transition::Kind kind) {
  switch (kind) {
    case Transition::Kind::raise:
      return "告警";
    case Transition::Kind::escalate:
      return "升级";
    case Transition::Kind::clear:
      return "恢复";
  }
  return "";
}

std::string_view severity_name(Severity s) {
  return s == Severity::critical ? "严重" : "一般";
}

std::string value_of(std::string_view name, const AlarmFacts& f) {
  if (name == "state") return std::string(state_name(f.kind));
  if (name == "severity") return std::string(severity_name(f.severity));
  if (name == "hall") return f.hall;
  if (name == "hall_code") return f.hall_code;
  if (name == "indicator") return f.indicator;
  if (name == "object") return f.object.empty() ? std::string() : " " + f.object;
  if (name == "value") return number(f.value);
  if (name == "limit") return f.limit ? number(*f.limit) : "—";
  if (name == "unit") return f.unit;
  // time
  return fmt::format("{:%m-%d %H:%M}",
                     std::chrono::floor<std::chrono::minutes>(f.at + f.utc_offset));
}

// UTF-16 code units of UTF-8 text: one per character, two beyond the BMP.
std::size_t units(std::string_view utf8) {
  std::size_t n = 0;
  for (unsigned char c : utf8) {
    if ((c & 0xC0) != 0x80) ++n;
    if (c >= 0xF0) ++n;
  }
  return n;
}

// Walks the template: literal text and placeholder names, in order.
template <class Literal, class Placeholder>
std::optional<std::string> walk(std::string_view text, Literal&& literal,
                                Placeholder&& placeholder) {
  for (std::size_t at = 0; at < text.size();) {
    const auto open = text.find_first_of("{}", at);
    literal(text.substr(at, open == std::string_view::npos ? std::string_view::npos : open - at));
    if (open == std::string_view::npos) break;
    if (text[open] == '}') return fmt::format("a '}}' without its '{{' at byte {}", open);
    const auto close = text.find('}', open);
    if (close == std::string_view::npos) return fmt::format("a '{{' left open at byte {}", open);
    const auto name = text.substr(open + 1, close - open - 1);
    if (std::find(placeholders.begin(), placeholders.end(), name) == placeholders.end()) {
      return fmt::format("unknown placeholder {{{}}}; known: {{{}}}", name,
                         fmt::join(placeholders, "} {"));
    }
    placeholder(name);
    at = close + 1;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> check_template(std::string_view text) {
  bool any = false;
  auto problem = walk(
      text, [](std::string_view) {}, [&](std::string_view) { any = true; });
  if (problem) return problem;
  if (!any) return "a template without a placeholder says nothing about the alarm";
  if (text.size() > 1000) return "a template of more than 1000 bytes";
  return std::nullopt;
}

std::string render(std::string_view text, const AlarmFacts& facts) {
  std::string out;
  walk(
      text, [&](std::string_view literal) { out += literal; },
      [&](std::string_view name) { out += value_of(name, facts); });
  return out;
}

std::string digest(std::span<const AlarmFacts> alarms, std::size_t max_units) {
  std::size_t raised = 0, escalated = 0, cleared = 0;
  for (const auto& a : alarms) {
    if (a.kind == Transition::Kind::raise) ++raised;
    if (a.kind == Transition::Kind::escalate) ++escalated;
    if (a.kind == Transition::Kind::clear) ++cleared;
  }
  std::string out = fmt::format("【告警汇总】{} 条：", alarms.size());
  std::vector<std::string> counts;
  if (raised) counts.push_back(fmt::format("新告警 {}", raised));
  if (escalated) counts.push_back(fmt::format("升级 {}", escalated));
  if (cleared) counts.push_back(fmt::format("恢复 {}", cleared));
  out += fmt::format("{}。", fmt::join(counts, "，"));
  std::size_t listed = 0;
  for (const auto& a : alarms) {
    std::string item = fmt::format("{}{} {}{}{}{}", listed ? "；" : "", a.hall, a.indicator,
                                   a.object.empty() ? "" : " " + a.object,
                                   a.has_value ? fmt::format(" {}{}", number(a.value), a.unit) : "",
                                   a.kind == Transition::Kind::clear ? "（恢复）" : "");
    const std::string tail = fmt::format("…等 {} 条", alarms.size());
    const bool last = listed + 1 == alarms.size();
    if (units(out) + units(item) + (last ? 0 : units(tail)) > max_units) {
      out += tail;
      break;
    }
    out += item;
    ++listed;
  }
  return out;
}

}  // namespace halld::notify
