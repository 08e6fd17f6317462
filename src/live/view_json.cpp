#include "halld/live/view_json.hpp"

#include <algorithm>

#include "halld/records/event_json.hpp"

namespace halld::live {
namespace {

// Minutes from `since` to `now`; never negative (a device clock within its bounds may still run
// a little ahead of halld's).
double minutes_since(Timestamp since, Timestamp now) {
  return std::max(0.0, static_cast<double>((now - since).count()) / 60.0);
}

ordered_json waiting_json(const model::WaitingTicket& w, Timestamp now) {
  return {{"ticket", w.ticket},
          {"business", w.business},
          {"since", records::iso8601(w.since)},
          {"waited_min", minutes_since(w.since, now)}};
}

ordered_json prediction_json(const WaitPrediction& p) {
  ordered_json j;
  j["business"] = p.business.empty() ? ordered_json(nullptr) : ordered_json(p.business);
  j["waiting_ahead"] = p.waiting_ahead;
  j["open_windows"] = p.open_windows;
  j["busy_windows"] = p.busy_windows;
  j["arrivals_per_hour"] = p.arrivals_per_hour;
  j["mean_service_min"] = p.mean_service_minutes;
  j["utilisation"] = p.utilisation;
  j["predicted_wait_min"] = p.predicted_wait_min;
  put(j, "steady_state_wait_min", p.steady_state_wait_min);
  j["windows_needed"] = p.windows_needed ? ordered_json(*p.windows_needed) : ordered_json(nullptr);
  return j;
}

std::string_view state_name(records::WindowState s) {
  switch (s) {
    case records::WindowState::open:
      return "open";
    case records::WindowState::paused:
      return "paused";
    case records::WindowState::closed:
      return "closed";
  }
  return "closed";
}

std::string_view state_name(records::TerminalState s) {
  static constexpr std::string_view names[] = {"",      "in_service",  "idle",   "busy",
                                               "fault", "maintenance", "offline"};
  const auto i = static_cast<std::size_t>(s);
  return i < std::size(names) ? names[i] : "unknown";
}

}  // namespace

void put(ordered_json& j, const char* name, const std::optional<double>& value) {
  j[name] = value ? ordered_json(*value) : ordered_json(nullptr);
}

ordered_json indicators_json(const kpi::Tally& tally) {
  const auto k = kpi::indicators(tally);
  ordered_json j;
  j["arrivals"] = k.arrivals;
  j["calls"] = k.calls;
  put(j, "average_wait_min", k.average_wait_min);
  put(j, "median_wait_min", k.median_wait_min);
  put(j, "p90_wait_min", k.p90_wait_min);
  put(j, "max_wait_min", k.max_wait_min);
  put(j, "service_level", k.service_level);
  j["abandoned"] = tally.abandoned;
  put(j, "abandonment_rate", k.abandonment_rate);
  j["served"] = k.served;
  put(j, "average_handling_min", k.average_handling_min);
  put(j, "handling_over_target_rate", k.handling_over_target_rate);
  put(j, "self_service_share", k.self_service_share);
  j["evaluated"] = k.evaluated;
  put(j, "satisfaction_rate", k.satisfaction_rate);
  put(j, "participation_rate", k.participation_rate);
  j["dissatisfied"] = k.dissatisfied;
  put(j, "weighted_score", k.weighted_score);
  j["weighted_volume"] = k.weighted_volume;
  j["serving_min"] = static_cast<double>(tally.serving_s) / 60.0;
  j["idle_min"] = static_cast<double>(tally.idle_s) / 60.0;
  put(j, "window_utilisation", k.window_utilisation);
  put(j, "terminal_availability", k.terminal_availability);
  j["transactions"] = k.transactions;
  put(j, "transaction_success_rate", k.transaction_success_rate);
  j["amount_yuan"] = static_cast<double>(tally.amount_fen) / 100.0;
  j["faults"] = k.faults;
  ordered_json histogram = ordered_json::array();
  std::size_t used = kpi::wait_bins;
  while (used > 0 && tally.wait_histogram[used - 1] == 0) --used;
  for (std::size_t i = 0; i < used; ++i) histogram.push_back(tally.wait_histogram[i]);
  j["wait_histogram"] = histogram;
  return j;
}

ordered_json live_json(const HallView& v) {
  const auto& s = v.state;
  ordered_json j;
  j["hall"] = v.code;
  j["name"] = v.name;
  j["city"] = v.city_code;
  j["as_of"] = records::iso8601(v.as_of);
  j["version"] = s.version;
  j["last_event"] =
      s.last_event ? ordered_json(records::iso8601(*s.last_event)) : ordered_json(nullptr);
  j["target_wait_min"] = static_cast<double>(v.target_wait_s) / 60.0;
  j["waiting"] = s.waiting.size();
  j["longest_wait_min"] = s.waiting.empty() ? 0.0 : minutes_since(s.waiting.front().since, v.as_of);
  ordered_json queues = ordered_json::object();
  for (const auto& w : s.waiting) {
    auto& q = queues[w.business];
    if (q.is_null()) q = {{"waiting", 0}, {"longest_wait_min", 0.0}};
    q["waiting"] = q["waiting"].get<int>() + 1;
    q["longest_wait_min"] =
        std::max(q["longest_wait_min"].get<double>(), minutes_since(w.since, v.as_of));
  }
  j["queues"] = queues;
  ordered_json tickets = ordered_json::array();
  for (const auto& w : s.waiting) tickets.push_back(waiting_json(w, v.as_of));
  j["tickets"] = tickets;
  ordered_json windows = ordered_json::array();
  for (const auto& w : s.windows) {
    ordered_json x{
        {"number", w.number},
        {"state", state_name(w.state)},
        {"clerk", w.clerk},
        {"ticket", w.ticket.empty() ? ordered_json(nullptr) : ordered_json(w.ticket)},
        {"business", w.business.empty() ? ordered_json(nullptr) : ordered_json(w.business)}};
    x["serving_min"] =
        w.ticket.empty() || w.service_started == Timestamp{}
            ? ordered_json(nullptr)
            : ordered_json(static_cast<double>((v.as_of - w.service_started).count()) / 60.0);
    x["served_today"] = w.served_today;
    windows.push_back(std::move(x));
  }
  j["windows"] = windows;
  ordered_json terminals = ordered_json::array();
  for (const auto& t : s.terminals) {
    ordered_json faults = ordered_json::array();  // [{"part": "receipt_printer", "state": "jam"}]
    for (const auto& [part, state] : t.faults)
      faults.push_back(
          {{"part", records::part_name(part)}, {"state", records::part_state_name(state)}});
    terminals.push_back(
        {{"terminal", t.id},
         {"state", t.state ? ordered_json(state_name(*t.state)) : ordered_json(nullptr)},
         {"since", records::iso8601(t.state_since)},
         {"faulty_parts", faults},
         {"door_open", t.door_open},
         {"last_transaction", t.last_transaction
                                  ? ordered_json(records::iso8601(*t.last_transaction))
                                  : ordered_json(nullptr)},
         {"transactions_today", t.transactions_today}});
  }
  j["terminals"] = terminals;
  ordered_json channels = ordered_json::array();
  for (const auto& c : s.channels)
    channels.push_back({{"channel", c.code}, {"up", c.up}, {"since", records::iso8601(c.since)}});
  j["channels"] = channels;
  j["unpaired_events"] = s.unpaired_events;
  j["today"] = indicators_json(v.today);
  j["last_15_min"] = indicators_json(v.last_15_min);
  j["last_60_min"] = indicators_json(v.last_60_min);
  ordered_json predictions = ordered_json::array();
  for (const auto& p : v.predictions) predictions.push_back(prediction_json(p));
  j["predictions"] = predictions;
  return j;
}

ordered_json summary_json(const HallView& v) {
  const auto today = kpi::indicators(v.today);
  ordered_json j;
  j["hall"] = v.code;
  j["name"] = v.name;
  j["city"] = v.city_code;
  j["waiting"] = v.state.waiting.size();
  j["longest_wait_min"] =
      v.state.waiting.empty()
          ? 0.0
          : static_cast<double>((v.as_of - v.state.waiting.front().since).count()) / 60.0;
  int open = 0;
  for (const auto& w : v.state.windows) open += w.state == records::WindowState::open;
  j["open_windows"] = open;
  j["predicted_wait_min"] = v.predictions.empty() ? 0.0 : v.predictions.front().predicted_wait_min;
  j["target_wait_min"] = static_cast<double>(v.target_wait_s) / 60.0;
  j["arrivals_today"] = today.arrivals;
  put(j, "average_wait_min_today", today.average_wait_min);
  put(j, "service_level_today", today.service_level);
  put(j, "satisfaction_rate_today", today.satisfaction_rate);
  bool any_down = false;
  for (const auto& c : v.state.channels) any_down = any_down || !c.up;
  j["comm"] = v.state.channels.empty() ? "unknown" : any_down ? "down" : "up";
  return j;
}

ordered_json overview_json(const Engine& engine, const std::string& city, const std::string& hall) {
  ordered_json halls = ordered_json::array();
  std::int64_t waiting = 0, open_windows = 0;
  kpi::Tally pooled;
  for (const auto& view : engine.views()) {
    if ((!city.empty() && view->city_code != city) || (!hall.empty() && view->code != hall))
      continue;
    auto summary = summary_json(*view);
    waiting += summary["waiting"].get<std::int64_t>();
    open_windows += summary["open_windows"].get<std::int64_t>();
    pooled += view->today;
    halls.push_back(std::move(summary));
  }
  ordered_json totals{{"halls", halls.size()},
                      {"waiting", waiting},
                      {"open_windows", open_windows},
                      {"arrivals_today", pooled.arrivals}};
  return {{"city", city.empty() ? ordered_json(nullptr) : ordered_json(city)},
          {"totals", totals},
          {"today", indicators_json(pooled)},
          {"halls", halls}};
}

}  // namespace halld::live
