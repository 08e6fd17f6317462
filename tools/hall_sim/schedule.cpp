#include "schedule.hpp"

#include <array>

namespace halld::tools {

using std::chrono::minutes;
using std::chrono::seconds;

int OpeningHours::local_minute(records::Timestamp t) const {
  const auto local = t + minutes(utc_offset_minutes);
  return static_cast<int>((local - std::chrono::floor<std::chrono::days>(local)).count() / 60);
}

int OpeningHours::local_weekday(records::Timestamp t) const {
  const auto day = std::chrono::floor<std::chrono::days>(t + minutes(utc_offset_minutes));
  return static_cast<int>(std::chrono::weekday(day).iso_encoding()) - 1;
}

records::Timestamp OpeningHours::local_midnight(records::Timestamp t) const {
  const auto local_day = std::chrono::floor<std::chrono::days>(t + minutes(utc_offset_minutes));
  return records::Timestamp(local_day) - minutes(utc_offset_minutes);
}

bool OpeningHours::open_at(records::Timestamp t) const {
  if (always()) return true;
  const int m = local_minute(t);
  return m >= opens_minute && m < closes_minute;
}

records::Timestamp OpeningHours::next_opening(records::Timestamp t) const {
  if (open_at(t)) return t;
  auto opening = local_midnight(t) + minutes(opens_minute);
  return opening > t ? opening : opening + std::chrono::days(1);
}

records::Timestamp OpeningHours::closing_after(records::Timestamp t) const {
  return local_midnight(t) + minutes(closes_minute);
}

double arrival_factor(const OpeningHours& hours, records::Timestamp t) {
  if (!hours.open_at(t)) return 0;
  if (hours.always() && (hours.local_minute(t) < 8 * 60 || hours.local_minute(t) >= 20 * 60))
    return 0.15;  // night
  // Local hour 0 … 23; peaks at 9–11 and 14–16, a lull at lunch.
  static constexpr std::array<double, 24> hourly = {0.15, 0.15, 0.15, 0.15, 0.15, 0.15, 0.15, 0.3,
                                                    0.6,  1.4,  1.6,  1.2,  0.6,  0.7,  1.2,  1.3,
                                                    1.0,  0.5,  0.3,  0.3,  0.15, 0.15, 0.15, 0.15};
  const int minute = hours.local_minute(t);
  const double monday_morning = hours.local_weekday(t) == 0 && minute < 12 * 60 ? 1.5 : 1.0;
  return hourly[static_cast<std::size_t>(minute / 60)] * monday_morning;
}

records::Timestamp next_arrival(const OpeningHours& hours, double mean_per_hour,
                                records::Timestamp after, std::mt19937_64& random) {
  std::exponential_distribution<double> gap(mean_per_hour * max_arrival_factor / 3600.0);
  std::uniform_real_distribution<double> accept(0, max_arrival_factor);
  auto t = after;
  for (;;) {
    t += seconds(1 + static_cast<long>(gap(random)));
    if (!hours.open_at(t)) {
      t = hours.next_opening(t);
      continue;
    }
    if (accept(random) < arrival_factor(hours, t)) return t;
  }
}

}  // namespace halld::tools
