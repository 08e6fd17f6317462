// The emergency manager on a manual clock against real PostgreSQL: a started plan's step that
// nobody confirms is escalated once its time limit has passed, the plan's effect is measured
// effect_minutes after the start, and a hall whose queue stays past a work-order rule's
// threshold for the rule's hold gets one work order (not one per tick), its people a text.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <future>
#include <mutex>
#include <thread>

#include "halld/core/clock.hpp"
#include "halld/emergency/manager.hpp"
#include "halld/store/event_store.hpp"
#include "halld/store/kpi_store.hpp"
#include "halld/store/migrations.hpp"
#include "process.hpp"
#include "test_database.hpp"

namespace halld::emergency {
namespace {

using namespace std::chrono_literals;
using halld::testing::eventually;
using halld::testing::TestDatabase;
using ::testing::HasSubstr;

std::vector<store::Statement> statements() {
  auto all = store::event_statements();
  auto kpis = store::kpi_statements();
  all.insert(all.end(), kpis.begin(), kpis.end());
  return all;
}

class ManagerTest : public ::testing::Test {
 protected:
  ManagerTest() : database(db.conninfo(), 2, statements(), metrics) {
    database.run_blocking(
        [](pqxx::connection& c) { return store::migrate(c, store::known_migrations()); });
    db.exec(
        "INSERT INTO city_company (code, name) VALUES ('4101', '郑州');"
        "INSERT INTO hall (code, name, city_id, latitude, longitude, level, status) SELECT "
        "'4101001', '中心营业厅', id, 34.75, 113.62, 'A', 'open' FROM city_company;"
        "INSERT INTO hall_opening_hours (hall_id, weekday, opens, closes) SELECT h.id, d, "
        "'00:00', '23:59' FROM hall h, generate_series(1, 7) d;"
        "UPDATE work_order_rule SET indicator = 'queue_length', threshold = 2, hold_min = 5");
    hall_id = std::stoi(db.query_value("SELECT id FROM hall WHERE code = '4101001'"));
    live.rebuild();
    alarms.load();
    manager.load();
    live.start();
    alarms.start();
    manager.start();
    runner = std::thread([this] { io.run(); });
  }
  ~ManagerTest() override {
    stop(manager);
    stop(alarms);
    stop(live);
    work.reset();
    runner.join();
  }
  void stop(Service& service) {
    std::promise<void> stopped;
    service.stop([&] { stopped.set_value(); });
    stopped.get_future().wait();
  }
  // Moves the clock on in steps of the manager's tick, each once every service waits again (so
  // that each tick's work is done): the live engine's two timers, the alarm engine's two, the
  // manager's one.
  void advance(std::chrono::seconds by) {
    constexpr std::size_t idle = 5;
    for (auto moved = 0s; moved < by; moved += 2s) {
      ASSERT_TRUE(eventually([&] { return clock.waiting() == idle; })) << clock.waiting();
      clock.advance(2s);
    }
    ASSERT_TRUE(eventually([&] { return clock.waiting() == idle; })) << clock.waiting();
  }
  std::vector<Text> texts() {
    std::lock_guard lock(mutex);
    return told;
  }
  // Customers waiting since `since`, as ingest hands them to the live engine.
  void tickets(int count, records::Timestamp since) {
    std::vector<store::IngestRecord> batch;
    for (int i = 1; i <= count; ++i) {
      batch.push_back({1,
                       static_cast<std::uint32_t>(i),
                       hall_id,
                       {since, records::TicketIssued{fmt::format("A{:03}", i), "bill_payment"}},
                       since,
                       std::nullopt,
                       false});
    }
    live.apply(batch);
  }

  TestDatabase db;
  MetricsRegistry metrics;
  store::Database database;
  ManualClock clock{std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now())};
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  live::Engine live{io.get_executor(), database, metrics, {}, clock};
  alarm::Engine alarms{io.get_executor(), database, metrics, live, {}, clock};
  std::mutex mutex;
  std::vector<Text> told;
  Manager manager{io.get_executor(), database, metrics, alarms, live, {}, clock, [this](Text text) {
                    std::lock_guard lock(mutex);
                    told.push_back(std::move(text));
                  }};
  std::thread runner;
  int hall_id = 0;
};

TEST_F(ManagerTest, AnUnconfirmedStepIsEscalatedAndTheEffectMeasuredOnTime) {
  // The public-safety plan (4): an instruction (5 min), a text to level 2, a notice.
  auto started = asio::co_spawn(io, manager.activate(4, "4101001", "大厅内发生纠纷", "user:wang"),
                                asio::use_future)
                     .get();
  ASSERT_EQ(started.kind, Outcome::Kind::done) << started.message;
  const auto id = started.record["id"].get<std::int64_t>();
  EXPECT_EQ(started.record["steps"][0]["state"], "pending");
  EXPECT_EQ(started.record["steps"][1]["state"], "done");  // the text went out
  EXPECT_EQ(started.record["steps"][2]["state"], "failed");
  EXPECT_THAT(started.record["steps"][2]["result"].get<std::string>(),
              HasSubstr("未接入排队叫号系统"));
  ASSERT_EQ(texts().size(), 1u);
  EXPECT_EQ(texts()[0].level, 2);

  // Four minutes: nothing overdue yet. Six: the instruction is, once.
  advance(4min);
  EXPECT_EQ(db.query_value(
                fmt::format("SELECT count(*) FROM emergency_log WHERE emergency_id = {} AND kind = "
                            "'escalate'",
                            id)),
            "0");
  advance(2min + 2s);
  ASSERT_TRUE(eventually([&] { return texts().size() == 2; })) << texts().size();
  EXPECT_EQ(texts()[1].level, 2);
  EXPECT_THAT(texts()[1].text,
              HasSubstr("第 1 步「处置指令：组织客户有序疏散，保护现场」超时未完成"));
  advance(1min);
  EXPECT_EQ(texts().size(), 2u) << "escalated once";

  // Twenty minutes after the start the effect is measured (the alarm-less plan: not cleared by
  // an alarm, so not judged effective).
  EXPECT_EQ(db.query_value(fmt::format("SELECT after IS NULL FROM emergency WHERE id = {}", id)),
            "t");
  advance(14min);
  ASSERT_TRUE(eventually([&] {
    return db.query_value(
               fmt::format("SELECT after IS NOT NULL FROM emergency WHERE id = {}", id)) == "t";
  }));
  EXPECT_EQ(
      db.query_value(fmt::format(
          "SELECT count(*) FROM emergency_log WHERE emergency_id = {} AND kind = 'effect'", id)),
      "1");
}

TEST_F(ManagerTest, AQueueThatStaysLongGetsOneWorkOrder) {
  tickets(5, clock.now_seconds() - 1min);
  advance(2min);
  EXPECT_EQ(db.query_value("SELECT count(*) FROM work_order"), "0") << "held 2 of 5 minutes";
  advance(4min);
  ASSERT_TRUE(eventually([&] { return db.query_value("SELECT count(*) FROM work_order") == "1"; }));
  advance(1min);
  EXPECT_EQ(db.query_value("SELECT count(*) FROM work_order"), "1") << "one order, not one a tick";
  EXPECT_EQ(db.query_value("SELECT (evidence->>'value')::float FROM work_order"), "5");
  ASSERT_TRUE(eventually([&] { return texts().size() == 1; }));
  EXPECT_EQ(texts()[0].level, 1);
  EXPECT_THAT(texts()[0].text, HasSubstr("【工单】中心营业厅"));
}

}  // namespace
}  // namespace halld::emergency
