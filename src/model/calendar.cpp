#include "halld/model/calendar.hpp"

#include <algorithm>

namespace halld::model {

using std::chrono::days;
using std::chrono::minutes;
using std::chrono::sys_days;

Interval intersect(const Interval& a, const Interval& b) {
  return {std::max(a.from, b.from), std::max(std::max(a.from, b.from), std::min(a.until, b.until))};
}

HallCalendar::HallCalendar(minutes utc_offset, const std::optional<records::DayHours> (&week)[7],
                           std::map<sys_days, std::optional<records::DayHours>> exceptions)
    : utc_offset_(utc_offset), exceptions_(std::move(exceptions)) {
  std::copy(std::begin(week), std::end(week), std::begin(week_));
}

HallCalendar HallCalendar::always_open(minutes utc_offset) {
  std::optional<records::DayHours> week[7];
  for (auto& day : week) day = records::DayHours{0, 1440, std::nullopt, std::nullopt};
  return HallCalendar(utc_offset, week, {});
}

sys_days HallCalendar::local_day(Timestamp at) const {
  return std::chrono::floor<days>(at + utc_offset_);
}

Timestamp HallCalendar::day_start(sys_days local_day) const {
  return Timestamp(local_day) - utc_offset_;
}

std::optional<records::DayHours> HallCalendar::hours_on(sys_days day) const {
  if (auto e = exceptions_.find(day); e != exceptions_.end()) return e->second;
  const unsigned weekday = std::chrono::weekday(day).iso_encoding();  // 1 = Monday
  return week_[weekday - 1];
}

std::vector<Interval> HallCalendar::opening_within(const Interval& range) const {
  std::vector<Interval> result;
  if (range.until <= range.from) return result;
  for (auto day = local_day(range.from); day_start(day) < range.until; day += days(1)) {
    const auto hours = hours_on(day);
    if (!hours) continue;
    const auto start = day_start(day);
    auto add = [&](int from_minute, int until_minute) {
      auto part = intersect({start + minutes(from_minute), start + minutes(until_minute)}, range);
      if (part.until > part.from) result.push_back(part);
    };
    if (hours->lunch_starts && hours->lunch_ends) {
      add(hours->opens, *hours->lunch_starts);
      add(*hours->lunch_ends, hours->closes);
    } else {
      add(hours->opens, hours->closes);
    }
  }
  return result;
}

std::chrono::seconds HallCalendar::opening_seconds(const Interval& range) const {
  std::chrono::seconds total{0};
  for (const auto& part : opening_within(range)) total += part.length();
  return total;
}

bool HallCalendar::is_open(Timestamp at) const {
  return !opening_within({at, at + std::chrono::seconds(1)}).empty();
}

}  // namespace halld::model
