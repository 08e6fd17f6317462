// Predicted waits per business queue and the arrival rate right after opening.
#include "halld/live/prediction.hpp"

#include <gtest/gtest.h>

namespace halld::live {
namespace {

using namespace halld::records;
using std::chrono::hours;
using std::chrono::minutes;

const std::chrono::sys_days monday = std::chrono::sys_days(std::chrono::year(2026) / 11 / 16);
// The hall is at UTC+8 and opens 08:30–17:30: 00:30 UTC.
Timestamp utc(int h, int m) {
  return Timestamp(monday) + hours(h) + minutes(m);
}

kpi::HallTerms terms() {
  std::optional<DayHours> week[7];
  for (auto& d : week) d = DayHours{8 * 60 + 30, 17 * 60 + 30, std::nullopt, std::nullopt};
  return kpi::HallTerms{20 * 60, model::HallCalendar(hours(8), week, {}), {}, {}, {}};
}

model::HallSnapshot hall_with(std::vector<std::pair<std::string, int>> waiting, int windows) {
  model::HallSnapshot s;
  for (const auto& [business, count] : waiting) {
    for (int i = 0; i < count; ++i)
      s.waiting.push_back({business + std::to_string(i), business, {}, utc(1, 0)});
  }
  for (int w = 1; w <= windows; ++w) {
    model::WindowLive window;
    window.number = static_cast<std::uint16_t>(w);
    window.state = WindowState::open;
    window.ticket = "busy";
    s.windows.push_back(window);
  }
  return s;
}

const WaitPrediction& of(const std::vector<WaitPrediction>& predictions,
                         const std::string& business) {
  for (const auto& p : predictions) {
    if (p.business == business) return p;
  }
  throw std::out_of_range(business);
}

TEST(Prediction, AQueueRoutedByBusinessCountsItsOwnTicketsAndWindows) {
  // Queues of 2/2/2/0; windows 1–2 serve a, 3 b, 4 c, 5 d.
  const auto snapshot = hall_with({{"a", 2}, {"b", 2}, {"c", 2}}, 5);
  const WindowBusiness routing = {{1, {"a"}}, {2, {"a"}}, {3, {"b"}}, {4, {"c"}}, {5, {"d"}}};
  RecentFacts facts;
  const auto predictions = facts.predict(snapshot, {}, {}, terms(), routing, utc(2, 0));
  EXPECT_EQ(predictions.front().waiting_ahead, 6) << "the hall as a whole";
  EXPECT_EQ(of(predictions, "a").waiting_ahead, 2);
  EXPECT_EQ(of(predictions, "a").open_windows, 2);
  EXPECT_EQ(of(predictions, "b").waiting_ahead, 2);
  EXPECT_EQ(of(predictions, "b").open_windows, 1);
  EXPECT_GT(of(predictions, "b").predicted_wait_min, of(predictions, "a").predicted_wait_min);
}

TEST(Prediction, WindowsServingSeveralBusinessesShareTheirQueues) {
  // Window 1 serves a only, window 2 a and b. a's four tickets spread over both windows, b's
  // two over window 2 alone: a new "a" ticket waits for a's four and b's two (both on its
  // windows); a new "b" ticket for b's two and the half of a's four that window 2 takes.
  const auto snapshot = hall_with({{"a", 4}, {"b", 2}}, 2);
  const WindowBusiness routing = {{1, {"a"}}, {2, {"a", "b"}}};
  RecentFacts facts;
  const auto predictions = facts.predict(snapshot, {}, {}, terms(), routing, utc(2, 0));
  EXPECT_EQ(of(predictions, "a").waiting_ahead, 4 + 2);
  EXPECT_EQ(of(predictions, "b").waiting_ahead, 2 + 2);
  EXPECT_EQ(of(predictions, "b").open_windows, 1);
}

TEST(Prediction, WindowsServingEverythingMakeOneQueue) {
  const auto snapshot = hall_with({{"a", 2}, {"b", 2}, {"c", 2}}, 5);
  RecentFacts facts;
  const auto predictions = facts.predict(snapshot, {}, {}, terms(), {}, utc(2, 0));
  EXPECT_EQ(of(predictions, "a").waiting_ahead, 6);
  EXPECT_EQ(of(predictions, "c").open_windows, 5);
}

TEST(Prediction, TheArrivalRateRightAfterOpeningIsReadOverTheMinutesSince) {
  const auto t = terms();
  EXPECT_EQ(RecentFacts::rate_span(utc(0, 45), t.calendar), minutes(15))
      << "15 minutes after 08:30";
  EXPECT_EQ(RecentFacts::rate_span(utc(0, 33), t.calendar), minutes(10))
      << "never under ten minutes";
  EXPECT_EQ(RecentFacts::rate_span(utc(4, 0), t.calendar), minutes(60));
  // 13 tickets in the first 15 minutes: 52 an hour, not 13.
  RecentFacts facts;
  for (int i = 0; i < 13; ++i) {
    model::Fact f;
    f.kind = model::FactKind::arrival;
    f.at = utc(0, 31) + minutes(i);
    f.business = "a";
    facts.add(f);
  }
  const auto figures = facts.figures(utc(0, 45), t);
  const auto predictions =
      facts.predict({}, figures.last_60_min, figures.last_60_min, t, {}, utc(0, 45));
  EXPECT_DOUBLE_EQ(predictions.front().arrivals_per_hour, 52.0);
  EXPECT_DOUBLE_EQ(of(predictions, "a").arrivals_per_hour, 52.0);
}

}  // namespace
}  // namespace halld::live
