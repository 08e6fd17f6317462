// Ingest against real PostgreSQL: every submitted event's callback runs exactly once, after
// its batch committed; duplicates are durable too; a failing database means retry, not loss.
#include "halld/acq/ingest.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "halld/store/migrations.hpp"
#include "process.hpp"
#include "test_database.hpp"

namespace halld::acq {
namespace {

using namespace halld::records;
using namespace std::chrono_literals;

class IngestTest : public ::testing::Test {
 protected:
  IngestTest() : database(db.conninfo(), 2, store::event_statements(), metrics) {
    database.run_blocking(
        [](pqxx::connection& c) { return store::migrate(c, store::known_migrations()); });
    db.exec(
        "INSERT INTO city_company (code, name) VALUES ('C', 'c'); "
        "INSERT INTO hall (code, name, city_id, latitude, longitude, level, status) "
        "SELECT 'H1', 'h', id, 0, 0, 'A', 'open' FROM city_company");
    hall_id = std::stoi(db.query_value("SELECT id FROM hall"));
    for (std::uint32_t address = 1; address <= 3; ++address) {
      sources.push_back(database
                            .run_blocking([&](pqxx::connection& c) {
                              return store::register_source(c, "ch", address, hall_id);
                            })
                            .source_id);
    }
  }

  store::IngestRecord record(int source, std::uint32_t sequence) {
    return {source,
            sequence,
            hall_id,
            Event{Timestamp(std::chrono::seconds(1795425300 + sequence)),
                  TicketRecalled{"A" + std::to_string(sequence), 1}},
            std::chrono::system_clock::now(),
            std::nullopt,
            false};
  }

  // Runs the io_context until `done` or the deadline.
  void run_until(asio::io_context& io, const std::function<bool()>& done,
                 std::chrono::seconds limit = 60s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done() && std::chrono::steady_clock::now() < deadline) io.run_for(20ms);
  }

