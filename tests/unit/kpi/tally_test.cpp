// A hand-checkable morning of one hall: every expected figure is worked out in the comments,
// from the events alone, so the test checks the engine against arithmetic, not against itself.
#include "halld/kpi/tally.hpp"

#include <gtest/gtest.h>

#include <random>

#include "queue_model.hpp"
#include "terminal_model.hpp"

namespace halld::kpi {
namespace {

using namespace halld::records;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
using std::chrono::sys_days;

// Monday 16 November 2026; the hall is at UTC+8 and opens 08:30–12:00 and 13:30–17:30, that is
// 00:30–04:00 and 05:30–09:30 UTC.
const sys_days monday = sys_days(std::chrono::year(2026) / 11 / 16);
Timestamp utc(int h, int m) {
  return Timestamp(monday) + hours(h) + minutes(m);
}

HallTerms terms() {
  std::optional<DayHours> week[7];
  for (int d = 0; d < 5; ++d) week[d] = DayHours{8 * 60 + 30, 17 * 60 + 30, 12 * 60, 13 * 60 + 30};
  HallTerms t{20 * 60, model::HallCalendar(hours(8), week, {}), {}, {}, {}};
  t.target_handling_s = {{"bill_payment", 180}, {"consultation", 300}};
  t.class_weight_milli = {{CustomerClassCode::premium, 2000},
                          {CustomerClassCode::general, 1000},
                          {CustomerClassCode::potential, 900}};
  return t;
}

std::vector<Event> morning() {
  return {
      {utc(0, 0), TerminalStateChanged{"T1", TerminalState::in_service}},
      {utc(0, 30), WindowStatusChanged{1, WindowState::open, "S01"}},
      {utc(0, 30), WindowStatusChanged{2, WindowState::open, "S02"}},
      {utc(0, 31),
       TicketIssued{"A001", "bill_payment", CustomerClassCode::general, TicketSource::kiosk}},
      {utc(0, 32),
       TicketIssued{"A002", "consultation", CustomerClassCode::premium, TicketSource::kiosk}},
      {utc(0, 33),
       TicketIssued{"A003", "bill_payment", CustomerClassCode::potential, TicketSource::kiosk}},
      {utc(0, 35), TicketCalled{"A001", 1, "S01"}},
      {utc(0, 35), ServiceStarted{"A001", 1, "S01"}},
      {utc(0, 40), TicketCalled{"A002", 2, "S02"}},
      {utc(0, 40), ServiceStarted{"A002", 2, "S02"}},
      {utc(0, 41), ServiceFinished{"A001", 1, "S01", "bill_payment"}},
      {utc(0, 41), EvaluationGiven{"A001", 1, "S01", EvaluationResult::very_satisfied}},
      {utc(0, 50), Transaction{"T1", "X1", "bill_payment", 1000, PaymentMethod::cash,
                               TransactionResult::success, 40, "C1"}},
      {utc(0, 55), TicketAbandoned{"A003", AbandonReason::no_show}},
      {utc(1, 0), ServiceFinished{"A002", 2, "S02", "consultation"}},
      {utc(1, 0), EvaluationGiven{"A002", 2, "S02", EvaluationResult::dissatisfied}},
      {utc(1, 0), TerminalStateChanged{"T1", TerminalState::fault}},
      {utc(1, 0), PartStateChanged{"T1", TerminalPart::receipt_printer, PartState::paper_out}},
      {utc(1, 5),
       TicketIssued{"A004", "bill_payment", CustomerClassCode::general, TicketSource::kiosk}},
      {utc(1, 10), Transaction{"T1", "X2", "bill_payment", 500, PaymentMethod::bank_card,
                               TransactionResult::failed, 20, "C2"}},
      {utc(1, 30), TicketCalled{"A004", 1, "S01"}},
      {utc(1, 30), ServiceStarted{"A004", 1, "S01"}},
      {utc(1, 30), TerminalStateChanged{"T1", TerminalState::in_service}},
      {utc(1, 33), ServiceFinished{"A004", 1, "S01", "bill_payment"}},
      {utc(1, 33), EvaluationGiven{"A004", 1, "S01", EvaluationResult::satisfied}},
      {utc(1, 45), WindowStatusChanged{2, WindowState::closed, ""}},
  };
}

Tally sum(const Tallies& tallies, Dimension dimension, const std::string& key) {
  Tally total;
  for (const auto& [k, t] : tallies) {
    if (k.dimension == dimension && k.key == key) total += t;
  }
  return total;
}

TEST(TallyTest, AHandCheckedMorning) {
  const auto tallies = tally_events(1, terms(), {}, morning(), utc(0, 0), utc(2, 0));
  const auto k = indicators(sum(tallies, Dimension::hall, ""));
  EXPECT_EQ(k.arrivals, 4);
  // Waits of the calls: A001 4 min, A002 8 min, A004 25 min.
  EXPECT_EQ(k.calls, 3);
  EXPECT_NEAR(*k.average_wait_min, (4 + 8 + 25) / 3.0, 1e-9);
  EXPECT_NEAR(*k.max_wait_min, 25, 1e-9);
  // Median: rank 1.5 of 3 lies halfway through the 8-minute bin; p90: rank 2.7, 0.7 into the
  // 25-minute bin, 25.7, which is more than the longest wait: 25.
  EXPECT_NEAR(*k.median_wait_min, 8.5, 1e-9);
  EXPECT_NEAR(*k.p90_wait_min, 25, 1e-9);
  EXPECT_NEAR(*k.service_level, 2 / 3.0, 1e-9);     // 25 min is over the 20-minute target
  EXPECT_NEAR(*k.abandonment_rate, 1 / 4.0, 1e-9);  // A003 left after 22 min: 1 of 3 calls + 1
  // Handling: 6, 20 and 3 minutes; bill payment (3 min target) 6 is over, consultation (5) 20 is
  // over.
  EXPECT_EQ(k.served, 3);
  EXPECT_NEAR(*k.average_handling_min, 29 / 3.0, 1e-9);
  EXPECT_NEAR(*k.handling_over_target_rate, 2 / 3.0, 1e-9);
  // Evaluations: very satisfied, dissatisfied, satisfied.
  EXPECT_EQ(k.evaluated, 3);
  EXPECT_NEAR(*k.satisfaction_rate, 2 / 3.0, 1e-9);
  EXPECT_NEAR(*k.participation_rate, 1.0, 1e-9);
  EXPECT_EQ(k.dissatisfied, 1);
  // Class-weighted: general 1.0 × 100, premium 2.0 × 0, general 1.0 × 80 → 180 / 4.
  EXPECT_NEAR(*k.weighted_score, 45, 1e-9);
  EXPECT_NEAR(k.weighted_volume, 4, 1e-9);
  // Window 1 serves 6 + 3 min, idle 5 + 49 + 27; window 2 serves 20, idle 10 + 45 (closed at
  // 01:45).
  const auto all = sum(tallies, Dimension::hall, "");
  EXPECT_EQ(all.serving_s, 29 * 60);
  EXPECT_EQ(all.idle_s, 136 * 60);
  EXPECT_NEAR(*k.window_utilisation, 29 / 165.0, 1e-9);
  // T1 from opening (00:30, not 00:00) to 02:00: 90 min observed, faulty 01:00–01:30.
  EXPECT_EQ(all.observed_s, 90 * 60);
  EXPECT_NEAR(*k.terminal_availability, 60 / 90.0, 1e-9);
  EXPECT_EQ(k.transactions, 2);
  EXPECT_NEAR(*k.transaction_success_rate, 0.5, 1e-9);
  EXPECT_NEAR(*k.self_service_share, 1 / 4.0,
              1e-9);  // 1 successful transaction, 3 counter services
  EXPECT_EQ(k.faults, 1);

  // Per clerk: S01 served A001 and A004 (9 min of handling, scores 100 and 80).
  const auto s01 = indicators(sum(tallies, Dimension::clerk, "S01"));
  EXPECT_EQ(s01.served, 2);
  EXPECT_NEAR(*s01.average_handling_min, 4.5, 1e-9);
  EXPECT_NEAR(*s01.weighted_score, 90, 1e-9);
  EXPECT_EQ(sum(tallies, Dimension::window, "2").serving_s, 20 * 60);
  EXPECT_EQ(sum(tallies, Dimension::business, "bill_payment").arrivals, 3);
  EXPECT_EQ(sum(tallies, Dimension::terminal, "T1").available_s, 60 * 60);
  // Facts count in the bucket they happen in: A001's call at 00:35 in 00:30–00:45.
  EXPECT_EQ((tallies.at(TallyKey{utc(0, 30), Dimension::hall, ""}).calls), 2);
  EXPECT_EQ((tallies.at(TallyKey{utc(1, 30), Dimension::hall, ""}).calls), 1);
}

TEST(TallyTest, LunchBreakAndClosedDaysAreNotOpeningTime) {
  const auto t = terms();
  // 03:00–06:00 UTC is 11:00–14:00 local: open 11:00–12:00 and 13:30–14:00.
  EXPECT_EQ(t.calendar.opening_seconds({utc(3, 0), utc(6, 0)}), minutes(90));
  // Saturday and Sunday are closed.
  EXPECT_EQ(t.calendar.opening_seconds({utc(5 * 24, 0), utc(7 * 24, 0)}), seconds(0));
  EXPECT_TRUE(t.calendar.is_open(utc(1, 0)));
  EXPECT_FALSE(t.calendar.is_open(utc(4, 30)));  // 12:30 local: lunch
  // A terminal faulty over lunch loses no availability.
  std::vector<Event> events = {{utc(3, 0), TerminalStateChanged{"T1", TerminalState::in_service}},
                               {utc(4, 0), TerminalStateChanged{"T1", TerminalState::fault}},
                               {utc(5, 30), TerminalStateChanged{"T1", TerminalState::in_service}}};
  const auto tallies = tally_events(1, t, {}, events, utc(3, 0), utc(6, 0));
  const auto all = sum(tallies, Dimension::hall, "");
  EXPECT_EQ(all.observed_s, 90 * 60);
  EXPECT_EQ(all.available_s, 90 * 60);
}

// A simulated day of a busy hall and its terminals, for the split property.
std::vector<Event> simulated_day(std::uint64_t seed) {
  tools::QueueModelOptions q;
  q.seed = seed;
  q.windows = 3;
  q.arrivals_per_hour = 50;
  q.start = utc(0, 0);
  tools::QueueModel queue(q);
  std::vector<Event> events;
  for (Event e = queue.next(); e.at < utc(10, 0); e = queue.next()) events.push_back(e);
  tools::TerminalFleetOptions f;
  f.seed = seed;
  f.terminals = {{"T1", false}, {"T2", true}};
  f.transactions_per_hour = 20;
  f.faults_per_day = 4;
  f.start = utc(0, 0);
  tools::TerminalFleet fleet(f);
  for (Event e = fleet.next(); e.at < utc(10, 0); e = fleet.next()) events.push_back(e);
  std::stable_sort(events.begin(), events.end(),
                   [](const Event& a, const Event& b) { return a.at < b.at; });
  return events;
}

// Rollups over any split of the events equal the tallies over the whole: cut the day at a
// random instant, tally each side (the later side knowing the earlier's state), and add.
TEST(TallyTest, AnySplitOfTheEventsAddsUpToTheWhole) {
  auto t = terms();
  t.round_the_clock_terminals = {"T2"};
  std::mt19937_64 random(7);
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    const auto events = simulated_day(seed);
    ASSERT_GT(events.size(), 300u);
    const auto whole = tally_events(1, t, {}, events, utc(0, 0), utc(10, 0));
    for (int trial = 0; trial < 4; ++trial) {
      const auto cut =
          utc(0, 0) + seconds(std::uniform_int_distribution<int>(1, 10 * 3600 - 1)(random));
      std::vector<Event> early, late;
      for (const auto& e : events) (e.at < cut ? early : late).push_back(e);
      auto parts = tally_events(1, t, {}, early, utc(0, 0), cut);
      for (const auto& [key, tally] : tally_events(1, t, early, late, cut, utc(10, 0)))
        parts[key] += tally;
      std::erase_if(parts, [](const auto& entry) { return entry.second.empty(); });
      ASSERT_EQ(parts.size(), whole.size())
          << "seed " << seed << ", cut at " << cut.time_since_epoch().count();
      for (const auto& [key, tally] : whole) {
        ASSERT_TRUE(parts.contains(key));
        EXPECT_EQ(parts.at(key), tally) << to_string(key.dimension) << " " << key.key;
      }
    }
  }
}

TEST(TallyTest, QuantilesComeFromTheHistogram) {
  std::array<std::int32_t, wait_bins> histogram{};
  EXPECT_FALSE(wait_quantile_minutes(histogram, 0.5));
  histogram[wait_bin(3 * 3600 + 5)] = 1;  // over three hours: the open last bin
  EXPECT_NEAR(*wait_quantile_minutes(histogram, 1.0), 190, 1e-9);
  EXPECT_EQ(wait_bin(59), 0u);
  EXPECT_EQ(wait_bin(3599), 59u);
  EXPECT_EQ(wait_bin(3600), 60u);
  EXPECT_EQ(wait_bin(-5), 0u);
  EXPECT_EQ(bucket_of(utc(0, 44) + seconds(59)), utc(0, 30));
  // Short waits: the interpolated quantile never passes the longest wait.
  Tally quick;
  quick.calls = 2;
  quick.wait_sum_s = 20;
  quick.wait_max_s = 12;
  quick.wait_histogram[0] = 2;
  EXPECT_NEAR(*indicators(quick).median_wait_min, 0.2, 1e-9);
  EXPECT_NEAR(*indicators(quick).p90_wait_min, 0.2, 1e-9);
}

}  // namespace
}  // namespace halld::kpi

