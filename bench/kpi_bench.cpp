// kpi_bench: what the real-time model and KPI engine cost and how good its predictions are.
//
//   kpi_bench prediction [--days 5]
//       Simulated halls (tools/hall_sim's queue model) at three loads; for every ticket, the
//       hall's predicted wait at the moment it was issued (live/prediction, as the engine
//       computes it) against the wait it then had. Baseline: the average wait of the calls of
//       the last hour, which is what a queue display usually shows.
//   kpi_bench apply --conninfo C [--halls 200]
//       One simulated day of that many halls through the live engine (its strand, model,
//       tallies and recent facts); baseline: the bare hall models applying the same events.
//   kpi_bench rebuild --conninfo C [--halls 2000] [--after-minutes 5]
//       A busy day of that many halls stored as ingest stores it; the engine's snapshot that
//       many minutes before closing, the rest of the day stored after it; then a start at
//       closing restoring from the snapshot — the part of a start after kill -9 that grows with
//       the day. Baselines: the same start replaying the log, and reading the rows raw (COPY).
//   kpi_bench history --conninfo C [--halls 200] [--days 90] [--queries 40]
//       That many days of rollups for that many halls (seven simulated days per hall, repeated),
//       then 90-day queries for a hall, a city and the province at daily granularity.
//       Baseline: a round trip of "SELECT 1" on the same connection.
//
// One JSON line per measurement on stdout. The databases named must be empty: the schema is
// created here.
#include <fmt/format.h>
#include <malloc.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <thread>

#include "halld/core/clock.hpp"
#include "halld/live/engine.hpp"
#include "halld/store/event_store.hpp"
#include "halld/store/kpi_store.hpp"
#include "halld/store/migrations.hpp"
#include "queue_model.hpp"
#include "terminal_model.hpp"

namespace {

using namespace halld;
using records::Event;
using records::Timestamp;
using std::chrono::days;
using std::chrono::sys_days;
using SteadyClock = std::chrono::steady_clock;

double seconds_since(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

double quantile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[static_cast<std::size_t>(p * static_cast<double>(values.size() - 1))];
}

// Monday 2 November 2026, 00:00 in the halls' time (UTC+8).
const sys_days first_day = sys_days(std::chrono::year(2026) / 11 / 2);
const Timestamp first_instant = Timestamp(first_day) - std::chrono::hours(8);

std::vector<Event> hall_events(int hall, Timestamp from, Timestamp until, int windows,
                               double arrivals_per_hour) {
  tools::QueueModelOptions q;
  q.seed = static_cast<std::uint64_t>(hall);
  q.windows = windows;
  q.arrivals_per_hour = arrivals_per_hour;
  q.start = from;
  tools::QueueModel queue(q);
  std::vector<Event> events;
  for (Event e = queue.next(); e.at < until; e = queue.next()) events.push_back(e);
  tools::TerminalFleetOptions t;
  t.seed = static_cast<std::uint64_t>(hall);
  t.terminals = {{fmt::format("T{}a", hall), false}, {fmt::format("T{}b", hall), true}};
  t.start = from;
  tools::TerminalFleet fleet(t);
  for (Event e = fleet.next(); e.at < until; e = fleet.next()) events.push_back(e);
  std::stable_sort(events.begin(), events.end(),
                   [](const Event& a, const Event& b) { return a.at < b.at; });
  return events;
}

kpi::HallTerms china_terms() {
  std::optional<records::DayHours> week[7];
  for (auto& d : week) d = records::DayHours{8 * 60 + 30, 17 * 60 + 30, std::nullopt, std::nullopt};
  kpi::HallTerms terms{20 * 60, model::HallCalendar(std::chrono::hours(8), week, {}), {}, {}, {}};
  return terms;
}

// --- prediction -----------------------------------------------------------------------------

// Follows one simulated hall as the engine would and pairs each ticket's predicted wait with its
// actual one.
class PredictionCheck final : public model::FactSink {
 public:
  struct Pair {
    double predicted, naive, actual;
  };
  explicit PredictionCheck(kpi::HallTerms terms)
      : terms_(std::move(terms)), hall_(1), tallies_(tally_, terms_) {}

