// Rules over live hall views on a simulated clock: scope (city, hall, business, terminal type),
// schedule, the comm-loss root cause silencing a hall's figures, maintenance, state rules that
// raise while a fault lasts and clear when it ends, restore after a restart, forget on a manual
// clear.
#include "halld/alarm/rules.hpp"

#include <gtest/gtest.h>

namespace halld::alarm {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
using std::chrono::sys_days;
using Kind = Transition::Kind;

const sys_days monday = sys_days(std::chrono::year(2026) / 11 / 16);
Timestamp local(int day, int h, int m = 0, int s = 0) {
  return Timestamp(monday) + std::chrono::days(day) + hours(h - 8) + minutes(m) + seconds(s);
}

std::shared_ptr<store::KpiHall> hall_info(std::string code, std::string city) {
  auto info = std::make_shared<store::KpiHall>();
  info->id = code == "H1" ? 1 : 2;
  info->code = std::move(code);
  info->city_code = std::move(city);
  std::optional<records::DayHours> week[7];
  for (int d = 0; d < 5; ++d)
    week[d] = records::DayHours{8 * 60 + 30, 17 * 60 + 30, 12 * 60, 13 * 60 + 30};
  info->terms.calendar = model::HallCalendar(hours(8), week, {});
  info->terminal_types = {{"T1", "payment"}, {"T2", "query"}, {"T24", "payment"}};
  info->terms.round_the_clock_terminals = {"T24"};
  return info;
}

live::HallView view_of(const std::shared_ptr<store::KpiHall>& info) {
  live::HallView v;
  v.hall_id = info->id;
  v.info = info;
  v.code = info->code;
  v.city_code = info->city_code;
  v.state.hall_id = info->id;
  v.state.channels = {{"qs-" + info->code, true, local(0, 8), std::nullopt, 0}};
  return v;
}

void wait_tickets(live::HallView& v, int count, std::string business, Timestamp since) {
  for (int i = 0; i < count; ++i) {
    v.state.waiting.push_back(
        {business + std::to_string(v.state.waiting.size()), business, {}, since});
  }
}

Rule queue_rule(int id, double warning, double critical) {
  Rule r;
  r.id = id;
  r.name = "queue";
  r.indicator = Indicator::queue_length;
  r.limit.warning = warning;
  r.limit.critical = critical;
  r.limit.clear = warning - 5;
  r.limit.hold = seconds(60);
  return r;
}

TEST(Rules, HoldThenRaiseEscalateAndClearWithHysteresis) {
  auto info = hall_info("H1", "C1");
  Evaluator e;
  e.set_rules({queue_rule(1, 15, 30)});
  auto v = view_of(info);
  wait_tickets(v, 20, "A", local(0, 9, 50));
  EXPECT_TRUE(e.evaluate(v, local(0, 10)).empty()) << "held for a minute first";
  auto d = e.evaluate(v, local(0, 10, 1));
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].transition.kind, Kind::raise);
  EXPECT_EQ(d[0].transition.severity, Severity::warning);
  EXPECT_EQ(d[0].threshold, 15);
  EXPECT_EQ(d[0].object, "");
  wait_tickets(v, 15, "A", local(0, 10, 2));
  EXPECT_TRUE(e.evaluate(v, local(0, 10, 2)).empty());
  d = e.evaluate(v, local(0, 10, 3));
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].transition.kind, Kind::escalate);
  EXPECT_EQ(d[0].threshold, 30);
  v.state.waiting.resize(12);  // below the warning, above the clear threshold: stays open
  EXPECT_TRUE(e.evaluate(v, local(0, 10, 10)).empty());
  v.state.waiting.resize(9);
  d = e.evaluate(v, local(0, 10, 11));
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].transition.kind, Kind::clear);
  EXPECT_EQ(d[0].threshold, 10);
}

