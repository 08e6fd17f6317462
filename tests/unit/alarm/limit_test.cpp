// Limit rules on a simulated clock: hold before raising, hysteresis and hold before clearing,
// severity that rises but never falls while open, both directions, silence.
#include "halld/alarm/limit.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace halld::alarm {
namespace {

using std::chrono::minutes;
using Kind = Transition::Kind;

const Timestamp t0 =
    Timestamp(std::chrono::sys_days(std::chrono::year(2026) / 11 / 16)) + std::chrono::hours(1);
Timestamp at(int minute) {
  return t0 + minutes(minute);
}

// Feeds (minute, value) pairs; returns the transitions as "minute:kind:severity".
std::vector<std::string> run(const Limit& limit, LimitState& state,
                             std::vector<std::pair<int, double>> values) {
  std::vector<std::string> out;
  for (auto [minute, value] : values) {
    if (auto t = state.observe(limit, value, at(minute))) {
      static constexpr const char* kinds[] = {"raise", "escalate", "clear"};
      out.push_back(std::to_string(minute) + ":" + kinds[static_cast<int>(t->kind)] + ":" +
                    (t->severity == Severity::critical ? "critical" : "warning"));
    }
  }
  return out;
}

TEST(Limit, RaisesOnlyAfterTheValueHeldPastTheLimitForTheHoldTime) {
  const Limit queue{Direction::above, 30, std::nullopt, std::nullopt, minutes(5), minutes(0)};
  LimitState state;
  // Over at 0 and 2, under at 3 (the hold starts again), over from 4: raised at 9.
  EXPECT_THAT(
      run(queue, state, {{0, 31}, {2, 32}, {3, 25}, {4, 31}, {6, 40}, {8, 35}, {9, 31}, {10, 33}}),
      ::testing::ElementsAre("9:raise:warning"));
  EXPECT_EQ(state.open(), Severity::warning);
  EXPECT_EQ(state.open_since(), at(9));
}

TEST(Limit, ClearsBelowTheClearThresholdAfterItsHoldSoAHoveringValueDoesNotFlap) {
  const Limit queue{Direction::above, 30, std::nullopt, 25, minutes(0), minutes(3)};
  LimitState state;
  // 28 is under the limit but not under the clear threshold; 24 must last three minutes.
  EXPECT_THAT(run(queue, state, {{0, 30}, {1, 28}, {2, 24}, {3, 29}, {4, 24}, {6, 20}, {7, 22}}),
              ::testing::ElementsAre("0:raise:warning", "7:clear:warning"));
  EXPECT_FALSE(state.open());
  // A value swinging around the limit every minute raises once and never clears.
  LimitState swinging;
  const Limit no_band{Direction::above, 30, std::nullopt, std::nullopt, minutes(0), minutes(5)};
  std::vector<std::pair<int, double>> values;
  for (int m = 0; m < 60; ++m) values.emplace_back(m, m % 2 == 0 ? 31 : 29);
  EXPECT_THAT(run(no_band, swinging, values), ::testing::ElementsAre("0:raise:warning"));
}

TEST(Limit, SeverityRisesWhileOpenAndDoesNotFall) {
  const Limit wait{Direction::above, 20, 40, std::nullopt, minutes(2), minutes(0)};
  LimitState state;
  EXPECT_THAT(run(wait, state, {{0, 25}, {2, 26}, {3, 45}, {4, 50}, {5, 46}, {6, 30}, {7, 10}}),
              ::testing::ElementsAre("2:raise:warning", "5:escalate:critical", "7:clear:critical"));
  // Straight past critical: raised critical once its hold is over.
  LimitState direct;
  EXPECT_THAT(run(wait, direct, {{0, 45}, {1, 45}, {2, 45}}),
              ::testing::ElementsAre("2:raise:critical"));
}

TEST(Limit, LowIsBadForRatesLikeSatisfaction) {
  const Limit satisfaction{Direction::below, 0.90, 0.80, 0.92, minutes(0), minutes(0)};
  LimitState state;
  EXPECT_THAT(run(satisfaction, state, {{0, 0.95}, {1, 0.89}, {2, 0.91}, {3, 0.79}, {4, 0.93}}),
              ::testing::ElementsAre("1:raise:warning", "3:escalate:critical", "4:clear:critical"));
}

TEST(Limit, SilenceNeitherRaisesNorClears) {
  const Limit queue{Direction::above, 30, std::nullopt, std::nullopt, minutes(5), minutes(0)};
  LimitState state;
  EXPECT_TRUE(run(queue, state, {{0, 31}, {4, 31}}).empty());
  state.unknown();  // e.g. the queue server went offline: the hold starts again afterwards
  EXPECT_TRUE(run(queue, state, {{6, 31}, {10, 31}}).empty());
  EXPECT_THAT(run(queue, state, {{11, 31}}), ::testing::ElementsAre("11:raise:warning"));
  state.unknown();
  EXPECT_EQ(state.open(), Severity::warning) << "an open alarm is not cleared by silence";
}

TEST(Limit, ChecksItsThresholds) {
  auto problem = [](Limit l) { return check(l).value_or("fine"); };
  EXPECT_EQ(problem({Direction::above, 30, 50, 25, minutes(1), minutes(1)}), "fine");
  EXPECT_THAT(problem({}), ::testing::HasSubstr("needs a warning or a critical"));
  EXPECT_THAT(problem({Direction::above, 30, 20, std::nullopt, {}, {}}),
              ::testing::HasSubstr("critical threshold must not be below"));
  EXPECT_THAT(problem({Direction::below, 0.8, 0.9, std::nullopt, {}, {}}),
              ::testing::HasSubstr("must not be above"));
  EXPECT_THAT(problem({Direction::above, 30, std::nullopt, 35, {}, {}}),
              ::testing::HasSubstr("clear threshold must not be above"));
  EXPECT_THAT(problem({Direction::above, std::nan(""), std::nullopt, std::nullopt, {}, {}}),
              ::testing::HasSubstr("finite"));
  EXPECT_THAT(problem({Direction::above, 30, std::nullopt, std::nullopt, minutes(-1), {}}),
              ::testing::HasSubstr("negative"));
}

}  // namespace
}  // namespace halld::alarm
