// The KPI engine against real PostgreSQL on a simulated week of twenty halls: the live engine's
// rollups equal a recomputation from the event log, and both agree with KPIs computed by plain
// SQL straight from the raw events (an independent reading of the definitions in docs/kpi.md).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "halld/core/clock.hpp"
#include "halld/live/engine.hpp"
#include "halld/store/event_store.hpp"
#include "halld/store/kpi_store.hpp"
#include "halld/store/migrations.hpp"
#include "process.hpp"
#include "queue_model.hpp"
#include "terminal_model.hpp"
#include "test_database.hpp"

namespace halld::live {
namespace {

using namespace halld::records;
using namespace std::chrono_literals;
using std::chrono::days;
using std::chrono::sys_days;

constexpr int hall_count = 20;
// Monday 9 November 2026, 00:00 in the halls' time (UTC+8), and the week from there.
const sys_days first_day = sys_days(std::chrono::year(2026) / 11 / 9);
const Timestamp week_start = Timestamp(first_day) - std::chrono::hours(8);
const Timestamp week_end = week_start + days(7);

std::vector<store::Statement> statements() {
  auto all = store::event_statements();
  auto kpis = store::kpi_statements();
  all.insert(all.end(), kpis.begin(), kpis.end());
  return all;
}

class KpiWeekTest : public ::testing::Test {
 protected:
  KpiWeekTest() : database(db.conninfo(), 2, statements(), metrics) {
    database.run_blocking(
        [](pqxx::connection& c) { return store::migrate(c, store::known_migrations()); });
    db.exec("INSERT INTO city_company (code, name) VALUES ('C1', '郑州')");
    for (int h = 1; h <= hall_count; ++h) {
      db.exec(fmt::format(
          "INSERT INTO hall (code, name, city_id, latitude, longitude, level, status, "
          "target_wait_min) "
          "SELECT 'H{0:02}', '营业厅{0}', id, 34.7, 113.6, 'B', 'open', {1} FROM city_company;"
          "INSERT INTO hall_opening_hours (hall_id, weekday, opens, closes) "
          "SELECT h.id, d, '08:30', '17:30' FROM hall h, generate_series(1, 7) d WHERE h.code = "
          "'H{0:02}';"
          "INSERT INTO terminal (code, hall_id, type, placement, status) SELECT 'T{0:02}a', id, "
          "'payment', 'lobby', "
          "'active' FROM hall WHERE code = 'H{0:02}';"
          "INSERT INTO terminal (code, hall_id, type, placement, status) SELECT 'T{0:02}b', id, "
          "'payment', 'zone_24h', "
          "'active' FROM hall WHERE code = 'H{0:02}'",
          h, 10 + h));
    }
    simulate_week();
  }

