// Retention on a simulated calendar against real PostgreSQL: four months of two halls' events and
// their rollups; housekeeping on a December day drops exactly the months it should (holding one
// whose rollups are not final), archives them first, deletes old rows of the small tables and
// keeps open ones; what remains recomputes to the same rollups; a dropped month cannot be
// recomputed until its archive is loaded back, and then recomputes to the same rollups too.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "halld/live/engine.hpp"
#include "halld/retention/housekeeper.hpp"
#include "halld/store/event_store.hpp"
#include "halld/store/kpi_store.hpp"
#include "halld/store/migrations.hpp"
#include "process.hpp"
#include "queue_model.hpp"
#include "test_database.hpp"

namespace halld::retention {
namespace {

using namespace std::chrono_literals;
using records::Timestamp;
using std::chrono::days;
using std::chrono::sys_days;
using ::testing::HasSubstr;

// Local days 1 June to 31 October 2026 (UTC+8; the halls open at 08:30, so in UTC the same months).
const sys_days first_day = sys_days(std::chrono::year(2026) / 6 / 1);
const sys_days last_day = sys_days(std::chrono::year(2026) / 10 / 31);
const Timestamp housekeeping_day = Timestamp(sys_days(std::chrono::year(2026) / 12 / 15)) + 2h;

std::vector<store::Statement> statements() {
  auto all = store::event_statements();
  auto kpis = store::kpi_statements();
  all.insert(all.end(), kpis.begin(), kpis.end());
  return all;
}

class RetentionTest : public ::testing::Test {
 protected:
  RetentionTest() : database(db.conninfo(), 1, statements(), metrics) {
    database.run_blocking(
        [](pqxx::connection& c) { return store::migrate(c, store::known_migrations()); });
    db.exec("INSERT INTO city_company (code, name) VALUES ('C1', '郑州')");
    std::vector<store::IngestRecord> records;
    for (int h = 1; h <= 2; ++h) {
      db.exec(fmt::format(
          "INSERT INTO hall (code, name, city_id, latitude, longitude, level, status, "
          "target_wait_min) SELECT 'H{0}', '营业厅{0}', id, 34.7, 113.6, 'B', 'open', 15 FROM "
          "city_company; INSERT INTO hall_opening_hours (hall_id, weekday, opens, closes) SELECT "
          "h.id, d, '08:30', '17:30' FROM hall h, generate_series(1, 7) d WHERE h.code = 'H{0}'",
          h));
      const int hall_id =
          std::stoi(db.query_value(fmt::format("SELECT id FROM hall WHERE code = 'H{}'", h)));
      const auto source = database.run_blocking([&](pqxx::connection& c) {
        return store::register_source(c, fmt::format("qs-{}", h), 1, hall_id).source_id;
      });
      tools::QueueModelOptions q;
      q.seed = static_cast<std::uint64_t>(h);
      q.windows = 2;
      q.arrivals_per_hour = 4;
      q.start = Timestamp(first_day) - 8h;
      tools::QueueModel queue(q);
      std::uint32_t sequence = 0;
      const auto end = Timestamp(last_day + days(1)) - 8h;
      for (auto e = queue.next(); e.at < end; e = queue.next())
        records.push_back({source, ++sequence, hall_id, e, {}, std::nullopt, false});
    }
    std::stable_sort(records.begin(), records.end(),
                     [](const auto& a, const auto& b) { return a.event.at < b.event.at; });
    store::PartitionCache partitions;
    for (std::size_t i = 0; i < records.size(); i += 5000) {
      database.run_blocking([&](pqxx::connection& c) {
        return store::write_events(
            c, std::span(records).subspan(i, std::min<std::size_t>(5000, records.size() - i)),
            partitions);
      });
    }
    halls = database.run_blocking(store::load_kpi_halls);
    recompute(first_day, last_day);
    db.exec(
        "CREATE TABLE rollup_before AS TABLE kpi_rollup; CREATE TABLE daily_before AS TABLE "
        "kpi_daily");
  }

  void recompute(sys_days from, sys_days to) {
    for (const auto& hall : halls) {
      for (auto day = from; day <= to; day += days(1)) {
        database.run_blocking([&](pqxx::connection& c) {
          live::Engine::recompute_day(c, hall, day, housekeeping_day);
        });
      }
    }
  }

