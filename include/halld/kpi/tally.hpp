// kpi/tally: the additive counts from which every KPI of docs/kpi.md is computed, kept per hall
// per 15-minute bucket and per dimension (business type, window, clerk, terminal, payment
// method, component). Every field adds: the tally of a longer period, a city or the province
// is the sum of its parts, so rollups over any split of the events give the same KPIs as the
// events taken whole. Owns: the fields, turning facts into them, and the KPI formulas over them.
// Pure.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "halld/core/bytes.hpp"
#include "halld/model/calendar.hpp"
#include "halld/model/hall_model.hpp"

namespace halld::kpi {

using records::Timestamp;

constexpr std::chrono::minutes bucket_length{15};
Timestamp bucket_of(Timestamp at);

// Waits by minute up to an hour, by ten minutes up to three hours, then one open bin.
constexpr std::size_t wait_bins = 60 + 12 + 1;
std::size_t wait_bin(std::int64_t wait_seconds);
// The lower edge of a bin in seconds, and its width (the last bin's width is taken as 10 min).
std::int64_t wait_bin_start(std::size_t bin);
std::int64_t wait_bin_width(std::size_t bin);

struct Tally {
  // queueing (calls and abandonments count in the bucket they happen in)
  std::int64_t arrivals = 0;
  std::int64_t calls = 0;
  std::int64_t wait_sum_s = 0;
  std::int64_t wait_max_s = 0;
  std::int64_t calls_within_target = 0;
  std::int64_t abandoned = 0;
  std::int64_t abandoned_wait_sum_s = 0;
  std::int64_t called_no_shows = 0;  // abandonments that were calls first (counted in both)
  std::array<std::int32_t, wait_bins> wait_histogram{};
  // handling
  std::int64_t served = 0;
  std::int64_t handled = 0;  // services whose handling time is known
  std::int64_t handling_sum_s = 0;
  std::int64_t handled_over_target = 0;
  std::int64_t weighted_served_milli = 0;  // Σ customer-class weight × 1000
  // evaluation: counts by EvaluationResult (index 0: asked, not evaluated)
  std::array<std::int64_t, 5> evaluations{};
  std::int64_t weighted_evaluated_milli = 0;
  std::int64_t weighted_score_milli = 0;  // Σ weight × score (100/80/60/0) × 1000
  // windows (seconds)
  std::int64_t serving_s = 0;
  std::int64_t idle_s = 0;
  std::int64_t paused_s = 0;
  // terminals (seconds within opening hours)
  std::int64_t available_s = 0;
  std::int64_t observed_s = 0;
  // self-service transactions
  std::int64_t transactions = 0;
  std::int64_t transactions_ok = 0;
  std::int64_t transactions_failed = 0;
  std::int64_t amount_fen = 0;  // of successful transactions
  std::int64_t faults = 0;

  Tally& operator+=(const Tally& other);
  bool operator==(const Tally&) const = default;
  bool empty() const { return *this == Tally{}; }
};

enum class Dimension : std::uint8_t { hall, business, window, clerk, terminal, method, part };
std::string_view to_string(Dimension d);
std::optional<Dimension> parse_dimension(std::string_view text);

struct TallyKey {
  Timestamp bucket{};
  Dimension dimension = Dimension::hall;
  std::string key;  // empty for the hall itself
  auto operator<=>(const TallyKey&) const = default;
};
using Tallies = std::map<TallyKey, Tally>;

// A hall's tallies as bytes (core/bytes) and back, for the live model's snapshots: per entry its
// bucket, dimension and key, then a mask of the fields that are not zero and those fields alone
// (most are zero in a 15-minute bucket of one clerk). load_tallies adds what it reads to `into`
// and fails the reader on anything that is not tallies whole.
void save_tallies(ByteWriter& out, const Tallies& tallies);
void load_tallies(ByteReader& in, Tallies& into);

// What the tallying of a hall's facts needs to know of the hall and the catalogues.
struct HallTerms {
  std::int64_t target_wait_s = 20 * 60;
  model::HallCalendar calendar;
  std::map<std::string, std::int64_t, std::less<>> target_handling_s;     // by business type
  std::map<records::CustomerClassCode, std::int64_t> class_weight_milli;  // missing: 1000
  std::set<std::string, std::less<>> round_the_clock_terminals;  // their opening time is 24 h
};

// Adds one fact to the tallies of the buckets it falls in (intervals are split at bucket
// edges, and for terminals clipped to the opening hours).
void add_fact(Tallies& tallies, const HallTerms& terms, const model::Fact& fact);

// A FactSink that tallies the facts of one hall, noting which buckets changed.
class TallySink final : public model::FactSink {
 public:
  TallySink(Tallies& tallies, const HallTerms& terms) : tallies_(tallies), terms_(terms) {}
  void on_fact(const model::Fact& fact) override;
  // Buckets touched since the last take_touched().
  std::set<Timestamp> take_touched() { return std::exchange(touched_, {}); }

 private:
  Tallies& tallies_;
  const HallTerms& terms_;
  std::set<Timestamp> touched_;
};

// The tallies of one hall over [from, until) from its events, the way the live engine counts
// them: `before` (the last window and terminal states known, then the events of the day before
// `from`'s day up to `from`) brings the model to `from` uncounted, `events` (those in
// [from, until), in the order they were stored) are counted, and time-weighted states run until
// `until`. Used by recomputation, which must agree with the live engine.
Tallies tally_events(int hall_id, const HallTerms& terms, std::span<const records::Event> before,
                     std::span<const records::Event> events, Timestamp from, Timestamp until);

// The tallies of the hall's local day `day` summed per dimension and key, each under
// TallyKey::bucket = the day at 00:00 UTC (the form kpi_daily rows take).
Tallies sum_day(const Tallies& tallies, const model::HallCalendar& calendar,
                std::chrono::sys_days day);
// The hall-wide tally over the buckets in [from, until).
Tally sum_hall(const Tallies& tallies, Timestamp from, Timestamp until);

// The KPIs of docs/kpi.md over one tally. Rates are nullopt when their denominator is zero.
struct Indicators {
  std::int64_t arrivals = 0;
  std::int64_t calls = 0;
  std::optional<double> average_wait_min;
  std::optional<double> median_wait_min;
  std::optional<double> p90_wait_min;
  std::optional<double> max_wait_min;
  std::optional<double> service_level;     // share of calls within the target wait
  std::optional<double> abandonment_rate;  // abandoned / (calls + abandoned)
  std::int64_t served = 0;
  std::optional<double> average_handling_min;
  std::optional<double> handling_over_target_rate;
  std::optional<double> self_service_share;  // successful transactions / (served + them)
  std::int64_t evaluated = 0;
  std::optional<double> satisfaction_rate;   // (very satisfied + satisfied) / evaluated
  std::optional<double> participation_rate;  // evaluated / served
  std::int64_t dissatisfied = 0;
  std::optional<double> weighted_score;      // class-weighted satisfaction score, 0–100
  double weighted_volume = 0;                // Σ class weight of served customers
  std::optional<double> window_utilisation;  // serving / (serving + idle)
  std::optional<double> terminal_availability;
  std::int64_t transactions = 0;
  std::optional<double> transaction_success_rate;
  std::int64_t faults = 0;
};
Indicators indicators(const Tally& tally);

// The p-quantile (0..1) of the waits in the histogram, interpolated within its bin; nullopt when
// empty.
std::optional<double> wait_quantile_minutes(const std::array<std::int32_t, wait_bins>& histogram,
                                            double p);

}  // namespace halld::kpi
