// Retention's rules on a simulated calendar: which months go, which stay, which are held and why.
#include "halld/retention/plan.hpp"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace halld::retention {
namespace {

using std::chrono::sys_days;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

Timestamp at(int y, unsigned m, unsigned d, int hour = 0) {
  return Timestamp(sys_days(std::chrono::year(y) / m / d)) + std::chrono::hours(hour);
}

std::vector<Partition> months(std::string_view parent, int year, unsigned first, unsigned last) {
  std::vector<Partition> out;
  for (unsigned m = first; m <= last; ++m)
    out.push_back(*monthly_partition(parent, fmt::format("{}_{:04}m{:02}", parent, year, m)));
  return out;
}

std::string fates(const std::vector<PartitionPlan>& plans) {
  std::string text;
  for (const auto& p : plans) {
    text += p.partition.name.substr(p.partition.name.size() - 7) + "=" +
            (p.verdict == Verdict::keep   ? "keep"
             : p.verdict == Verdict::drop ? "drop"
                                          : "hold") +
            " ";
  }
  return text;
}

TEST(RetentionPlan, PartitionNamesAreHalldsMonthsOnly) {
  const auto p = monthly_partition("hall_event", "hall_event_2026m02");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->from, at(2026, 2, 1));
  EXPECT_EQ(p->to, at(2026, 3, 1));
  EXPECT_EQ(monthly_partition("hall_event", "hall_event_2026m12")->to, at(2027, 1, 1));
  for (const char* name :
       {"hall_event_2026m13", "hall_event_2026m00", "hall_event_2026-02", "hall_event_legacy",
        "kpi_rollup_2026m02", "hall_event_2026m1", "hall_event_12026m01", "hall_event_20x6m01"})
    EXPECT_FALSE(monthly_partition("hall_event", name)) << name;
}

TEST(RetentionPlan, MonthsBackCountsWholeCalendarMonths) {
  EXPECT_EQ(months_back(at(2026, 12, 15, 9), 3), at(2026, 9, 1));
  EXPECT_EQ(months_back(at(2026, 3, 31), 13), at(2025, 2, 1));
  EXPECT_EQ(months_back(at(2026, 1, 1), 1), at(2025, 12, 1));
}

TEST(RetentionPlan, EachTableKeepsItsOwnMonths) {
  RetentionConfig retention;
  retention.event_months = 3;
  retention.rollup_months = 5;
  retention.facility_months = 2;
  auto partitions = months("hall_event", 2026, 5, 12);
  const auto rollups = months("kpi_rollup", 2026, 5, 12);
  const auto readings = months("facility_reading", 2026, 5, 12);
  partitions.insert(partitions.end(), rollups.begin(), rollups.end());
  partitions.insert(partitions.end(), readings.begin(), readings.end());
  const auto plans = plan_partitions(partitions, {}, at(2026, 12, 15), retention);
  // Events: September, October and November kept whole besides December.
  EXPECT_EQ(fates({plans.begin(), plans.begin() + 8}),
            "2026m05=drop 2026m06=drop 2026m07=drop 2026m08=drop 2026m09=keep 2026m10=keep "
            "2026m11=keep 2026m12=keep ");
  EXPECT_EQ(fates({plans.begin() + 8, plans.begin() + 16}),
            "2026m05=drop 2026m06=drop 2026m07=keep 2026m08=keep 2026m09=keep 2026m10=keep "
            "2026m11=keep 2026m12=keep ");
  EXPECT_EQ(fates({plans.begin() + 16, plans.end()}),
            "2026m05=drop 2026m06=drop 2026m07=drop 2026m08=drop 2026m09=drop 2026m10=keep "
            "2026m11=keep 2026m12=keep ");
  EXPECT_THAT(plans[0].reason, HasSubstr("older than 3 months (before 2026-09-01)"));
  EXPECT_THAT(plans[4].reason, HasSubstr("within 3 months"));
}

TEST(RetentionPlan, EventsWaitForTheirRollupsToBeFinal) {
  RetentionConfig retention;
  retention.event_months = 3;
  const auto partitions = months("hall_event", 2026, 6, 8);
  PartitionFacts facts;
  // 1 July local is still 30 June in UTC: a stale day on the edge holds June too.
  facts.stale_days = {sys_days(std::chrono::year(2026) / 7 / 1)};
  auto plans = plan_partitions(partitions, facts, at(2026, 12, 15), retention);
  EXPECT_EQ(fates(plans), "2026m06=hold 2026m07=hold 2026m08=drop ");
  EXPECT_THAT(plans[1].reason, HasSubstr("1 day(s) wait to be recomputed"));
  facts.stale_days = {sys_days(std::chrono::year(2026) / 7 / 15)};
  EXPECT_EQ(fates(plan_partitions(partitions, facts, at(2026, 12, 15), retention)),
            "2026m06=drop 2026m07=hold 2026m08=drop ");
  // Rollups and readings are not held by stale days: they are the rollups themselves.
  EXPECT_EQ(
      fates(plan_partitions(months("kpi_rollup", 2026, 7, 7), facts, at(2031, 12, 15), retention)),
      "2026m07=drop ");
}

TEST(RetentionPlan, AMonthLoadedBackIsKeptAWeekForItsRecomputation) {
  RetentionConfig retention;
  retention.event_months = 3;
  PartitionFacts facts;
  facts.loaded = {{"hall_event_2026m07", at(2026, 12, 10)}};
  const auto partitions = months("hall_event", 2026, 7, 8);
  auto plans = plan_partitions(partitions, facts, at(2026, 12, 15), retention);
  EXPECT_EQ(fates(plans), "2026m07=hold 2026m08=drop ");
  EXPECT_THAT(plans[0].reason, HasSubstr("loaded back on 2026-12-10: kept until 2026-12-17"));
  EXPECT_EQ(fates(plan_partitions(partitions, facts, at(2026, 12, 17), retention)),
            "2026m07=drop 2026m08=drop ");
}

TEST(RetentionPlan, SmallTablesKeepOpenThingsWhateverTheirAge) {
  const auto rules = row_rules(RetentionConfig{});
  std::set<std::string> tables;
  for (const auto& r : rules) tables.insert(r.table);
  EXPECT_EQ(tables,
            (std::set<std::string>{"alarm", "sms_message", "audit_log", "hall_command",
                                   "channel_comm_event", "marketing_comm_event", "app_session"}));
  for (const auto& r : rules) {
    if (r.table == "alarm") {
      EXPECT_THAT(r.condition, HasSubstr("state IN ('cleared', 'closed')"));
    } else if (r.table == "hall_command") {
      EXPECT_THAT(r.condition, HasSubstr("state NOT IN ('queued', 'sent')"));
    } else if (r.table == "audit_log") {
      EXPECT_EQ(r.days, 1095u);
    }
  }
}

}  // namespace
}  // namespace halld::retention
