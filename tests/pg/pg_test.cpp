// Store tests against a real PostgreSQL server (the throwaway cluster of scripts/test).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "generator.hpp"
#include "halld/store/archive_store.hpp"
#include "halld/store/database.hpp"
#include "halld/store/migrations.hpp"
#include "process.hpp"
#include "test_database.hpp"

namespace halld::store {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

class StoreTest : public ::testing::Test {
 protected:
  StoreTest() : database(db.conninfo(), 2, archive_statements(), metrics) {
    database.run_blocking([](pqxx::connection& c) { return migrate(c, known_migrations()); });
  }

  ImportOutcome import_json(const std::string& text, ImportMode mode = ImportMode::commit) {
    return database.run_blocking([&](pqxx::connection& c) {
      return import_archives(
          c, [&](const archive::KnownCodes& known) { return archive::read_json(text, known); },
          mode);
    });
  }
  std::string count(const char* table) {
    return db.query_value(std::string("SELECT count(*) FROM ") + table);
  }

  testing::TestDatabase db;
  MetricsRegistry metrics;
  // Outlives the pool, as store/database.hpp requires.
  asio::io_context io;
  Database database;
};

std::string small_file() {
  return testing::read_text(HALLD_SOURCE_DIR "/tests/data/archives_small.json");
}

TEST(Migrations, FreshThenRepeatedThenNewerSchemaRefused) {
  testing::TestDatabase db;
  pqxx::connection c(db.conninfo());
  const auto known = known_migrations();
  EXPECT_EQ(inspect_schema(c, known).current, 0);
  EXPECT_EQ(migrate(c, known).size(), known.size());
  EXPECT_TRUE(migrate(c, known).empty()) << "a second run applies nothing";
  auto state = inspect_schema(c, known);
  EXPECT_EQ(state.current, known.back().version);
  EXPECT_TRUE(state.pending.empty());
  EXPECT_EQ(db.query_value("SELECT count(*) FROM business_type"), "24");
  EXPECT_EQ(db.query_value("SELECT weight FROM customer_class WHERE code = 'premium'"), "2.00");

  db.exec("INSERT INTO schema_migrations (version, name) VALUES (999, 'from_the_future')");
  EXPECT_THROW(migrate(c, known), SchemaTooNew);
  EXPECT_EQ(inspect_schema(c, known).current, 999);
}

TEST(Migrations, ADatabaseWhoseMigrationsDifferIsRefused) {
  testing::TestDatabase db;
  pqxx::connection c(db.conninfo());
  const auto known = known_migrations();
  migrate(c, known);
  EXPECT_TRUE(inspect_schema(c, known).differing.empty());
  EXPECT_EQ(db.query_value("SELECT count(*) FROM schema_migrations WHERE checksum IS NULL"), "0");

  // Recorded by a halld from before checksums: given this binary's, then held to them.
  db.exec("UPDATE schema_migrations SET checksum = NULL");
  EXPECT_TRUE(migrate(c, known).empty());
  EXPECT_EQ(db.query_value("SELECT checksum FROM schema_migrations WHERE version = 3"),
            known[2].checksum());

  // Another build's migration 3 (a changed file), then another migration under number 5.
  auto other = known;
  const std::string changed = std::string(known[2].sql) + "\n-- edited";
  other[2].sql = changed;
  auto state = inspect_schema(c, other);
  ASSERT_EQ(state.differing.size(), 1u);
  EXPECT_THAT(state.differing[0], ::testing::HasSubstr("migration 0003_event_log"));
  EXPECT_THROW(migrate(c, other), SchemaDiffers);
  other = known;
  other[4].name = "something_else";
  EXPECT_THAT(inspect_schema(c, other).differing.at(0), ::testing::HasSubstr("'something_else'"));
  EXPECT_THROW(migrate(c, other), SchemaDiffers);
}

TEST(Migrations, AFailingMigrationLeavesNothingBehind) {
  testing::TestDatabase db;
  pqxx::connection c(db.conninfo());
  std::vector<Migration> known = known_migrations();
  known.push_back(
      {known.back().version + 1, "broken", "CREATE TABLE half_done (x int); SELECT 1/0;"});
  EXPECT_THROW(migrate(c, known), pqxx::sql_error);
  EXPECT_EQ(inspect_schema(c, known).current, known.back().version - 1);
  EXPECT_EQ(db.query_value("SELECT to_regclass('half_done') IS NULL"), "t");
}

TEST_F(StoreTest, ImportAppliesEverythingAndIsIdempotent) {
  auto first = import_json(small_file());
  ASSERT_TRUE(first.applied);
  EXPECT_EQ(first.counts.halls, 2u);
  EXPECT_EQ(first.counts.windows, 3u);
  auto second = import_json(small_file());
  ASSERT_TRUE(second.applied);
  EXPECT_EQ(count("hall"), "2");
  EXPECT_EQ(count("counter_window"), "3");
  EXPECT_EQ(count("window_business_type"), "5");
  EXPECT_EQ(count("terminal_component"), "5");
  EXPECT_EQ(count("hall_opening_hours"), "7");
  EXPECT_EQ(count("business_type"), "25");
  EXPECT_EQ(db.query_value(
                "SELECT lunch_starts FROM hall_opening_hours o JOIN hall h ON h.id = o.hall_id "
                "WHERE h.code = '4101001' AND weekday = 6"),
            "12:00:00");
}

TEST_F(StoreTest, OneBadRowMeansNothingIsApplied) {
  ASSERT_TRUE(import_json(small_file()).applied);
  auto doc = json::parse(small_file());
  doc["halls"][0]["name"] = "renamed";
  doc["halls"].push_back(doc["halls"][1]);
  doc["halls"][2]["code"] = "4103002";
  doc["halls"][2]["level"] = "Z";
  auto outcome = import_json(doc.dump());
  EXPECT_FALSE(outcome.applied);
  ASSERT_EQ(outcome.read.problems.size(), 1u);
  EXPECT_EQ(outcome.read.problems[0].location, "halls[2].level");
  EXPECT_EQ(db.query_value("SELECT name FROM hall WHERE code = '4101001'"),
            "郑州市供电公司客户服务中心营业厅");
  EXPECT_EQ(count("hall"), "2");
}

TEST_F(StoreTest, DryRunChecksButChangesNothing) {
  auto outcome = import_json(small_file(), ImportMode::dry_run);
  EXPECT_TRUE(outcome.valid);
  EXPECT_FALSE(outcome.applied);
  EXPECT_EQ(outcome.counts.halls, 2u);
  EXPECT_EQ(count("hall"), "0");
}

TEST_F(StoreTest, LaterImportsMayReferToStoredCodes) {
  ASSERT_TRUE(import_json(small_file()).applied);
  json hall = json::parse(small_file())["halls"][1];
  hall["code"] = "4103009";
  hall["windows"] = json::array({{{"number", 1}, {"business_types", {"smart_home"}}}});
  auto outcome = import_json(json{{"format", "halld-archives-v1"}, {"halls", {hall}}}.dump());
  EXPECT_TRUE(outcome.applied) << (outcome.read.problems.empty() ? ""
                                                                 : outcome.read.problems[0].reason);
}

TEST_F(StoreTest, ArchiveQueriesReturnWhatWasImported) {
  ASSERT_TRUE(import_json(small_file()).applied);
  auto hall = json::parse(
      database.run_blocking([](pqxx::connection& c) { return hall_json(c, "4101001"); }));
  EXPECT_EQ(hall["city"]["code"], "4101");
  EXPECT_EQ(hall["opening_hours"]["sat"], "09:00-12:00,13:30-17:00");
  EXPECT_EQ(hall["opening_hours"]["sun"], "closed");
  EXPECT_EQ(hall["exceptions"][0]["hours"], "closed");
  EXPECT_EQ(hall["windows"][0]["business_types"], json({"capacity_increase", "new_conn_hv"}));
  EXPECT_EQ(hall["terminals"][0]["components"].size(), 4u);
  EXPECT_EQ(hall["clerks"].size(), 2u);
  EXPECT_TRUE(
      database.run_blocking([](pqxx::connection& c) { return hall_json(c, "nope"); }).empty());

  auto list = [&](HallFilter filter) {
    return json::parse(
        database.run_blocking([&](pqxx::connection& c) { return list_halls_json(c, filter); }));
  };
  EXPECT_EQ(list({})["total"], 2);
  EXPECT_EQ(list({.city = "4103"})["items"][0]["code"], "4103001");
  EXPECT_EQ(list({.search = "洛龙"})["total"], 1);
  EXPECT_EQ(list({.status = "closed"})["total"], 0);
  auto page = list({.limit = 1, .offset = 1});
  EXPECT_EQ(page["total"], 2);
  ASSERT_EQ(page["items"].size(), 1u);
  EXPECT_EQ(page["items"][0]["code"], "4103001");
  EXPECT_EQ(page["items"][0]["windows"], 0);
  auto cities = json::parse(database.run_blocking(list_cities_json));
  EXPECT_EQ(cities["items"][0]["halls"], 1);
}

TEST_F(StoreTest, TheDemoProvinceImportsCleanly) {
  auto outcome = import_json(tools::generate_demo_province({}).dump());
  ASSERT_TRUE(outcome.applied) << (outcome.read.problems.empty()
                                       ? ""
                                       : outcome.read.problems[0].location + " " +
                                             outcome.read.problems[0].reason);
  EXPECT_EQ(count("hall"), "200");
  EXPECT_EQ(count("city_company"), "18");
}

TEST_F(StoreTest, PoolReconnectsAfterTheServerDropsItsConnection) {
  auto pid = database.run_blocking([](pqxx::connection& c) { return c.backendpid(); });
  db.exec(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
      "AND pid <> pg_backend_pid()");
  // Whichever worker saw the dead connection fails its one job; after that, jobs succeed again.
  int failures = 0;
  for (int i = 0; i < 4; ++i) {
    try {
      database.run_blocking(
          [](pqxx::connection& c) { pqxx::read_transaction(c).exec("SELECT 1"); });
    } catch (const pqxx::broken_connection&) {
      ++failures;
    }
  }
  EXPECT_LE(failures, 2);
  auto new_pid = database.run_blocking([](pqxx::connection& c) { return c.backendpid(); });
  EXPECT_NE(new_pid, pid);
  EXPECT_THAT(metrics.render(), HasSubstr("halld_db_connects_total"));
}

TEST_F(StoreTest, AwaitedJobsResumeOnTheCallersExecutor) {
  std::thread::id resumed_on;
  std::string answer;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        auto pending = database.run([](pqxx::connection& c) {
          return pqxx::read_transaction(c).exec1("SELECT 'pong'")[0].as<std::string>();
        });
        answer = co_await std::move(pending);
        resumed_on = std::this_thread::get_id();
        auto failing = database.run(
            [](pqxx::connection& c) { pqxx::read_transaction(c).exec("SELECT * FROM nowhere"); });
        try {
          co_await std::move(failing);
          answer += " but no error";
        } catch (const pqxx::sql_error&) {
          answer += " and an error";
        }
      },
      asio::detached);
  io.run();
  EXPECT_EQ(answer, "pong and an error");
  EXPECT_EQ(resumed_on, std::this_thread::get_id());
}

}  // namespace
}  // namespace halld::store
