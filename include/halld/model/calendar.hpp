// model/calendar: a hall's opening time in UTC — its weekly hours, lunch breaks and calendar
// exceptions (holidays) at the hall's offset from UTC. Owns: turning local hours into UTC
// intervals. Pure; the offset is fixed per hall (the zones of China keep no daylight saving,
// and the daemon resolves each hall's zone to its offset once, through PostgreSQL's zone data).
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <vector>

#include "halld/records/archive.hpp"
#include "halld/records/events.hpp"

namespace halld::model {

using records::Timestamp;

struct Interval {
  Timestamp from{};
  Timestamp until{};  // exclusive
  std::chrono::seconds length() const {
    return until > from ? until - from : std::chrono::seconds(0);
  }
  bool operator==(const Interval&) const = default;
};

// The part of `a` inside `b`.
Interval intersect(const Interval& a, const Interval& b);

class HallCalendar {
 public:
  HallCalendar() = default;  // open around the clock at UTC+8 (a hall not in the archives)
  HallCalendar(std::chrono::minutes utc_offset, const std::optional<records::DayHours> (&week)[7],
               std::map<std::chrono::sys_days, std::optional<records::DayHours>> exceptions);
  static HallCalendar always_open(std::chrono::minutes utc_offset);

  std::chrono::minutes utc_offset() const { return utc_offset_; }
  // The local calendar day `at` falls in, and the UTC instant that day begins.
  std::chrono::sys_days local_day(Timestamp at) const;
  Timestamp day_start(std::chrono::sys_days local_day) const;
  // The hours of a local day (an exception wins over the weekday); nullopt: closed.
  std::optional<records::DayHours> hours_on(std::chrono::sys_days local_day) const;
  // Opening intervals (split by lunch) within `range`, in time order.
  std::vector<Interval> opening_within(const Interval& range) const;
  std::chrono::seconds opening_seconds(const Interval& range) const;
  bool is_open(Timestamp at) const;

 private:
  std::chrono::minutes utc_offset_{8 * 60};
  std::optional<records::DayHours> week_[7] = {};  // Monday first
  std::map<std::chrono::sys_days, std::optional<records::DayHours>> exceptions_;
};

}  // namespace halld::model
