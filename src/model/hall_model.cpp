#include "halld/model/hall_model.hpp"

#include <algorithm>

namespace halld::model {

using namespace halld::records;

namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
// Clang before 17 deduces no aggregate's template arguments (the fuzz targets build with clang).
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

bool counts_as_available(TerminalState state) {
  return state == TerminalState::in_service || state == TerminalState::idle ||
         state == TerminalState::busy;
}

std::int64_t seconds_between(Timestamp from, Timestamp to) {
  return to > from ? (to - from).count() : 0;
}

}  // namespace

void HallModel::apply(const Event& event, FactSink& sink) {
  ++version_;
  if (!last_event_ || event.at > *last_event_) last_event_ = event.at;
  const Timestamp at = event.at;
  std::visit(Overloaded{
                 [&](const TicketIssued& t) { issue(event, t, sink); },
                 [&](const TicketCalled& t) { call(at, t.ticket, t.window, t.staff_no, sink); },
                 [&](const TicketRecalled&) {},  // the same wait; the customer is called once more
                 [&](const TicketTransferred& t) { transfer(at, t); },
                 [&](const ServiceStarted& s) { start_service(at, s, sink); },
                 [&](const ServiceFinished& s) { finish_service(at, s, sink); },
                 [&](const TicketAbandoned& a) { abandon(at, a, sink); },
                 [&](const EvaluationGiven& e) { evaluate(at, e, sink); },
                 [&](const WindowStatusChanged& w) { window_status(at, w, sink); },
                 [&](const QueueSnapshot& q) {
                   reported_queues_ = q.queues;
                   reported_at_ = at;
                 },
                 [&](const TerminalStateChanged& t) { terminal_state(at, t, sink); },
                 [&](const PartStateChanged& p) { part_state(at, p, sink); },
                 [&](const TerminalAlarm& a) {
                   if (a.kind == TerminalAlarmKind::door_open)
                     terminal(a.terminal).door_open = true;
                   if (a.kind == TerminalAlarmKind::door_closed)
                     terminal(a.terminal).door_open = false;
                 },
                 [&](const Transaction& t) { transaction(at, t, sink); },
                 [&](const Settlement&) {},  // a till total: a record, not a KPI input
             },
             event.body);
}

void HallModel::issue(const Event& e, const TicketIssued& t, FactSink& sink) {
  // A ticket number seen again is a new customer (numbers wrap, or restart each day).
  remove_waiting(t.ticket);
  tickets_[t.ticket] = TicketInfo{t.business, t.customer_class, e.at, std::nullopt, false};
  waiting_.push_back(WaitingTicket{t.ticket, t.business, t.customer_class, e.at});
  Fact fact;
  fact.kind = FactKind::arrival;
  fact.at = e.at;
  fact.business = t.business;
  fact.customer_class = t.customer_class;
  sink.on_fact(fact);
}

bool HallModel::remove_waiting(const std::string& ticket) {
  auto it = std::find_if(waiting_.begin(), waiting_.end(),
                         [&](const WaitingTicket& w) { return w.ticket == ticket; });
  if (it == waiting_.end()) return false;
  waiting_.erase(it);
  return true;
}

void HallModel::call(Timestamp at, const std::string& ticket, std::uint16_t number,
                     const std::string& clerk, FactSink& sink) {
  auto& w = window(number);
  if (!clerk.empty()) w.clerk = clerk;
  auto found = tickets_.find(ticket);
  if (found == tickets_.end()) {
    ++unpaired_;
    return;
  }
  auto& info = found->second;
  // Only the first call after (re-)entering the queue ends a wait; a call to a ticket no longer
  // waiting is a repeated call.
  auto waited_since = std::find_if(waiting_.begin(), waiting_.end(),
                                   [&](const WaitingTicket& x) { return x.ticket == ticket; });
  if (waited_since == waiting_.end()) return;
  const Timestamp since = waited_since->since;
  waiting_.erase(waited_since);
  info.called = at;
  info.waited_s = seconds_between(since, at);
  close_window_interval(w, at, sink);  // from the call on, the window is busy with this customer
  w.ticket = ticket;
  w.business = info.business;
  Fact fact;
  fact.kind = FactKind::call;
  fact.at = at;
  fact.business = info.business;
  fact.window = number;
  fact.clerk = w.clerk;
  fact.customer_class = info.customer_class;
  fact.seconds = seconds_between(since, at);
  sink.on_fact(fact);
}

void HallModel::transfer(Timestamp at, const TicketTransferred& t) {
  auto found = tickets_.find(t.ticket);
  if (found == tickets_.end()) {
    ++unpaired_;
    return;
  }
  // The customer queues again for the other business; that wait counts from now.
  found->second.business = t.to_business;
  found->second.done = false;
  remove_waiting(t.ticket);
  waiting_.push_back(WaitingTicket{t.ticket, t.to_business, found->second.customer_class, at});
  for (auto& [number, w] : windows_) {
    if (w.ticket == t.ticket) w.ticket.clear();
  }
}

