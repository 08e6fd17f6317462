// The simulator's models are what the tests, the demo and the benchmarks stand on: their
// calendars, their event order and their bookkeeping are checked here.
#include <gtest/gtest.h>

#include <map>

#include "backlog.hpp"
#include "bus_devices.hpp"
#include "halld/proto/queue_eval/queue_eval.hpp"
#include "queue_model.hpp"
#include "terminal_model.hpp"

namespace halld::tools {
namespace {

using namespace std::chrono;
using namespace halld::records;

// 2026-11-23 is a Monday; 00:00 UTC is 08:00 in Beijing.
const Timestamp monday_utc_midnight = sys_days(year(2026) / November / 23);

TEST(Schedule, OpeningHoursAreInTheHallsLocalTime) {
  OpeningHours hours;  // 08:30–17:30, UTC+8
  EXPECT_FALSE(hours.open_at(monday_utc_midnight + 29min));
  EXPECT_TRUE(hours.open_at(monday_utc_midnight + 30min));
  EXPECT_TRUE(hours.open_at(monday_utc_midnight + 9h + 29min + 59s));
  EXPECT_FALSE(hours.open_at(monday_utc_midnight + 9h + 30min));
  EXPECT_EQ(hours.local_weekday(monday_utc_midnight), 0);
  EXPECT_EQ(hours.local_weekday(monday_utc_midnight - 8h - 1s), 6) << "Sunday 23:59:59 in Beijing";
  EXPECT_EQ(hours.next_opening(monday_utc_midnight + 10h), monday_utc_midnight + 24h + 30min);
  EXPECT_EQ(hours.closing_after(monday_utc_midnight + 1h), monday_utc_midnight + 9h + 30min);
  EXPECT_GT(arrival_factor(hours, monday_utc_midnight + 2h),
            arrival_factor(hours, monday_utc_midnight + 24h + 2h))
      << "Monday 10:00 is busier than Tuesday 10:00";
  EXPECT_EQ(arrival_factor(hours, monday_utc_midnight + 12h), 0);
  EXPECT_TRUE(OpeningHours::around_the_clock().open_at(monday_utc_midnight + 20h));
}

std::vector<Event> take(QueueModel& model, std::size_t n) {
  std::vector<Event> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(model.next());
  return out;
}

TEST(QueueModel, SameSeedSameDayOpensServesAndClosesInTimeOrder) {
  QueueModelOptions options{
      .seed = 5, .windows = 3, .arrivals_per_hour = 40, .hours = {}, .start = monday_utc_midnight};
  QueueModel a(options), b(options);
  const auto events = take(a, 3000);
  EXPECT_EQ(events, take(b, 3000));
  OpeningHours hours;
  int snapshots = 0, opened = 0, closed = 0;
  std::optional<Timestamp> last_snapshot;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const auto& e = events[i];
    if (i > 0) {
      ASSERT_LE(events[i - 1].at, e.at) << i;
    }
    if (std::holds_alternative<TicketIssued>(e.body)) {
      ASSERT_TRUE(hours.open_at(e.at)) << "no tickets while closed";
    }
    if (std::holds_alternative<QueueSnapshot>(e.body)) {
      ++snapshots;
      if (last_snapshot && hours.local_midnight(*last_snapshot) == hours.local_midnight(e.at)) {
        EXPECT_EQ(e.at - *last_snapshot, 300s) << "every five minutes while open";
      }
      last_snapshot = e.at;
    }
    if (auto* w = std::get_if<WindowStatusChanged>(&e.body)) {
      (w->state == WindowState::open ? opened : closed)++;
      if (w->state == WindowState::open) {
        EXPECT_EQ(hours.local_minute(e.at), 8 * 60 + 30);
      } else {
        EXPECT_GE(hours.local_minute(e.at), 17 * 60 + 30);
      }
    }
  }
  EXPECT_GE(opened, 6) << "two days at least, three windows";
  EXPECT_GE(closed, 3);
  EXPECT_GE(snapshots, 9 * 12) << "a whole day of them at least";
}

TEST(QueueModel, MondayMorningsAreBusierThanTuesdayMornings) {
  QueueModel model({.seed = 9,
                    .windows = 8,
                    .arrivals_per_hour = 60,
                    .hours = {},
                    .start = monday_utc_midnight});
  OpeningHours hours;
  std::map<int, int> morning_tickets;  // by weekday
  for (;;) {
    auto e = model.next();
    if (e.at > monday_utc_midnight + days(7 * 8)) break;
    if (std::holds_alternative<TicketIssued>(e.body) && hours.local_minute(e.at) < 12 * 60)
      ++morning_tickets[hours.local_weekday(e.at)];
  }
  EXPECT_GT(morning_tickets[0], morning_tickets[1] * 1.25)
      << morning_tickets[0] << " vs " << morning_tickets[1];
}

TEST(TerminalFleet, TransactsFailsIsRepairedAndSettlesEachDay) {
  TerminalFleet fleet({.seed = 3,
                       .terminals = {{"T1", false}, {"T2", true}},
                       .transactions_per_hour = 12,
                       .faults_per_day = 2,
                       .hours = {},
                       .start = monday_utc_midnight});
  std::map<std::string, std::map<PaymentMethod, std::pair<std::uint32_t, std::int64_t>>> day;
  std::map<std::string, std::vector<std::string>>
      story;  // what happened to each terminal, in order
  std::map<std::string, bool> faulty;
  int settlements = 0;
  Timestamp last{};
  for (int i = 0; i < 6000; ++i) {
    auto e = fleet.next();
    ASSERT_LE(last, e.at);
    last = e.at;
    if (auto* t = std::get_if<Transaction>(&e.body)) {
      EXPECT_FALSE(faulty[t->terminal]) << "no transactions while out of service";
      if (t->result == TransactionResult::success && t->method != PaymentMethod::none) {
        auto& total = day[t->terminal][t->method];
        ++total.first;
        total.second += t->amount_fen;
      }
    } else if (auto* s = std::get_if<Settlement>(&e.body)) {
      ++settlements;
      EXPECT_EQ(OpeningHours{}.local_minute(s->period_end), 0) << "at local midnight";
      std::map<PaymentMethod, std::pair<std::uint32_t, std::int64_t>> settled;
      for (const auto& line : s->lines) settled[line.method] = {line.count, line.total_fen};
      EXPECT_EQ(settled, day[s->terminal])
          << "the settlement adds up the day's successful transactions";
      day[s->terminal].clear();
    } else if (auto* state = std::get_if<TerminalStateChanged>(&e.body)) {
      faulty[state->terminal] =
          state->state == TerminalState::fault || state->state == TerminalState::maintenance;
      story[state->terminal].push_back(std::to_string(static_cast<int>(state->state)));
    } else if (auto* alarm = std::get_if<TerminalAlarm>(&e.body)) {
      story[alarm->terminal].push_back(alarm->kind == TerminalAlarmKind::door_open ? "open"
                                                                                   : "shut");
    }
  }
  EXPECT_GE(settlements, 4);
  // in service (1), then fault (4) → door open → maintenance (5) → door shut → in service, again
  // and again
  for (const auto& [terminal, events] : story) {
    ASSERT_GE(events.size(), 6u) << terminal;
    EXPECT_EQ(events[0], "1");
    for (std::size_t i = 1; i + 4 < events.size(); i += 5) {
      EXPECT_EQ(std::vector<std::string>(events.begin() + static_cast<long>(i),
                                         events.begin() + static_cast<long>(i) + 5),
                (std::vector<std::string>{"4", "open", "5", "shut", "1"}))
          << terminal << " at " << i;
    }
  }
}

proto::Frame answer_to(BusDevices& bus, std::uint32_t address) {
  auto bytes = bus.on_bytes(proto::encode_frame(proto::encode_poll(address)));
  auto decoded = proto::decode_frame(bytes);
  EXPECT_TRUE(std::holds_alternative<proto::Decoded>(decoded));
  EXPECT_EQ(std::get<proto::Decoded>(decoded).size, bytes.size()) << "one frame per poll";
  return std::get<proto::Decoded>(decoded).frame;
}

TEST(BusDevices, AnswerOnlyTheirOwnPollsLoginFirstAndResendWhatIsNotAcknowledged) {
  BusDevices bus({.site = "4101001",
                  .addresses = {1, 2},
                  .events_per_device = 2,
                  .seed = 1,
                  .start = monday_utc_midnight});
  EXPECT_TRUE(bus.on_bytes(proto::encode_frame(proto::encode_poll(3))).empty()) << "not ours";
  EXPECT_EQ(answer_to(bus, 1).function, proto::function::login);
  bus.on_bytes(proto::encode_frame(
      proto::encode_login_ack(1, proto::LoginOutcome::accepted, monday_utc_midnight)));
  auto first = answer_to(bus, 1);
  EXPECT_EQ(first.sequence, 1u);
  EXPECT_EQ(first.function, proto::queue_eval::Protocol::function_of<EvaluationGiven>());
  EXPECT_EQ(answer_to(bus, 1).sequence, 1u) << "not acknowledged: sent again, never the next";
  EXPECT_EQ(answer_to(bus, 1).sequence, 1u);
  bus.on_bytes(proto::encode_frame(proto::encode_data_ack(1, 1)));
  EXPECT_EQ(answer_to(bus, 1).sequence, 2u);
  bus.on_bytes(proto::encode_frame(proto::encode_data_ack(1, 2)));
  EXPECT_EQ(answer_to(bus, 1).function, proto::function::heartbeat) << "all made and acknowledged";
  EXPECT_EQ(answer_to(bus, 2).function, proto::function::login) << "each keypad logs in for itself";
  EXPECT_EQ(bus.events_made(), 2u);
  EXPECT_EQ(bus.unacked(), 0u);
}

}  // namespace
// A link lost from Tuesday 10:00 (local) to Wednesday 10:00: those events go out at Wednesday
// 10:00, oldest first, before anything later; nothing is lost or reordered, and the backlog
// ends with the windows open, as the hall was when the link came back.
TEST(Backlog, HoldsBackAnOutageAndSendsItBeforeTheFirstLaterEvent) {
  QueueModelOptions options{
      .seed = 8, .windows = 3, .arrivals_per_hour = 60, .hours = {}, .start = monday_utc_midnight};
  QueueModel plain(options), delayed(options);
  const auto from = monday_utc_midnight + hours(24 + 2),
             until = monday_utc_midnight + hours(48 + 2);
  Backlog backlog(from, until);
  std::vector<Event> in_time, as_sent;
  for (int i = 0; i < 12000; ++i) {
    in_time.push_back(plain.next());
    auto due = backlog.next([&] { return delayed.next(); });
    if (due.event.at >= from && due.event.at < until) {
      EXPECT_EQ(due.at, until) << "a held event goes out when the link is back";
    } else {
      EXPECT_EQ(due.at, due.event.at);
    }
    as_sent.push_back(std::move(due.event));
  }
  const auto first_held =
      std::find_if(as_sent.begin(), as_sent.end(), [&](const Event& e) { return e.at >= from; });
  ASSERT_NE(first_held, as_sent.end());
  auto backlog_end =
      std::find_if(first_held, as_sent.end(), [&](const Event& e) { return e.at >= until; });
  ASSERT_NE(backlog_end, as_sent.end());
  ASSERT_TRUE(std::is_sorted(first_held, backlog_end,
                             [](const Event& a, const Event& b) { return a.at < b.at; }));
  EXPECT_GT(backlog_end - first_held, 500);
  std::optional<WindowState> last_state;
  for (auto e = first_held; e != backlog_end; ++e) {
    if (const auto* w = std::get_if<WindowStatusChanged>(&e->body)) last_state = w->state;
  }
  EXPECT_EQ(last_state, WindowState::open) << "the backlog ends with the windows open";
  // The same events in the same order: only when they go out changes.
  EXPECT_EQ(as_sent, in_time);
}

}  // namespace halld::tools
