#include "queue_model.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <utility>

namespace halld::tools {

using namespace halld::records;
using std::chrono::seconds;

namespace {

constexpr seconds snapshot_every{300};
constexpr seconds no_show_wait{90};  // how long a window waits for a customer who does not come

std::discrete_distribution<std::size_t> by_share(const std::vector<BusinessMix>& mix) {
  std::vector<double> shares;
  for (const auto& b : mix) shares.push_back(b.share);
  return {shares.begin(), shares.end()};
}

}  // namespace

QueueModel::QueueModel(QueueModelOptions options)
    : options_(std::move(options)),
      random_(options_.seed),
      pick_business_(by_share(options_.mix)),
      clock_(options_.start),
      next_arrival_(
          next_arrival(options_.hours, options_.arrivals_per_hour, options_.start, random_)),
      next_transition_(options_.hours.next_opening(options_.start)),
      next_snapshot_(options_.start),
      serving_(static_cast<std::size_t>(options_.windows)),
      window_open_(static_cast<std::size_t>(options_.windows), false) {}

Event QueueModel::next() {
  while (ready_.empty()) {
    // The earliest of: opening or closing, a snapshot, the first service to finish, the next
    // arrival.
    Timestamp soonest = next_transition_;
    enum { transition, take_snapshot, finishing, arrival } what = transition;
    std::size_t finishing_window = 0;
    if (hall_open_ && next_snapshot_ < soonest) {
      soonest = next_snapshot_;
      what = take_snapshot;
    }
    for (std::size_t w = 0; w < serving_.size(); ++w) {
      if (serving_[w] && serving_[w]->finishes < soonest) {
        soonest = serving_[w]->finishes;
        what = finishing;
        finishing_window = w;
      }
    }
    if (next_arrival_ < soonest) {
      soonest = next_arrival_;
      what = arrival;
    }
    clock_ = soonest;
    switch (what) {
      case transition:
        open_or_close();
        break;
      case take_snapshot:
        snapshot();
        break;
      case finishing:
        finish(finishing_window);
        break;
      case arrival:
        arrive();
        break;
    }
    while (start_service()) {
    }
  }
  Event event = std::move(ready_.front());
  ready_.pop_front();
  return event;
}

std::string QueueModel::staff_of(std::size_t window) const {
  return fmt::format("{}{:02}", options_.staff_prefix, window + 1);
}

void QueueModel::open_or_close() {
  hall_open_ = !hall_open_;
  if (hall_open_) {
    const auto staffed =
        options_.staffed > 0 ? static_cast<std::size_t>(options_.staffed) : window_open_.size();
    for (std::size_t w = 0; w < window_open_.size() && w < staffed; ++w) {
      window_open_[w] = true;
      ready_.push_back(Event{clock_, WindowStatusChanged{static_cast<std::uint16_t>(w + 1),
                                                         WindowState::open, staff_of(w)}});
    }
    next_snapshot_ = clock_;
    if (!std::exchange(opened_once_, true)) {
      for (int i = 0; i < options_.queue_at_start; ++i) arrive();
    }
    // Around the clock there is no closing: the next "transition" never comes.
    next_transition_ =
        options_.hours.always() ? Timestamp::max() : options_.hours.closing_after(clock_);
    return;
  }
  next_transition_ = options_.hours.next_opening(clock_ + seconds(1));
  if (queue_.empty()) close_idle_windows();
}

void QueueModel::arrive() {
  next_arrival_ = next_arrival(options_.hours, options_.arrivals_per_hour, clock_, random_);
  Waiting w{fmt::format("A{:04}", ++ticket_number_ % 10000), pick_business_(random_), clock_};
  std::uniform_int_distribution<int> klass(0, 9);
  const int k = klass(random_);
  auto customer = k == 0   ? CustomerClassCode::premium
                  : k == 9 ? CustomerClassCode::potential
                           : CustomerClassCode::general;
  std::uniform_int_distribution<int> how(0, 19);
  const int h = how(random_);
  auto source = h == 0   ? TicketSource::vip
                : h == 1 ? TicketSource::pre_booking_95598
                : h < 4  ? TicketSource::appointment
                         : TicketSource::kiosk;
  queue_.push_back(w);
  ready_.push_back(
      Event{clock_, TicketIssued{w.ticket, options_.mix[w.business].code, customer, source}});
}

bool QueueModel::start_service() {
  if (queue_.empty()) return false;
  for (std::size_t w = 0; w < serving_.size(); ++w) {
    if (serving_[w] || !window_open_[w]) continue;
    Waiting ticket = queue_.front();
    queue_.pop_front();
    // Some customers give up after a long wait: half of them have left by the time they are
    // due (the queue system drops them), the other half are called and never come, and the
    // window waits for them a while before it calls the next.
    const double waited_min = std::chrono::duration<double>(clock_ - ticket.issued).count() / 60;
    std::bernoulli_distribution gave_up(std::min(0.5, waited_min / 120));
    const auto window = static_cast<std::uint16_t>(w + 1);
    if (gave_up(random_)) {
      std::bernoulli_distribution called_in_vain(0.5);
      if (!called_in_vain(random_)) {
        ready_.push_back(Event{clock_, TicketAbandoned{ticket.ticket, AbandonReason::left_queue}});
        return true;
      }
      serving_[w] = Serving{ticket, clock_ + no_show_wait, true};
      ready_.push_back(Event{clock_, TicketCalled{ticket.ticket, window, staff_of(w)}});
      return true;
    }
    const double mean_minutes = options_.mix[ticket.business].service_minutes;
    std::lognormal_distribution<double> service(std::log(mean_minutes * 60) - 0.18, 0.6);
    serving_[w] =
        Serving{ticket, clock_ + seconds(30 + static_cast<long>(service(random_))), false};
    ready_.push_back(Event{clock_, TicketCalled{ticket.ticket, window, staff_of(w)}});
    ready_.push_back(Event{clock_, ServiceStarted{ticket.ticket, window, staff_of(w)}});
    return true;
  }
  return false;
}

void QueueModel::finish(std::size_t w) {
  Serving serving = *serving_[w];
  serving_[w].reset();
  const auto window = static_cast<std::uint16_t>(w + 1);
  if (serving.no_show) {
    ready_.push_back(Event{clock_, TicketAbandoned{serving.ticket.ticket, AbandonReason::no_show}});
    if (!hall_open_ && queue_.empty()) close_idle_windows();
    return;
  }
  // Evaluation gets worse with the wait: satisfied most of the time, less so after 20 minutes.
  const double waited_min =
      std::chrono::duration<double>(serving.finishes - serving.ticket.issued).count() / 60;
  std::uniform_real_distribution<double> mood(0, 1);
  const double m = mood(random_) + std::min(0.6, waited_min / 60);
  auto result = m < 0.55   ? EvaluationResult::very_satisfied
                : m < 0.85 ? EvaluationResult::satisfied
                : m < 1.05 ? EvaluationResult::basic
                : m < 1.3  ? EvaluationResult::dissatisfied
                           : EvaluationResult::not_evaluated;
  const auto& business = options_.mix[serving.ticket.business].code;
  ready_.push_back(
      Event{clock_, ServiceFinished{serving.ticket.ticket, window, staff_of(w), business}});
  ready_.push_back(
      Event{clock_, EvaluationGiven{serving.ticket.ticket, window, staff_of(w), result}});
  if (!hall_open_ && queue_.empty()) close_idle_windows();
}

bool QueueModel::open_window(int number, Timestamp at, std::optional<Event>& change) {
  if (number < 1 || number > options_.windows || !hall_open_) return false;
  const auto w = static_cast<std::size_t>(number - 1);
  if (!window_open_[w]) {
    window_open_[w] = true;
    change = Event{at, WindowStatusChanged{static_cast<std::uint16_t>(number), WindowState::open,
                                           staff_of(w)}};
  }
  return true;
}

bool QueueModel::close_window(int number, Timestamp at, std::optional<Event>& change) {
  if (number < 1 || number > options_.windows) return false;
  const auto w = static_cast<std::size_t>(number - 1);
  if (window_open_[w] && !serving_[w]) {
    window_open_[w] = false;
    change =
        Event{at, WindowStatusChanged{static_cast<std::uint16_t>(number), WindowState::closed, ""}};
  }
  return true;
}

void QueueModel::close_idle_windows() {
  for (std::size_t w = 0; w < serving_.size(); ++w) {
    if (!window_open_[w] || serving_[w]) continue;
    window_open_[w] = false;
    ready_.push_back(Event{
        clock_, WindowStatusChanged{static_cast<std::uint16_t>(w + 1), WindowState::closed, ""}});
  }
}

void QueueModel::snapshot() {
  next_snapshot_ = clock_ + snapshot_every;
  QueueSnapshot s;
  for (std::size_t b = 0; b < options_.mix.size(); ++b) {
    QueueLength q{options_.mix[b].code, 0, 0};
    for (const auto& w : queue_) {
      if (w.business != b) continue;
      ++q.waiting;
      q.longest_wait_s =
          std::max(q.longest_wait_s, static_cast<std::uint32_t>((clock_ - w.issued).count()));
    }
    s.queues.push_back(std::move(q));
  }
  ready_.push_back(Event{clock_, std::move(s)});
}

}  // namespace halld::tools
