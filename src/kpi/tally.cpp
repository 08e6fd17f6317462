#include "halld/kpi/tally.hpp"

#include <algorithm>

namespace halld::kpi {

using model::Fact;
using model::FactKind;
using std::chrono::seconds;

Timestamp bucket_of(Timestamp at) {
  const std::int64_t length = std::chrono::duration_cast<seconds>(bucket_length).count();
  const std::int64_t s = at.time_since_epoch().count();
  return Timestamp(seconds(s - ((s % length) + length) % length));
}

std::size_t wait_bin(std::int64_t wait_seconds) {
  if (wait_seconds < 0) wait_seconds = 0;
  if (wait_seconds < 3600) return static_cast<std::size_t>(wait_seconds / 60);
  if (wait_seconds < 3 * 3600) return 60 + static_cast<std::size_t>((wait_seconds - 3600) / 600);
  return wait_bins - 1;
}

std::int64_t wait_bin_start(std::size_t bin) {
  if (bin < 60) return static_cast<std::int64_t>(bin) * 60;
  return 3600 + static_cast<std::int64_t>(bin - 60) * 600;
}

std::int64_t wait_bin_width(std::size_t bin) {
  return bin < 60 ? 60 : 600;
}

Tally& Tally::operator+=(const Tally& o) {
  arrivals += o.arrivals;
  calls += o.calls;
  wait_sum_s += o.wait_sum_s;
  wait_max_s = std::max(wait_max_s, o.wait_max_s);
  calls_within_target += o.calls_within_target;
  abandoned += o.abandoned;
  abandoned_wait_sum_s += o.abandoned_wait_sum_s;
  called_no_shows += o.called_no_shows;
  for (std::size_t i = 0; i < wait_bins; ++i) wait_histogram[i] += o.wait_histogram[i];
  served += o.served;
  handled += o.handled;
  handling_sum_s += o.handling_sum_s;
  handled_over_target += o.handled_over_target;
  weighted_served_milli += o.weighted_served_milli;
  for (std::size_t i = 0; i < evaluations.size(); ++i) evaluations[i] += o.evaluations[i];
  weighted_evaluated_milli += o.weighted_evaluated_milli;
  weighted_score_milli += o.weighted_score_milli;
  serving_s += o.serving_s;
  idle_s += o.idle_s;
  paused_s += o.paused_s;
  available_s += o.available_s;
  observed_s += o.observed_s;
  transactions += o.transactions;
  transactions_ok += o.transactions_ok;
  transactions_failed += o.transactions_failed;
  amount_fen += o.amount_fen;
  faults += o.faults;
  return *this;
}

namespace {

constexpr std::string_view dimension_names[] = {"hall",     "business", "window", "clerk",
                                                "terminal", "method",   "part"};

std::int64_t weight_milli(const HallTerms& terms, records::CustomerClassCode c) {
  auto it = terms.class_weight_milli.find(c);
  return it == terms.class_weight_milli.end() ? 1000 : it->second;
}

// Scores of docs/kpi.md: very satisfied 100, satisfied 80, basic 60, dissatisfied 0.
std::int64_t score_of(records::EvaluationResult r) {
  switch (r) {
    case records::EvaluationResult::very_satisfied:
      return 100;
    case records::EvaluationResult::satisfied:
      return 80;
    case records::EvaluationResult::basic:
      return 60;
    default:
      return 0;
  }
}

// The keys one fact counts under, besides the hall itself.
struct Keys {
  Tallies& tallies;
  Timestamp bucket;
  template <class F>
  void each(const Fact& f, std::initializer_list<Dimension> dims, F&& add) {
    add(tallies[TallyKey{bucket, Dimension::hall, {}}]);
    for (auto d : dims) {
      std::string key;
      switch (d) {
        case Dimension::business:
          key = f.business;
          break;
        case Dimension::window:
          key = f.window ? std::to_string(f.window) : std::string();
          break;
        case Dimension::clerk:
          key = f.clerk;
          break;
        case Dimension::terminal:
          key = f.terminal;
          break;
        case Dimension::method:
          key = std::to_string(static_cast<int>(f.method));
          break;
        case Dimension::part:
          key = std::to_string(static_cast<int>(f.part));
          break;
        case Dimension::hall:
          break;
      }
      if (!key.empty()) add(tallies[TallyKey{bucket, d, std::move(key)}]);
    }
  }
};

// Splits [from, until) at bucket edges.
template <class F>
void per_bucket(Timestamp from, Timestamp until, F&& add) {
  while (from < until) {
    const auto bucket = bucket_of(from);
    const auto end = std::min(until, bucket + std::chrono::duration_cast<seconds>(bucket_length));
    add(bucket, from, end);
    from = end;
  }
}

}  // namespace

std::string_view to_string(Dimension d) {
  return dimension_names[static_cast<std::size_t>(d)];
}

std::optional<Dimension> parse_dimension(std::string_view text) {
  for (std::size_t i = 0; i < std::size(dimension_names); ++i) {
    if (dimension_names[i] == text) return static_cast<Dimension>(i);
  }
  return std::nullopt;
}

void add_fact(Tallies& tallies, const HallTerms& terms, const Fact& f) {
  using D = Dimension;
  Keys keys{tallies, bucket_of(f.at)};
  switch (f.kind) {
    case FactKind::arrival:
      keys.each(f, {D::business}, [](Tally& t) { ++t.arrivals; });
      break;
    case FactKind::call:
      keys.each(f, {D::business, D::window, D::clerk}, [&](Tally& t) {
        ++t.calls;
        t.wait_sum_s += f.seconds;
        t.wait_max_s = std::max(t.wait_max_s, f.seconds);
        if (f.seconds <= terms.target_wait_s) ++t.calls_within_target;
        ++t.wait_histogram[wait_bin(f.seconds)];
      });
      break;
    case FactKind::abandonment:
      keys.each(f, {D::business}, [&](Tally& t) {
        ++t.abandoned;
        t.abandoned_wait_sum_s += f.seconds;
      });
      break;
    case FactKind::no_show:
      keys.each(f, {D::business}, [&](Tally& t) {
        ++t.abandoned;
        t.abandoned_wait_sum_s += f.seconds;
        ++t.called_no_shows;
      });
      break;
    case FactKind::service: {
      const auto target = terms.target_handling_s.find(f.business);
      keys.each(f, {D::business, D::window, D::clerk}, [&](Tally& t) {
        ++t.served;
        t.weighted_served_milli += weight_milli(terms, f.customer_class);
        if (f.seconds < 0) return;
        ++t.handled;
        t.handling_sum_s += f.seconds;
        if (target != terms.target_handling_s.end() && f.seconds > target->second)
          ++t.handled_over_target;
      });
      break;
    }
    case FactKind::evaluation:
      keys.each(f, {D::business, D::window, D::clerk}, [&](Tally& t) {
        ++t.evaluations[static_cast<std::size_t>(f.evaluation)];
        if (f.evaluation == records::EvaluationResult::not_evaluated) return;
        const auto w = weight_milli(terms, f.customer_class);
        t.weighted_evaluated_milli += w;
        t.weighted_score_milli += w * score_of(f.evaluation);
      });
      break;
    case FactKind::window_time:
      per_bucket(f.at, f.until, [&](Timestamp bucket, Timestamp from, Timestamp until) {
        Keys part{tallies, bucket};
        const auto s = (until - from).count();
        part.each(f, {D::window, D::clerk}, [&](Tally& t) {
          switch (f.activity) {
            case model::WindowActivity::serving:
              t.serving_s += s;
              break;
            case model::WindowActivity::idle:
              t.idle_s += s;
              break;
            case model::WindowActivity::paused:
              t.paused_s += s;
              break;
          }
        });
      });
      break;
    case FactKind::terminal_time: {
      const bool always = terms.round_the_clock_terminals.contains(f.terminal);
      per_bucket(f.at, f.until, [&](Timestamp bucket, Timestamp from, Timestamp until) {
        const auto open = always ? (until - from) : terms.calendar.opening_seconds({from, until});
        if (open.count() == 0) return;
        Keys part{tallies, bucket};
        part.each(f, {D::terminal}, [&](Tally& t) {
          t.observed_s += open.count();
          if (f.available) t.available_s += open.count();
        });
      });
      break;
    }
    case FactKind::transaction:
      keys.each(f, {D::terminal, D::business, D::method}, [&](Tally& t) {
        ++t.transactions;
        if (f.transaction_result == records::TransactionResult::success) {
          ++t.transactions_ok;
          t.amount_fen += f.amount_fen;
        } else if (f.transaction_result == records::TransactionResult::failed) {
          ++t.transactions_failed;
        }
      });
      break;
    case FactKind::part_fault:
      keys.each(f, {D::terminal, D::part}, [](Tally& t) { ++t.faults; });
      break;
  }
}

std::optional<double> wait_quantile_minutes(const std::array<std::int32_t, wait_bins>& histogram,
                                            double p) {
  std::int64_t total = 0;
  for (auto n : histogram) total += n;
  if (total == 0) return std::nullopt;
  const double rank = p * static_cast<double>(total);
  double below = 0;
  for (std::size_t bin = 0; bin < wait_bins; ++bin) {
    const double n = histogram[bin];
    if (n > 0 && below + n >= rank) {
      const double within = (rank - below) / n;
      return (static_cast<double>(wait_bin_start(bin)) +
              within * static_cast<double>(wait_bin_width(bin))) /
             60.0;
    }
    below += n;
  }
  return static_cast<double>(wait_bin_start(wait_bins - 1)) / 60.0;
}

namespace {
std::optional<double> ratio(std::int64_t part, std::int64_t whole) {
  if (whole <= 0) return std::nullopt;
  return static_cast<double>(part) / static_cast<double>(whole);
}
}  // namespace

Indicators indicators(const Tally& t) {
  Indicators k;
  k.arrivals = t.arrivals;
  k.calls = t.calls;
  if (t.calls > 0) {
    k.average_wait_min = static_cast<double>(t.wait_sum_s) / static_cast<double>(t.calls) / 60.0;
    k.max_wait_min = static_cast<double>(t.wait_max_s) / 60.0;
    // Interpolation within a bin can pass the longest wait seen (two waits of 10 s have a
    // bin-median of 30 s); no quantile is longer than the longest wait.
    k.median_wait_min = std::min(*wait_quantile_minutes(t.wait_histogram, 0.5), *k.max_wait_min);
    k.p90_wait_min = std::min(*wait_quantile_minutes(t.wait_histogram, 0.9), *k.max_wait_min);
  }
  k.service_level = ratio(t.calls_within_target, t.calls);
  // A customer who missed the call is one of the calls and one of the abandonments: once here.
  k.abandonment_rate = ratio(t.abandoned, t.calls + t.abandoned - t.called_no_shows);
  k.served = t.served;
  if (t.handled > 0)
    k.average_handling_min =
        static_cast<double>(t.handling_sum_s) / static_cast<double>(t.handled) / 60.0;
  k.handling_over_target_rate = ratio(t.handled_over_target, t.handled);
  k.self_service_share = ratio(t.transactions_ok, t.served + t.transactions_ok);
  using R = records::EvaluationResult;
  auto count = [&](R r) { return t.evaluations[static_cast<std::size_t>(r)]; };
  k.evaluated =
      count(R::very_satisfied) + count(R::satisfied) + count(R::basic) + count(R::dissatisfied);
  k.satisfaction_rate = ratio(count(R::very_satisfied) + count(R::satisfied), k.evaluated);
  k.participation_rate = ratio(k.evaluated, t.served);
  k.dissatisfied = count(R::dissatisfied);
  if (t.weighted_evaluated_milli > 0) {
    k.weighted_score = static_cast<double>(t.weighted_score_milli) /
                       static_cast<double>(t.weighted_evaluated_milli);
  }
  k.weighted_volume = static_cast<double>(t.weighted_served_milli) / 1000.0;
  k.window_utilisation = ratio(t.serving_s, t.serving_s + t.idle_s);
  k.terminal_availability = ratio(t.available_s, t.observed_s);
  k.transactions = t.transactions;
  k.transaction_success_rate = ratio(t.transactions_ok, t.transactions);
  k.faults = t.faults;
  return k;
}

}  // namespace halld::kpi