  void run(const std::vector<Event>& events) {
    for (const auto& e : events) {
      const auto day = terms_.calendar.local_day(e.at);
      if (day != day_) {
        day_ = day;
        hall_.start_day(terms_.calendar.day_start(day), terms_.calendar.day_start(day - days(1)));
      }
      if (const auto* issued = std::get_if<records::TicketIssued>(&e.body))
        predict_for(issued->ticket, e.at);
      current_ = &e;
      hall_.apply(e, *this);
    }
  }
  void on_fact(const model::Fact& f) override {
    tallies_.on_fact(f);
    recent_.add(f);
    if (f.kind == model::FactKind::call) calls_.push_back({f.at, f.seconds});
    if (f.kind != model::FactKind::call || current_ == nullptr) return;
    std::string ticket;
    if (const auto* c = std::get_if<records::TicketCalled>(&current_->body)) ticket = c->ticket;
    if (const auto* s = std::get_if<records::ServiceStarted>(&current_->body)) ticket = s->ticket;
    auto it = pending_.find(ticket);
    if (it == pending_.end()) return;
    pairs.push_back({it->second.first, it->second.second, static_cast<double>(f.seconds) / 60.0});
    pending_.erase(it);
  }
  std::vector<Pair> pairs;

 private:
  void predict_for(const std::string& ticket, Timestamp now) {
    const auto figures = recent_.figures(now, terms_);
    const auto today =
        kpi::sum_hall(tally_, terms_.calendar.day_start(day_), now + std::chrono::seconds(1));
    const auto predictions =
        recent_.predict(hall_.snapshot(), figures.last_60_min, today, terms_, {}, now);
    std::erase_if(calls_, [&](const auto& c) { return c.first < now - std::chrono::hours(1); });
    double naive = 0;
    for (const auto& c : calls_) naive += static_cast<double>(c.second) / 60.0;
    if (!calls_.empty()) naive /= static_cast<double>(calls_.size());
    pending_[ticket] = {predictions.front().predicted_wait_min, naive};
  }

