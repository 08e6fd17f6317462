// live/prediction: the wait a customer taking a ticket now can expect, per business and for the
// hall as a whole, from the hall's live state and its last hour (docs/kpi.md, "Predictions").
// Owns: the last hour's queue facts and the "last 15 / 60 minutes" figures drawn from them.
// Pure: the engine calls it for every published view and bench/prediction_error measures it
// against simulated halls. Must not touch: I/O, clocks (time comes from the caller).
#pragma once

#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "halld/kpi/tally.hpp"
#include "halld/model/hall_model.hpp"

namespace halld::live {

using records::Timestamp;

struct WaitPrediction {
  std::string business;  // empty: any business (the hall as a whole)
  int waiting_ahead = 0;
  int open_windows = 0;
  int busy_windows = 0;
  double arrivals_per_hour = 0;
  double mean_service_minutes = 0;
  double utilisation = 0;
  double predicted_wait_min = 0;
  std::optional<double> steady_state_wait_min;  // nullopt: the queue is unstable
  std::optional<int> windows_needed;            // for the hall's target wait
  bool operator==(const WaitPrediction&) const = default;
};

// Windows and the business types they serve (a window missing or with none serves all).
using WindowBusiness = std::map<int, std::vector<std::string>>;

// The queue facts (arrivals, calls, abandonments, services, evaluations) of the last hour.
class RecentFacts {
 public:
  void add(const model::Fact& fact);
  // Drops what is older than an hour before `now`; the tallies of the last 15 and 60 minutes
  // (counted under the hall only).
  struct Figures {
    kpi::Tally last_15_min;
    kpi::Tally last_60_min;
  };
  Figures figures(Timestamp now, const kpi::HallTerms& terms);
  // The hall as a whole first, then each business waiting or seen in the last hour, at `now`.
  std::vector<WaitPrediction> predict(const model::HallSnapshot& state,
                                      const kpi::Tally& last_60_min, const kpi::Tally& today,
                                      const kpi::HallTerms& terms,
                                      const WindowBusiness& window_business, Timestamp now) const;
  // The span the hourly arrival rate is read over at `now`: the last hour, or the time since the
  // hall opened today when that is shorter (never under ten minutes).
  static std::chrono::minutes rate_span(Timestamp now, const model::HallCalendar& calendar);

  // The facts as bytes (core/bytes) and back, for the engine's snapshots; load fails the reader
  // on anything that is not facts whole.
  void save(ByteWriter& out) const;
  void load(ByteReader& in);

 private:
  struct Recent {
    Timestamp at;
    model::FactKind kind;
    std::int32_t seconds;
    records::EvaluationResult evaluation;
    records::CustomerClassCode customer_class;
    std::string business;
  };
  std::deque<Recent> facts_;
};

}  // namespace halld::live