namespace halld::kpi {

void TallySink::on_fact(const model::Fact& fact) {
  add_fact(tallies_, terms_, fact);
  const auto last = fact.until > fact.at ? fact.until - std::chrono::seconds(1) : fact.at;
  for (auto bucket = bucket_of(fact.at); bucket <= last;
       bucket += std::chrono::duration_cast<seconds>(bucket_length)) {
    touched_.insert(bucket);
  }
}

Tallies tally_events(int hall_id, const HallTerms& terms, std::span<const records::Event> before,
                     std::span<const records::Event> events, Timestamp from, Timestamp until) {
  model::HallModel hall(hall_id);
  const auto& calendar = terms.calendar;
  const auto day = calendar.local_day(from);
  hall.catch_up(before, calendar.day_start(day), calendar.day_start(day - std::chrono::days(1)),
                from);
  Tallies tallies;
  TallySink sink(tallies, terms);
  for (const auto& e : events) hall.apply(e, sink);
  hall.cut_intervals(until, sink);
  return tallies;
}

Tallies sum_day(const Tallies& tallies, const model::HallCalendar& calendar,
                std::chrono::sys_days day) {
  Tallies daily;
  const auto from = calendar.day_start(day);
  const auto until = calendar.day_start(day + std::chrono::days(1));
  for (auto it = tallies.lower_bound(TallyKey{from, Dimension::hall, {}});
       it != tallies.end() && it->first.bucket < until; ++it) {
    daily[TallyKey{Timestamp(day), it->first.dimension, it->first.key}] += it->second;
  }
  return daily;
}

Tally sum_hall(const Tallies& tallies, Timestamp from, Timestamp until) {
  Tally total;
  const auto step = std::chrono::duration_cast<seconds>(bucket_length);
  for (auto bucket = bucket_of(from); bucket < until; bucket += step) {
    if (auto it = tallies.find(TallyKey{bucket, Dimension::hall, {}}); it != tallies.end())
      total += it->second;
  }
  return total;
}

}  // namespace halld::kpi

