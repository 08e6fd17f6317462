#include "halld/records/archive.hpp"

#include <gtest/gtest.h>

namespace halld::records {
namespace {

TEST(DayHours, ParsesAndFormatsTheThreeShapes) {
  auto plain = parse_day_hours("08:30-17:30");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->opens, 8 * 60 + 30);
  EXPECT_EQ(plain->closes, 17 * 60 + 30);
  EXPECT_FALSE(plain->lunch_starts);

  auto lunch = parse_day_hours("08:30-12:00,14:00-17:30");
  ASSERT_TRUE(lunch);
  EXPECT_EQ(*lunch->lunch_starts, 12 * 60);
  EXPECT_EQ(*lunch->lunch_ends, 14 * 60);
  EXPECT_EQ(format_day_hours(lunch), "08:30-12:00,14:00-17:30");

  auto all_day = parse_day_hours("00:00-24:00");
  ASSERT_TRUE(all_day);
  EXPECT_EQ(all_day->closes, 1440);
  EXPECT_EQ(format_day_hours(all_day), "00:00-24:00");

  EXPECT_FALSE(parse_day_hours("closed"));
  EXPECT_EQ(format_day_hours(std::nullopt), "closed");
}

TEST(DayHours, RejectsNonsense) {
  for (const char* bad : {"", "8:30-17:30", "17:30-08:30", "08:30-08:30", "24:30-25:00",
                          "08:60-09:00", "08:30-12:00,11:00-17:30", "08:30-12:00,", "open",
                          "08:30-12:00,13:00-14:00,15:00-16:00", "ab:cd-ef:gh"}) {
    EXPECT_THROW(parse_day_hours(bad), std::invalid_argument) << bad;
  }
}

TEST(Enums, RoundTripThroughTheirNames) {
  EXPECT_EQ(to_string(WindowKind::pre_processing), "pre_processing");
  EXPECT_EQ(parse_enum<WindowKind>("vip"), WindowKind::vip);
  EXPECT_EQ(parse_enum<TerminalPlacement>("zone_24h"), TerminalPlacement::zone_24h);
  EXPECT_EQ(parse_enum<HallLevel>("A"), HallLevel::a);
  EXPECT_FALSE(parse_enum<HallLevel>("a"));
  EXPECT_EQ(enum_names_listed<HallStatus>(), "open, suspended, closed");
}

}  // namespace
}  // namespace halld::records
