// Erlang C against hand-worked values and against a simulated M/M/c queue.
#include "halld/kpi/queueing.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <queue>
#include <random>

namespace halld::kpi {
namespace {

TEST(Queueing, ErlangCMatchesWorkedValues) {
  EXPECT_NEAR(erlang_c(1, 0.5), 0.5, 1e-12) << "one window: the probability of waiting is ρ";
  EXPECT_NEAR(erlang_c(2, 1.0), 1.0 / 3, 1e-12);
  EXPECT_NEAR(erlang_c(3, 2.0), 4.0 / 9, 1e-12);
  EXPECT_EQ(erlang_c(2, 2.0), 1.0) << "at capacity everyone waits";
  EXPECT_EQ(erlang_c(4, 0.0), 0.0);
  EXPECT_GT(erlang_c(500, 480.0), 0.0) << "the recurrence stays finite for a province-sized pool";
  EXPECT_LT(erlang_c(500, 480.0), 1.0);
}

TEST(Queueing, SteadyStateWaitAndItsAbsenceWhenOverloaded) {
  // λ = 60/h = 1/min, service 1 min, 2 windows: Wq = C / (cμ − λ) = (1/3) / (2 − 1) min.
  EXPECT_NEAR(*steady_state_wait_minutes({60, 1, 2}), 1.0 / 3, 1e-12);
  EXPECT_NEAR(utilisation({60, 1, 2}), 0.5, 1e-12);
  EXPECT_FALSE(steady_state_wait_minutes({120, 1, 2})) << "ρ = 1: no steady state";
  EXPECT_FALSE(steady_state_wait_minutes({30, 5, 0})) << "no window open";
}

TEST(Queueing, AnArrivalNowWaitsForTheQueueAheadAtTheCombinedServiceRate) {
  EXPECT_EQ(wait_for_arrival_now_minutes(0, 2, 3, 6), 0) << "a window is free";
  EXPECT_NEAR(wait_for_arrival_now_minutes(0, 3, 3, 6), 2, 1e-12)
      << "next of three windows to finish";
  EXPECT_NEAR(wait_for_arrival_now_minutes(11, 3, 3, 6), 24, 1e-12) << "12 departures at 0.5/min";
  EXPECT_NEAR(wait_for_arrival_now_minutes(4, 0, 0, 6), 30, 1e-12)
      << "no window open: one at a time, as a fallback";
}

TEST(Queueing, WindowsNeededForATargetWait) {
  // 90 customers an hour at 8 minutes each is 12 erlangs: 12 windows are never enough.
  auto needed = windows_needed(90, 8, 5, 30);
  ASSERT_TRUE(needed);
  EXPECT_GE(*needed, 13);
  EXPECT_LE(*steady_state_wait_minutes({90, 8, *needed}), 5);
  EXPECT_GT(steady_state_wait_minutes({90, 8, *needed - 1}).value_or(1e9), 5)
      << "and one fewer would not do";
  EXPECT_FALSE(windows_needed(90, 8, 5, 12));
}

// A first-come-first-served queue with exponential arrivals and services and c windows.
double simulated_mean_wait_minutes(double arrivals_per_minute, double mean_service_minutes,
                                   int windows, int customers, std::uint64_t seed) {
  std::mt19937_64 random(seed);
  std::exponential_distribution<double> gap(arrivals_per_minute), service(1 / mean_service_minutes);
  std::priority_queue<double, std::vector<double>, std::greater<>>
      free_at;  // when each window is next free
  for (int w = 0; w < windows; ++w) free_at.push(0);
  double now = 0, total_wait = 0;
  for (int i = 0; i < customers; ++i) {
    now += gap(random);
    const double start = std::max(now, free_at.top());
    free_at.pop();
    total_wait += start - now;
    free_at.push(start + service(random));
  }
  return total_wait / customers;
}

TEST(Queueing, ErlangCPredictsASimulatedQueueWithinFivePercent) {
  struct Case {
    double per_hour, service_minutes;
    int windows;
  };
  for (auto [per_hour, service_minutes, windows] :
       {Case{50, 8, 8}, Case{90, 8, 14}, Case{30, 15, 9}}) {
    const double predicted = *steady_state_wait_minutes({per_hour, service_minutes, windows});
    const double simulated =
        simulated_mean_wait_minutes(per_hour / 60, service_minutes, windows, 400000, 7);
    EXPECT_NEAR(simulated / predicted, 1.0, 0.05)
        << per_hour << "/h, " << service_minutes << " min, " << windows << " windows: predicted "
        << predicted << " min, simulated " << simulated << " min";
  }
}

}  // namespace
}  // namespace halld::kpi