namespace halld::kpi {
namespace {

// The scalar fields in their order in the mask (the evaluations and the histogram follow).
constexpr std::int64_t Tally::*scalar_fields[] = {
    &Tally::arrivals,
    &Tally::calls,
    &Tally::wait_sum_s,
    &Tally::wait_max_s,
    &Tally::calls_within_target,
    &Tally::abandoned,
    &Tally::abandoned_wait_sum_s,
    &Tally::called_no_shows,
    &Tally::served,
    &Tally::handled,
    &Tally::handling_sum_s,
    &Tally::handled_over_target,
    &Tally::weighted_served_milli,
    &Tally::weighted_evaluated_milli,
    &Tally::weighted_score_milli,
    &Tally::serving_s,
    &Tally::idle_s,
    &Tally::paused_s,
    &Tally::available_s,
    &Tally::observed_s,
    &Tally::transactions,
    &Tally::transactions_ok,
    &Tally::transactions_failed,
    &Tally::amount_fen,
    &Tally::faults,
};
constexpr std::size_t scalar_count = std::size(scalar_fields);
constexpr std::size_t evaluation_count = std::tuple_size_v<decltype(Tally::evaluations)>;
static_assert(scalar_count + evaluation_count + 1 <= 64);

void save_tally(ByteWriter& out, const Tally& t) {
  std::uint64_t mask = 0;
  for (std::size_t i = 0; i < scalar_count; ++i)
    if (t.*scalar_fields[i] != 0) mask |= std::uint64_t{1} << i;
  for (std::size_t i = 0; i < evaluation_count; ++i)
    if (t.evaluations[i] != 0) mask |= std::uint64_t{1} << (scalar_count + i);
  const bool histogram =
      std::any_of(t.wait_histogram.begin(), t.wait_histogram.end(), [](auto v) { return v != 0; });
  if (histogram) mask |= std::uint64_t{1} << (scalar_count + evaluation_count);
  out.unsigned_(mask);
  for (std::size_t i = 0; i < scalar_count; ++i)
    if (t.*scalar_fields[i] != 0) out.signed_(t.*scalar_fields[i]);
  for (auto v : t.evaluations)
    if (v != 0) out.signed_(v);
  if (!histogram) return;
  std::size_t bins = 0;
  for (auto v : t.wait_histogram) bins += v != 0 ? 1 : 0;
  out.unsigned_(bins);
  std::size_t last = 0;
  for (std::size_t bin = 0; bin < wait_bins; ++bin) {
    if (t.wait_histogram[bin] == 0) continue;
    out.unsigned_(bin - last);  // ascending: each bin as its distance from the one before
    out.signed_(t.wait_histogram[bin]);
    last = bin;
  }
}

Tally load_tally(ByteReader& in) {
  Tally t;
  const auto mask = in.unsigned_();
  if (mask >> (scalar_count + evaluation_count + 1)) in.fail();
  for (std::size_t i = 0; i < scalar_count; ++i)
    if (mask & (std::uint64_t{1} << i)) t.*scalar_fields[i] = in.quantity();
  for (std::size_t i = 0; i < evaluation_count; ++i)
    if (mask & (std::uint64_t{1} << (scalar_count + i))) t.evaluations[i] = in.quantity();
  if (!(mask & (std::uint64_t{1} << (scalar_count + evaluation_count)))) return t;
  std::size_t bin = 0;
  for (auto n = in.count(2); n > 0 && !in.failed(); --n) {
    bin += in.unsigned_();
    // A bin is a 32-bit count that sums of buckets add to: one bucket's stays far below that.
    const auto v = in.signed_within(-(1 << 20), 1 << 20);
    if (bin >= wait_bins) {
      in.fail();
      break;
    }
    t.wait_histogram[bin] = static_cast<std::int32_t>(v);
  }
  return t;
}

}  // namespace

void save_tallies(ByteWriter& out, const Tallies& tallies) {
  out.unsigned_(tallies.size());
  Timestamp last{};
  for (const auto& [key, tally] : tallies) {
    out.signed_((key.bucket - last).count());  // ascending buckets: mostly 0 or one bucket
    last = key.bucket;
    out.code(key.dimension);
    out.text(key.key);
    save_tally(out, tally);
  }
}

void load_tallies(ByteReader& in, Tallies& into) {
  Timestamp bucket{};
  for (auto n = in.count(4); n > 0 && !in.failed(); --n) {
    bucket += std::chrono::seconds(
        in.signed_within(-ByteReader::max_epoch_seconds, ByteReader::max_epoch_seconds));
    if (bucket.time_since_epoch().count() < 0 ||
        bucket.time_since_epoch().count() > ByteReader::max_epoch_seconds)
      in.fail();
    TallyKey key{bucket, in.code(Dimension::hall, Dimension::part), in.text()};
    auto tally = load_tally(in);
    // Saved in order: each entry goes at the end, without a search.
    if (!in.failed()) into.try_emplace(into.end(), std::move(key))->second += tally;
  }
}

}  // namespace halld::kpi
