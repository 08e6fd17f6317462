// When a simulated hall (or terminal) is open and how busy it is then: opening hours in the
// hall's local time (China: UTC+8 all year), an hourly arrival profile with the morning and
// afternoon peaks of a power-supply business hall, and a busier Monday morning. Pure.
#pragma once

#include <random>

#include "halld/records/events.hpp"

namespace halld::tools {

struct OpeningHours {
  int opens_minute = 8 * 60 + 30;  // minute of the local day
  int closes_minute = 17 * 60 + 30;
  int utc_offset_minutes = 8 * 60;

  static OpeningHours around_the_clock() { return {0, 24 * 60, 8 * 60}; }
  bool always() const { return opens_minute == 0 && closes_minute >= 24 * 60; }
  bool open_at(records::Timestamp t) const;
  // `t` itself when open, else the next opening.
  records::Timestamp next_opening(records::Timestamp t) const;
  // The end of the opening period that contains `t` (open_at(t) must hold; never for always()).
  records::Timestamp closing_after(records::Timestamp t) const;
  int local_minute(records::Timestamp t) const;
  int local_weekday(records::Timestamp t) const;  // 0 = Monday
  // The start of the local day that contains `t`.
  records::Timestamp local_midnight(records::Timestamp t) const;
};

// Arrival rate at `t` relative to the day's mean (0 when closed).
double arrival_factor(const OpeningHours& hours, records::Timestamp t);
inline constexpr double max_arrival_factor = 1.6 * 1.5;  // the busiest hour on a Monday morning

// The next arrival after `after` of a Poisson process whose rate is mean_per_hour ×
// arrival_factor (by thinning a process at the maximum rate).
records::Timestamp next_arrival(const OpeningHours& hours, double mean_per_hour,
                                records::Timestamp after, std::mt19937_64& random);

}  // namespace halld::tools
