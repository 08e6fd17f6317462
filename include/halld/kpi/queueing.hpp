// kpi/queueing: queueing theory for a hall's windows (M/M/c, Erlang C): the wait to expect at
// given arrival and service rates, the wait of a customer arriving now behind the current
// queue, and how many windows meet a target wait. Pure arithmetic; the formulas and their
// fallback for an overloaded queue are in docs/kpi.md. Owns no state, touches no data.
#pragma once

#include <optional>

namespace halld::kpi {

struct QueueRates {
  double arrivals_per_hour = 0;     // λ, recent
  double mean_service_minutes = 0;  // 1/μ, recent
  int open_windows = 0;             // c
};

// Probability that an arrival has to wait (Erlang C) with `servers` windows and an offered load
// of `offered_load` erlangs (λ/μ); 1 when the load is at or above the number of windows.
double erlang_c(int servers, double offered_load);

// Utilisation ρ = λ / (c μ); ≥ 1: the queue grows without bound.
double utilisation(const QueueRates& rates);

// The mean wait in the queue in steady state (Erlang C: C / (cμ − λ)), in minutes; nullopt when
// there is no steady state (ρ ≥ 1, or no window open).
std::optional<double> steady_state_wait_minutes(const QueueRates& rates);

// The expected wait of a customer who takes a ticket now, with `waiting_ahead` tickets before
// them and `busy_windows` of the open windows serving: zero when a window is free, otherwise
// the time for waiting_ahead + 1 services to end at the rate c μ. It holds whether or not the
// queue is stable, which makes it the prediction when steady state does not exist.
double wait_for_arrival_now_minutes(int waiting_ahead, int busy_windows, int open_windows,
                                    double mean_service_minutes);

// The fewest windows (at most `max_windows`) whose steady-state mean wait is within
// `target_wait_minutes`; nullopt when even max_windows do not suffice.
std::optional<int> windows_needed(double arrivals_per_hour, double mean_service_minutes,
                                  double target_wait_minutes, int max_windows);

}  // namespace halld::kpi
