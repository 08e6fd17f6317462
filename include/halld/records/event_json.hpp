// records/event_json: the JSON form of an event ({"type": "ticket_issued", "at": "…Z", …}),
// used by protocol test vectors and, later, by the API's event streams; and the ISO 8601 forms
// of instants and dates that the API and the command line read and write.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

#include "halld/records/events.hpp"

namespace halld::records {

nlohmann::json to_json(const Event& event);
std::string_view type_name(const EventBody& body);
std::string_view part_name(TerminalPart part);  // "receipt_printer"
std::optional<TerminalPart> parse_part(std::string_view text);
std::string_view part_state_name(PartState state);  // "paper_out"
std::string iso8601(Timestamp t);                   // "2026-11-22T03:18:35Z"
// With microseconds, "2026-11-22T03:18:35.123456Z" (fmt 9 drops sub-seconds of time points).
std::string iso8601_micros(std::chrono::system_clock::time_point t);

// An instant and the UTC offset it was written at.
struct Instant {
  Timestamp at{};
  std::chrono::minutes offset{};
  std::chrono::sys_days local_day() const {
    return std::chrono::floor<std::chrono::days>(at + offset);
  }
};
// "2026-11-16" (its midnight at `date_offset`), "2026-11-16T08:30:00+08:00" or
// "2026-11-16T00:30Z" (seconds optional); nothing else.
std::optional<Instant> parse_instant(std::string_view text, std::chrono::minutes date_offset);
// "2026-11-16" and nothing else.
std::optional<std::chrono::sys_days> parse_date(std::string_view text);
// The other way: "2026-11-16".
std::string date_text(std::chrono::sys_days day);

}  // namespace halld::records
