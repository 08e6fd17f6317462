// records/event_json: the JSON form of an event ({"type": "ticket_issued", "at": "…Z", …}),
// used by protocol test vectors and, later, by the API's event streams.
#pragma once

#include <nlohmann/json.hpp>

#include "halld/records/events.hpp"

namespace halld::records {

nlohmann::json to_json(const Event& event);
std::string_view type_name(const EventBody& body);
std::string iso8601(Timestamp t);  // "2026-11-22T03:18:35Z"
// With microseconds, "2026-11-22T03:18:35.123456Z" (fmt 9 drops sub-seconds of time points).
std::string iso8601_micros(std::chrono::system_clock::time_point t);

}  // namespace halld::records
