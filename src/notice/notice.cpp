#include "halld/notice/notice.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "halld/core/names.hpp"
#include "halld/records/event_json.hpp"

namespace halld::notice {
namespace {

using nlohmann::json;

constexpr std::pair<Priority, std::string_view> priority_names[] = {
    {Priority::normal, "normal"}, {Priority::important, "important"}, {Priority::urgent, "urgent"}};
constexpr std::pair<Display, std::string_view> display_names[] = {
    {Display::all, "all"}, {Display::screens, "screens"}, {Display::led_boards, "led_boards"}};
constexpr std::pair<Level, std::string_view> level_names[] = {
    {Level::hall, "hall"}, {Level::city, "city"}, {Level::province, "province"}};

constexpr std::chrono::minutes beijing{8 * 60};

std::optional<std::string> text_member(const json& body, const char* name, std::string& out) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) return fmt::format("'{}' must be text", name);
  out = it->get<std::string>();
  return std::nullopt;
}

std::variant<Timestamp, std::string> instant_member(const json& body, const char* name) {
  std::string text;
  if (auto problem = text_member(body, name, text)) return *problem;
  auto instant = records::parse_instant(text, beijing);
  if (!instant) return fmt::format("'{}' must be a time such as 2026-12-03T09:00:00+08:00", name);
  return instant->at;
}

}  // namespace

std::string_view to_string(Priority priority) {
  return name_in(priority_names, priority);
}
std::optional<Priority> parse_priority(std::string_view text) {
  return value_in(priority_names, text);
}
std::string_view to_string(Display display) {
  return name_in(display_names, display);
}
std::optional<Display> parse_display(std::string_view text) {
  return value_in(display_names, text);
}
std::string_view to_string(Level level) {
  return name_in(level_names, level);
}

std::variant<Draft, std::string> draft_from_json(const json& body, Timestamp now) {
  if (!body.is_object()) return std::string("a notice is a JSON object");
  for (const auto& [key, value] : body.items()) {
    static constexpr std::string_view known[] = {"text",       "priority",    "display",
                                                 "valid_from", "valid_until", "minutes"};
    if (std::find(std::begin(known), std::end(known), key) == std::end(known))
      return fmt::format(
          "unknown field '{}' (text, priority, display, valid_from, valid_until, "
          "minutes)",
          key);
  }
  Draft draft;
  if (auto problem = text_member(body, "text", draft.text)) return *problem;
  if (draft.text.empty()) return std::string("'text' is missing");
  if (draft.text.size() > max_text_bytes)
    return fmt::format("'text' is longer than {} bytes (about {} 汉字)", max_text_bytes,
                       max_text_bytes / 3);
  std::string name = "normal";
  if (auto problem = text_member(body, "priority", name)) return *problem;
  auto priority = parse_priority(name);
  if (!priority) return std::string("'priority' must be normal, important or urgent");
  draft.priority = *priority;
  name = "all";
  if (auto problem = text_member(body, "display", name)) return *problem;
  auto display = parse_display(name);
  if (!display) return std::string("'display' must be all, screens or led_boards");
  draft.display = *display;

  draft.valid_from = now;
  if (body.contains("valid_from")) {
    auto from = instant_member(body, "valid_from");
    if (auto* problem = std::get_if<std::string>(&from)) return *problem;
    draft.valid_from = std::max(now, std::get<Timestamp>(from));
  }
  const bool has_until = body.contains("valid_until"), has_minutes = body.contains("minutes");
  if (has_until == has_minutes) return std::string("give either 'valid_until' or 'minutes'");
  if (has_minutes) {
    const auto& minutes = body["minutes"];
    if (!minutes.is_number_integer() || minutes.get<std::int64_t>() < 1 ||
        std::chrono::minutes(minutes.get<std::int64_t>()) > longest_validity)
      return fmt::format("'minutes' must be a whole number from 1 to {}",
                         std::chrono::minutes(longest_validity).count());
    draft.valid_until = draft.valid_from + std::chrono::minutes(minutes.get<std::int64_t>());
  } else {
    auto until = instant_member(body, "valid_until");
    if (auto* problem = std::get_if<std::string>(&until)) return *problem;
    draft.valid_until = std::get<Timestamp>(until);
    if (draft.valid_until <= draft.valid_from)
      return std::string("'valid_until' must be later than the start (and than now)");
    if (draft.valid_until - draft.valid_from > longest_validity)
      return fmt::format("a notice stays up at most {} days", longest_validity.count());
  }
  return draft;
}

std::optional<std::int64_t> shown_notice(const std::vector<Candidate>& candidates, Timestamp now) {
  const Candidate* best = nullptr;
  for (const auto& c : candidates) {
    if (c.withdrawn || c.valid_from > now || c.valid_until <= now) continue;
    if (!best || c.priority > best->priority || (c.priority == best->priority && c.id > best->id))
      best = &c;
  }
  return best ? std::optional(best->id) : std::nullopt;
}

std::uint16_t display_seconds(Timestamp now, Timestamp valid_until) {
  const auto left = (valid_until - now).count();
  return static_cast<std::uint16_t>(std::clamp<std::int64_t>(left, 1, 65535));
}

Step next_step(std::optional<std::int64_t> wanted, Timestamp wanted_until, const Shown& shown,
               Timestamp now, const Timing& timing) {
  if (wanted != shown.notice_id) return wanted ? Step::show : Step::clear;
  if (!wanted) return Step::none;
  const bool lost =
      shown.undeliverable || shown.command_state == "expired" || shown.command_state == "failed";
  if (lost) return now - shown.sent_at >= timing.retry_after ? Step::show : Step::none;
  if (shown.shown_until && *shown.shown_until < wanted_until &&
      *shown.shown_until - now <= timing.refresh_before)
    return Step::refresh;
  return Step::none;
}

}  // namespace halld::notice