TEST(Rules, ScopeByCityHallAndBusiness) {
  auto h1 = hall_info("H1", "C1");
  auto h2 = hall_info("H2", "C2");
  auto city = queue_rule(1, 3, 10);
  city.limit.hold = seconds(0);
  city.scope.city_code = "C2";
  auto hall = city;
  hall.id = 2;
  hall.scope = {"", "H1", "B", ""};
  Evaluator e;
  e.set_rules({city, hall});
  auto v1 = view_of(h1);
  wait_tickets(v1, 5, "A", local(0, 10));
  EXPECT_TRUE(e.evaluate(v1, local(0, 10)).empty()) << "A is not B, and H1 is not in C2";
  wait_tickets(v1, 4, "B", local(0, 10));
  auto d = e.evaluate(v1, local(0, 10));
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].rule_id, 2);
  EXPECT_EQ(d[0].object, "B");
  EXPECT_EQ(d[0].transition.value, 4);
  auto v2 = view_of(h2);
  wait_tickets(v2, 3, "A", local(0, 10));
  d = e.evaluate(v2, local(0, 10));
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].rule_id, 1);
  EXPECT_EQ(d[0].hall_id, 2);
  EXPECT_EQ(e.stats().rules, 2u);
}

TEST(Rules, NothingIsJudgedOutsideOpeningHours) {
  auto info = hall_info("H1", "C1");
  auto rule = queue_rule(1, 3, 10);
  rule.limit.hold = seconds(0);
  Evaluator e;
  e.set_rules({rule});
  auto v = view_of(info);
  wait_tickets(v, 5, "A", local(0, 12));
  EXPECT_TRUE(e.evaluate(v, local(0, 12, 30)).empty()) << "lunch";
  EXPECT_TRUE(e.evaluate(v, local(5, 10)).empty()) << "Saturday";
  EXPECT_EQ(e.evaluate(v, local(0, 14)).size(), 1u);
}

TEST(Rules, AHallWhoseChannelIsDownRaisesTheCommLossAlarmOnly) {
  auto info = hall_info("H1", "C1");
  auto low = queue_rule(1, 0, 0);
  low.indicator = Indicator::queue_length;
  low.limit = Limit{Direction::below, 0.0,       std::nullopt, 0.5,
                    seconds(0),       seconds(0)};  // an empty queue at 10:00 is suspicious
  Rule comm;
  comm.id = 2;
  comm.name = "comm";
  comm.kind = RuleKind::comm_loss;
  comm.limit.warning = 60;
  comm.limit.critical = 300;
  Evaluator e;
  e.set_rules({low, comm});
  auto v = view_of(info);
  v.state.channels[0] = {"qs-H1", false, local(0, 10), std::nullopt, 0};
  EXPECT_TRUE(e.evaluate(v, local(0, 10, 0, 30)).empty())
      << "zero waiting is no news; the comm loss not yet 60 s";
  auto d = e.evaluate(v, local(0, 10, 1));
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].rule_id, 2);
  EXPECT_EQ(d[0].object, "channel:qs-H1");
  EXPECT_EQ(d[0].transition.severity, Severity::warning);
  d = e.evaluate(v, local(0, 10, 5));
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].transition.kind, Kind::escalate);
  v.state.channels[0] = {"qs-H1", true, local(0, 10, 6), std::nullopt, 0};
  d = e.evaluate(v, local(0, 10, 6));
  ASSERT_EQ(d.size(), 2u) << "the channel clears; now the empty queue is judged";
  EXPECT_EQ(d[0].rule_id, 1);
  EXPECT_EQ(d[0].transition.kind, Kind::raise);
  EXPECT_EQ(d[1].rule_id, 2);
  EXPECT_EQ(d[1].transition.kind, Kind::clear);
}

// A device found dating events outside the clock bounds raises the clock-skew alarm at once,
// and it clears a quarter of an hour after the last such event.
TEST(Rules, ADeviceClockOutOfBoundsRaisesTheClockSkewAlarmUntilItIsRightAgain) {
  auto info = hall_info("H1", "C1");
  Rule skew;
  skew.id = 3;
  skew.name = "clock";
  skew.kind = RuleKind::clock_skew;
  skew.limit.warning = 1;
  skew.limit.critical = 3600;
  skew.schedule = Schedule::always;
  ASSERT_EQ(check(skew), std::nullopt);
  Evaluator e;
  e.set_rules({skew});
  auto v = view_of(info);
  EXPECT_TRUE(e.evaluate(v, local(0, 10)).empty());
  v.state.channels[0].skewed_at = local(0, 10, 1);
  v.state.channels[0].clock_skew_s = 13 * 3600;
  auto d = e.evaluate(v, local(0, 10, 1));
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].object, "clock:qs-H1");
  EXPECT_EQ(d[0].transition.kind, Kind::raise);
  EXPECT_EQ(d[0].transition.severity, Severity::critical);
  EXPECT_TRUE(e.evaluate(v, local(0, 10, 15)).empty()) << "still within the quarter hour";
  d = e.evaluate(v, local(0, 10, 16, 30));
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].transition.kind, Kind::clear);
}