void HallModel::start_service(Timestamp at, const ServiceStarted& s, FactSink& sink) {
  // Queue systems that report no separate call: the start of service is the call.
  if (std::any_of(waiting_.begin(), waiting_.end(),
                  [&](const WaitingTicket& w) { return w.ticket == s.ticket; })) {
    call(at, s.ticket, s.window, s.staff_no, sink);
  }
  auto& w = window(s.window);
  close_window_interval(w, at, sink);
  if (!s.staff_no.empty()) w.clerk = s.staff_no;
  w.ticket = s.ticket;
  if (auto found = tickets_.find(s.ticket); found != tickets_.end())
    w.business = found->second.business;
  w.service_started = at;
  if (w.state == WindowState::closed) {
    // Serving proves the window open, whatever the last status said.
    w.state = WindowState::open;
    w.state_since = at;
  }
}

void HallModel::finish_service(Timestamp at, const ServiceFinished& s, FactSink& sink) {
  auto& w = window(s.window);
  auto found = tickets_.find(s.ticket);
  std::optional<Timestamp> started;
  if (w.ticket == s.ticket && w.service_started != Timestamp{})
    started = w.service_started;
  else if (found != tickets_.end() && found->second.called)
    started = found->second.called;
  if (!started) {
    ++unpaired_;
  }
  close_window_interval(w, at, sink);
  if (!s.staff_no.empty()) w.clerk = s.staff_no;
  Fact fact;
  fact.kind = FactKind::service;
  fact.at = at;
  fact.business = !s.business.empty()       ? std::string_view(s.business)
                  : found != tickets_.end() ? std::string_view(found->second.business)
                                            : std::string_view(w.business);
  fact.window = s.window;
  fact.clerk = w.clerk;
  if (found != tickets_.end()) {
    fact.customer_class = found->second.customer_class;
    found->second.done = true;
  }
  fact.seconds = started ? seconds_between(*started, at) : -1;  // -1: handling time unknown
  if (at >= day_start_) ++w.served_today;
  sink.on_fact(fact);
  if (w.ticket == s.ticket) {
    w.ticket.clear();
    w.business.clear();
    w.service_started = {};
  }
}

void HallModel::abandon(Timestamp at, const TicketAbandoned& a, FactSink& sink) {
  auto waited = std::find_if(waiting_.begin(), waiting_.end(),
                             [&](const WaitingTicket& w) { return w.ticket == a.ticket; });
  if (waited == waiting_.end()) {
    auto found = tickets_.find(a.ticket);
    if (found != tickets_.end() && found->second.called && !found->second.done) {
      missed_call(at, a.ticket, found->second, sink);
    } else {
      ++unpaired_;
    }
    return;
  }
  Fact fact;
  fact.kind = FactKind::abandonment;
  fact.at = at;
  fact.business = waited->business;
  fact.customer_class = waited->customer_class;
  fact.seconds = seconds_between(waited->since, at);
  sink.on_fact(fact);
  if (auto found = tickets_.find(a.ticket); found != tickets_.end()) found->second.done = true;
  waiting_.erase(waited);
}

void HallModel::missed_call(Timestamp at, const std::string& ticket, TicketInfo& info,
                            FactSink& sink) {
  // The window waited for this customer since the call; it is free again now.
  for (auto& [number, w] : windows_) {
    if (w.ticket != ticket) continue;
    close_window_interval(w, at, sink);
    w.ticket.clear();
    w.business.clear();
    w.service_started = {};
  }
  Fact fact;
  fact.kind = FactKind::no_show;
  fact.at = at;
  fact.business = info.business;
  fact.customer_class = info.customer_class;
  fact.seconds = info.waited_s;
  sink.on_fact(fact);
  info.done = true;
}

void HallModel::evaluate(Timestamp at, const EvaluationGiven& e, FactSink& sink) {
  auto& w = window(e.window);
  Fact fact;
  fact.kind = FactKind::evaluation;
  fact.at = at;
  fact.window = e.window;
  fact.clerk = e.staff_no.empty() ? std::string_view(w.clerk) : std::string_view(e.staff_no);
  fact.evaluation = e.result;
  if (auto found = tickets_.find(e.ticket); found != tickets_.end()) {
    fact.business = found->second.business;
    fact.customer_class = found->second.customer_class;
  } else {
    ++unpaired_;  // still counted: a keypad's evaluation stands without its ticket
  }
  sink.on_fact(fact);
}

void HallModel::window_status(Timestamp at, const WindowStatusChanged& s, FactSink& sink) {
  auto& w = window(s.window);
  close_window_interval(w, at, sink);
  if (w.state != s.state) w.state_since = at;
  w.state = s.state;
  w.clerk = s.staff_no;
  if (s.state == WindowState::closed) {
    w.ticket.clear();
    w.business.clear();
    w.service_started = {};
  }
}

void HallModel::terminal_state(Timestamp at, const TerminalStateChanged& t, FactSink& sink) {
  auto& term = terminal(t.terminal);
  close_terminal_interval(term, at, sink);
  if (term.state != t.state) term.state_since = at;
  term.state = t.state;
}

