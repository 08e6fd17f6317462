#include "queue_model.hpp"

#include <fmt/format.h>

#include <cmath>

namespace halld::tools {

using namespace halld::records;
using std::chrono::seconds;

QueueModel::QueueModel(QueueModelOptions options)
    : options_(std::move(options)),
      random_(options_.seed),
      clock_(options_.start),
      next_arrival_(options_.start),
      windows_(static_cast<std::size_t>(options_.windows)) {}

Event QueueModel::next() {
  while (ready_.empty()) {
    // The earliest of: the next arrival, the first service to finish.
    records::Timestamp soonest = next_arrival_;
    int finishing = -1;
    for (int w = 0; w < options_.windows; ++w) {
      if (windows_[w] && windows_[w]->finishes < soonest) {
        soonest = windows_[w]->finishes;
        finishing = w;
      }
    }
    clock_ = soonest;
    if (finishing >= 0) finish(finishing);
    else ready_.push_back(arrive());
    while (start_service(clock_)) {
    }
  }
  Event event = std::move(ready_.front());
  ready_.pop_front();
  return event;
}

Event QueueModel::arrive() {
  std::exponential_distribution<double> gap(options_.arrivals_per_hour / 3600.0);
  next_arrival_ = clock_ + seconds(1 + static_cast<long>(gap(random_)));
  std::uniform_int_distribution<std::size_t> pick(0, options_.business_types.size() - 1);
  Waiting w{fmt::format("A{:04}", ++ticket_number_), options_.business_types[pick(random_)], clock_};
  std::uniform_int_distribution<int> klass(0, 9);
  auto customer = klass(random_) == 0 ? CustomerClassCode::premium : CustomerClassCode::general;
  queue_.push_back(w);
  return Event{clock_, TicketIssued{w.ticket, w.business, customer, TicketSource::kiosk}};
}

bool QueueModel::start_service(records::Timestamp at) {
  if (queue_.empty()) return false;
  for (int w = 0; w < options_.windows; ++w) {
    if (windows_[w]) continue;
    Waiting ticket = queue_.front();
    queue_.pop_front();
    // Some customers give up after a long wait and miss their call.
    const double waited_min = std::chrono::duration<double>(at - ticket.issued).count() / 60;
    std::bernoulli_distribution gave_up(std::min(0.5, waited_min / 120));
    if (gave_up(random_)) {
      ready_.push_back(Event{at, TicketAbandoned{ticket.ticket, AbandonReason::no_show}});
      return true;
    }
    std::lognormal_distribution<double> service(std::log(options_.mean_service_minutes * 60) - 0.18, 0.6);
    windows_[w] = Serving{ticket, at + seconds(30 + static_cast<long>(service(random_)))};
    const auto window = static_cast<std::uint16_t>(w + 1);
    ready_.push_back(Event{at, TicketCalled{ticket.ticket, window, fmt::format("S{:02}", w + 1)}});
    ready_.push_back(Event{at, ServiceStarted{ticket.ticket, window, fmt::format("S{:02}", w + 1)}});
    return true;
  }
  return false;
}

void QueueModel::finish(int w) {
  Serving serving = *windows_[w];
  windows_[w].reset();
  const auto window = static_cast<std::uint16_t>(w + 1);
  const auto staff = fmt::format("S{:02}", w + 1);
  // Evaluation gets worse with the wait: satisfied most of the time, less so after 20 minutes.
  const double waited_min =
      std::chrono::duration<double>(serving.finishes - serving.ticket.issued).count() / 60;
  std::uniform_real_distribution<double> mood(0, 1);
  const double m = mood(random_) + std::min(0.6, waited_min / 60);
  auto result = m < 0.55 ? EvaluationResult::very_satisfied
                : m < 0.85 ? EvaluationResult::satisfied
                : m < 1.05 ? EvaluationResult::basic
                : m < 1.3  ? EvaluationResult::dissatisfied
                           : EvaluationResult::not_evaluated;
  ready_.push_back(Event{serving.finishes, ServiceFinished{serving.ticket.ticket, window, staff, serving.ticket.business}});
  ready_.push_back(Event{serving.finishes, EvaluationGiven{serving.ticket.ticket, window, staff, result}});
}

}  // namespace halld::tools