TEST(Rules, MaintenanceSilencesTheHallTheTerminalOrTheChannel) {
  auto info = hall_info("H1", "C1");
  Rule fault;
  fault.id = 1;
  fault.name = "fault";
  fault.kind = RuleKind::terminal_fault;
  Evaluator e;
  e.set_rules({fault});
  e.set_maintenance({{"T1", local(0, 9), local(0, 11)}});
  auto v = view_of(info);
  model::TerminalLive t1;
  t1.id = "T1";
  t1.state = records::TerminalState::fault;
  t1.state_since = local(0, 9, 30);
  v.state.terminals = {t1};
  EXPECT_TRUE(e.evaluate(v, local(0, 10)).empty());
  auto d = e.evaluate(v, local(0, 11));
  ASSERT_EQ(d.size(), 1u) << "the window is over";
  EXPECT_EQ(d[0].object, "T1");
  EXPECT_EQ(d[0].transition.severity, Severity::critical);
  e.set_maintenance({{"H1", local(0, 11), local(0, 11, 45)}});
  v.state.terminals[0].state = records::TerminalState::idle;
  EXPECT_TRUE(e.evaluate(v, local(0, 11, 30)).empty())
      << "neither raised nor cleared inside the hall's window";
  d = e.evaluate(v, local(0, 11, 50));
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].transition.kind, Kind::clear);
}

TEST(Rules, PartFaultsByComponentAndTerminalTypeAndTheTwentyFourHourZone) {
  auto info = hall_info("H1", "C1");
  Rule paper;
  paper.id = 1;
  paper.name = "printer";
  paper.kind = RuleKind::part_fault;
  paper.severity = Severity::warning;
  paper.part = records::TerminalPart::receipt_printer;
  paper.scope.terminal_type = "payment";
  Evaluator e;
  e.set_rules({paper});
  auto v = view_of(info);
  model::TerminalLive t1, t2, t24;
  t1.id = "T1";
  t1.faults = {{records::TerminalPart::receipt_printer, records::PartState::paper_out},
               {records::TerminalPart::cash_acceptor, records::PartState::box_full}};
  t2.id = "T2";  // a query terminal
  t2.faults = {{records::TerminalPart::receipt_printer, records::PartState::jam}};
  t24.id = "T24";
  t24.faults = {{records::TerminalPart::receipt_printer, records::PartState::paper_out}};
  v.state.terminals = {t1, t2, t24};
  auto d = e.evaluate(v, local(0, 22));
  ASSERT_EQ(d.size(), 1u) << "at night only the 24-hour terminal is judged";
  EXPECT_EQ(d[0].object, "T24/receipt_printer");
  d = e.evaluate(v, local(1, 9));
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].object, "T1/receipt_printer");
  EXPECT_EQ(d[0].transition.severity, Severity::warning);
  v.state.terminals[0].faults.erase(records::TerminalPart::receipt_printer);
  d = e.evaluate(v, local(1, 9, 5));
  ASSERT_EQ(d.size(), 1u) << "paper refilled: the fault no longer listed clears";
  EXPECT_EQ(d[0].object, "T1/receipt_printer");
  EXPECT_EQ(d[0].transition.kind, Kind::clear);
}

TEST(Rules, RestoredStatesDoNotRaiseAgainAndForgottenOnesStartAfresh) {
  auto info = hall_info("H1", "C1");
  auto rule = queue_rule(1, 3, 10);
  rule.limit.hold = seconds(0);
  Evaluator e;
  e.set_rules({rule});
  e.restore(1, 1, "", Severity::warning, local(0, 9));
  auto v = view_of(info);
  wait_tickets(v, 5, "A", local(0, 10));
  EXPECT_TRUE(e.evaluate(v, local(0, 10)).empty()) << "open already";
  e.forget(1, 1, "");
  EXPECT_EQ(e.evaluate(v, local(0, 10)).size(), 1u);
  e.set_rules({});
  EXPECT_EQ(e.stats().states, 0u) << "a deleted rule's states go with it";
}