namespace halld::kpi {
namespace {

// A ticket called at 10:40 after a 39-minute wait that never comes: the call stays a call with
// its wait, the ticket is an abandonment too, and the abandonment rate counts the customer once.
TEST(TallyTest, ANoShowAfterItsCallIsAnAbandonmentCountedOnce) {
  const std::vector<Event> events = {
      {utc(2, 0), WindowStatusChanged{1, WindowState::open, "S01"}},
      {utc(2, 1),
       TicketIssued{"A001", "bill_payment", CustomerClassCode::general, TicketSource::kiosk}},
      {utc(2, 2),
       TicketIssued{"A002", "bill_payment", CustomerClassCode::general, TicketSource::kiosk}},
      {utc(2, 40), TicketCalled{"A001", 1, "S01"}},
      {utc(2, 42), TicketAbandoned{"A001", AbandonReason::no_show}},
      {utc(2, 43), TicketCalled{"A002", 1, "S01"}},
      {utc(2, 44), ServiceStarted{"A002", 1, "S01"}},
      {utc(2, 50), ServiceFinished{"A002", 1, "S01", "bill_payment"}},
  };
  const auto tallies = tally_events(1, terms(), {}, events, utc(2, 0), utc(3, 0));
  const Tally hall = sum_hall(tallies, utc(2, 0), utc(3, 0));
  EXPECT_EQ(hall.arrivals, 2);
  EXPECT_EQ(hall.calls, 2);
  EXPECT_EQ(hall.wait_sum_s, 39 * 60 + 41 * 60);
  EXPECT_EQ(hall.abandoned, 1);
  EXPECT_EQ(hall.abandoned_wait_sum_s, 39 * 60) << "its wait to the call";
  EXPECT_EQ(hall.called_no_shows, 1);
  EXPECT_EQ(hall.served, 1);
  const auto k = indicators(hall);
  ASSERT_TRUE(k.abandonment_rate);
  EXPECT_DOUBLE_EQ(*k.abandonment_rate, 0.5) << "two customers, one of whom never came";
  // The window waited from the call until the no-show, then served A002 from its call.
  EXPECT_EQ(hall.serving_s, 2 * 60 + 7 * 60);
}

// Whether a no-show follows a call or not, the same events give the same figures in any split.
TEST(TallyTest, ANoShowSplitFromItsCallAddsUpToTheWhole) {
  const std::vector<Event> events = {
      {utc(2, 0), WindowStatusChanged{1, WindowState::open, "S01"}},
      {utc(2, 1),
       TicketIssued{"A001", "bill_payment", CustomerClassCode::general, TicketSource::kiosk}},
      {utc(2, 14), TicketCalled{"A001", 1, "S01"}},
      {utc(2, 16), TicketAbandoned{"A001", AbandonReason::no_show}},
  };
  const auto whole = tally_events(1, terms(), {}, events, utc(2, 0), utc(3, 0));
  const std::span all(events);
  auto parts = tally_events(1, terms(), {}, all.first(3), utc(2, 0), utc(2, 15));
  for (const auto& [key, tally] :
       tally_events(1, terms(), all.first(3), all.subspan(3), utc(2, 15), utc(3, 0))) {
    parts[key] += tally;
  }
  EXPECT_EQ(sum_hall(parts, utc(2, 0), utc(3, 0)), sum_hall(whole, utc(2, 0), utc(3, 0)));
  EXPECT_EQ(sum_hall(whole, utc(2, 15), utc(2, 30)).abandoned, 1) << "counted where it happened";
}

}  // namespace
}  // namespace halld::kpi
