// Alarm texts: the default template filled in, template checks, and a storm digested into a
// text of bounded length.
#include "halld/notify/message.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "halld/sms/pdu.hpp"

namespace halld::notify {
namespace {

using ::testing::HasSubstr;

AlarmFacts crowded(int value = 35) {
  AlarmFacts f;
  f.kind = Transition::Kind::raise;
  f.severity = Severity::critical;
  f.hall = "郑州营业厅";
  f.hall_code = "4101001";
  f.indicator = "排队人数";
  f.value = value;
  f.limit = 30;
  f.unit = "人";
  f.at = Timestamp(std::chrono::sys_days(std::chrono::year(2026) / 11 / 16)) +
         std::chrono::minutes(65);  // 09:05 in China
  return f;
}

TEST(AlarmMessage, TheDefaultTemplateSaysWhatWhereHowMuchAndWhen) {
  EXPECT_EQ(render(default_template, crowded()),
            "【严重告警】郑州营业厅（4101001）排队人数 35人，限值 30人，11-16 09:05");
  auto cleared = crowded(12);
  cleared.kind = Transition::Kind::clear;
  cleared.severity = Severity::warning;
  cleared.indicator = "终端可用率";
  cleared.object = "T410100101";
  cleared.value = 92.5;
  cleared.limit = std::nullopt;
  cleared.unit = "%";
  EXPECT_EQ(render(default_template, cleared),
            "【一般恢复】郑州营业厅（4101001）终端可用率 T410100101 92.5%，限值 —%，11-16 09:05");
  auto fraction = crowded();
  fraction.value = 1.0 / 3;
  EXPECT_EQ(render("{value}", fraction), "0.33");
  EXPECT_FALSE(check_template(default_template));
}

TEST(AlarmMessage, TemplatesAreCheckedBeforeUse) {
  EXPECT_THAT(check_template("{hal} 排队").value_or(""), HasSubstr("unknown placeholder {hal}"));
  EXPECT_THAT(check_template("{hall").value_or(""), HasSubstr("left open"));
  EXPECT_THAT(check_template("排队}").value_or(""), HasSubstr("without its '{'"));
  EXPECT_THAT(check_template("有告警").value_or(""), HasSubstr("says nothing"));
  EXPECT_THAT(check_template(std::string(1001, 'x') + "{hall}").value_or(""),
              HasSubstr("1000 bytes"));
}

TEST(AlarmMessage, AStormBecomesOneTextThatFitsItsParts) {
  std::vector<AlarmFacts> storm;
  for (int i = 0; i < 500; ++i) storm.push_back(crowded(31 + i % 9));
  storm[7].kind = Transition::Kind::clear;
  const auto text = digest(storm, 2 * sms::part_units);
  const auto units = std::get<std::u16string>(sms::utf16_of(text)).size();
  EXPECT_LE(units, 2 * sms::part_units);
  EXPECT_GT(units, 2 * sms::part_units - 30) << "the room is used";
  EXPECT_THAT(text, HasSubstr("【告警汇总】500 条：新告警 499，恢复 1。郑州营业厅 排队人数 "
                              "31人；郑州营业厅 排队人数 32人；"));
  EXPECT_THAT(text, ::testing::EndsWith("…等 500 条"));
  auto parts = sms::encode_submit("13800138000", text, {});
  ASSERT_TRUE(std::holds_alternative<std::vector<sms::EncodedPdu>>(parts));
  EXPECT_EQ(std::get<std::vector<sms::EncodedPdu>>(parts).size(), 2u);
  // A few alarms are all listed, without a tail.
  const std::vector<AlarmFacts> few{crowded(31), crowded(40)};
  EXPECT_EQ(digest(few, 2 * sms::part_units),
            "【告警汇总】2 条：新告警 2。郑州营业厅 排队人数 31人；郑州营业厅 排队人数 40人");
}

}  // namespace
}  // namespace halld::notify
