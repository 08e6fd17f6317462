// What a notice is and which one a hall's boards show: the operator's JSON checked field by
// field, the choice by priority and age, and the step that keeps the boards in step.
#include "halld/notice/notice.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace halld::notice {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using ::testing::HasSubstr;

const Timestamp now = std::chrono::sys_days(std::chrono::year(2026) / 12 / 3) + 2h;  // 10:00 BJT

std::string problem(const json& body) {
  auto draft = draft_from_json(body, now);
  return std::holds_alternative<std::string>(draft) ? std::get<std::string>(draft) : "";
}

TEST(NoticeDraft, MinutesOrAnEndFromNowOrALaterStart) {
  auto d =
      std::get<Draft>(draft_from_json({{"text", "系统升级，暂停办理业务"}, {"minutes", 30}}, now));
  EXPECT_EQ(d.priority, Priority::normal);
  EXPECT_EQ(d.display, Display::all);
  EXPECT_EQ(d.valid_from, now);
  EXPECT_EQ(d.valid_until, now + 30min);

  d = std::get<Draft>(draft_from_json({{"text", "明日停电"},
                                       {"priority", "urgent"},
                                       {"display", "led_boards"},
                                       {"valid_from", "2026-12-03T14:00:00+08:00"},
                                       {"valid_until", "2026-12-04T18:00:00+08:00"}},
                                      now));
  EXPECT_EQ(d.priority, Priority::urgent);
  EXPECT_EQ(d.display, Display::led_boards);
  EXPECT_EQ(d.valid_from, now + 4h);
  EXPECT_EQ(d.valid_until, now + 32h);

  // A start in the past is now: a notice cannot be backdated.
  d = std::get<Draft>(draft_from_json(
      {{"text", "x"}, {"valid_from", "2026-12-01"}, {"valid_until", "2026-12-03T12:00+08:00"}},
      now));
  EXPECT_EQ(d.valid_from, now);
}

TEST(NoticeDraft, EveryWrongFieldIsNamed) {
  EXPECT_EQ(problem(json::array()), "a notice is a JSON object");
  EXPECT_THAT(problem({{"minutes", 5}}), HasSubstr("'text' is missing"));
  EXPECT_THAT(problem({{"text", 5}, {"minutes", 5}}), HasSubstr("'text' must be text"));
  EXPECT_THAT(problem({{"text", std::string(256, 'a')}, {"minutes", 5}}), HasSubstr("255 bytes"));
  EXPECT_THAT(problem({{"text", "x"}, {"minutes", 5}, {"colour", "red"}}),
              HasSubstr("unknown field 'colour'"));
  EXPECT_THAT(problem({{"text", "x"}, {"minutes", 5}, {"priority", "high"}}),
              HasSubstr("'priority' must be normal, important or urgent"));
  EXPECT_THAT(problem({{"text", "x"}, {"minutes", 5}, {"display", "tv"}}),
              HasSubstr("'display' must be"));
  EXPECT_THAT(problem({{"text", "x"}}), HasSubstr("either 'valid_until' or 'minutes'"));
  EXPECT_THAT(problem({{"text", "x"}, {"minutes", 5}, {"valid_until", "2026-12-04"}}),
              HasSubstr("either"));
  EXPECT_THAT(problem({{"text", "x"}, {"minutes", 0}}), HasSubstr("'minutes' must be"));
  EXPECT_THAT(problem({{"text", "x"}, {"minutes", 5.5}}), HasSubstr("'minutes' must be"));
  EXPECT_THAT(problem({{"text", "x"}, {"minutes", 44641}}), HasSubstr("from 1 to 44640"));
  EXPECT_THAT(problem({{"text", "x"}, {"valid_until", "yesterday"}}),
              HasSubstr("'valid_until' must be a time"));
  EXPECT_THAT(problem({{"text", "x"}, {"valid_until", "2026-12-03T09:00:00+08:00"}}),
              HasSubstr("later than the start"));
  EXPECT_THAT(problem({{"text", "x"}, {"valid_until", "2027-03-01"}}), HasSubstr("31 days"));
}

TEST(ShownNotice, HighestPriorityThenNewestAmongTheCurrent) {
  std::vector<Candidate> all{
      {1, Priority::normal, now - 1h, now + 1h, false},
      {2, Priority::important, now - 1h, now + 1h, false},
      {3, Priority::important, now - 10min, now + 1h, false},  // newer than 2
      {4, Priority::urgent, now + 5min, now + 1h, false},      // not yet
      {5, Priority::urgent, now - 1h, now, false},             // just ended
      {6, Priority::urgent, now - 1h, now + 1h, true},         // withdrawn
  };
  EXPECT_EQ(shown_notice(all, now), 3);
  EXPECT_EQ(shown_notice(all, now + 5min), 4);
  EXPECT_EQ(shown_notice({all[0]}, now + 1h), std::nullopt);
  EXPECT_EQ(shown_notice({}, now), std::nullopt);
}

TEST(DisplaySeconds, TheRestOfTheValidityUpToTheWiresLimit) {
  EXPECT_EQ(display_seconds(now, now + 10min), 600);
  EXPECT_EQ(display_seconds(now, now + 48h), 65535);
  EXPECT_EQ(display_seconds(now, now), 1);
}

TEST(NextStep, TheBoardsFollowTheChoice) {
  const Timing timing;  // refresh 30 min before the boards would drop it, retry after 5 min
  Shown nothing;
  EXPECT_EQ(next_step(std::nullopt, now, nothing, now, timing), Step::none);
  EXPECT_EQ(next_step(7, now + 1h, nothing, now, timing), Step::show);

  Shown seven{7, now - 1min, now + 1h, "done", false};
  EXPECT_EQ(next_step(7, now + 1h, seven, now, timing), Step::none);
  EXPECT_EQ(next_step(8, now + 1h, seven, now, timing), Step::show);
  EXPECT_EQ(next_step(std::nullopt, now, seven, now, timing), Step::clear);

  // A two-day notice: the boards were told 65535 s; it is sent again 30 min before they drop it.
  Shown long_one{7, now, now + 65535s, "done", false};
  EXPECT_EQ(next_step(7, now + 48h, long_one, now + 17h, timing), Step::none);
  EXPECT_EQ(next_step(7, now + 48h, long_one, now + 65535s - 30min, timing), Step::refresh);

  // Lost on the way, or nowhere to send it: again after five minutes, not at every tick.
  for (Shown lost :
       {Shown{7, now, std::nullopt, "expired", false}, Shown{7, now, std::nullopt, "failed", false},
        Shown{7, now, std::nullopt, "", true}}) {
    EXPECT_EQ(next_step(7, now + 1h, lost, now + 4min, timing), Step::none);
    EXPECT_EQ(next_step(7, now + 1h, lost, now + 5min, timing), Step::show);
  }
  // A device that refused it is not asked again.
  Shown refused{7, now, now + 1h, "refused", false};
  EXPECT_EQ(next_step(7, now + 1h, refused, now + 10min, timing), Step::none);
}

}  // namespace
}  // namespace halld::notice