  // Each hall's queue and terminals for the week, stored as ingest would store them.
  void simulate_week() {
    for (int h = 1; h <= hall_count; ++h) {
      const int hall_id =
          std::stoi(db.query_value(fmt::format("SELECT id FROM hall WHERE code = 'H{:02}'", h)));
      const auto queue_source = database.run_blocking([&](pqxx::connection& c) {
        return store::register_source(c, fmt::format("qs-{}", h), 1, hall_id).source_id;
      });
      const auto terminal_source = database.run_blocking([&](pqxx::connection& c) {
        return store::register_source(c, fmt::format("tm-{}", h), 1, hall_id).source_id;
      });
      tools::QueueModelOptions q;
      q.seed = static_cast<std::uint64_t>(h);
      q.windows = 2 + h % 3;
      q.arrivals_per_hour = 25.0 + 2 * h;
      q.start = week_start;
      tools::QueueModel queue(q);
      std::uint32_t sequence = 0;
      for (Event e = queue.next(); e.at < week_end; e = queue.next()) {
        records.push_back({queue_source, ++sequence, hall_id, e, {}, std::nullopt, false});
      }
      tools::TerminalFleetOptions t;
      t.seed = static_cast<std::uint64_t>(h);
      t.terminals = {{fmt::format("T{:02}a", h), false}, {fmt::format("T{:02}b", h), true}};
      t.faults_per_day = 2;
      t.start = week_start;
      tools::TerminalFleet fleet(t);
      sequence = 0;
      for (Event e = fleet.next(); e.at < week_end; e = fleet.next()) {
        records.push_back({terminal_source, ++sequence, hall_id, e, {}, std::nullopt, false});
      }
    }
    // The order of arrival: by time, each source's own order kept.
    std::stable_sort(records.begin(), records.end(),
                     [](const auto& a, const auto& b) { return a.event.at < b.event.at; });
    // Hall H03's queue system loses its link from Tuesday 10:00 to Thursday 10:00 and sends its
    // backlog when it is back, oldest first: two days late, with windows open at both ends,
    // window changes and no-shows after a call among it.
    const auto outage_start = week_start + days(1) + std::chrono::hours(10);
    const auto outage_end = week_start + days(3) + std::chrono::hours(10);
    auto held = [&](const store::IngestRecord& r) {
      return r.source_id == backlog_source && r.event.at >= outage_start && r.event.at < outage_end;
    };
    backlog_source =
        std::stoi(db.query_value("SELECT id FROM acquisition_source WHERE channel = 'qs-3'"));
    std::vector<store::IngestRecord> backlog;
    std::copy_if(records.begin(), records.end(), std::back_inserter(backlog), held);
    std::erase_if(records, held);
    const auto resumed = std::find_if(records.begin(), records.end(),
                                      [&](const auto& r) { return r.event.at >= outage_end; });
    backlog_from = outage_start;
    backlog_delivered = outage_end;
    records.insert(resumed, backlog.begin(), backlog.end());
  }

  // As ingest does: stored first, then handed to the model.
  void store(std::span<const store::IngestRecord> batch) {
    for (std::size_t i = 0; i < batch.size(); i += 5000) {
      database.run_blocking([&](pqxx::connection& c) {
        return store::write_events(
            c, batch.subspan(i, std::min<std::size_t>(5000, batch.size() - i)), partitions);
      });
    }
  }

  // The rows on one side only, as text, and how many there are on each side.
  std::string difference(const std::string& table, const std::string& copy) {
    return db.query_value(fmt::format(
        "SELECT format('%s rows here, %s there; ', (SELECT count(*) FROM {0}), (SELECT count(*) "
        "FROM {1})) || "
        "coalesce(string_agg(side || ' ' || row, E'\\n'), 'no difference') FROM ("
        "(SELECT 'only in {0}:' AS side, t::text AS row FROM (TABLE {0} EXCEPT TABLE {1}) t LIMIT "
        "10) UNION ALL "
        "(SELECT 'only in {1}:', t::text FROM (TABLE {1} EXCEPT TABLE {0}) t LIMIT 10)) d",
        table, copy));
  }