  kpi::HallTerms terms_;
  model::HallModel hall_;
  kpi::Tallies tally_;
  kpi::TallySink tallies_;
  live::RecentFacts recent_;
  sys_days day_{};
  const Event* current_ = nullptr;
  std::map<std::string, std::pair<double, double>> pending_;  // ticket → (predicted, naive)
  std::vector<std::pair<Timestamp, std::int64_t>> calls_;     // of the last hour: when, wait
};

int prediction(int days_simulated) {
  const auto terms = china_terms();
  struct Load {
    const char* name;
    double per_window;  // arrivals per window-hour; a window serves about 7.6 an hour
  };
  for (const Load load : {Load{"light", 4.5}, Load{"busy", 6.0}, Load{"crowded", 7.0}}) {
    std::vector<PredictionCheck::Pair> pairs;
    for (int windows : {2, 3, 4, 6, 8}) {
      for (int seed = 1; seed <= 3; ++seed) {
        PredictionCheck check(terms);
        check.run(hall_events(windows * 100 + seed, first_instant,
                              first_instant + days(days_simulated), windows,
                              load.per_window * windows));
        pairs.insert(pairs.end(), check.pairs.begin(), check.pairs.end());
      }
    }
    double abs_error = 0, ape = 0, naive_ape = 0;
    std::size_t counted = 0;
    for (const auto& p : pairs) {
      abs_error += std::abs(p.predicted - p.actual);
      if (p.actual < 5) continue;  // a percentage of a near-zero wait says nothing
      ape += std::abs(p.predicted - p.actual) / p.actual;
      naive_ape += std::abs(p.naive - p.actual) / p.actual;
      ++counted;
    }
    std::vector<double> actual;
    for (const auto& p : pairs) actual.push_back(p.actual);
    const double mape = counted ? 100 * ape / static_cast<double>(counted) : 0;
    const double naive_mape = counted ? 100 * naive_ape / static_cast<double>(counted) : 0;
    std::cout << nlohmann::json{{"bench", "prediction"},
                                {"load", load.name},
                                {"tickets", pairs.size()},
                                {"median_wait_min", quantile(actual, 0.5)},
                                {"mae_min",
                                 pairs.empty() ? 0 : abs_error / static_cast<double>(pairs.size())},
                                {"tickets_waiting_5min_or_more", counted},
                                {"mape_percent", mape},
                                {"naive_mape_percent", naive_mape},
                                {"mape_ratio_to_naive", naive_mape > 0 ? mape / naive_mape : 0}}
                     .dump()
              << std::endl;
  }
  return 0;
}

// --- database set-up ------------------------------------------------------------------------

std::vector<store::Statement> statements() {
  auto all = store::event_statements();
  auto kpis = store::kpi_statements();
  all.insert(all.end(), kpis.begin(), kpis.end());
  return all;
}

// `halls` halls in cities of 20, each with two terminals; returns their ids in order.
std::vector<int> create_halls(pqxx::connection& c, int halls) {
  store::migrate(c, store::known_migrations());
  pqxx::work tx(c);
  tx.exec(
      fmt::format("INSERT INTO city_company (code, name) SELECT 'C' || g, '城市' || g FROM "
                  "generate_series(1, {}) g",
                  (halls + 19) / 20));
  tx.exec(fmt::format(
      "INSERT INTO hall (code, name, city_id, latitude, longitude, level, status, target_wait_min) "
      "SELECT 'H' || g, '营业厅' || g, (SELECT id FROM city_company WHERE code = 'C' || ((g - 1) / "
      "20 + 1)), "
      "34.7, 113.6, 'B', 'open', 20 FROM generate_series(1, {}) g",
      halls));
  tx.exec(
      "INSERT INTO hall_opening_hours (hall_id, weekday, opens, closes) "
      "SELECT h.id, d, '08:30', '17:30' FROM hall h, generate_series(1, 7) d");
  tx.exec(
      "INSERT INTO terminal (code, hall_id, type, placement, status) "
      "SELECT 'T' || substr(code, 2) || 'a', id, 'payment', 'lobby', 'active' FROM hall UNION ALL "
      "SELECT 'T' || substr(code, 2) || 'b', id, 'payment', 'zone_24h', 'active' FROM hall");
  std::vector<int> ids;
  for (const auto& row : tx.exec("SELECT id FROM hall ORDER BY substr(code, 2)::int"))
    ids.push_back(row[0].as<int>());
  tx.commit();
  return ids;
}

int windows_of(int hall) {
  return 2 + hall % 5;
}

// --- apply ----------------------------------------------------------------------------------

// One simulated day of `halls` halls (created here) as ingest hands it over, in arrival order.
std::vector<store::IngestRecord> day_of_halls(store::Database& database, int halls,
                                              std::vector<int>& ids) {
  ids = database.run_blocking([&](pqxx::connection& c) { return create_halls(c, halls); });
  std::vector<store::IngestRecord> records;
  for (int h = 1; h <= halls; ++h) {
    const auto source = database.run_blocking([&](pqxx::connection& c) {
      return store::register_source(c, fmt::format("qs-{}", h), 1,
                                    ids[static_cast<std::size_t>(h - 1)])
          .source_id;
    });
    std::uint32_t sequence = 0;
    for (auto& e : hall_events(h, first_instant, first_instant + days(1), windows_of(h),
                               6.0 * windows_of(h))) {
      records.push_back({source,
                         ++sequence,
                         ids[static_cast<std::size_t>(h - 1)],
                         std::move(e),
                         {},
                         std::nullopt,
                         false});
    }
  }
  std::stable_sort(records.begin(), records.end(),
                   [](const auto& a, const auto& b) { return a.event.at < b.event.at; });
  return records;
}

int apply_events(const std::string& conninfo, int halls) {
  MetricsRegistry metrics;
  asio::io_context io;  // outlives the pool, as store/database.hpp requires
  store::Database database(conninfo, 2, statements(), metrics);
  std::vector<int> ids;
  const auto records = day_of_halls(database, halls, ids);

  // Baseline: the bare models, one per hall, applying the same events.
  struct Discard final : model::FactSink {
    void on_fact(const model::Fact&) override {}
  } discard;
  std::map<int, model::HallModel> models;
  for (int id : ids) models.emplace(id, model::HallModel(id));
  auto started = SteadyClock::now();
  for (const auto& r : records) models.at(r.hall_id).apply(r.event, discard);
  const double bare_s = seconds_since(started);

  // The engine on its strand; the clock stands at the end of the day (no flush during the run).
  auto work = asio::make_work_guard(io);
  const ManualClock halted(first_instant + days(1));
  live::Engine engine(io.get_executor(), database, metrics,
                      live::EngineOptions{std::chrono::hours(1), std::chrono::hours(1), 20},
                      halted);
  engine.rebuild();
  std::thread runner([&] { io.run(); });
  auto& applied = metrics.counter("halld_model_events_applied_total", "");
  started = SteadyClock::now();
  for (std::size_t i = 0; i < records.size(); i += 1000) {
    engine.apply(std::span(records).subspan(i, std::min<std::size_t>(1000, records.size() - i)));
  }
  while (applied.value() < records.size())
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  const double engine_s = seconds_since(started);
  work.reset();
  io.stop();
  runner.join();
  const double n = static_cast<double>(records.size());
  std::cout << nlohmann::json{{"bench", "apply"},
                              {"halls", halls},
                              {"events", records.size()},
                              {"engine_ns_per_event", engine_s / n * 1e9},
                              {"bare_model_ns_per_event", bare_s / n * 1e9},
                              {"ratio_to_bare_model", engine_s / bare_s},
                              {"engine_events_per_s", n / engine_s}}
                   .dump()
            << std::endl;
  return 0;
}

// --- rebuild --------------------------------------------------------------------------------

// What a start after a crash costs the live model. A busy day of `halls` halls stored as ingest
// stores it up to `after_minutes` before closing; a node rebuilds from it, writes its snapshot at
// its first flush and goes on acquiring the rest of the day (stored, received after the
// snapshot); it dies. Measured: the next start restoring from the snapshot and the events after
// it. Baselines, same run: the same start with the snapshot gone (every hall replayed from the
// log, what a start did before snapshots) and a raw read of the day's rows (COPY, discarded).
int rebuild(const std::string& conninfo, int halls, int after_minutes) {
  MetricsRegistry metrics;
  asio::io_context io;
  store::Database database(conninfo, 2, statements(), metrics);
  std::vector<int> ids;
  auto records = day_of_halls(database, halls, ids);
  const auto closing = first_instant + std::chrono::hours(17) + std::chrono::minutes(30);
  const auto snapshot_at = closing - std::chrono::minutes(after_minutes);
  const auto split = std::partition_point(records.begin(), records.end(),
                                          [&](const auto& r) { return r.event.at < snapshot_at; });
  const auto end = std::partition_point(records.begin(), records.end(),
                                        [&](const auto& r) { return r.event.at < closing; });
  // Reception times as channels give them: rising, on the wall clock (snapshots go by them).
  auto stamp = [](auto from, auto to, std::chrono::system_clock::time_point at) {
    for (auto r = from; r != to; ++r, at += std::chrono::microseconds(1)) r->received_at = at;
  };
  auto wall = [] {
    return std::chrono::system_clock::time_point(
        std::chrono::floor<std::chrono::microseconds>(std::chrono::system_clock::now()));
  };
  stamp(records.begin(), split, wall() - std::chrono::hours(2));
  store::PartitionCache partitions;
  auto store_events = [&](auto from, auto to) {
    for (auto i = from; i < to; i += std::min<std::ptrdiff_t>(5000, to - i)) {
      const std::span batch(&*i, static_cast<std::size_t>(std::min<std::ptrdiff_t>(5000, to - i)));
      database.run_blocking(
          [&](pqxx::connection& c) { return store::write_events(c, batch, partitions); });
    }
  };
  store_events(records.begin(), split);

  // The node that dies: rebuilt from the log, its snapshot written by its first flush.
  auto& snapshots = metrics.counter("halld_model_snapshots_total", "");
  auto& snapshot_bytes = metrics.counter("halld_model_snapshot_bytes_total", "");
  double snapshot_flush_s = 0;
  {
    ManualClock clock(snapshot_at);
    const live::EngineOptions options{};
    live::Engine engine(io.get_executor(), database, metrics, options, clock);
    engine.rebuild();
    auto work = asio::make_work_guard(io);
    std::thread runner([&] { io.run(); });
    engine.start();
    while (clock.waiting() < 2) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    const auto started = SteadyClock::now();
    clock.advance(options.flush_every);
    while (snapshots.value() < 1) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    snapshot_flush_s = seconds_since(started);
    std::atomic<bool> stopped{false};
    engine.stop([&] { stopped = true; });
    while (!stopped) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    work.reset();
    io.stop();
    runner.join();
  }
  stamp(split, end, wall());
  store_events(split, end);
  database.run_blocking([](pqxx::connection& c) {
    pqxx::nontransaction tx(c);
    tx.exec("VACUUM ANALYZE hall_event");
  });

  const ManualClock at_closing(closing);
  // A start is a new process: what the dead node's model freed goes back to the system first, or
  // the measured starts would build their gigabyte of tallies in pages already mapped.
  malloc_trim(0);
  auto started = SteadyClock::now();
  const auto restored =
      live::Engine(io.get_executor(), database, metrics, {}, at_closing).rebuild();
  const double restore_s = seconds_since(started);
  database.run_blocking([](pqxx::connection& c) {
    pqxx::work tx(c);
    tx.exec(
        "DELETE FROM model_snapshot; DELETE FROM model_hall_bucket; DELETE FROM model_hall_state");
    tx.commit();
  });
  malloc_trim(0);
  started = SteadyClock::now();
  const auto replayed =
      live::Engine(io.get_executor(), database, metrics, {}, at_closing).rebuild();
  const double replay_s = seconds_since(started);

  started = SteadyClock::now();
  const auto rows = database.run_blocking([](pqxx::connection& c) {
    store::ReadTransaction tx(c);
    std::size_t n = 0;
    // COPY reads a partition, not the partitioned parent (libpqxx 6's stream_from takes a table).
    for (const auto& partition : tx.exec("SELECT inhrelid::regclass::text FROM pg_inherits WHERE "
                                         "inhparent = 'hall_event'::regclass")) {
      pqxx::stream_from stream(tx, partition[0].c_str(), std::vector<std::string>{});
      for (std::string line; stream.get_raw_line(line);) ++n;
      stream.complete();
    }
    return n;
  });
  const double raw_s = seconds_since(started);
  std::cout << nlohmann::json{{"bench", "rebuild"},
                              {"halls", halls},
                              {"events", rows},
                              {"events_after_snapshot", restored.events_replayed},
                              {"halls_restored", restored.halls_restored},
                              {"restore_s", restore_s},
                              {"replay_s", replay_s},
                              {"raw_read_s", raw_s},
                              {"ratio_restore_to_replay", restore_s / replay_s},
                              {"ratio_restore_to_raw_read", restore_s / raw_s},
                              {"replayed_events", replayed.events_loaded},
                              {"snapshot_flush_s", snapshot_flush_s},
                              {"snapshot_mb", static_cast<double>(snapshot_bytes.value()) / 1e6}}
                   .dump()
            << std::endl;
  return 0;
}

// --- history --------------------------------------------------------------------------------

int history(const std::string& conninfo, int halls, int history_days, int queries) {
  MetricsRegistry metrics;
  store::Database database(conninfo, 1, statements(), metrics);
  const auto ids =
      database.run_blocking([&](pqxx::connection& c) { return create_halls(c, halls); });
  const auto halls_info = database.run_blocking(store::load_kpi_halls);
  constexpr int simulated_days = 7;
  auto started = SteadyClock::now();
  for (const auto& hall : halls_info) {
    const int h = std::stoi(hall.code.substr(1));
    const auto events = hall_events(h, first_instant, first_instant + days(simulated_days),
                                    windows_of(h), 6.0 * windows_of(h));
    std::vector<store::HallRollup> week;
    auto from = events.begin();
    for (int d = 0; d < simulated_days; ++d) {
      const auto day = first_day + days(d);
      const auto day_end = hall.terms.calendar.day_start(day + days(1));
      const auto until =
          std::find_if(from, events.end(), [&](const Event& e) { return e.at >= day_end; });
      store::HallRollup r;
      r.hall_id = hall.id;
      r.rollups =
          kpi::tally_events(hall.id, hall.terms, std::span(events.begin(), from),
                            std::span(from, until), hall.terms.calendar.day_start(day), day_end);
      for (const auto& [key, tally] : r.rollups) r.buckets.insert(key.bucket);
      r.days = {day};
      r.daily = kpi::sum_day(r.rollups, hall.terms.calendar, day);
      week.push_back(std::move(r));
      from = until;
    }
    database.run_blocking([&](pqxx::connection& c) { store::write_rollups(c, week); });
  }
  // The simulated week, repeated back over the whole history.
  database.run_blocking([&](pqxx::connection& c) {
    pqxx::work tx(c);
    auto columns = [&](const char* table, const char* moved) {
      return tx
          .exec_params(
              "SELECT string_agg(column_name, ', ' ORDER BY ordinal_position) FROM "
              "information_schema.columns "
              "WHERE table_name = $1 AND column_name <> $2",
              table, moved)[0][0]
          .as<std::string>();
    };
    const auto rollup_columns = columns("kpi_rollup", "bucket");
    tx.exec(fmt::format(
        "SELECT halld_month_partition('kpi_rollup', m) FROM generate_series(timestamptz "
        "'2026-11-02T00:00:00+08:00' - interval '{} days', timestamptz "
        "'2026-11-09T00:00:00+08:00', "
        "interval '1 day') m",
        history_days + simulated_days));
    const auto daily_columns = columns("kpi_daily", "day");
    for (int week = 1; week * simulated_days < history_days + simulated_days; ++week) {
      tx.exec(fmt::format(
          "INSERT INTO kpi_rollup (bucket, {0}) SELECT bucket - interval '{1} days', {0} FROM "
          "kpi_rollup "
          "WHERE bucket >= '2026-11-02T00:00:00+08:00' AND bucket < '2026-11-09T00:00:00+08:00'",
          rollup_columns, week * simulated_days));
      tx.exec(
          fmt::format("INSERT INTO kpi_daily (day, {0}) SELECT day - {1}, {0} FROM kpi_daily "
                      "WHERE day >= '2026-11-02' AND day < '2026-11-09'",
                      daily_columns, week * simulated_days));
    }
    tx.exec("ANALYZE kpi_rollup");
    tx.exec("ANALYZE kpi_daily");
    tx.commit();
  });
  const auto rows = database.run_blocking([](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    return tx
        .exec("SELECT (SELECT count(*) FROM kpi_rollup) || '/' || (SELECT count(*) FROM kpi_daily)")
            [0][0]
        .as<std::string>();
  });
  const double setup_s = seconds_since(started);

  auto time_queries = [&](const std::function<void(pqxx::connection&)>& query) {
    std::vector<double> ms;
    for (int i = 0; i < queries; ++i) {
      const auto t = SteadyClock::now();
      database.run_blocking([&](pqxx::connection& c) { query(c); });
      ms.push_back(seconds_since(t) * 1000);
    }
    return ms;
  };
  const auto round_trip = time_queries([](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    tx.exec("SELECT 1");
  });
  const double baseline_p50 = quantile(round_trip, 0.5);
  const sys_days last_day = first_day + days(simulated_days);
  for (const auto& [scope, members] :
       {std::pair{"hall", std::vector<int>{ids.front()}},
        std::pair{"city", std::vector<int>(ids.begin(), ids.begin() + std::min<int>(20, halls))},
        std::pair{"province", std::vector<int>{}}}) {
    store::KpiQuery q;
    q.halls = members;
    q.granularity = store::Granularity::day;
    q.first_day = last_day - days(history_days);
    q.last_day = last_day;
    std::size_t series = 0;
    const auto ms = time_queries(
        [&](pqxx::connection& c) { series = store::query_kpis(c, q, 100'000).size(); });
    std::cout << nlohmann::json{{"bench", "history"},
                                {"scope", scope},
                                {"halls",
                                 members.empty() ? halls : static_cast<int>(members.size())},
                                {"days", history_days},
                                {"rows_returned", series},
                                {"rollup_rows_rollup_daily", rows},
                                {"setup_s", setup_s},
                                {"query_ms_p50", quantile(ms, 0.5)},
                                {"query_ms_p99", quantile(ms, 0.99)},
                                {"round_trip_ms_p50", baseline_p50},
                                {"p50_ratio_to_round_trip", quantile(ms, 0.5) / baseline_p50}}
                     .dump()
              << std::endl;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto option = [&](const std::string& name, const std::string& fallback) {
    auto it = std::find(args.begin(), args.end(), name);
    return it != args.end() && it + 1 != args.end() ? *(it + 1) : fallback;
  };
  const std::string mode = args.empty() ? "" : args[0];
  spdlog::set_level(spdlog::level::warn);  // stdout is for the measurements
  try {
    if (mode == "prediction") return prediction(std::stoi(option("--days", "5")));
    if (mode == "apply")
      return apply_events(option("--conninfo", ""), std::stoi(option("--halls", "200")));
    if (mode == "rebuild")
      return rebuild(option("--conninfo", ""), std::stoi(option("--halls", "2000")),
                     std::stoi(option("--after-minutes", "5")));
    if (mode == "history") {
      return history(option("--conninfo", ""), std::stoi(option("--halls", "200")),
                     std::stoi(option("--days", "90")), std::stoi(option("--queries", "40")));
    }
  } catch (const std::exception& e) {
    std::cerr << "kpi_bench: " << e.what() << "\n";
    return 1;
  }
  std::cerr << "usage: kpi_bench (prediction [--days N] | apply --conninfo C [--halls N] | "
               "rebuild --conninfo C [--halls N] [--after-minutes N] | history --conninfo C "
               "[--halls N] [--days N] "
               "[--queries N])\n";
  return 2;
}
