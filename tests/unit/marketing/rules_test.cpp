// What halld makes of the marketing system's records: classes, links to tickets, the archive diff.
#include "halld/marketing/rules.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "halld/records/event_json.hpp"

namespace halld::marketing {
namespace {

using records::CustomerClassCode;
using namespace std::chrono_literals;

records::Timestamp t(int minutes, int seconds = 0) {
  return records::parse_instant("2026-12-01T08:00:00Z", {})->at + std::chrono::minutes(minutes) +
         std::chrono::seconds(seconds);
}

TEST(Classify, PremiumGeneralPotentialBySeed000) {
  const ClassThresholds thresholds;
  proto::marketing::CustomerEntry c;
  c.category = "resident";
  EXPECT_EQ(classify(c, thresholds), CustomerClassCode::general);
  c.category = "enterprise", c.annual_kwh = 999'999, c.contract_kva = 314;
  EXPECT_EQ(classify(c, thresholds), CustomerClassCode::general);  // a small enterprise
  c.annual_kwh = 1'000'000;
  EXPECT_EQ(classify(c, thresholds), CustomerClassCode::premium);
  c.annual_kwh = 0, c.contract_kva = 315;
  EXPECT_EQ(classify(c, thresholds), CustomerClassCode::premium);
  c = {};
  c.category = "small_business", c.dedicated_transformer = true;
  EXPECT_EQ(classify(c, thresholds), CustomerClassCode::premium);  // 专用变压器
  c.category = "unregistered";
  EXPECT_EQ(classify(c, thresholds), CustomerClassCode::potential);
  EXPECT_EQ(class_name(CustomerClassCode::premium), "premium");
}

TEST(Link, EachApplicationToTheServiceItOverlapsMost) {
  const std::vector<TicketService> services = {
      {"A001", "S1", t(0), t(1, 22)},  // short
      {"A002", "S1", t(2), t(5, 30)},  // the next customer of the same clerk
      {"B001", "S2", t(0), t(10)},     // another clerk at the same time
  };
  // Keyed in 25 s late on the marketing system's clock: overlaps A001 for 39 s, A002 not at all
  // (a wider tolerance window would have favoured the longer neighbour).
  const std::vector<Handled> applications = {
      {"S1", t(0, 43), t(1, 50)}, {"S2", t(3), t(9)},
      {"S1", t(3), t(5)},         {"S1", t(30), t(31)},  // nobody served then: nothing fits
      {"S3", t(0, 30), t(1)},                            // a clerk with no service
      {"S1", t(6, 30), t(6, 40)},  // 60 s after A002 ended: within the tolerance, the nearest
  };
  const auto linked = link_applications(applications, services, LinkOptions{120s});
  ASSERT_EQ(linked.size(), 6u);
  EXPECT_EQ(linked[0].service, 0u);
  EXPECT_EQ(linked[1].service, 2u);
  EXPECT_EQ(linked[2].service, 1u);
  EXPECT_FALSE(linked[3].service);
  EXPECT_FALSE(linked[4].service);
  EXPECT_EQ(linked[5].service, 1u);
  EXPECT_DOUBLE_EQ(linked[1].handling_s, 600);  // B001's whole service
}

TEST(Link, ApplicationsOfOneVisitShareItsService) {
  const std::vector<TicketService> services = {{"A001", "S1", t(0), t(10)}};
  const std::vector<Handled> applications = {{"S1", t(1), t(7)}, {"S1", t(7), t(9)}};
  const auto linked = link_applications(applications, services, {});
  EXPECT_DOUBLE_EQ(linked[0].handling_s, 450);  // 6 of the 8 minutes overlapped: 3/4 of 600 s
  EXPECT_DOUBLE_EQ(linked[1].handling_s, 150);
  EXPECT_DOUBLE_EQ(linked[0].handling_s + linked[1].handling_s, 600);
}

TEST(ArchiveDiff, NewChangedRetiredAndMissing) {
  const std::vector<KnownHall> ours = {
      {"H1", "一厅", "4101", "金水区", "一路1号", "open"},
      {"H2", "二厅", "4101", "", "二路2号", "open"},
      {"H3", "三厅", "4101", "", "", "open"},
      {"H4", "四厅", "4101", "", "", "closed"},  // closed here already: nothing to retire
  };
  using Entry = proto::marketing::HallEntry;
  const std::vector<Entry> theirs = {
      {"H1", "一厅", "4101", "金水区", "一路1号", "open", {}},
      {"H2", "二厅", "4101", "", "二路8号（迁址）", "open", {}},
      {"H5", "五厅", "4101", "", "", "open", {}},
      {"H6", "六厅", "4101", "", "", "retired", {}},  // retired before halld knew it
  };
  const auto changes = diff_halls(ours, theirs);
  ASSERT_EQ(changes.size(), 3u);
  EXPECT_EQ(changes[0].code, "H2");
  EXPECT_EQ(changes[0].change, "changed");
  EXPECT_EQ(changes[0].hall_after->address, "二路8号（迁址）");
  EXPECT_EQ(changes[1].code, "H5");
  EXPECT_EQ(changes[1].change, "new");
  EXPECT_EQ(changes[2].code, "H3");
  EXPECT_EQ(changes[2].change, "retired");  // no longer listed
  EXPECT_FALSE(changes[2].hall_after);

  const std::vector<KnownClerk> clerks = {{"C1", "张三", "H1", "active"}};
  const auto retired = diff_clerks(clerks, {{"C1", "张三", "H1", "retired", {}}});
  ASSERT_EQ(retired.size(), 1u);
  EXPECT_EQ(retired[0].change, "retired");
  EXPECT_TRUE(diff_clerks(clerks, {{"C1", "张三", "H1", "active", {}}}).empty());
}

}  // namespace
}  // namespace halld::marketing