  testing::TestDatabase db;
  MetricsRegistry metrics;
  // Outlives the pool, as store/database.hpp requires.
  asio::io_context io;
  store::Database database;
  std::vector<store::IngestRecord> records;  // in the order they arrive
  int backlog_source = 0;
  Timestamp backlog_from{}, backlog_delivered{};
  store::PartitionCache partitions;
};

// Per hall and local day, straight from hall_event: the first call of each issued ticket and
// its wait, abandonments, services and their handling (from the start of service at the
// window), evaluations, transactions and components going from ok to a fault.
const char* sql_kpis = R"sql(
WITH e AS MATERIALIZED (
  SELECT h.target_wait_min, ev.*, (ev.occurred_at AT TIME ZONE 'Asia/Shanghai')::date AS day
  FROM hall_event ev JOIN hall h ON h.id = ev.hall_id),
issued AS (
  SELECT hall_id, ticket, occurred_at AS t0,
         lead(occurred_at) OVER (PARTITION BY hall_id, ticket ORDER BY occurred_at, sequence) AS next_issue
  FROM e WHERE kind = 0),
calls AS (
  SELECT DISTINCT ON (c.hall_id, c.ticket, i.t0) c.hall_id, c.day, c.target_wait_min,
         extract(epoch FROM c.occurred_at - i.t0)::bigint AS wait_s
  FROM e c JOIN issued i ON i.hall_id = c.hall_id AND i.ticket = c.ticket AND c.occurred_at >= i.t0
                        AND (i.next_issue IS NULL OR c.occurred_at < i.next_issue)
  WHERE c.kind = 1 ORDER BY c.hall_id, c.ticket, i.t0, c.occurred_at, c.sequence),
service_steps AS (
  SELECT hall_id, day, kind, occurred_at,
         max(occurred_at) FILTER (WHERE kind = 4) OVER (PARTITION BY hall_id, ticket, window_no
                                                        ORDER BY occurred_at, sequence) AS started
  FROM e WHERE kind IN (4, 5)),
parts AS (
  SELECT hall_id, day, part_state,
         lag(part_state) OVER (PARTITION BY hall_id, terminal, part ORDER BY occurred_at, sequence) AS before
  FROM e WHERE kind = 11),
counted AS (
  SELECT hall_id, day,
         count(*) FILTER (WHERE kind = 0) AS arrivals,
         count(*) FILTER (WHERE kind = 6) AS abandoned,
         count(*) FILTER (WHERE kind = 7 AND evaluation IN (1, 2)) AS satisfied,
         count(*) FILTER (WHERE kind = 7 AND evaluation = 4) AS dissatisfied,
         count(*) FILTER (WHERE kind = 13) AS transactions,
         count(*) FILTER (WHERE kind = 13 AND transaction_result = 0) AS transactions_ok
  FROM e GROUP BY 1, 2),
waits AS (
  SELECT hall_id, day, count(*) AS calls, sum(wait_s) AS wait_s,
         count(*) FILTER (WHERE wait_s <= target_wait_min * 60) AS within_target
  FROM calls GROUP BY 1, 2),
services AS (
  SELECT hall_id, day, count(*) AS served, sum(extract(epoch FROM occurred_at - started)::bigint) AS handling_s
  FROM service_steps WHERE kind = 5 GROUP BY 1, 2),
faults AS (
  SELECT hall_id, day, count(*) AS faults FROM parts WHERE part_state <> 0 AND coalesce(before, 0) = 0 GROUP BY 1, 2)
SELECT d.hall_id, d.day - date '1970-01-01', d.arrivals, coalesce(w.calls, 0), coalesce(w.wait_s, 0),
       coalesce(w.within_target, 0), d.abandoned, coalesce(s.served, 0), coalesce(s.handling_s, 0), d.satisfied,
       d.dissatisfied, d.transactions, d.transactions_ok, coalesce(f.faults, 0)
FROM counted d
LEFT JOIN waits w USING (hall_id, day)
LEFT JOIN services s USING (hall_id, day)
LEFT JOIN faults f USING (hall_id, day)
ORDER BY 1, 2
)sql";

const char* daily_kpis = R"sql(
SELECT hall_id, day - date '1970-01-01', arrivals, calls, wait_sum_s, calls_within_target, abandoned, served,
       handling_sum_s, very_satisfied + satisfied, dissatisfied, transactions, transactions_ok, faults
FROM kpi_daily WHERE dimension = 0 ORDER BY 1, 2
)sql";

std::vector<std::vector<std::int64_t>> rows_of(testing::TestDatabase& db, const char* sql) {
  pqxx::connection c(db.conninfo());
  pqxx::read_transaction tx(c);
  std::vector<std::vector<std::int64_t>> rows;
  for (const auto& row : tx.exec(sql)) {
    std::vector<std::int64_t> values;
    for (const auto& field : row) values.push_back(field.as<std::int64_t>());
    rows.push_back(std::move(values));
  }
  return rows;
}