  // The rows on one side only; "same" when the tables agree.
  std::string difference(const std::string& table, const std::string& copy) {
    return db.query_value(fmt::format(
        "SELECT CASE WHEN count(*) = 0 THEN 'same' ELSE count(*) || ' rows differ' END FROM "
        "((TABLE {0} EXCEPT ALL TABLE {1}) UNION ALL (TABLE {1} EXCEPT ALL TABLE {0})) d",
        table, copy));
  }
  std::string partitions(const std::string& parent) {
    return db.query_value(fmt::format(
        "SELECT string_agg(c.relname, ' ' ORDER BY c.relname) FROM pg_inherits i JOIN pg_class c "
        "ON c.oid = i.inhrelid WHERE i.inhparent = '{}'::regclass",
        parent));
  }
  Report run(const RetentionConfig& retention, bool dry_run) {
    return database.run_blocking(
        [&](pqxx::connection& c) { return housekeep(c, retention, housekeeping_day, dry_run); });
  }

  testing::TestDatabase db;
  MetricsRegistry metrics;
  asio::io_context io;
  store::Database database;
  std::vector<store::KpiHall> halls;
  testing::TempDir dir;
};

TEST_F(RetentionTest, DropsExactlyTheDueMonthsAndWhatRemainsRecomputesUnchanged) {
  ASSERT_EQ(partitions("hall_event"),
            "hall_event_2026m06 hall_event_2026m07 hall_event_2026m08 hall_event_2026m09 "
            "hall_event_2026m10");
  ASSERT_EQ(partitions("kpi_rollup"),
            "kpi_rollup_2026m06 kpi_rollup_2026m07 kpi_rollup_2026m08 kpi_rollup_2026m09 "
            "kpi_rollup_2026m10");
  const auto events_in = [&](const char* month) {
    return std::stoll(db.query_value(fmt::format("SELECT count(*) FROM hall_event_{}", month)));
  };
  const auto july_events = events_in("2026m07");
  ASSERT_GT(july_events, 1000);
  const auto july_checksum = db.query_value(
      "SELECT md5(string_agg(t::text, ',' ORDER BY t::text)) FROM hall_event_2026m07 t");
  // An August day of hall H2 still waits to be rebuilt from its events.
  db.exec(
      "INSERT INTO kpi_stale_day (hall_id, day) SELECT id, '2026-08-20' FROM hall WHERE code "
      "= 'H2'");
  // The small tables: an old ended alarm goes, an old open one and a recent one stay; the audit
  // log keeps what is younger than its days.
  db.exec(
      "INSERT INTO alarm (id, rule_name, kind, hall_id, severity, state, raised_at, raised_value, "
      "last_value, cleared_at) SELECT n, 'r', 'threshold', (SELECT min(id) FROM hall), 1, s, r, "
      "1, 1, c FROM (VALUES (1, 'cleared', timestamptz '2026-01-05', timestamptz '2026-01-06'), "
      "(2, 'raised', '2026-01-05', NULL), (3, 'cleared', '2026-11-05', '2026-11-06')) v(n, s, r, "
      "c); INSERT INTO alarm_transition (alarm_id, at, kind, severity, actor) VALUES (1, "
      "'2026-01-05', 'raise', 1, 'system'), (1, '2026-01-06', 'clear', 1, 'system');"
      "INSERT INTO audit_log (at, actor, method, path, status) VALUES ('2023-01-01', 'user:a', "
      "'POST', '/x', 200), ('2026-06-01', 'user:a', 'POST', '/y', 200)");

  RetentionConfig retention;
  retention.event_months = 3;  // on 15 December: September, October, November kept
  retention.alarm_days = 180;
  retention.archive_dir = dir.path() / "archive";

  const auto dry = run(retention, true);
  const auto said = describe(dry);
  EXPECT_THAT(said, HasSubstr("would drop hall_event_2026m06"));
  EXPECT_THAT(said, HasSubstr("would drop hall_event_2026m07"));
  EXPECT_THAT(said, HasSubstr("held hall_event_2026m08 — its rollups are not final"));
  EXPECT_THAT(said, HasSubstr("would delete alarm: 1 rows"));
  EXPECT_THAT(said, HasSubstr("would delete audit_log: 1 rows"));
  EXPECT_THAT(said, ::testing::Not(HasSubstr("kpi_rollup")));
  EXPECT_EQ(events_in("2026m07"), july_events) << "a dry run removes nothing";
  EXPECT_EQ(db.query_value("SELECT count(*) FROM retention_log"), "0");
  EXPECT_FALSE(std::filesystem::exists(retention.archive_dir));

  const auto report = run(retention, false);
  EXPECT_EQ(partitions("hall_event"), "hall_event_2026m08 hall_event_2026m09 hall_event_2026m10");
  EXPECT_EQ(partitions("kpi_rollup"),
            "kpi_rollup_2026m06 kpi_rollup_2026m07 kpi_rollup_2026m08 kpi_rollup_2026m09 "
            "kpi_rollup_2026m10")
      << "rollups are kept 60 months";
  EXPECT_EQ(db.query_value("SELECT string_agg(id::text, ',' ORDER BY id) FROM alarm"), "2,3");
  EXPECT_EQ(db.query_value("SELECT count(*) FROM alarm_transition"), "0");
  EXPECT_EQ(db.query_value("SELECT string_agg(path, ',') FROM audit_log"), "/y");
  EXPECT_EQ(db.query_value("SELECT string_agg(action || ' ' || relation || ' ' || rows, ', ' "
                           "ORDER BY id) FROM retention_log WHERE relation LIKE 'hall_event%'"),
            fmt::format("archived hall_event_2026m06 {0}, dropped hall_event_2026m06 {0}, archived "
                        "hall_event_2026m07 {1}, dropped hall_event_2026m07 {1}",
                        db.query_value("SELECT rows FROM retention_log WHERE relation = "
                                       "'hall_event_2026m06' AND action = 'archived'"),
                        july_events));
  const auto archive = retention.archive_dir / "hall_event_2026m07.tsv.gz";
  ASSERT_TRUE(std::filesystem::exists(archive)) << describe(report);
  EXPECT_FALSE(
      std::filesystem::exists(retention.archive_dir / "hall_event_2026m07.tsv.gz.partial"));
  // The archive is a plain gzip file an operator can read.
  const auto head =
      testing::run_program("/bin/sh", {"-c", "zcat '" + archive.string() + "' | head -2"});
  EXPECT_THAT(head.output,
              HasSubstr("# halld-archive 1 hall_event 2026-07-01T00:00:00Z 2026-08-01T00:00:00Z"));
  EXPECT_THAT(head.output, HasSubstr("hall_id\toccurred_at\treceived_at"));

  // What remains recomputes to the same rollups, and the rollups of the dropped months stay.
  recompute(sys_days(std::chrono::year(2026) / 9 / 1), last_day);
  EXPECT_EQ(difference("kpi_rollup", "rollup_before"), "same");
  EXPECT_EQ(difference("kpi_daily", "daily_before"), "same");
  // A dropped month is not recomputed into emptiness.
  try {
    recompute(sys_days(std::chrono::year(2026) / 7 / 10),
              sys_days(std::chrono::year(2026) / 7 / 10));
    ADD_FAILURE() << "a day of a dropped month was recomputed";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("the events of hall_event_2026m07 were removed by retention on "
                                    "2026-12-15: load its archive back first"));
  }
  EXPECT_EQ(difference("kpi_rollup", "rollup_before"), "same");

