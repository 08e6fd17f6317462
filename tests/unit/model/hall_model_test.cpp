// The live state of a hall as its events leave it, across midnight, and with events that
// arrive after the time they describe has already been counted.
#include "halld/model/hall_model.hpp"

#include <gtest/gtest.h>

namespace halld::model {
namespace {

using namespace halld::records;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::sys_days;

const sys_days monday = sys_days(std::chrono::year(2026) / 11 / 16);
Timestamp at(int day, int h, int m) {
  return Timestamp(monday) + std::chrono::days(day) + hours(h) + minutes(m);
}

struct Collected final : FactSink {
  void on_fact(const Fact& f) override {
    facts.push_back(Copy{f.kind, f.at, f.until, f.seconds, f.activity, f.available});
  }
  struct Copy {
    FactKind kind;
    Timestamp at, until;
    std::int64_t seconds;
    WindowActivity activity;
    bool available;
  };
  std::vector<Copy> facts;
  std::vector<Copy> of(FactKind kind) const {
    std::vector<Copy> found;
    for (const auto& f : facts) {
      if (f.kind == kind) found.push_back(f);
    }
    return found;
  }
  std::int64_t seconds_of(FactKind kind) const {
    std::int64_t total = 0;
    for (const auto& f : of(kind)) total += (f.until - f.at).count();
    return total;
  }
};

TEST(HallModel, SnapshotShowsWhoWaitsWhatEachWindowDoesAndEachTerminalsFaults) {
  HallModel hall(7);
  Collected facts;
  const std::vector<Event> events{
      {at(0, 1, 0), WindowStatusChanged{1, WindowState::open, "S01"}},
      {at(0, 1, 0), WindowStatusChanged{2, WindowState::open, "S02"}},
      {at(0, 1, 1),
       TicketIssued{"A001", "bill_payment", CustomerClassCode::general, TicketSource::kiosk}},
      {at(0, 1, 2),
       TicketIssued{"B001", "consultation", CustomerClassCode::premium, TicketSource::kiosk}},
      {at(0, 1, 3),
       TicketIssued{"A002", "bill_payment", CustomerClassCode::general, TicketSource::kiosk}},
      {at(0, 1, 4), TicketCalled{"A001", 1, "S01"}},
      {at(0, 1, 4), ServiceStarted{"A001", 1, "S01"}},
      {at(0, 1, 9), ServiceFinished{"A001", 1, "S01", ""}},
      {at(0, 1, 10), TicketCalled{"B001", 2, "S02"}},
      {at(0, 1, 10), ServiceStarted{"B001", 2, "S02"}},
      {at(0, 1, 11), WindowStatusChanged{1, WindowState::paused, "S01"}},
      {at(0, 1, 12), TerminalStateChanged{"T1", TerminalState::in_service}},
      {at(0, 1, 13), PartStateChanged{"T1", TerminalPart::receipt_printer, PartState::paper_out}},
      {at(0, 1, 14), Transaction{"T1", "X1", "bill_payment", 100, PaymentMethod::cash,
                                 TransactionResult::success, 30, "C"}},
  };
  for (const auto& e : events) hall.apply(e, facts);
  const auto s = hall.snapshot();
  EXPECT_EQ(s.hall_id, 7);
  EXPECT_EQ(s.last_event, at(0, 1, 14));
  ASSERT_EQ(s.waiting.size(), 1u);
  EXPECT_EQ(s.waiting[0].ticket, "A002");
  EXPECT_EQ(s.waiting[0].business, "bill_payment");
  EXPECT_EQ(s.waiting[0].since, at(0, 1, 3));
  ASSERT_EQ(s.windows.size(), 2u);
  EXPECT_EQ(s.windows[0].state, WindowState::paused);
  EXPECT_EQ(s.windows[0].state_since, at(0, 1, 11));
  EXPECT_EQ(s.windows[0].served_today, 1u);
  EXPECT_TRUE(s.windows[0].ticket.empty());
  EXPECT_EQ(s.windows[1].state, WindowState::open);
  EXPECT_EQ(s.windows[1].state_since, at(0, 1, 0)) << "serving does not change the window's state";
  EXPECT_EQ(s.windows[1].ticket, "B001");
  EXPECT_EQ(s.windows[1].business, "consultation");
  EXPECT_EQ(s.windows[1].service_started, at(0, 1, 10));
  EXPECT_EQ(s.windows[1].clerk, "S02");
  ASSERT_EQ(s.terminals.size(), 1u);
  EXPECT_EQ(s.terminals[0].state, TerminalState::in_service);
  EXPECT_EQ(s.terminals[0].faults.at(TerminalPart::receipt_printer), PartState::paper_out);
  EXPECT_EQ(s.terminals[0].last_transaction, at(0, 1, 14));
  EXPECT_EQ(s.terminals[0].transactions_today, 1u);

  ASSERT_EQ(facts.of(FactKind::call).size(), 2u);
  EXPECT_EQ(facts.of(FactKind::call)[0].seconds, 3 * 60);
  EXPECT_EQ(facts.of(FactKind::service)[0].seconds, 5 * 60);
  EXPECT_EQ(facts.of(FactKind::part_fault).size(), 1u);
}

TEST(HallModel, AQueueServedPastMidnightKeepsItsTicketsForOneDayOnly) {
  HallModel hall(1);
  Collected facts;
  hall.apply({at(0, 9, 0), TicketIssued{"A100", "bill_payment", CustomerClassCode::general,
                                        TicketSource::kiosk}},
             facts);
  hall.apply({at(0, 9, 1), TicketIssued{"A101", "bill_payment", CustomerClassCode::general,
                                        TicketSource::kiosk}},
             facts);
  // The next day starts while both wait; the first is called after midnight.
  hall.start_day(at(1, 0, 0), at(0, 0, 0));
  EXPECT_EQ(hall.snapshot().waiting.size(), 2u);
  hall.apply({at(1, 0, 10), TicketCalled{"A100", 1, "S01"}}, facts);
  ASSERT_EQ(facts.of(FactKind::call).size(), 1u);
  EXPECT_EQ(facts.of(FactKind::call)[0].seconds, 15 * 3600 + 10 * 60);
  // A day later still, the other is forgotten: numbers have restarted twice since.
  hall.start_day(at(2, 0, 0), at(1, 0, 0));
  EXPECT_TRUE(hall.snapshot().waiting.empty());
  hall.apply({at(2, 0, 10), TicketCalled{"A101", 1, "S01"}}, facts);
  EXPECT_EQ(facts.of(FactKind::call).size(), 1u);
  EXPECT_EQ(hall.snapshot().unpaired_events, 1u);
}

// A model rebuilt from the log (late events) keeps what the log does not hold: its channels'
// links and clocks. Before, a reloaded hall said "no data source" while its data flowed.
TEST(HallModel, AModelRebuiltFromTheLogKeepsItsChannels) {
  HallModel before(1), rebuilt(1);
  before.set_channel("qs-1", true, at(0, 8, 0));
  before.note_clock_skew("qs-1", std::chrono::seconds(-900), at(0, 8, 5));
  rebuilt.take_channels(before);
  const auto channels = rebuilt.snapshot().channels;
  ASSERT_EQ(channels.size(), 1u);
  EXPECT_TRUE(channels[0].up);
  EXPECT_EQ(channels[0].since, at(0, 8, 0));
  EXPECT_EQ(channels[0].clock_skew_s, 900);
}

TEST(HallModel, CatchingUpCountsNothingAndStartsTheClockThere) {
  HallModel live(1), caught_up(1);
  Collected live_facts, caught_up_facts;
  const std::vector<Event> day_before{
      {at(0, 8, 0), WindowStatusChanged{1, WindowState::open, "S01"}},
      {at(0, 9, 0),
       TicketIssued{"A100", "bill_payment", CustomerClassCode::general, TicketSource::kiosk}},
  };
  for (const auto& e : day_before) live.apply(e, live_facts);
  live.start_day(at(1, 0, 0), at(0, 0, 0));
  live.cut_intervals(at(1, 0, 0), live_facts);
  live_facts.facts.clear();
  caught_up.catch_up(day_before, at(1, 0, 0), at(0, 0, 0), at(1, 0, 0));

  const Event call{at(1, 0, 30), TicketCalled{"A100", 1, "S01"}};
  live.apply(call, live_facts);
  caught_up.apply(call, caught_up_facts);
  live.cut_intervals(at(1, 1, 0), live_facts);
  caught_up.cut_intervals(at(1, 1, 0), caught_up_facts);
  ASSERT_EQ(caught_up_facts.facts.size(), live_facts.facts.size());
  for (std::size_t i = 0; i < live_facts.facts.size(); ++i) {
    EXPECT_EQ(caught_up_facts.facts[i].kind, live_facts.facts[i].kind);
    EXPECT_EQ(caught_up_facts.facts[i].at, live_facts.facts[i].at);
    EXPECT_EQ(caught_up_facts.facts[i].seconds, live_facts.facts[i].seconds);
  }
  EXPECT_EQ(caught_up_facts.seconds_of(FactKind::window_time), 3600);
}

TEST(HallModel, AnEventOlderThanTheTimeCountedSoFarCountsNoSecondTwice) {
  HallModel hall(1);
  Collected facts;
  hall.apply({at(0, 1, 0), WindowStatusChanged{1, WindowState::open, "S01"}}, facts);
  hall.apply({at(0, 1, 0), TerminalStateChanged{"T1", TerminalState::in_service}}, facts);
  hall.cut_intervals(at(0, 1, 30), facts);  // a flush at 01:30
  // Reports of 01:20 arrive after it: the window paused, the terminal failed.
  hall.apply({at(0, 1, 20), WindowStatusChanged{1, WindowState::paused, "S01"}}, facts);
  hall.apply({at(0, 1, 20), TerminalStateChanged{"T1", TerminalState::fault}}, facts);
  hall.cut_intervals(at(0, 2, 0), facts);
  EXPECT_EQ(facts.seconds_of(FactKind::window_time), 3600) << "01:00 to 02:00, each second once";
  EXPECT_EQ(facts.seconds_of(FactKind::terminal_time), 3600);
  const auto windows = facts.of(FactKind::window_time);
  ASSERT_EQ(windows.size(), 2u);
  EXPECT_EQ(windows[0].activity, WindowActivity::idle);
  EXPECT_EQ(windows[1].activity, WindowActivity::paused);
  EXPECT_EQ(windows[1].at, at(0, 1, 30)) << "what was counted stays counted";
  EXPECT_EQ(hall.snapshot().windows[0].state_since, at(0, 1, 20))
      << "the state itself began when reported";
  EXPECT_EQ(hall.snapshot().terminals[0].state_since, at(0, 1, 20));
}

}  // namespace
}  // namespace halld::model