// Runs an io_context on a thread; stops and joins even when an assertion returns early.
struct IoRunner {
  asio::io_context& io;
  std::thread thread{[this] { io.run(); }};
  ~IoRunner() {
    io.stop();
    thread.join();
  }
};

// Halls quiet for a publish period publish a change at once; all that one ingest batch wakes
// come in one publication (one message to each dashboard), not one each.
TEST_F(KpiWeekTest, TheHallsOneIngestBatchWakesArePublishedTogether) {
  std::vector<store::IngestRecord> first_of_each;
  std::set<int> seen;
  for (const auto& r : records) {
    if (seen.insert(r.hall_id).second) first_of_each.push_back(r);
  }
  ASSERT_EQ(first_of_each.size(), static_cast<std::size_t>(hall_count));
  auto work = asio::make_work_guard(io);
  halld::ManualClock clock(week_start + days(1));
  Engine engine(io.get_executor(), database, metrics, EngineOptions{1s, 30s, 20}, clock);
  engine.rebuild();  // publishes every hall: they are quiet a publish period later
  clock.advance(1100ms);
  std::mutex mutex;
  std::vector<std::size_t> publications;  // the number of halls in each
  engine.subscribe([&](const PublishedViews& views) {
    std::lock_guard lock(mutex);
    publications.push_back(views->size());
  });
  IoRunner runner{io};
  store(first_of_each);
  engine.apply(first_of_each);
  auto& events_applied = metrics.counter("halld_model_events_applied_total", "");
  ASSERT_TRUE(
      halld::testing::eventually([&] { return events_applied.value() == first_of_each.size(); }));
  // The publication is made in the same step as the events are applied, right after them.
  ASSERT_TRUE(halld::testing::eventually([&] {
    std::lock_guard lock(mutex);
    return !publications.empty();
  }));
  std::lock_guard lock(mutex);
  EXPECT_EQ(publications, std::vector<std::size_t>{static_cast<std::size_t>(hall_count)});
}

