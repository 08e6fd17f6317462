#include "halld/store/kpi_store.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <charconv>
#include <set>
#include <stdexcept>

#include "halld/records/event_json.hpp"
#include "halld/store/model_store.hpp"

namespace halld::store {
namespace {

using kpi::Tally;
using records::Timestamp;
using std::chrono::sys_days;

// The additive columns of kpi_rollup and kpi_daily, and where each lives in a Tally.
struct Column {
  const char* name;
  std::int64_t& (*field)(Tally&);
};
#define HALLD_TALLY_COLUMN(member)                               \
  Column {                                                       \
#member, [](Tally & t) -> std::int64_t& { return t.member; } \
  }
#define HALLD_EVALUATION_COLUMN(name, result)                                            \
  Column {                                                                               \
    name, [](Tally& t) -> std::int64_t& {                                                \
      return t.evaluations[static_cast<std::size_t>(records::EvaluationResult::result)]; \
    }                                                                                    \
  }
const Column sum_columns[] = {
    HALLD_TALLY_COLUMN(arrivals),
    HALLD_TALLY_COLUMN(calls),
    HALLD_TALLY_COLUMN(wait_sum_s),
    HALLD_TALLY_COLUMN(calls_within_target),
    HALLD_TALLY_COLUMN(abandoned),
    HALLD_TALLY_COLUMN(abandoned_wait_sum_s),
    HALLD_TALLY_COLUMN(called_no_shows),
    HALLD_TALLY_COLUMN(served),
    HALLD_TALLY_COLUMN(handled),
    HALLD_TALLY_COLUMN(handling_sum_s),
    HALLD_TALLY_COLUMN(handled_over_target),
    HALLD_TALLY_COLUMN(weighted_served_milli),
    HALLD_EVALUATION_COLUMN("not_evaluated", not_evaluated),
    HALLD_EVALUATION_COLUMN("very_satisfied", very_satisfied),
    HALLD_EVALUATION_COLUMN("satisfied", satisfied),
    HALLD_EVALUATION_COLUMN("basic", basic),
    HALLD_EVALUATION_COLUMN("dissatisfied", dissatisfied),
    HALLD_TALLY_COLUMN(weighted_evaluated_milli),
    HALLD_TALLY_COLUMN(weighted_score_milli),
    HALLD_TALLY_COLUMN(serving_s),
    HALLD_TALLY_COLUMN(idle_s),
    HALLD_TALLY_COLUMN(paused_s),
    HALLD_TALLY_COLUMN(available_s),
    HALLD_TALLY_COLUMN(observed_s),
    HALLD_TALLY_COLUMN(transactions),
    HALLD_TALLY_COLUMN(transactions_ok),
    HALLD_TALLY_COLUMN(transactions_failed),
    HALLD_TALLY_COLUMN(amount_fen),
    HALLD_TALLY_COLUMN(faults),
};
#undef HALLD_TALLY_COLUMN
#undef HALLD_EVALUATION_COLUMN

std::int64_t epoch(Timestamp t) {
  return t.time_since_epoch().count();
}
std::int64_t day_number(sys_days d) {
  return d.time_since_epoch().count();
}
using records::date_text;

std::string histogram_text(const std::array<std::int32_t, kpi::wait_bins>& histogram) {
  std::size_t used = histogram.size();
  while (used > 0 && histogram[used - 1] == 0) --used;
  return fmt::format(
      "{{{}}}",
      fmt::join(histogram.begin(), histogram.begin() + static_cast<std::ptrdiff_t>(used), ","));
}

std::array<std::int32_t, kpi::wait_bins> parse_histogram(std::string_view text) {
  std::array<std::int32_t, kpi::wait_bins> histogram{};
  if (text.size() < 2) return histogram;
  text = text.substr(1, text.size() - 2);  // {1,2,3}
  std::size_t bin = 0;
  while (!text.empty() && bin < histogram.size()) {
    const auto comma = text.find(',');
    const auto item = text.substr(0, comma);
    std::int64_t n = 0;
    std::from_chars(item.data(), item.data() + item.size(), n);
    histogram[bin++] = static_cast<std::int32_t>(n);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return histogram;
}

std::vector<std::string> stored_columns(const char* period_column) {
  std::vector<std::string> names = {"hall_id", period_column, "dimension", "key"};
  for (const auto& c : sum_columns) names.push_back(c.name);
  names.push_back("wait_max_s");
  names.push_back("wait_histogram");
  return names;
}

// A row for COPY: a std::array, as libpqxx 6's stream_to takes tuples only.
using RowValues = std::array<std::string, 4 + std::size(sum_columns) + 2>;
RowValues row_values(int hall_id, std::string period, const kpi::TallyKey& key,
                     const Tally& tally) {
  RowValues values;
  values[0] = std::to_string(hall_id);
  values[1] = std::move(period);
  values[2] = std::to_string(static_cast<int>(key.dimension));
  values[3] = key.key;
  std::size_t i = 4;
  Tally copy = tally;
  for (const auto& c : sum_columns) values[i++] = std::to_string(c.field(copy));
  values[i++] = std::to_string(tally.wait_max_s);
  values[i] = histogram_text(tally.wait_histogram);
  return values;
}

const std::vector<Statement> statements = {
    {"kpi_halls",
     "SELECT h.id, h.code, h.name, c.code, h.target_wait_min, "
     "coalesce((SELECT extract(epoch FROM z.utc_offset)::integer / 60 FROM pg_timezone_names z "
     "WHERE z.name = h.timezone), 480) FROM hall h JOIN city_company c ON c.id = h.city_id ORDER "
     "BY h.id"},
    {"kpi_hours",
     "SELECT hall_id, weekday, extract(epoch FROM opens)::integer / 60, extract(epoch FROM "
     "closes)::integer / 60, "
     "extract(epoch FROM lunch_starts)::integer / 60, extract(epoch FROM lunch_ends)::integer / 60 "
     "FROM hall_opening_hours"},
    {"kpi_exceptions",
     "SELECT hall_id, day - date '1970-01-01', extract(epoch FROM opens)::integer / 60, "
     "extract(epoch FROM closes)::integer / 60, extract(epoch FROM lunch_starts)::integer / 60, "
     "extract(epoch FROM lunch_ends)::integer / 60 FROM hall_calendar_exception"},
    {"kpi_business_targets", "SELECT code, target_handling_min * 60 FROM business_type"},
    {"kpi_class_weights", "SELECT code, round(weight * 1000)::bigint FROM customer_class"},
    {"kpi_terminals",
     "SELECT hall_id, code, type, placement = 'zone_24h' FROM terminal WHERE status = 'active'"},
    {"kpi_window_business",
     "SELECT w.hall_id, w.number, b.business_code FROM counter_window w "
     "JOIN window_business_type b ON b.window_id = w.id"},
    {"kpi_source_sequences", "SELECT id, last_sequence, epoch FROM acquisition_source"},
    {"kpi_month_partition", "SELECT halld_month_partition('kpi_rollup', $1::timestamptz)"},
    {"kpi_delete_buckets",
     "DELETE FROM kpi_rollup WHERE hall_id = $1 AND bucket = ANY(SELECT to_timestamp(b) FROM "
     "unnest($2::double precision[]) b)"},
    {"kpi_delete_days",
     "DELETE FROM kpi_daily WHERE hall_id = $1 AND day = ANY(SELECT date '1970-01-01' + d FROM "
     "unnest($2::integer[]) d)"},
    {"kpi_note_stale",
     "INSERT INTO kpi_stale_day (hall_id, day) SELECT $1, date '1970-01-01' + d FROM "
     "unnest($2::integer[]) d "
     "ON CONFLICT (hall_id, day) DO UPDATE SET noted_at = now()"},
    {"kpi_stale_days",
     "SELECT hall_id, day - date '1970-01-01', noted_at::text FROM kpi_stale_day ORDER BY noted_at "
     "LIMIT $1"},
    {"kpi_hour_of_week",
     "SELECT extract(isodow FROM local)::integer, extract(hour FROM local)::integer, "
     "sum(calls)::bigint, "
     "sum(wait_sum_s)::bigint, sum(arrivals)::bigint, count(DISTINCT local::date) FROM "
     "(SELECT (bucket AT TIME ZONE 'UTC') + make_interval(mins => $2) AS local, calls, wait_sum_s, "
     "arrivals "
     "FROM kpi_rollup WHERE hall_id = $1 AND dimension = 0 AND bucket >= to_timestamp($3) "
     "AND bucket < to_timestamp($4)) AS r GROUP BY 1, 2 ORDER BY 1, 2"},
    {"kpi_clear_stale",
     "DELETE FROM kpi_stale_day WHERE hall_id = $1 AND day = date '1970-01-01' + $2::integer "
     "AND noted_at = $3::timestamptz"},
};

std::optional<records::DayHours> hours_of(const pqxx::row& row) {
  if (row[2].is_null()) return std::nullopt;
  records::DayHours h{static_cast<records::MinuteOfDay>(row[2].as<int>()),
                      static_cast<records::MinuteOfDay>(row[3].as<int>()), std::nullopt,
                      std::nullopt};
  if (!row[4].is_null()) {
    h.lunch_starts = static_cast<records::MinuteOfDay>(row[4].as<int>());
    h.lunch_ends = static_cast<records::MinuteOfDay>(row[5].as<int>());
  }
  return h;
}

std::optional<records::CustomerClassCode> class_code(std::string_view code) {
  if (code == "premium") return records::CustomerClassCode::premium;
  if (code == "general") return records::CustomerClassCode::general;
  if (code == "potential") return records::CustomerClassCode::potential;
  return std::nullopt;
}

}  // namespace

std::vector<Statement> kpi_statements() {
  auto all = statements;  // the engine's snapshots are the KPI engine's too
  auto snapshots = model_statements();
  all.insert(all.end(), snapshots.begin(), snapshots.end());
  return all;
}

std::vector<KpiHall> load_kpi_halls(pqxx::connection& connection) {
  store::ReadTransaction tx(connection);
  std::map<std::string, std::int64_t, std::less<>> targets;
  for (const auto& row : tx.exec_prepared("kpi_business_targets"))
    targets[row[0].as<std::string>()] = row[1].as<std::int64_t>();
  std::map<records::CustomerClassCode, std::int64_t> weights;
  for (const auto& row : tx.exec_prepared("kpi_class_weights")) {
    if (auto code = class_code(row[0].as<std::string>()))
      weights[*code] = row[1].as<std::int64_t>();
  }
  struct Calendar {
    std::optional<records::DayHours> week[7];
    std::map<sys_days, std::optional<records::DayHours>> exceptions;
  };
  std::map<int, Calendar> calendars;
  for (const auto& row : tx.exec_prepared("kpi_hours")) {
    calendars[row[0].as<int>()].week[row[1].as<int>() - 1] = hours_of(row);
  }
  for (const auto& row : tx.exec_prepared("kpi_exceptions")) {
    calendars[row[0].as<int>()].exceptions[sys_days(std::chrono::days(row[1].as<int>()))] =
        hours_of(row);
  }
  std::map<int, std::set<std::string, std::less<>>> round_the_clock;
  std::map<int, std::map<std::string, std::string, std::less<>>> terminal_types;
  for (const auto& row : tx.exec_prepared("kpi_terminals")) {
    terminal_types[row[0].as<int>()][row[1].as<std::string>()] = row[2].as<std::string>();
    if (row[3].as<bool>()) round_the_clock[row[0].as<int>()].insert(row[1].as<std::string>());
  }
  std::map<int, std::map<int, std::vector<std::string>>> window_business;
  for (const auto& row : tx.exec_prepared("kpi_window_business")) {
    window_business[row[0].as<int>()][row[1].as<int>()].push_back(row[2].as<std::string>());
  }
  std::vector<KpiHall> halls;
  for (const auto& row : tx.exec_prepared("kpi_halls")) {
    KpiHall h;
    h.id = row[0].as<int>();
    h.code = row[1].as<std::string>();
    h.name = row[2].as<std::string>();
    h.city_code = row[3].as<std::string>();
    h.terms.target_wait_s = row[4].as<std::int64_t>() * 60;
    const auto& calendar = calendars[h.id];
    h.terms.calendar = model::HallCalendar(std::chrono::minutes(row[5].as<int>()), calendar.week,
                                           calendar.exceptions);
    h.terms.target_handling_s = targets;
    h.terms.class_weight_milli = weights;
    h.terms.round_the_clock_terminals = round_the_clock[h.id];
    h.window_business = window_business[h.id];
    h.terminal_types = terminal_types[h.id];
    halls.push_back(std::move(h));
  }
  return halls;
}

std::map<int, SequenceMark> source_sequences(pqxx::connection& connection) {
  store::ReadTransaction tx(connection);
  return source_sequences(tx);
}

std::map<int, SequenceMark> source_sequences(pqxx::transaction_base& tx) {
  std::map<int, SequenceMark> marks;
  for (const auto& row : tx.exec_prepared("kpi_source_sequences")) {
    auto& mark = marks[row[0].as<int>()];
    mark.last = static_cast<std::uint32_t>(row[1].as<std::int64_t>());
    if (!row[2].is_null()) mark.epoch = static_cast<std::uint32_t>(row[2].as<std::int64_t>());
  }
  return marks;
}

void write_rollups(pqxx::connection& connection, std::span<const HallRollup> halls) {
  pqxx::work tx(connection);
  write_rollups(tx, halls);
  tx.commit();
}

void write_rollups(pqxx::transaction_base& tx, std::span<const HallRollup> halls) {
  for (const auto& h : halls) {
    if (!h.buckets.empty()) {
      std::vector<std::int64_t> buckets;
      for (auto b : h.buckets) buckets.push_back(epoch(b));
      tx.exec_prepared("kpi_delete_buckets", h.hall_id,
                       fmt::format("{{{}}}", fmt::join(buckets, ",")));
    }
    if (!h.days.empty()) {
      std::vector<std::int64_t> days;
      for (auto d : h.days) days.push_back(day_number(d));
      tx.exec_prepared("kpi_delete_days", h.hall_id, fmt::format("{{{}}}", fmt::join(days, ",")));
    }
  }
  const auto written = [](const HallRollup& h, const kpi::TallyKey& key, const Tally& tally) {
    return h.buckets.contains(key.bucket) && !tally.empty();
  };
  std::set<std::int64_t> months;  // each month's partition made before its rows go in
  for (const auto& h : halls) {
    for (const auto& [key, tally] : h.rollups) {
      const std::chrono::year_month_day date{std::chrono::floor<std::chrono::days>(key.bucket)};
      if (written(h, key, tally) &&
          months.insert(int(date.year()) * 12 + unsigned(date.month())).second)
        tx.exec_prepared("kpi_month_partition", records::iso8601(key.bucket));
    }
  }
  {
    pqxx::stream_to stream(tx, "kpi_rollup", stored_columns("bucket"));
    for (const auto& h : halls) {
      for (const auto& [key, tally] : h.rollups) {
        if (written(h, key, tally))
          stream << row_values(h.hall_id, records::iso8601(key.bucket), key, tally);
      }
    }
    stream.complete();
  }
  {
    pqxx::stream_to stream(tx, "kpi_daily", stored_columns("day"));
    for (const auto& h : halls) {
      for (const auto& [key, tally] : h.daily) {
        const auto day = std::chrono::floor<std::chrono::days>(key.bucket);
        if (h.days.contains(day) && !tally.empty())
          stream << row_values(h.hall_id, date_text(day), key, tally);
      }
    }
    stream.complete();
  }
}

void note_stale_days(pqxx::connection& connection, int hall_id, const std::set<sys_days>& days) {
  std::vector<std::int64_t> numbers;
  for (auto d : days) numbers.push_back(day_number(d));
  pqxx::work tx(connection);
  tx.exec_prepared("kpi_note_stale", hall_id, fmt::format("{{{}}}", fmt::join(numbers, ",")));
  tx.commit();
}

std::vector<StaleDay> stale_days(pqxx::connection& connection, std::size_t limit) {
  store::ReadTransaction tx(connection);
  std::vector<StaleDay> days;
  for (const auto& row : tx.exec_prepared("kpi_stale_days", static_cast<std::int64_t>(limit))) {
    days.push_back({row[0].as<int>(), sys_days(std::chrono::days(row[1].as<int>())),
                    row[2].as<std::string>()});
  }
  return days;
}

void clear_stale_day(pqxx::connection& connection, const StaleDay& day) {
  pqxx::work tx(connection);
  tx.exec_prepared("kpi_clear_stale", day.hall_id, day_number(day.day), day.noted_at);
  tx.commit();
}

std::optional<Granularity> parse_granularity(std::string_view text) {
  if (text == "15min") return Granularity::quarter_hour;
  if (text == "hour") return Granularity::hour;
  if (text == "day") return Granularity::day;
  if (text == "week") return Granularity::week;
  if (text == "month") return Granularity::month;
  if (text == "total") return Granularity::total;
  return std::nullopt;
}

std::vector<KpiRow> query_kpis(pqxx::connection& connection, const KpiQuery& q, std::size_t limit) {
  const bool daily = q.granularity == Granularity::day || q.granularity == Granularity::week ||
                     q.granularity == Granularity::month;
  // Only these fixed fragments are spliced into the text; every value is a parameter.
  const char* period = "''";
  switch (q.granularity) {
    case Granularity::quarter_hour:
      period = "to_char(bucket AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')";
      break;
    case Granularity::hour:
      period =
          "to_char(date_trunc('hour', bucket AT TIME ZONE 'UTC'), "
          "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')";
      break;
    case Granularity::day:
      period = "to_char(day, 'YYYY-MM-DD')";
      break;
    case Granularity::week:
      period = "to_char(date_trunc('week', day), 'YYYY-MM-DD')";
      break;
    case Granularity::month:
      period = "to_char(date_trunc('month', day), 'YYYY-MM-DD')";
      break;
    case Granularity::total:
      break;
  }
  std::string select =
      fmt::format("SELECT {} AS period, {} AS hall, {} AS k", period, q.per_hall ? "hall_id" : "0",
                  q.key.empty() && q.dimension != kpi::Dimension::hall ? "key" : "''");
  for (const auto& c : sum_columns) select += fmt::format(", sum({})::bigint", c.name);
  // Histograms add bin by bin; a subscript past an array's end is NULL, which sum() skips. (A
  // custom array aggregate cost several times as much: docs/benchmarks.md.)
  select += ", max(wait_max_s), ARRAY[";
  for (std::size_t bin = 1; bin <= kpi::wait_bins; ++bin) {
    select += fmt::format("{}coalesce(sum(wait_histogram[{}]), 0)", bin > 1 ? ", " : "", bin);
  }
  select += "]::text";
  const std::string range =
      daily ? "day >= date '1970-01-01' + $3::integer AND day < date '1970-01-01' + $4::integer"
            : "bucket >= to_timestamp($3) AND bucket < to_timestamp($4)";
  const std::string sql = fmt::format(
      "{} FROM {} WHERE ($1::integer[] IS NULL OR hall_id = ANY($1::integer[])) AND dimension = $2 "
      "AND {} "
      "AND ($5::text IS NULL OR key = $5) GROUP BY 1, 2, 3 ORDER BY 1, 2, 3 LIMIT $6",
      select, daily ? "kpi_daily" : "kpi_rollup", range);
  store::ReadTransaction tx(connection);
  std::optional<std::string> halls;
  if (!q.halls.empty()) halls = fmt::format("{{{}}}", fmt::join(q.halls, ","));
  std::optional<std::string> key;
  if (q.dimension == kpi::Dimension::hall)
    key = std::string();
  else if (!q.key.empty())
    key = q.key;
  const std::int64_t from = daily ? day_number(q.first_day) : epoch(q.from);
  const std::int64_t until = daily ? day_number(q.last_day) : epoch(q.until);
  auto result = tx.exec_params(sql, halls, static_cast<int>(q.dimension), from, until, key,
                               static_cast<std::int64_t>(limit) + 1);
  if (result.size() > limit)
    throw std::length_error(fmt::format("the query would return more than {} rows", limit));
  std::vector<KpiRow> rows;
  for (const auto& row : result) {
    KpiRow r{row[0].as<std::string>(), row[1].as<int>(), row[2].as<std::string>(), {}};
    int i = 3;
    for (const auto& c : sum_columns) c.field(r.tally) = row[i++].as<std::int64_t>();
    r.tally.wait_max_s = row[i++].as<std::int64_t>();
    r.tally.wait_histogram =
        parse_histogram(row[i].is_null() ? std::string_view() : row[i].c_str());
    rows.push_back(std::move(r));
  }
  return rows;
}

std::vector<HourOfWeek> hour_of_week_profile(pqxx::connection& connection, int hall_id,
                                             std::chrono::minutes utc_offset, Timestamp from,
                                             Timestamp until) {
  store::ReadTransaction tx(connection);
  std::vector<HourOfWeek> hours;
  for (const auto& row :
       tx.exec_prepared("kpi_hour_of_week", hall_id, static_cast<int>(utc_offset.count()),
                        epoch(from), epoch(until))) {
    hours.push_back({row[0].as<int>(), row[1].as<int>(), row[2].as<std::int64_t>(),
                     row[3].as<std::int64_t>(), row[4].as<std::int64_t>(),
                     row[5].as<std::int64_t>()});
  }
  return hours;
}

}  // namespace halld::store
