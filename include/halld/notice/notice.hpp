// notice/notice: what a notice on a hall's screens is — text, reach (one hall, a city, the
// province), validity and priority — read from an operator's JSON, and which of the notices that
// reach a hall its boards show. Pure: no I/O, no clock of its own.
// Must not touch: storage or commands (notice/store keeps the boards in step).
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "halld/records/events.hpp"

namespace halld::notice {

using records::Timestamp;

enum class Priority : std::uint8_t { normal = 1, important = 2, urgent = 3 };
std::string_view to_string(Priority priority);
std::optional<Priority> parse_priority(std::string_view text);

// Which boards of the hall show it (the queue system's display selector).
enum class Display : std::uint8_t { all, screens, led_boards };
std::string_view to_string(Display display);
std::optional<Display> parse_display(std::string_view text);

enum class Level : std::uint8_t { hall, city, province };
std::string_view to_string(Level level);

// Where a notice goes: the province, a city (by code) or a hall (by code).
struct Reach {
  Level level = Level::province;
  std::string code;  // empty for the province
};

struct Draft {
  std::string text;
  Priority priority = Priority::normal;
  Display display = Display::all;
  Timestamp valid_from{};
  Timestamp valid_until{};
};

// The longest a notice may stay up: a longer one is a standing sign, not a notice.
inline constexpr std::chrono::days longest_validity{31};
// Notices travel in one show_message command: 255 bytes of UTF-8 (docs/protocols/commands.md).
inline constexpr std::size_t max_text_bytes = 255;

// An operator's notice: {"text", "priority"?, "display"?, "valid_from"? (ISO-8601 with offset;
// default now), "valid_until" or "minutes"}. The error names the field and what it must be.
std::variant<Draft, std::string> draft_from_json(const nlohmann::json& body, Timestamp now);

// One notice that reaches a hall, as the choice needs it.
struct Candidate {
  std::int64_t id = 0;
  Priority priority = Priority::normal;
  Timestamp valid_from{};
  Timestamp valid_until{};
  bool withdrawn = false;
};
// The notice a hall's boards show at `now`: of those current (not withdrawn, valid_from <= now <
// valid_until), the highest priority, and of equals the latest published (highest id).
std::optional<std::int64_t> shown_notice(const std::vector<Candidate>& candidates, Timestamp now);

// The seconds a show_message carries: the boards drop the text on their own when halld falls
// silent. The wire holds at most 65535 s (about 18 h); a longer notice is refreshed before then.
std::uint16_t display_seconds(Timestamp now, Timestamp valid_until);

// What a hall's boards were last told.
struct Shown {
  std::optional<std::int64_t> notice_id;  // none: cleared (or never told)
  Timestamp sent_at{};
  std::optional<Timestamp> shown_until;  // when the boards drop it on their own
  std::string command_state;             // of the command that carried it (hall_command.state)
  bool undeliverable = false;            // the hall had nowhere to send it
};
struct Timing {
  std::chrono::seconds refresh_before{std::chrono::minutes(30)};  // a long notice re-sent then
  std::chrono::seconds retry_after{std::chrono::minutes(5)};      // a lost one re-sent after
};
enum class Step : std::uint8_t { none, show, refresh, clear };
// What keeps the boards in step with `wanted` (shown_notice's choice, valid until
// `wanted_until`): show it when another or nothing is shown, or again when its command was
// lost or it could not be sent, once `retry_after` has passed (a device that refused it is not
// asked again); refresh a long notice before the boards drop it; clear a notice no longer wanted.
Step next_step(std::optional<std::int64_t> wanted, Timestamp wanted_until, const Shown& shown,
               Timestamp now, const Timing& timing);

}  // namespace halld::notice
