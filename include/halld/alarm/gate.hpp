// alarm/gate: whether a rule may judge an object at all right now — inside its schedule (by
// default the hall's opening hours, so lunch breaks, closed days and holidays raise nothing),
// with the hall's data source up (a queue of zero is no good news when the queue server is
// offline: the comm-loss alarm speaks instead), and outside any maintenance window of the
// hall, the object or the channel. Pure. Must not touch: thresholds (alarm/limit), storage.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "halld/model/calendar.hpp"

namespace halld::alarm {

enum class Schedule : std::uint8_t { opening_hours, always };

// A period in which nothing about `target` (a hall code, a terminal code or a channel code) is
// raised or sent.
struct MaintenanceWindow {
  std::string target;
  records::Timestamp from{};
  records::Timestamp until{};  // exclusive
};

enum class Gate : std::uint8_t { judge, outside_schedule, source_down, in_maintenance };
std::string_view to_string(Gate gate);

struct GateInputs {
  Schedule schedule = Schedule::opening_hours;
  const model::HallCalendar* calendar = nullptr;  // the hall's
  bool needs_source =
      true;  // rules on queue or terminal figures; false for comm-loss rules themselves
  bool source_up = true;  // every channel the hall's figures come from
  std::string_view hall;  // codes the maintenance windows may name
  std::string_view object;
  std::string_view channel;
};

// Maintenance first (it silences everything), then the data source, then the schedule.
Gate gate(const GateInputs& in, std::span<const MaintenanceWindow> maintenance,
          records::Timestamp now);

}  // namespace halld::alarm