TEST_F(KpiWeekTest, TheLiveEngineRecomputationAndPlainSqlAgreeOnAWeekOfTwentyHalls) {
  ASSERT_GT(records.size(), 50'000u);
  // The live engine, on a clock that walks through the week one day at a time.
  auto work = asio::make_work_guard(io);
  halld::ManualClock clock(week_start);
  Engine engine(io.get_executor(), database, metrics, EngineOptions{100ms, 1s, 20}, clock);
  engine.rebuild();
  engine.start();
  IoRunner runner{io};
  auto& events_applied = metrics.counter("halld_model_events_applied_total", "");
  auto& flushes = metrics.counter("halld_kpi_flushes_total", "");
  auto next = records.begin();
  for (int day = 1; day <= 7; ++day) {
    // The clock stands at the day's start while its events are stored and applied, and moves
    // to its end once they are: it never runs ahead of the events, as it cannot when they arrive
    // live.
    const auto day_end = week_start + days(day);
    // Arrival order, not event time: the backlog arrives at its delivery time.
    auto last = std::find_if(next, records.end(), [&](const auto& r) {
      const bool late = r.source_id == backlog_source && r.event.at >= backlog_from &&
                        r.event.at < backlog_delivered;
      return (late ? backlog_delivered : r.event.at) >= day_end;
    });
    const std::span day_records(&*next, static_cast<std::size_t>(last - next));
    store(day_records);
    engine.apply(day_records);
    next = last;
    // Once the day is applied, a whole flush pass at its end (the pass under way may predate it).
    const auto applied = static_cast<std::uint64_t>(next - records.begin());
    auto& late_events = metrics.counter("halld_model_late_events_total", "");
    ASSERT_TRUE(halld::testing::eventually([&] {
      return events_applied.value() + late_events.value() == applied;
    })) << events_applied.value();
    // Two flush passes, the second at the day's end (time moves only here, so no pass predates
    // the day's events).
    for (auto to : {day_end - 1s, Timestamp(day_end)}) {
      const auto passes = flushes.value();
      // Both loops (publisher, flusher) wait on the clock before it moves.
      ASSERT_TRUE(halld::testing::eventually([&] { return clock.waiting() == 2; }));
      clock.advance(to - clock.now_seconds());
      ASSERT_TRUE(halld::testing::eventually([&] { return flushes.value() >= passes + 1; }));
    }
  }
  std::atomic<bool> stopped{false};
  engine.stop([&] { stopped = true; });
  ASSERT_TRUE(halld::testing::eventually([&] { return stopped.load(); }, 5s));
  EXPECT_GT(metrics.counter("halld_model_late_events_total", "").value(), 100u)
      << "the backlog arrived late";
  EXPECT_GE(metrics.counter("halld_model_hall_reloads_total", "").value(), 1u);
  EXPECT_EQ(db.query_value("SELECT count(*) FROM kpi_stale_day"), "0");
  EXPECT_GT(std::stoi(db.query_value(
                "SELECT count(*) FROM hall_event e JOIN hall_event c USING (hall_id, ticket) "
                "WHERE e.kind = 6 AND e.abandon_reason = 1 AND c.kind = 1 "
                "AND c.occurred_at <= e.occurred_at AND e.occurred_at - c.occurred_at < interval "
                "'5 min'")),
            10)
      << "no-shows after a call are among the events";

  db.exec(
      "CREATE TABLE engine_rollup AS TABLE kpi_rollup; CREATE TABLE engine_daily AS TABLE "
      "kpi_daily");
  EXPECT_EQ(db.query_value("SELECT count(DISTINCT hall_id) FROM kpi_daily"),
            std::to_string(hall_count));

  // Plain SQL over the raw events agrees with the engine's daily rollups.
  const auto from_sql = rows_of(db, sql_kpis);
  const auto from_engine = rows_of(db, daily_kpis);
  ASSERT_EQ(from_sql.size(), from_engine.size());
  for (std::size_t i = 0; i < from_sql.size(); ++i) {
    EXPECT_EQ(from_sql[i], from_engine[i])
        << "hall " << from_sql[i][0] << ", day " << from_sql[i][1]
        << " (columns: hall, day, arrivals, calls, wait, within target, "
           "abandoned, served, handling, satisfied, dissatisfied, "
           "transactions, ok, faults)";
  }

  // The daily rows are the sums of their days' 15-minute rows.
  EXPECT_EQ(db.query_value(R"sql(
    SELECT count(*) FROM (
      SELECT hall_id, (bucket AT TIME ZONE 'Asia/Shanghai')::date, dimension, key, sum(arrivals), sum(calls),
             sum(wait_sum_s), sum(served), sum(handling_sum_s), sum(serving_s), sum(available_s)
      FROM kpi_rollup GROUP BY 1, 2, 3, 4
      EXCEPT
      SELECT hall_id, day, dimension, key, arrivals, calls, wait_sum_s, served, handling_sum_s, serving_s, available_s
      FROM kpi_daily) d)sql"),
            "0");

  // Recomputing every hall-day from the log gives the same rows, byte for byte.
  auto halls = database.run_blocking(store::load_kpi_halls);
  for (const auto& hall : halls) {
    for (auto day = first_day; day < first_day + days(7); day += days(1)) {
      database.run_blocking(
          [&](pqxx::connection& c) { Engine::recompute_day(c, hall, day, week_end); });
    }
  }
  const auto rollups = db.query_value("SELECT count(*) FROM kpi_rollup");
  EXPECT_EQ(difference("kpi_rollup", "engine_rollup"),
            fmt::format("{0} rows here, {0} there; no difference", rollups));
  const auto daily = db.query_value("SELECT count(*) FROM kpi_daily");
  EXPECT_EQ(difference("kpi_daily", "engine_daily"),
            fmt::format("{0} rows here, {0} there; no difference", daily));
}

// A start after a crash restores every hall from the model's last snapshot and the events
// received after it, and stands exactly where a start replaying the whole log stands: the same
// live state and figures, the same tallies in every bucket — a hall whose snapshot is damaged
// is rebuilt from the log instead.
TEST_F(KpiWeekTest, AStartRestoresTheModelFromItsSnapshotAndTheEventsAfterIt) {
  const auto noon = week_start + days(1) + std::chrono::hours(12);
  const auto closing = week_start + days(1) + std::chrono::hours(17);
  // Arrival order as above; what arrives by Tuesday noon comes before the snapshot, what arrives
  // by 17:00 after it. Reception times as a channel gives them: rising, on halld's clock.
  auto arrives_by = [&](Timestamp t) {
    return std::find_if(records.begin(), records.end(), [&](const auto& r) {
      const bool late = r.source_id == backlog_source && r.event.at >= backlog_from &&
                        r.event.at < backlog_delivered;
      return (late ? backlog_delivered : r.event.at) >= t;
    });
  };
  const auto split = arrives_by(noon);
  const auto end = arrives_by(closing);
  const std::span before(&*records.begin(), static_cast<std::size_t>(split - records.begin()));
  const std::span after(&*split, static_cast<std::size_t>(end - split));
  auto stamp = [](std::span<store::IngestRecord> part, std::chrono::system_clock::time_point from) {
    for (auto& r : part) {
      r.received_at = from;
      from += std::chrono::microseconds(1);
    }
  };
  const auto wall = std::chrono::floor<std::chrono::microseconds>(std::chrono::system_clock::now());
  stamp(before, wall - std::chrono::hours(1));

  auto work = asio::make_work_guard(io);
  IoRunner runner{io};
  auto& flushes = metrics.counter("halld_kpi_flushes_total", "");
  auto& snapshots = metrics.counter("halld_model_snapshots_total", "");
  auto& applied = metrics.counter("halld_model_events_applied_total", "");
  auto& resends = metrics.counter("halld_model_resends_dropped_total", "");
  auto flush_once = [&](halld::ManualClock& clock, std::chrono::seconds by) {
    const auto passes = flushes.value();
    ASSERT_TRUE(halld::testing::eventually([&] { return clock.waiting() == 2; }));
    clock.advance(by);
    ASSERT_TRUE(halld::testing::eventually([&] { return flushes.value() >= passes + 1; }));
  };
  auto stop = [](Engine& engine) {
    std::atomic<bool> stopped{false};
    engine.stop([&] { stopped = true; });
    ASSERT_TRUE(halld::testing::eventually([&] { return stopped.load(); }, 5s));
  };
  const EngineOptions options{100ms, 1s, 20, std::chrono::hours(24)};

  // The last events received before noon still wait in ingest's queue (a slow commit) when the
  // snapshot is taken: stored and applied after it, received long before it.
  constexpr std::size_t queued_count = 60;
  const auto queued = before.last(queued_count);
  const auto applied_by_noon = before.first(before.size() - queued_count);

  // The node that crashes: its snapshot at noon, then the queued events and the afternoon stored
  // and applied, flushed but not snapshotted.
  {
    halld::ManualClock clock(noon);
    Engine engine(io.get_executor(), database, metrics, options, clock);
    std::atomic<std::int64_t> queued_since_us{0};
    engine.set_unapplied_since([&]() -> std::optional<Engine::WallTime> {
      if (const auto us = queued_since_us.load())
        return Engine::WallTime(std::chrono::microseconds(us));
      return std::nullopt;
    });
    engine.rebuild();
    engine.start();
    store(applied_by_noon);
    const auto applied_before = applied.value() + resends.value();
    engine.apply(applied_by_noon);
    ASSERT_TRUE(halld::testing::eventually([&] {
      return applied.value() + resends.value() == applied_before + applied_by_noon.size();
    }));
    queued_since_us = std::chrono::duration_cast<std::chrono::microseconds>(
                          queued.front().received_at.time_since_epoch())
                          .count();
    flush_once(clock, 1s);
    queued_since_us = 0;
    ASSERT_EQ(snapshots.value(), 1u);
    store(queued);
    engine.apply(queued);
    stamp(after, std::chrono::floor<std::chrono::microseconds>(std::chrono::system_clock::now()));
    store(after);
    engine.apply(after);
    ASSERT_TRUE(halld::testing::eventually([&] {
      return applied.value() + resends.value() == applied_before + before.size() + after.size();
    }));
    flush_once(clock, closing - clock.now_seconds());
    stop(engine);
    ASSERT_EQ(snapshots.value(), 1u) << "the afternoon is not in the snapshot";
  }
  const auto damaged_hall = db.query_value("SELECT id FROM hall WHERE code = 'H07'");
  db.exec("UPDATE model_hall_state SET state = substring(state FROM 1 FOR 12) WHERE hall_id = " +
          damaged_hall);

  // Restored and rebuilt, each at 17:00, each then writing a snapshot of what it holds.
  auto start_at_closing = [&](Rebuilt& rebuilt) {
    std::vector<std::shared_ptr<const HallView>> views;
    halld::ManualClock clock(closing);
    Engine engine(io.get_executor(), database, metrics, options, clock);
    rebuilt = engine.rebuild();
    engine.start();
    flush_once(clock, 1s);
    views = engine.views();
    stop(engine);
    return views;
  };
  Rebuilt restored;
  const auto restored_views = start_at_closing(restored);
  db.exec("CREATE TABLE restored_bucket AS SELECT hall_id, bucket, tallies FROM model_hall_bucket");
  db.exec(
      "DELETE FROM model_snapshot; DELETE FROM model_hall_bucket; DELETE FROM model_hall_state");
  Rebuilt replayed;
  const auto replayed_views = start_at_closing(replayed);

  auto not_settlements = [&](std::span<const store::IngestRecord> part) {
    return static_cast<std::size_t>(std::count_if(part.begin(), part.end(), [&](const auto& r) {
      return !std::holds_alternative<Settlement>(r.event.body) &&
             std::to_string(r.hall_id) != damaged_hall;
    }));
  };
  EXPECT_EQ(restored.halls_restored, static_cast<std::size_t>(hall_count - 1));
  EXPECT_EQ(restored.halls_loaded, 1u) << "the damaged hall, from the log";
  EXPECT_EQ(restored.events_replayed, not_settlements(queued) + not_settlements(after))
      << "the queued events are read again, though received long before the snapshot";
  EXPECT_EQ(replayed.halls_restored, 0u);
  EXPECT_EQ(replayed.halls_loaded, static_cast<std::size_t>(hall_count));
  // Monday and Tuesday to 17:00 replayed, against Tuesday afternoon.
  EXPECT_GT(replayed.events_loaded, 3 * restored.events_replayed);

  ASSERT_EQ(restored_views.size(), replayed_views.size());
  for (std::size_t i = 0; i < restored_views.size(); ++i) {
    const auto& a = *restored_views[i];
    const auto& b = *replayed_views[i];
    auto state_a = a.state, state_b = b.state;
    state_a.version = state_b.version = 0;  // counts every change, the replay's own included
    EXPECT_EQ(state_a, state_b) << a.code;
    EXPECT_EQ(a.today, b.today) << a.code;
    EXPECT_EQ(a.last_15_min, b.last_15_min) << a.code;
    EXPECT_EQ(a.last_60_min, b.last_60_min) << a.code;
    EXPECT_EQ(a.predictions, b.predictions) << a.code;
  }
  EXPECT_GT(restored_views.front()->today.arrivals, 0);
  // Every bucket's tallies, as each start's snapshot holds them (the replayed start writes all).
  EXPECT_GT(std::stoi(db.query_value("SELECT count(*) FROM model_hall_bucket")), 20 * 50);
  const auto buckets = db.query_value("SELECT count(*) FROM model_hall_bucket");
  EXPECT_EQ(difference("model_hall_bucket", "restored_bucket"),
            fmt::format("{0} rows here, {0} there; no difference", buckets));
}

}  // namespace
}  // namespace halld::live
