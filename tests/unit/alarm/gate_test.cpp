// When a rule may judge at all: the hall's opening hours (lunch, closed days, holidays), its
// data source, maintenance windows.
#include "halld/alarm/gate.hpp"

#include <gtest/gtest.h>

namespace halld::alarm {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::sys_days;

const sys_days monday = sys_days(std::chrono::year(2026) / 11 / 16);
// Local time in China on `day` days after Monday 16 November 2026.
records::Timestamp local(int day, int h, int m = 0) {
  return records::Timestamp(monday) + std::chrono::days(day) + hours(h - 8) + minutes(m);
}

model::HallCalendar calendar() {
  std::optional<records::DayHours> week[7];
  for (int d = 0; d < 5; ++d)
    week[d] = records::DayHours{8 * 60 + 30, 17 * 60 + 30, 12 * 60, 13 * 60 + 30};
  std::map<sys_days, std::optional<records::DayHours>> holidays{
      {monday + std::chrono::days(2), std::nullopt}};
  return model::HallCalendar(hours(8), week, holidays);
}

TEST(Gate, OpeningHoursLunchClosedDaysAndHolidays) {
  const auto hall = calendar();
  GateInputs in{Schedule::opening_hours, &hall, true, true, "4101001", "", "qs-4101001"};
  EXPECT_EQ(gate(in, {}, local(0, 10)), Gate::judge);
  EXPECT_EQ(gate(in, {}, local(0, 12, 30)), Gate::outside_schedule) << "lunch break";
  EXPECT_EQ(gate(in, {}, local(0, 20)), Gate::outside_schedule) << "closed for the night";
  EXPECT_EQ(gate(in, {}, local(2, 10)), Gate::outside_schedule) << "a holiday";
  EXPECT_EQ(gate(in, {}, local(5, 10)), Gate::outside_schedule) << "Saturday";
  in.schedule = Schedule::always;
  EXPECT_EQ(gate(in, {}, local(5, 3)), Gate::judge) << "a 24-hour terminal's rule";
}

TEST(Gate, ADownSourceSilencesFiguresNotTheCommLossRule) {
  const auto hall = calendar();
  GateInputs in{Schedule::opening_hours, &hall, true, false, "4101001", "", "qs-4101001"};
  EXPECT_EQ(gate(in, {}, local(0, 10)), Gate::source_down);
  in.needs_source = false;
  EXPECT_EQ(gate(in, {}, local(0, 10)), Gate::judge);
}

TEST(Gate, MaintenanceOfTheHallTheObjectOrTheChannelSilencesEverything) {
  const auto hall = calendar();
  const std::vector<MaintenanceWindow> windows{{"T410100101", local(0, 9), local(0, 11)},
                                               {"qs-4101002", local(0, 9), local(0, 11)},
                                               {"4101003", local(0, 14), local(0, 15)}};
  GateInputs terminal{Schedule::opening_hours, &hall, true, true, "4101001", "T410100101", "tm-41"};
  EXPECT_EQ(gate(terminal, windows, local(0, 10)), Gate::in_maintenance);
  EXPECT_EQ(gate(terminal, windows, local(0, 11)), Gate::judge) << "the window's end is exclusive";
  GateInputs channel{Schedule::opening_hours, &hall, true, false, "4101002", "", "qs-4101002"};
  EXPECT_EQ(gate(channel, windows, local(0, 10)), Gate::in_maintenance) << "before source_down";
  GateInputs whole{Schedule::opening_hours, &hall, true, true, "4101003", "", ""};
  EXPECT_EQ(gate(whole, windows, local(0, 14, 30)), Gate::in_maintenance);
  EXPECT_EQ(gate(whole, windows, local(0, 10)), Gate::judge);
}

}  // namespace
}  // namespace halld::alarm
