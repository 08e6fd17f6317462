#include "halld/live/prediction.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "halld/kpi/queueing.hpp"

namespace halld::live {

using model::Fact;
using model::FactKind;

namespace {

constexpr auto recent_span = std::chrono::minutes(60);

bool is_queue_fact(FactKind kind) {
  return kind == FactKind::arrival || kind == FactKind::call || kind == FactKind::abandonment ||
         kind == FactKind::no_show || kind == FactKind::service || kind == FactKind::evaluation;
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

// When a window frees for a ticket drawn now. The windows' current customers need `remaining`
// minutes more each (0: the window is free); the tickets ahead need `work` minutes of service
// in all. Services vary, so the first window frees about when the first of several random
// remainders ends — 1 / Σ 1/rᵢ, as for exponential ones — and from then on the windows take
// the work ahead together: work / c more.
double wait_behind_minutes(const std::vector<double>& remaining, double work) {
  if (remaining.empty()) return 0;
  double rate = 0;
  for (double r : remaining) {
    if (r <= 0) return work / static_cast<double>(remaining.size());  // a window is free now
    rate += 1 / r;
  }
  return 1 / rate + work / static_cast<double>(remaining.size());
}

WaitPrediction prediction(std::string business, int waiting_ahead, int open, int busy,
                          double arrivals_per_hour, double mean_service_minutes,
                          double target_wait_minutes, int max_windows) {
  WaitPrediction p;
  p.business = std::move(business);
  p.waiting_ahead = waiting_ahead;
  p.open_windows = open;
  p.busy_windows = busy;
  p.arrivals_per_hour = arrivals_per_hour;
  p.mean_service_minutes = mean_service_minutes;
  const kpi::QueueRates rates{arrivals_per_hour, mean_service_minutes, open};
  p.utilisation = kpi::utilisation(rates);
  p.predicted_wait_min =
      kpi::wait_for_arrival_now_minutes(waiting_ahead, busy, open, mean_service_minutes);
  p.steady_state_wait_min = kpi::steady_state_wait_minutes(rates);
  p.windows_needed = kpi::windows_needed(arrivals_per_hour, mean_service_minutes,
                                         target_wait_minutes, max_windows);
  return p;
}

}  // namespace

void RecentFacts::add(const Fact& f) {
  if (!is_queue_fact(f.kind)) return;
  facts_.push_back(Recent{f.at, f.kind, static_cast<std::int32_t>(f.seconds), f.evaluation,
                          f.customer_class, std::string(f.business)});
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

std::chrono::minutes RecentFacts::rate_span(Timestamp now, const model::HallCalendar& calendar) {
  // Right after opening, the last hour holds only the minutes since: an hourly rate over the
  // whole hour would read a fraction of the real one. Ten minutes at least, so that the first
  // few tickets do not read as a rush.
  const auto day = calendar.local_day(now);
  const auto hours = calendar.hours_on(day);
  if (!hours) return recent_span;
  const auto opened = calendar.day_start(day) + std::chrono::minutes(hours->opens);
  if (now <= opened) return recent_span;
  const auto since = std::chrono::duration_cast<std::chrono::minutes>(now - opened);
  return std::clamp(since, std::chrono::minutes(10), std::chrono::minutes(recent_span));
}

std::vector<WaitPrediction> RecentFacts::predict(
    const model::HallSnapshot& snapshot, const kpi::Tally& last_60_min, const kpi::Tally& today,
    const kpi::HallTerms& terms, const WindowBusiness& window_business, Timestamp now) const {
  std::map<std::string, BusinessFigures> by_business;
  for (const auto& r : facts_) {
    auto& figures = by_business[r.business];
    if (r.kind == FactKind::arrival) figures.arrivals_per_hour += 1;
    if (r.kind == FactKind::service && r.seconds >= 0) {
      figures.handling_sum_s += r.seconds;
      ++figures.handled;
    }
  }
  const double hours =
      std::chrono::duration<double>(rate_span(now, terms.calendar)).count() / 3600.0;
  for (auto& [business, figures] : by_business) figures.arrivals_per_hour /= hours;
  for (const auto& w : snapshot.waiting) by_business.try_emplace(w.business);
  std::erase_if(
      by_business, [&](const auto& entry) {  // predicted: what came in the last hour or waits
        return entry.second.arrivals_per_hour == 0 &&
               std::none_of(
                   snapshot.waiting.begin(), snapshot.waiting.end(),
                   [&](const model::WaitingTicket& w) { return w.business == entry.first; });
      });

  const double target_min = static_cast<double>(terms.target_wait_s) / 60.0;
  const int max_windows = std::max<int>(static_cast<int>(snapshot.windows.size()), 1) * 2;
  auto serves = [&](const model::WindowLive& w, const std::string& business) {
    auto it = window_business.find(w.number);
    return it == window_business.end() || it->second.empty() ||
           std::find(it->second.begin(), it->second.end(), business) != it->second.end();
  };
  std::vector<const model::WindowLive*> open_windows;
  for (const auto& w : snapshot.windows) {
    if (w.state == records::WindowState::open) open_windows.push_back(&w);
  }
  auto busy_count = [](const std::vector<const model::WindowLive*>& windows) {
    return static_cast<int>(std::count_if(windows.begin(), windows.end(),
                                          [](const auto* w) { return !w->ticket.empty(); }));
  };
  // Customers who give up before they are served take no window time: of those ahead, this
  // share will not be served (the last hour's abandonments, each customer counted once).
  const kpi::Indicators hour = kpi::indicators(last_60_min);
  const double served_share = 1.0 - hour.abandonment_rate.value_or(0.0);

  std::vector<WaitPrediction> out;
  const kpi::Indicators day = kpi::indicators(today);
  const double hall_service_min =
      hour.average_handling_min.value_or(day.average_handling_min.value_or(10.0));
  // A business's mean service: its own of the last hour, else its target, else the hall's.
  auto service_min = [&](const std::string& business) {
    auto it = by_business.find(business);
    if (it != by_business.end()) {
      if (auto mean = it->second.mean_service_minutes()) return *mean;
    }
    auto target = terms.target_handling_s.find(business);
    return target != terms.target_handling_s.end() ? static_cast<double>(target->second) / 60.0
                                                   : hall_service_min;
  };
  // What a window's current customer still needs: the mean of its business less what it has
  // had, but never under a quarter of the mean (a long service is likely a long one).
  auto free_in = [&](const model::WindowLive& w) {
    if (w.ticket.empty()) return 0.0;
    const double mean = service_min(w.business);
    const double had = w.service_started == Timestamp{} || w.service_started > now
                           ? 0.0
                           : std::chrono::duration<double>(now - w.service_started).count() / 60.0;
    return std::max(mean - had, mean / 2);
  };
  auto wait_behind = [&](const std::vector<const model::WindowLive*>& windows, double work) {
    std::vector<double> remaining;
    for (const auto* w : windows) remaining.push_back(free_in(*w));
    return wait_behind_minutes(remaining, work);
  };
  double hall_work = 0;
  for (const auto& waiting : snapshot.waiting)
    hall_work += service_min(waiting.business) * served_share;
  const double hall_ahead = static_cast<double>(snapshot.waiting.size()) * served_share;
  auto hall = prediction("", static_cast<int>(std::lround(hall_ahead)),
                         static_cast<int>(open_windows.size()), busy_count(open_windows),
                         static_cast<double>(hour.arrivals) / hours, hall_service_min, target_min,
                         max_windows);
  if (!open_windows.empty()) hall.predicted_wait_min = wait_behind(open_windows, hall_work);
  out.push_back(std::move(hall));

  // Where windows serve chosen business types, each waiting ticket is spread evenly over the
  // open windows that serve its business; a new ticket of `business` waits for what is spread
  // over the windows that serve it: its own queue, and the share of other queues that compete
  // for the same windows. Windows serving everything make this the hall's one queue.
  std::map<std::string, int> serving_windows;  // business → open windows serving it
  auto windows_serving = [&](const std::string& business) {
    auto [it, fresh] = serving_windows.try_emplace(business, 0);
    if (fresh) {
      it->second =
          static_cast<int>(std::count_if(open_windows.begin(), open_windows.end(),
                                         [&](const auto* w) { return serves(*w, business); }));
    }
    return it->second;
  };
  for (const auto& [business, figures] : by_business) {
    std::vector<const model::WindowLive*> mine;
    for (const auto* w : open_windows) {
      if (serves(*w, business)) mine.push_back(w);
    }
    double ahead = 0, work = 0;
    for (const auto& waiting : snapshot.waiting) {
      const int theirs = windows_serving(waiting.business);
      if (theirs == 0) {
        if (waiting.business == business) ahead += 1;  // no open window serves it: all of it ahead
        continue;
      }
      const auto shared = std::count_if(
          mine.begin(), mine.end(), [&](const auto* w) { return serves(*w, waiting.business); });
      ahead += static_cast<double>(shared) / theirs;
      work += static_cast<double>(shared) / theirs * service_min(waiting.business) * served_share;
    }
    auto predicted =
        prediction(business, static_cast<int>(std::lround(ahead * served_share)),
                   static_cast<int>(mine.size()), busy_count(mine), figures.arrivals_per_hour,
                   service_min(business), target_min, max_windows);
    if (!mine.empty()) predicted.predicted_wait_min = wait_behind(mine, work);
    out.push_back(std::move(predicted));
  }
  return out;
}

}  // namespace halld::live

namespace halld::live {

void RecentFacts::save(ByteWriter& out) const {
  out.unsigned_(facts_.size());
  for (const auto& f : facts_) {
    out.signed_(f.at.time_since_epoch().count());
    out.code(f.kind);
    out.signed_(f.seconds);
    out.code(f.evaluation);
    out.code(f.customer_class);
    out.text(f.business);
  }
}

void RecentFacts::load(ByteReader& in) {
  facts_.clear();
  for (auto n = in.count(6); n > 0 && !in.failed(); --n) {
    Recent f;
    f.at = Timestamp(std::chrono::seconds(in.epoch_seconds()));
    f.kind = in.code(model::FactKind::arrival, model::FactKind::part_fault);
    const auto seconds = in.signed_();
    if (seconds < INT32_MIN || seconds > INT32_MAX) in.fail();
    f.seconds = static_cast<std::int32_t>(seconds);
    f.evaluation =
        in.code(records::EvaluationResult::not_evaluated, records::EvaluationResult::dissatisfied);
    f.customer_class =
        in.code(records::CustomerClassCode::unknown, records::CustomerClassCode::potential);
    f.business = in.text();
    facts_.push_back(std::move(f));
  }
}

}  // namespace halld::live
