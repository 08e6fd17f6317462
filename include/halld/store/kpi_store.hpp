// store/kpi_store: KPI rollups in PostgreSQL (sql/0009_kpi_rollups.sql) and what the KPI
// engine needs from the archives. Owns: loading each hall's KPI terms, replacing a hall's
// buckets and days of rollups, the stale-day queue, and history queries over the rollups
// (never over the event log). Runs inside Database jobs only.
#pragma once

#include <map>
#include <optional>
#include <pqxx/pqxx>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "halld/kpi/tally.hpp"
#include "halld/store/database.hpp"
#include "halld/store/ingest_record.hpp"

namespace halld::store {

// The KPI engine's statements, its snapshots' (store/model_store) among them.
std::vector<Statement> kpi_statements();

struct KpiHall {
  int id = 0;
  std::string code;
  std::string name;
  std::string city_code;
  kpi::HallTerms terms;
  // Window number → the business types it serves (empty: all).
  std::map<int, std::vector<std::string>> window_business;
  std::map<std::string, std::string, std::less<>>
      terminal_types;  // code → payment, business, query, internet
};
std::vector<KpiHall> load_kpi_halls(pqxx::connection& connection);

// Where every source's numbering stands, as ingest last stored it.
std::map<int, SequenceMark> source_sequences(pqxx::connection& connection);
std::map<int, SequenceMark> source_sequences(pqxx::transaction_base& tx);

// A hall's rollups to replace: every row of the named buckets and days goes, and the tallies
// given for them come in. Daily tallies carry the day as TallyKey::bucket (its 00:00 UTC).
struct HallRollup {
  int hall_id = 0;
  std::set<records::Timestamp> buckets;
  kpi::Tallies rollups;
  std::set<std::chrono::sys_days> days;
  kpi::Tallies daily;
};
// One transaction for all of them; idempotent.
void write_rollups(pqxx::connection& connection, std::span<const HallRollup> halls);
// The same inside the caller's transaction.
void write_rollups(pqxx::transaction_base& tx, std::span<const HallRollup> halls);

void note_stale_days(pqxx::connection& connection, int hall_id,
                     const std::set<std::chrono::sys_days>& days);
struct StaleDay {
  int hall_id = 0;
  std::chrono::sys_days day{};
  std::string noted_at;  // as the database has it, so that a note made again is not cleared
};
std::vector<StaleDay> stale_days(pqxx::connection& connection, std::size_t limit);
// Clears the note, unless it has been made again since it was read.
void clear_stale_day(pqxx::connection& connection, const StaleDay& day);

enum class Granularity { quarter_hour, hour, day, week, month, total };
std::optional<Granularity> parse_granularity(std::string_view text);

struct KpiQuery {
  std::vector<int> halls;  // empty: every hall
  kpi::Dimension dimension = kpi::Dimension::hall;
  std::string key;  // within the dimension; empty: each key separately (hall: the hall)
  records::Timestamp from{};
  records::Timestamp until{};  // exclusive
  // For day, week and month: the local days [first_day, last_day) instead of instants.
  std::chrono::sys_days first_day{};
  std::chrono::sys_days last_day{};
  Granularity granularity = Granularity::total;
  bool per_hall = false;  // one series per hall instead of their sum
};
struct KpiRow {
  std::string period;  // ISO-8601 instant (UTC) or date; empty for total
  int hall_id = 0;     // per_hall only
  std::string key;
  kpi::Tally tally;
};
// At most `limit` rows; a query that would return more throws std::length_error.
std::vector<KpiRow> query_kpis(pqxx::connection& connection, const KpiQuery& query,
                               std::size_t limit);

// A hall's queue by local hour of the week over [from, until), from its 15-minute rollups.
struct HourOfWeek {
  int weekday = 1;  // ISO: 1 = Monday
  int hour = 0;     // local
  std::int64_t calls = 0;
  std::int64_t wait_sum_s = 0;
  std::int64_t arrivals = 0;
  std::int64_t days = 0;  // distinct days with data at this hour
};
std::vector<HourOfWeek> hour_of_week_profile(pqxx::connection& connection, int hall_id,
                                             std::chrono::minutes utc_offset,
                                             records::Timestamp from, records::Timestamp until);

}  // namespace halld::store
