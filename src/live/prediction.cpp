#include "halld/live/prediction.hpp"

#include <algorithm>

#include "halld/kpi/queueing.hpp"

namespace halld::live {

using model::Fact;
using model::FactKind;

namespace {

constexpr auto recent_span = std::chrono::minutes(60);

bool is_queue_fact(FactKind kind) {
  return kind == FactKind::arrival || kind == FactKind::call || kind == FactKind::abandonment ||
         kind == FactKind::service || kind == FactKind::evaluation;
}

struct BusinessFigures {
  double arrivals_per_hour = 0;
  std::int64_t handling_sum_s = 0;
  std::int64_t handled = 0;
  std::optional<double> mean_service_minutes() const {
    if (handled == 0) return std::nullopt;
    return static_cast<double>(handling_sum_s) / static_cast<double>(handled) / 60.0;
  }
};

WaitPrediction prediction(std::string business, int waiting_ahead, int open, int busy, double arrivals_per_hour,
                          double mean_service_minutes, double target_wait_minutes, int max_windows) {
  WaitPrediction p;
  p.business = std::move(business);
  p.waiting_ahead = waiting_ahead;
  p.open_windows = open;
  p.busy_windows = busy;
  p.arrivals_per_hour = arrivals_per_hour;
  p.mean_service_minutes = mean_service_minutes;
  const kpi::QueueRates rates{arrivals_per_hour, mean_service_minutes, open};
  p.utilisation = kpi::utilisation(rates);
  p.predicted_wait_min = kpi::wait_for_arrival_now_minutes(waiting_ahead, busy, open, mean_service_minutes);
  p.steady_state_wait_min = kpi::steady_state_wait_minutes(rates);
  p.windows_needed = kpi::windows_needed(arrivals_per_hour, mean_service_minutes, target_wait_minutes, max_windows);
  return p;
}

}  // namespace

void RecentFacts::add(const Fact& f) {
  if (!is_queue_fact(f.kind)) return;
  facts_.push_back(Recent{f.at, f.kind, static_cast<std::int32_t>(f.seconds), f.evaluation, f.customer_class,
                          std::string(f.business)});
}

RecentFacts::Figures RecentFacts::figures(Timestamp now, const kpi::HallTerms& terms) {
  while (!facts_.empty() && facts_.front().at < now - recent_span) facts_.pop_front();
  Figures out;
  for (const auto& r : facts_) {
    Fact f;
    f.kind = r.kind;
    f.at = r.at;
    f.seconds = r.seconds;
    f.evaluation = r.evaluation;
    f.customer_class = r.customer_class;
    kpi::Tallies one;  // without business, window or clerk the fact counts under the hall only
    kpi::add_fact(one, terms, f);
    const kpi::Tally& counted = one.begin()->second;
    out.last_60_min += counted;
    if (r.at >= now - std::chrono::minutes(15)) out.last_15_min += counted;
  }
  return out;
}

std::vector<WaitPrediction> RecentFacts::predict(const model::HallSnapshot& snapshot, const kpi::Tally& last_60_min,
                                                 const kpi::Tally& today, const kpi::HallTerms& terms,
                                                 const WindowBusiness& window_business) const {
  std::map<std::string, BusinessFigures> by_business;
  for (const auto& r : facts_) {
    auto& figures = by_business[r.business];
    if (r.kind == FactKind::arrival) figures.arrivals_per_hour += 1;
    if (r.kind == FactKind::service && r.seconds >= 0) {
      figures.handling_sum_s += r.seconds;
      ++figures.handled;
    }
  }
  for (const auto& w : snapshot.waiting) by_business.try_emplace(w.business);
  std::erase_if(by_business, [&](const auto& entry) {  // predicted: what came in the last hour or waits
    return entry.second.arrivals_per_hour == 0 &&
           std::none_of(snapshot.waiting.begin(), snapshot.waiting.end(),
                        [&](const model::WaitingTicket& w) { return w.business == entry.first; });
  });

  const double target_min = static_cast<double>(terms.target_wait_s) / 60.0;
  const int max_windows = std::max<int>(static_cast<int>(snapshot.windows.size()), 1) * 2;
  auto target_handling_min = [&](const std::string& business) {
    auto it = terms.target_handling_s.find(business);
    return it == terms.target_handling_s.end() ? 10.0 : static_cast<double>(it->second) / 60.0;
  };
  auto serves = [&](const model::WindowLive& w, const std::string& business) {
    auto it = window_business.find(w.number);
    return it == window_business.end() || it->second.empty() ||
           std::find(it->second.begin(), it->second.end(), business) != it->second.end();
  };
  int open = 0, busy = 0;
  for (const auto& w : snapshot.windows) {
    if (w.state != records::WindowState::open) continue;
    ++open;
    if (!w.ticket.empty()) ++busy;
  }

  std::vector<WaitPrediction> out;
  const kpi::Indicators hour = kpi::indicators(last_60_min);
  const kpi::Indicators day = kpi::indicators(today);
  out.push_back(prediction("", static_cast<int>(snapshot.waiting.size()), open, busy, static_cast<double>(hour.arrivals),
                           hour.average_handling_min.value_or(day.average_handling_min.value_or(10.0)), target_min,
                           max_windows));
  for (const auto& [business, figures] : by_business) {
    int b_open = 0, b_busy = 0;
    for (const auto& w : snapshot.windows) {
      if (w.state != records::WindowState::open || !serves(w, business)) continue;
      ++b_open;
      if (!w.ticket.empty()) ++b_busy;
    }
    // Ahead of a new ticket: everyone waiting for what these windows serve.
    int ahead = 0;
    for (const auto& w : snapshot.waiting) {
      const bool shared = std::any_of(snapshot.windows.begin(), snapshot.windows.end(), [&](const model::WindowLive& x) {
        return x.state == records::WindowState::open && serves(x, business) && serves(x, w.business);
      });
      if (w.business == business || shared) ++ahead;
    }
    out.push_back(prediction(business, ahead, b_open, b_busy, figures.arrivals_per_hour,
                             figures.mean_service_minutes().value_or(target_handling_min(business)), target_min,
                             max_windows));
  }
  return out;
}

}  // namespace halld::live
