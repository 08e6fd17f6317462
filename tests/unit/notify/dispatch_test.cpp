// Who hears of an alarm and when, on a simulated clock: area and severity, grouping, escalation
// until acknowledged, clearing told to those who were told, quiet hours, duty days, an alarm
// storm, a fault (no value) in its own template.
#include "halld/notify/dispatch.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "halld/sms/pdu.hpp"

namespace halld::notify {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

// Monday 16 November 2026, 10:00 in China.
const Timestamp t0 =
    Timestamp(std::chrono::sys_days(std::chrono::year(2026) / 11 / 16)) + std::chrono::hours(2);

std::vector<Contact> contacts() {
  return {
      {1, "张经理", "13800000001", 1, "C1", "H1", Severity::warning, std::nullopt},
      {2, "李经理", "13800000002", 1, "C1", "H2", Severity::warning, std::nullopt},
      {3, "郑州运维", "13800000003", 2, "C1", "", Severity::warning, std::nullopt},
      {4, "省公司值班", "13800000004", 3, "", "", Severity::critical, std::nullopt},
      {5, "洛阳运维", "13800000005", 2, "C2", "", Severity::warning, std::nullopt},
  };
}

AlarmNotice notice(std::int64_t id, std::string hall = "H1", Severity severity = Severity::warning,
                   Transition::Kind kind = Transition::Kind::raise) {
  AlarmNotice n;
  n.alarm_id = id;
  n.city_code = "C1";
  n.hall_code = hall;
  n.facts.kind = kind;
  n.facts.severity = severity;
  n.facts.hall = hall == "H1" ? "金水营业厅" : "二七营业厅";
  n.facts.hall_code = hall;
  n.facts.indicator = "排队人数";
  n.facts.value = 35;
  n.facts.limit = 30;
  n.facts.unit = "人";
  n.facts.at = t0;
  return n;
}

std::vector<int> recipients(const std::vector<Outgoing>& out) {
  std::vector<int> ids;
  for (const auto& o : out) ids.push_back(o.contact_id);
  return ids;
}

TEST(Dispatch, TheHallsManagerIsToldOnceTheGroupingWindowHasPassed) {
  Dispatcher d({}, contacts());
  d.notify(notice(1), t0);
  EXPECT_TRUE(d.due(t0 + seconds(30)).empty()) << "waiting for company";
  const auto out = d.due(t0 + seconds(60));
  ASSERT_THAT(recipients(out), ::testing::ElementsAre(1));
  EXPECT_EQ(out[0].phone, "13800000001");
  EXPECT_EQ(out[0].text, "【一般告警】金水营业厅（H1）排队人数 35人，限值 30人，11-16 10:00");
  EXPECT_THAT(out[0].alarm_ids, ::testing::ElementsAre(1));
  EXPECT_TRUE(d.due(t0 + minutes(5)).empty());
}

TEST(Dispatch, UnacknowledgedAlarmsClimbTheChainAcknowledgedOnesStop) {
  Dispatcher d({}, contacts());
  d.notify(notice(1, "H1", Severity::critical), t0);
  d.notify(notice(2, "H2", Severity::critical), t0);
  EXPECT_THAT(recipients(d.due(t0 + minutes(1))), ::testing::ElementsAre(1, 2));
  d.acknowledged(2);
  EXPECT_TRUE(d.due(t0 + minutes(10)).empty()) << "the city hears after the grouping window";
  auto city = d.due(t0 + minutes(11));
  ASSERT_THAT(recipients(city), ::testing::ElementsAre(3))
      << "Luoyang's operations are not concerned";
  EXPECT_THAT(city[0].alarm_ids, ::testing::ElementsAre(1))
      << "the acknowledged alarm does not climb";
  EXPECT_TRUE(d.due(t0 + minutes(20)).empty());
  EXPECT_THAT(recipients(d.due(t0 + minutes(21))), ::testing::ElementsAre(4));
  EXPECT_TRUE(d.due(t0 + minutes(60)).empty()) << "the top of the chain";
  // A warning climbs too, but the province wants critical alarms only.
  Dispatcher w({}, contacts());
  w.notify(notice(7), t0);
  w.due(t0 + minutes(1));
  w.due(t0 + minutes(10));
  EXPECT_THAT(recipients(w.due(t0 + minutes(11))), ::testing::ElementsAre(3));
  EXPECT_TRUE(w.due(t0 + minutes(30)).empty());
}

TEST(Dispatch, ClearingIsToldToThoseWhoWereTold) {
  Dispatcher d({}, contacts());
  d.notify(notice(1), t0);
  d.due(t0 + minutes(1));
  d.due(t0 + minutes(11));  // the city was told too
  d.notify(notice(1, "H1", Severity::warning, Transition::Kind::clear), t0 + minutes(12));
  const auto out = d.due(t0 + minutes(13));
  EXPECT_THAT(recipients(out), ::testing::ElementsAre(1, 3));
  EXPECT_THAT(out[0].text, ::testing::StartsWith("【一般恢复】"));
  d.notify(notice(99, "H1", Severity::warning, Transition::Kind::clear), t0 + minutes(14));
  EXPECT_TRUE(d.due(t0 + minutes(20)).empty()) << "an alarm nobody heard of clears silently";
  EXPECT_TRUE(d.due(t0 + minutes(40)).empty()) << "a cleared alarm climbs no further";
}

TEST(Dispatch, QuietHoursLetOnlyCriticalAlarmsThrough) {
  auto people = contacts();
  people[0].quiet = std::pair{22 * 60, 7 * 60};  // 22:00–07:00, across midnight
  Dispatcher d({}, people);
  const Timestamp night = t0 + std::chrono::hours(13);  // 23:00 in China
  d.notify(notice(1), night);
  d.notify(notice(2, "H1", Severity::critical), night);
  const auto out = d.due(night + minutes(1));
  ASSERT_THAT(recipients(out), ::testing::ElementsAre(1));
  EXPECT_THAT(out[0].alarm_ids, ::testing::ElementsAre(2));
}

TEST(Dispatch, AStormBecomesAFewTextsPerRecipient) {
  Dispatcher d({}, contacts());
  std::int64_t id = 0;
  std::size_t texts = 0, reported = 0;
  // 500 alarms in the first 50 seconds, then 50 more every minute for an hour.
  for (int i = 0; i < 500; ++i) d.notify(notice(++id), t0 + seconds(i / 10));
  for (int minute = 1; minute <= 61; ++minute) {
    for (int i = 0; i < 50; ++i) d.notify(notice(++id), t0 + minutes(minute));
    for (const auto& o : d.due(t0 + minutes(minute))) {
      if (o.contact_id != 1) continue;
      ++texts;
      reported += o.alarm_ids.size();
      EXPECT_LE(std::get<std::u16string>(sms::utf16_of(o.text)).size(), 2u * 67) << o.text;
      if (minute < 60) {
        EXPECT_LE(texts, 6u) << "six texts an hour at most";
      }
    }
  }
  EXPECT_EQ(texts, 7u) << "six in the first hour, the seventh once the hour has passed";
  EXPECT_EQ(reported, 500u + 50u * 61u) << "each alarm reported once, in the digest of its time";
}

TEST(Dispatch, OnlyContactsOnDutyThatDayAreTold) {
  auto people = contacts();
  people[0].duty_days = 0x7f & ~1u;  // not on Mondays
  Dispatcher d({}, people);
  d.notify(notice(1), t0);  // a Monday
  EXPECT_TRUE(d.due(t0 + seconds(60)).empty());
  d.notify(notice(2), t0 + std::chrono::days(1));  // Tuesday
  EXPECT_THAT(recipients(d.due(t0 + std::chrono::days(1) + seconds(60))),
              ::testing::ElementsAre(1));
}

TEST(Dispatch, AnAlarmFromBeforeARestartClimbsOnWithoutRetelling) {
  Dispatcher d({}, contacts());  // escalation every 10 minutes
  // Raised 15 minutes before the restart: the city (level 2) was told at minute 10.
  d.adopt(notice(1), t0 - minutes(15), false, t0);
  EXPECT_TRUE(d.due(t0 + seconds(60)).empty()) << "nobody is told again";
  // Minute 20: the province (level 3, critical only) — this one is a warning, so nobody new.
  EXPECT_TRUE(d.due(t0 + minutes(6)).empty());
  // Its clearing reaches the hall and the city, who were told before the restart.
  d.notify(notice(1, "H1", Severity::warning, Transition::Kind::clear), t0 + minutes(7));
  EXPECT_THAT(recipients(d.due(t0 + minutes(9))), ::testing::UnorderedElementsAre(1, 3));

  Dispatcher fresh({}, contacts());
  fresh.adopt(notice(2, "H1", Severity::critical), t0 - minutes(5), false, t0);
  EXPECT_TRUE(fresh.due(t0 + minutes(1)).empty());
  EXPECT_TRUE(fresh.due(t0 + minutes(5)).empty()) << "the city's text waits for company";
  EXPECT_THAT(recipients(fresh.due(t0 + minutes(6))), ::testing::ElementsAre(3))
      << "minute 10: the city";
  Dispatcher handled({}, contacts());
  handled.adopt(notice(3), t0 - minutes(5), true, t0);
  EXPECT_TRUE(handled.due(t0 + minutes(30)).empty()) << "acknowledged: no escalation";
}

TEST(Dispatch, AFaultIsToldWithoutValueOrLimit) {
  Dispatcher d({}, contacts());
  auto fault = notice(1, "H1", Severity::critical);
  fault.facts.indicator = "自助终端故障";
  fault.facts.object = "T1";
  fault.facts.has_value = false;
  d.notify(fault, t0);
  const auto out = d.due(t0 + seconds(60));
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out[0].text, "【严重告警】金水营业厅（H1）自助终端故障 T1，11-16 10:00");
}

}  // namespace
}  // namespace halld::notify
