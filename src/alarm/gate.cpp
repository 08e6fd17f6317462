#include "halld/alarm/gate.hpp"

#include <algorithm>

namespace halld::alarm {

std::string_view to_string(Gate gate) {
  switch (gate) {
    case Gate::judge:
      return "judge";
    case Gate::outside_schedule:
      return "outside_schedule";
    case Gate::source_down:
      return "source_down";
    case Gate::in_maintenance:
      return "in_maintenance";
  }
  return "";
}

Gate gate(const GateInputs& in, std::span<const MaintenanceWindow> maintenance,
          records::Timestamp now) {
  const bool maintained =
      std::any_of(maintenance.begin(), maintenance.end(), [&](const MaintenanceWindow& w) {
        const bool named = (!in.hall.empty() && w.target == in.hall) ||
                           (!in.object.empty() && w.target == in.object) ||
                           (!in.channel.empty() && w.target == in.channel);
        return named && now >= w.from && now < w.until;
      });
  if (maintained) return Gate::in_maintenance;
  if (in.needs_source && !in.source_up) return Gate::source_down;
  if (in.schedule == Schedule::opening_hours && in.calendar && !in.calendar->is_open(now))
    return Gate::outside_schedule;
  return Gate::judge;
}

}  // namespace halld::alarm