  // Loaded back: the same rows, and July recomputes to the same rollups.
  const auto loaded = database.run_blocking(
      [&](pqxx::connection& c) { return load_archive(c, archive, housekeeping_day + 1h); });
  EXPECT_EQ(loaded.partition, "hall_event_2026m07");
  EXPECT_EQ(loaded.rows, july_events);
  EXPECT_EQ(db.query_value(
                "SELECT md5(string_agg(t::text, ',' ORDER BY t::text)) FROM hall_event_2026m07 t"),
            july_checksum);
  // (1 July local began on 30 June in UTC, whose events are gone: not recomputed.)
  recompute(sys_days(std::chrono::year(2026) / 7 / 2), sys_days(std::chrono::year(2026) / 7 / 31));
  EXPECT_EQ(difference("kpi_rollup", "rollup_before"), "same");
  EXPECT_THROW(database.run_blocking([&](pqxx::connection& c) {
    return load_archive(c, archive, housekeeping_day + 2h);
  }),
               std::runtime_error)
      << "a month holding rows is not loaded into";
  dir.write("not-an-archive.gz", "hello");
  EXPECT_THROW(database.run_blocking([&](pqxx::connection& c) {
    return load_archive(c, dir.path() / "not-an-archive.gz", housekeeping_day);
  }),
               std::runtime_error);

  // The loaded month is held a week; once August's day is rebuilt, August goes.
  db.exec("DELETE FROM kpi_stale_day");
  const auto again = describe(run(retention, false));
  EXPECT_THAT(again, HasSubstr("held hall_event_2026m07 — loaded back on 2026-12-15"));
  EXPECT_THAT(again, HasSubstr("dropped hall_event_2026m08"));
  EXPECT_EQ(partitions("hall_event"), "hall_event_2026m07 hall_event_2026m09 hall_event_2026m10");

  // Rollups kept four months: June and July's 15-minute rollups go, the daily ones stay.
  retention.rollup_months = 4;
  run(retention, false);
  EXPECT_EQ(partitions("kpi_rollup"), "kpi_rollup_2026m08 kpi_rollup_2026m09 kpi_rollup_2026m10");
  EXPECT_EQ(difference("kpi_daily", "daily_before"), "same");
}

}  // namespace
}  // namespace halld::retention