  testing::TestDatabase db;
  MetricsRegistry metrics;
  // Outlives the pool, as store/database.hpp requires.
  asio::io_context io;
  store::Database database;
  int hall_id = 0;
  std::vector<int> sources;
};

TEST_F(IngestTest, EveryEventBecomesDurableOnceAndResendsAreNotStoredTwice) {
  Ingest ingest(io.get_executor(), database, {.max_batch_rows = 1000, .max_delay = 20ms}, metrics);
  ingest.start();
  std::size_t durable = 0, submitted = 0;
  // Three sources, 3000 events each, and the first 500 of each sent twice (a reconnect resend).
  for (int source : sources) {
    for (std::uint32_t seq = 1; seq <= 3000; ++seq) {
      ingest.submit({record(source, seq)}, [&] { ++durable; });
      ++submitted;
    }
    // The resend arrives as groups of 50, as reads from a link would deliver them.
    for (std::uint32_t seq = 1; seq <= 500; seq += 50) {
      std::vector<store::IngestRecord> group;
      for (std::uint32_t k = seq; k < seq + 50; ++k) group.push_back(record(source, k));
      ingest.submit(std::move(group), [&] { durable += 50; });
      submitted += 50;
    }
  }
  run_until(io, [&] { return durable == submitted; });
  EXPECT_EQ(durable, submitted);
  EXPECT_EQ(ingest.pending(), 0u);
  EXPECT_EQ(db.query_value("SELECT count(*) FROM hall_event"), "9000");
  EXPECT_EQ(db.query_value("SELECT count(*) FROM (SELECT source_id, sequence FROM hall_event GROUP "
                           "BY 1, 2 HAVING count(*) > 1) d"),
            "0");
  auto text = metrics.render();
  EXPECT_NE(text.find("halld_ingest_events_stored_total 9000"), std::string::npos);
  EXPECT_NE(text.find("halld_ingest_duplicates_total 1500"), std::string::npos);
  EXPECT_EQ(text.find("halld_ingest_batch_rows_count 1\n"), std::string::npos)
      << "written in several batches";
  bool stopped = false;
  ingest.stop([&] { stopped = true; });
  run_until(io, [&] { return stopped; });
  EXPECT_TRUE(stopped);
}

TEST_F(IngestTest, AGroupSplitAcrossBatchesIsDurableOnlyWhenAllOfItIs) {
  Ingest ingest(io.get_executor(), database, {.max_batch_rows = 100, .max_delay = 10ms}, metrics);
  ingest.start();
  std::vector<store::IngestRecord> group;
  for (std::uint32_t seq = 1; seq <= 250; ++seq) group.push_back(record(sources[2], seq));
  int calls = 0;
  ingest.submit(std::move(group), [&] {
    ++calls;
    EXPECT_EQ(db.query_value("SELECT count(*) FROM hall_event"), "250")
        << "called once all 250 are stored";
  });
  run_until(io, [&] { return calls > 0; });
  io.run_for(100ms);
  EXPECT_EQ(calls, 1);
  EXPECT_NE(metrics.render().find("halld_ingest_batch_rows_count 3"), std::string::npos)
      << "in three batches";
}

TEST_F(IngestTest, APartialBatchGoesAfterTheDelay) {
  Ingest ingest(io.get_executor(), database, {.max_batch_rows = 1000, .max_delay = 30ms}, metrics);
  ingest.start();
  bool durable = false;
  const auto submitted = std::chrono::steady_clock::now();
  ingest.submit({record(sources[0], 1)}, [&] { durable = true; });
  run_until(
      io, [&] { return durable; }, 10s);
  ASSERT_TRUE(durable);
  EXPECT_LT(std::chrono::steady_clock::now() - submitted, 2s);
}

TEST_F(IngestTest, WhileTheDatabaseRefusesNothingIsAcknowledgedThenAllIs) {
  Ingest ingest(io.get_executor(), database,
                {.max_batch_rows = 100, .max_delay = 10ms, .retry_delay = 50ms}, metrics);
  ingest.start();
  db.exec("ALTER TABLE acquisition_source RENAME TO acquisition_source_away");
  std::size_t durable = 0;
  for (std::uint32_t seq = 1; seq <= 250; ++seq)
    ingest.submit({record(sources[1], seq)}, [&] { ++durable; });
  run_until(
      io,
      [&] {
        return metrics.render().find("halld_ingest_failed_batches_total 0") == std::string::npos;
      },
      10s);
  io.run_for(200ms);
  EXPECT_EQ(durable, 0u) << "nothing is acknowledged while nothing is stored";
  EXPECT_EQ(ingest.pending(), 250u);
  db.exec("ALTER TABLE acquisition_source_away RENAME TO acquisition_source");
  run_until(io, [&] { return durable == 250; });
  EXPECT_EQ(durable, 250u);
  EXPECT_EQ(db.query_value("SELECT count(*) FROM hall_event"), "250");
}

TEST_F(IngestTest, WhileTheDatabaseRefusesEventsAreSpooledAcknowledgedAndLaterReplayedInOrder) {
  testing::TempDir dir;
  const auto file = dir.path() / "halld.spool";
  auto ingest = std::make_unique<Ingest>(
      io.get_executor(), database,
      IngestLimits{.max_batch_rows = 100, .max_delay = 10ms, .retry_delay = 50ms}, metrics,
      std::make_unique<Spool>(file));
  ingest->start();
  std::size_t durable = 0;
  for (std::uint32_t seq = 1; seq <= 100; ++seq)
    ingest->submit({record(sources[0], seq)}, [&] { ++durable; });
  run_until(io, [&] { return durable == 100; });
  ASSERT_EQ(durable, 100u);

  db.exec("ALTER TABLE acquisition_source RENAME TO acquisition_source_away");
  for (std::uint32_t seq = 101; seq <= 400; ++seq)
    ingest->submit({record(sources[0], seq)}, [&] { ++durable; });
  run_until(
      io, [&] { return durable == 400; }, 20s);
  EXPECT_EQ(durable, 400u) << "spooled events are acknowledged";
  EXPECT_EQ(ingest->pending(), 0u);
  EXPECT_GT(ingest->spool_bytes(), 0u);
  EXPECT_EQ(db.query_value("SELECT count(*) FROM hall_event"), "100");
  EXPECT_NE(metrics.render().find("halld_ingest_events_spooled_total 300"), std::string::npos);

  // halld stops while the database is still away; the spool outlives it.
  bool stopped = false;
  ingest->stop([&] { stopped = true; });
  run_until(
      io, [&] { return stopped; }, 10s);
  ASSERT_TRUE(stopped);
  ingest.reset();

  // The next halld finds the spool, takes new events behind it, and replays it first.
  io.restart();
  MetricsRegistry metrics2;
  Ingest next(io.get_executor(), database,
              {.max_batch_rows = 100, .max_delay = 10ms, .retry_delay = 50ms}, metrics2,
              std::make_unique<Spool>(file));
  next.start();
  for (std::uint32_t seq = 401; seq <= 450; ++seq)
    next.submit({record(sources[0], seq)}, [&] { ++durable; });
  run_until(
      io, [&] { return durable == 450; }, 20s);
  EXPECT_EQ(db.query_value("SELECT count(*) FROM hall_event"), "100")
      << "nothing reaches the database past the spool";
  db.exec("ALTER TABLE acquisition_source_away RENAME TO acquisition_source");
  run_until(
      io, [&] { return next.spool_bytes() == 0; }, 20s);
  EXPECT_EQ(next.spool_bytes(), 0u);
  EXPECT_EQ(std::filesystem::file_size(file), 0u);
  EXPECT_EQ(db.query_value(
                "SELECT count(*) || ' ' || min(sequence) || ' ' || max(sequence) FROM hall_event"),
            "450 1 450");
  EXPECT_EQ(db.query_value("SELECT last_sequence FROM acquisition_source WHERE id = " +
                           std::to_string(sources[0])),
            "450");
  EXPECT_NE(metrics2.render().find("halld_ingest_events_replayed_total 350"), std::string::npos);

  // Straight to the database again.
  for (std::uint32_t seq = 451; seq <= 460; ++seq)
    next.submit({record(sources[0], seq)}, [&] { ++durable; });
  run_until(io, [&] { return durable == 460; });
  EXPECT_EQ(db.query_value("SELECT count(*) FROM hall_event"), "460");
  EXPECT_EQ(next.spool_bytes(), 0u);
}

}  // namespace
}  // namespace halld::acq