TEST(Rules, ChecksNameWhatCannotWork) {
  Rule r = queue_rule(1, 3, 10);
  EXPECT_FALSE(check(r));
  r.scope.business = "A";
  r.indicator = Indicator::service_level;
  EXPECT_TRUE(check(r)) << "the day's rates are hall-wide";
  r = queue_rule(1, 3, 10);
  r.scope.terminal_type = "payment";
  EXPECT_TRUE(check(r));
  r = queue_rule(1, 10, 3);
  EXPECT_TRUE(check(r)) << "critical below warning";
  Rule part;
  part.name = "p";
  part.kind = RuleKind::part_fault;
  part.part = records::TerminalPart::network;
  EXPECT_TRUE(check(part));
  EXPECT_EQ(parse_indicator("longest_wait_min"), Indicator::longest_wait_min);
  EXPECT_FALSE(parse_indicator("nonsense"));
  EXPECT_EQ(parse_rule_kind(to_string(RuleKind::door_open)), RuleKind::door_open);
}

}  // namespace
}  // namespace halld::alarm

namespace halld::alarm {
namespace {

records::FacilityReading reading(std::string device, records::FacilityQuantity quantity,
                                 double value, Timestamp at) {
  return {std::move(device), "p", quantity, "", value, at};
}

TEST(Rules, FacilityIndicatorsTakeFreshReadingsOnly) {
  using Q = records::FacilityQuantity;
  auto v = view_of(hall_info("H1", "C1"));
  const auto now = local(0, 10);
  EXPECT_FALSE(indicator_value(Indicator::indoor_temperature, v, "", now)) << "no device: no value";
  v.facility = {reading("TH1", Q::temperature, 24.5, now - seconds(10)),
                reading("TH2", Q::temperature, 27.0, now - seconds(20)),
                reading("TH3", Q::temperature, 35.0, now - minutes(6)),  // stale: left out
                reading("TH1", Q::humidity, 61, now),
                reading("EM1", Q::power, 4.5, now),
                reading("EM2", Q::power, 2.0, now),
                reading("PC1", Q::people, 12, now),
                reading("PC2", Q::people, 5, now)};
  EXPECT_EQ(indicator_value(Indicator::indoor_temperature, v, "", now), 27.0) << "the highest";
  EXPECT_EQ(indicator_value(Indicator::indoor_humidity, v, "", now), 61);
  EXPECT_EQ(indicator_value(Indicator::power_kw, v, "", now), 6.5) << "the sum";
  EXPECT_EQ(indicator_value(Indicator::people_in_hall, v, "", now), 17);
  EXPECT_FALSE(indicator_value(Indicator::indoor_temperature, v, "", now + minutes(10)));
  EXPECT_EQ(parse_indicator("indoor_temperature"), Indicator::indoor_temperature);
  EXPECT_EQ(unit_of(Indicator::indoor_humidity), "%RH");
}

TEST(Rules, AFacilityRuleIsJudgedWhileTheQueueSystemIsDown) {
  using Q = records::FacilityQuantity;
  auto v = view_of(hall_info("H1", "C1"));
  v.state.channels[0].up = false;  // the queue system's channel is down
  Rule hot;
  hot.id = 7;
  hot.name = "hot";
  hot.indicator = Indicator::indoor_temperature;
  hot.limit.warning = 28;
  hot.limit.critical = 32;
  hot.limit.hold = seconds(0);
  hot.schedule = Schedule::always;
  auto queue = queue_rule(8, 1, 2);
  queue.limit.hold = seconds(0);
  queue.schedule = Schedule::always;
  Evaluator e;
  e.set_rules({hot, queue});
  wait_tickets(v, 5, "A", local(0, 9));
  const auto now = local(0, 10);
  v.facility = {reading("TH1", Q::temperature, 29.5, now)};
  const auto d = e.evaluate(v, now);
  ASSERT_EQ(d.size(), 1u) << "the queue rule waits for its source; the temperature does not";
  EXPECT_EQ(d[0].rule_id, 7);
  EXPECT_EQ(d[0].transition.severity, Severity::warning);
  EXPECT_EQ(d[0].transition.value, 29.5);
}

}  // namespace
}  // namespace halld::alarm
