#include "terminal_model.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace halld::tools {

using namespace halld::records;
using std::chrono::seconds;

Timestamp TerminalFleet::Terminal::soonest() const {
  return std::min({next_transaction, next_fault, next_settlement, visit_at, repaired_at});
}

TerminalFleet::TerminalFleet(TerminalFleetOptions options)
    : options_(std::move(options)), random_(options_.seed) {
  for (const auto& spec : options_.terminals) {
    Terminal t;
    t.spec = spec;
    t.hours = spec.around_the_clock ? OpeningHours::around_the_clock() : options_.hours;
    t.day_start = t.hours.local_midnight(options_.start);
    t.next_settlement = t.day_start + std::chrono::days(1);
    t.next_transaction =
        next_arrival(t.hours, options_.transactions_per_hour, options_.start, random_);
    t.next_fault = after_exponential(options_.start, options_.faults_per_day);
    ready_.push_back(
        Event{options_.start, TerminalStateChanged{spec.code, TerminalState::in_service}});
    terminals_.push_back(std::move(t));
    due_.emplace(terminals_.back().soonest(), terminals_.size() - 1);
  }
}

Timestamp TerminalFleet::after_exponential(Timestamp from, double per_day) {
  std::exponential_distribution<double> gap(per_day / 86400.0);
  return from + seconds(60 + static_cast<long>(gap(random_)));
}

Event TerminalFleet::next() {
  while (ready_.empty() && !due_.empty()) {
    const auto index = due_.begin()->second;
    due_.erase(due_.begin());
    step(terminals_[index]);
    due_.emplace(terminals_[index].soonest(), index);
  }
  Event event = std::move(ready_.front());
  ready_.pop_front();
  return event;
}

void TerminalFleet::step(Terminal& t) {
  const auto now = t.soonest();
  const auto& code = t.spec.code;
  if (now == t.next_settlement) {
    settle(t);
  } else if (now == t.visit_at) {
    t.visit_at = Timestamp::max();
    t.repaired_at = now + seconds(600);
    ready_.push_back(Event{now, TerminalAlarm{code, TerminalAlarmKind::door_open}});
    ready_.push_back(Event{now, TerminalStateChanged{code, TerminalState::maintenance}});
  } else if (now == t.repaired_at) {
    t.repaired_at = Timestamp::max();
    ready_.push_back(Event{now, PartStateChanged{code, *t.broken, PartState::ok}});
    ready_.push_back(Event{now, TerminalAlarm{code, TerminalAlarmKind::door_closed}});
    ready_.push_back(Event{now, TerminalStateChanged{code, TerminalState::in_service}});
    t.broken.reset();
    t.next_fault = after_exponential(now, options_.faults_per_day);
  } else if (now == t.next_fault) {
    fail(t);
  } else {
    transact(t);
  }
}

void TerminalFleet::transact(Terminal& t) {
  const auto now = t.next_transaction;
  t.next_transaction = next_arrival(t.hours, options_.transactions_per_hour, now, random_);
  if (t.broken) return;  // out of service: customers walk on
  std::uniform_int_distribution<int> roll(1, 100);
  const int what = roll(random_);
  const std::string business = what <= 60   ? "bill_payment"
                               : what <= 90 ? "power_purchase"
                                            : "bill_printing";
  const int how = roll(random_);
  const auto method = business == "bill_printing" ? PaymentMethod::none
                      : how <= 25                 ? PaymentMethod::cash
                      : how <= 50                 ? PaymentMethod::bank_card
                      : how <= 98                 ? PaymentMethod::qr_code
                                                  : PaymentMethod::cheque;
  std::lognormal_distribution<double> yuan(std::log(120.0), 0.7);
  const std::int64_t amount =
      method == PaymentMethod::none ? 0 : static_cast<std::int64_t>(yuan(random_) * 100);
  const int outcome = roll(random_);
  const auto result = outcome <= 95   ? TransactionResult::success
                      : outcome <= 98 ? TransactionResult::failed
                                      : TransactionResult::cancelled;
  std::uniform_int_distribution<int> duration(30, 200), customer(0, 99999999);
  ++t.transactions;
  ready_.push_back(Event{
      now, Transaction{t.spec.code, fmt::format("{}-{:06}", t.spec.code, t.transactions), business,
                       amount, method, result, static_cast<std::uint16_t>(duration(random_)),
                       fmt::format("41{:08}", customer(random_))}});
  if (result == TransactionResult::success && method != PaymentMethod::none) {
    auto& day = t.day[method];
    ++day.count;
    day.total_fen += amount;
  }
}

void TerminalFleet::fail(Terminal& t) {
  const auto now = t.next_fault;
  t.next_fault = Timestamp::max();  // one fault at a time; the next is drawn after the repair
  std::uniform_int_distribution<int> roll(1, 100);
  const int which = roll(random_);
  const auto [part, state] =
      which <= 35   ? std::pair{TerminalPart::receipt_printer, PartState::paper_out}
      : which <= 50 ? std::pair{TerminalPart::receipt_printer, PartState::jam}
      : which <= 70 ? std::pair{TerminalPart::cash_acceptor, PartState::box_full}
      : which <= 85 ? std::pair{TerminalPart::card_reader, PartState::fault}
                    : std::pair{TerminalPart::network, PartState::fault};
  t.broken = part;
  ready_.push_back(Event{now, PartStateChanged{t.spec.code, part, state}});
  ready_.push_back(Event{now, TerminalStateChanged{t.spec.code, TerminalState::fault}});
  // Someone comes within hours, in opening hours.
  std::lognormal_distribution<double> hours_to_visit(std::log(1.5), 0.6);
  t.visit_at =
      t.hours.next_opening(now + seconds(static_cast<long>(hours_to_visit(random_) * 3600)));
}

void TerminalFleet::settle(Terminal& t) {
  const auto now = t.next_settlement;
  Settlement s{t.spec.code, t.day_start, now, {}};
  for (const auto& [method, total] : t.day)
    s.lines.push_back({method, total.count, total.total_fen});
  ready_.push_back(Event{now, std::move(s)});
  t.day.clear();
  t.day_start = now;
  t.next_settlement = now + std::chrono::days(1);
}

}  // namespace halld::tools