void HallModel::part_state(Timestamp at, const PartStateChanged& p, FactSink& sink) {
  auto& term = terminal(p.terminal);
  const bool was_ok = !term.faults.contains(p.part);
  if (p.state == PartState::ok) {
    term.faults.erase(p.part);
    return;
  }
  term.faults[p.part] = p.state;
  if (!was_ok) return;
  Fact fact;
  fact.kind = FactKind::part_fault;
  fact.at = at;
  fact.terminal = term.id;
  fact.part = p.part;
  sink.on_fact(fact);
}

void HallModel::transaction(Timestamp at, const Transaction& t, FactSink& sink) {
  auto& term = terminal(t.terminal);
  term.last_transaction = at;
  if (at >= day_start_) ++term.transactions_today;
  Fact fact;
  fact.kind = FactKind::transaction;
  fact.at = at;
  fact.terminal = term.id;
  fact.business = t.business;
  fact.transaction_result = t.result;
  fact.method = t.method;
  fact.amount_fen = t.amount_fen;
  fact.seconds = t.duration_s;
  sink.on_fact(fact);
}

WindowLive& HallModel::window(std::uint16_t number) {
  auto [it, fresh] = windows_.try_emplace(number);
  if (fresh) it->second.number = number;
  return it->second;
}

TerminalLive& HallModel::terminal(const std::string& id) {
  auto [it, fresh] = terminals_.try_emplace(id);
  if (fresh) it->second.id = id;
  return it->second;
}

void HallModel::close_window_interval(WindowLive& w, Timestamp at, FactSink& sink) {
  // An event older than the time already counted (it arrived late) changes the state from the
  // counted time on: no time is counted twice.
  const Timestamp from = std::max(w.state_since, w.counted_until);
  if (at <= from) return;
  if (w.state != WindowState::closed) {
    Fact fact;
    fact.kind = FactKind::window_time;
    fact.at = from;
    fact.until = at;
    fact.window = w.number;
    fact.clerk = w.clerk;
    fact.activity = w.state == WindowState::paused ? WindowActivity::paused
                    : !w.ticket.empty()            ? WindowActivity::serving
                                                   : WindowActivity::idle;
    sink.on_fact(fact);
  }
  w.counted_until = at;
}

void HallModel::close_terminal_interval(TerminalLive& t, Timestamp at, FactSink& sink) {
  const Timestamp from = std::max(t.state_since, t.counted_until);
  if (at <= from) return;
  if (t.state) {
    Fact fact;
    fact.kind = FactKind::terminal_time;
    fact.at = from;
    fact.until = at;
    fact.terminal = t.id;
    fact.available = counts_as_available(*t.state);
    sink.on_fact(fact);
  }
  t.counted_until = at;
}

void HallModel::cut_intervals(Timestamp until, FactSink& sink) {
  for (auto& [number, w] : windows_) close_window_interval(w, until, sink);
  for (auto& [id, t] : terminals_) close_terminal_interval(t, until, sink);
}

void HallModel::start_day(Timestamp day_start, Timestamp forget_before) {
  ++version_;
  day_start_ = day_start;
  for (auto& [number, w] : windows_) w.served_today = 0;
  for (auto& [id, t] : terminals_) t.transactions_today = 0;
  std::erase_if(tickets_, [&](const auto& entry) { return entry.second.issued < forget_before; });
  std::erase_if(waiting_, [&](const WaitingTicket& w) { return !tickets_.contains(w.ticket); });
}

void HallModel::catch_up(std::span<const Event> context, Timestamp day_start,
                         Timestamp forget_before, Timestamp from) {
  struct Uncounted final : FactSink {
    void on_fact(const Fact&) override {}
  } uncounted;
  for (const auto& e : context) apply(e, uncounted);
  start_day(day_start, forget_before);
  cut_intervals(from, uncounted);
}

void HallModel::set_channel(const std::string& code, bool up, Timestamp at) {
  ++version_;
  auto& c = channels_[code];
  c.code = code;
  if (c.up != up || c.since == Timestamp{}) c.since = at;
  c.up = up;
}

void HallModel::remove_channel(const std::string& code) {
  if (channels_.erase(code) > 0) ++version_;
}

void HallModel::take_channels(const HallModel& other) {
  ++version_;
  channels_ = other.channels_;
}

void HallModel::note_clock_skew(const std::string& code, std::chrono::seconds skew, Timestamp at) {
  ++version_;
  auto& c = channels_[code];
  c.code = code;
  c.skewed_at = at;
  c.clock_skew_s = std::abs(skew.count());
}

HallSnapshot HallModel::snapshot() const {
  HallSnapshot s;
  s.hall_id = hall_id_;
  s.version = version_;
  s.last_event = last_event_;
  s.waiting = waiting_;
  for (const auto& [number, w] : windows_) s.windows.push_back(w);
  for (const auto& [id, t] : terminals_) s.terminals.push_back(t);
  for (const auto& [code, c] : channels_) s.channels.push_back(c);
  s.reported_queues = reported_queues_;
  s.reported_at = reported_at_;
  s.unpaired_events = unpaired_;
  return s;
}

}  // namespace halld::model
