#include "halld/kpi/queueing.hpp"

#include <algorithm>

namespace halld::kpi {

double erlang_c(int servers, double offered_load) {
  if (servers <= 0 || offered_load >= servers) return 1;
  if (offered_load <= 0) return 0;
  // Erlang B by its recurrence (stable for hundreds of servers), then C from B.
  double b = 1;
  for (int k = 1; k <= servers; ++k) b = offered_load * b / (k + offered_load * b);
  const double c = static_cast<double>(servers);
  return c * b / (c - offered_load * (1 - b));
}

double utilisation(const QueueRates& rates) {
  if (rates.open_windows <= 0) return rates.arrivals_per_hour > 0 ? 1 : 0;
  return rates.arrivals_per_hour * rates.mean_service_minutes / 60.0 / rates.open_windows;
}

std::optional<double> steady_state_wait_minutes(const QueueRates& rates) {
  if (rates.open_windows <= 0 || rates.mean_service_minutes <= 0) return std::nullopt;
  const double lambda = rates.arrivals_per_hour / 60.0;  // per minute
  const double mu = 1.0 / rates.mean_service_minutes;
  const double load = lambda / mu;
  if (load >= rates.open_windows) return std::nullopt;
  return erlang_c(rates.open_windows, load) / (rates.open_windows * mu - lambda);
}

double wait_for_arrival_now_minutes(int waiting_ahead, int busy_windows, int open_windows,
                                    double mean_service_minutes) {
  if (open_windows <= 0)
    return waiting_ahead > 0 || busy_windows > 0 ? mean_service_minutes * (waiting_ahead + 1) : 0;
  if (busy_windows < open_windows && waiting_ahead == 0) return 0;
  // Memoryless services: departures come at rate c μ while every window is busy.
  return (std::max(waiting_ahead, 0) + 1) * mean_service_minutes / open_windows;
}

std::optional<int> windows_needed(double arrivals_per_hour, double mean_service_minutes,
                                  double target_wait_minutes, int max_windows) {
  for (int c = 1; c <= max_windows; ++c) {
    auto wait = steady_state_wait_minutes({arrivals_per_hour, mean_service_minutes, c});
    if (wait && *wait <= target_wait_minutes) return c;
  }
  return std::nullopt;
}

}  // namespace halld::kpi
