// The event log against real PostgreSQL: exactly-once by (source, sequence), partitions, and
// all-or-nothing batches.
#include "halld/store/event_store.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "halld/store/archive_store.hpp"
#include "halld/store/migrations.hpp"
#include "process.hpp"
#include "test_database.hpp"

namespace halld::store {
namespace {

using namespace halld::records;
const Timestamp november{std::chrono::seconds(1795425300)};  // 2026-11-23T09:15:00Z
const Timestamp december{std::chrono::seconds(1796108400)};  // 2026-12-01T07:00:00Z

std::vector<Event> one_of_each() {
  return {
      {november,
       TicketIssued{"A001", "bill_payment", CustomerClassCode::premium, TicketSource::appointment}},
      {november, TicketCalled{"A001", 3, "S-1"}},
      {november, TicketRecalled{"A001", 3}},
      {november, TicketTransferred{"A001", "consultation"}},
      {november, ServiceStarted{"A001", 3, "S-1"}},
      {november, ServiceFinished{"A001", 3, "S-1", "consultation"}},
      {november, TicketAbandoned{"A002", AbandonReason::left_queue}},
      {november, EvaluationGiven{"A001", 3, "S-1", EvaluationResult::dissatisfied}},
      {november, WindowStatusChanged{3, WindowState::paused, "S-1"}},
      {november, QueueSnapshot{{{"bill_payment", 4, 120}}}},
      {november, TerminalStateChanged{"T1", TerminalState::fault}},
      {november, PartStateChanged{"T1", TerminalPart::cash_acceptor, PartState::box_full}},
      {november, TerminalAlarm{"T1", TerminalAlarmKind::tamper}},
      {november, Transaction{"T1", "TX1", "bill_payment", 98765, PaymentMethod::bank_card,
                             TransactionResult::failed, 30, "C1"}},
      {november,
       Settlement{
           "T1", november - std::chrono::hours(24), november, {{PaymentMethod::cash, 2, 500}}}},
  };
}

class EventStoreTest : public ::testing::Test {
 protected:
  EventStoreTest() : database(db.conninfo(), 1, event_statements(), metrics) {
    database.run_blocking([](pqxx::connection& c) { return migrate(c, known_migrations()); });
    db.exec(
        "INSERT INTO city_company (code, name) VALUES ('C', 'c'); "
        "INSERT INTO hall (code, name, city_id, latitude, longitude, level, status) "
        "SELECT 'H1', 'h', id, 0, 0, 'A', 'open' FROM city_company");
    hall_id = std::stoi(db.query_value("SELECT id FROM hall"));
    source = database.run_blocking(
        [&](pqxx::connection& c) { return register_source(c, "qs-h1", 9, hall_id); });
  }

  std::vector<IngestRecord> records(const std::vector<Event>& events, std::uint32_t first_sequence,
                                    int source_id = 0) {
    std::vector<IngestRecord> out;
    for (const auto& e : events) {
      out.push_back({source_id ? source_id : source.source_id, first_sequence++, hall_id, e,
                     std::chrono::system_clock::now(), std::nullopt, false});
    }
    return out;
  }
  BatchOutcome write(const std::vector<IngestRecord>& batch) {
    return database.run_blocking(
        [&](pqxx::connection& c) { return write_events(c, batch, partitions); });
  }
  std::string value(const std::string& sql) { return db.query_value(sql); }

  testing::TestDatabase db;
  MetricsRegistry metrics;
  Database database;
  PartitionCache partitions;
  int hall_id = 0;
  SourceRegistration source;
};

TEST_F(EventStoreTest, SourcesAreRegisteredOnce) {
  auto again = database.run_blocking(
      [&](pqxx::connection& c) { return register_source(c, "qs-h1", 9, std::nullopt); });
  EXPECT_EQ(again.source_id, source.source_id);
  EXPECT_EQ(value("SELECT hall_id FROM acquisition_source"), std::to_string(hall_id))
      << "a later unknown hall keeps the known one";
  auto other = database.run_blocking(
      [&](pqxx::connection& c) { return register_source(c, "qs-h1", 10, std::nullopt); });
  EXPECT_NE(other.source_id, source.source_id);
  EXPECT_EQ(other.last_sequence, 0u);
}

TEST_F(EventStoreTest, EveryKindLandsInItsColumns) {
  auto outcome = write(records(one_of_each(), 1));
  EXPECT_EQ(outcome.stored, 15u);
  EXPECT_EQ(value("SELECT count(*) FROM hall_event"), "15");
  EXPECT_EQ(value("SELECT count(DISTINCT kind) FROM hall_event"), "15");
  EXPECT_EQ(value("SELECT customer_class || '/' || ticket_source FROM hall_event WHERE kind = 0"),
            "1/2");
  EXPECT_EQ(value("SELECT to_business FROM hall_event WHERE kind = 3"), "consultation");
  EXPECT_EQ(value("SELECT evaluation || ' ' || staff_no || ' ' || window_no FROM hall_event e JOIN "
                  "event_kind k ON k.id = e.kind "
                  "WHERE k.name = 'evaluation'"),
            "4 S-1 3");
  EXPECT_EQ(value("SELECT part || '/' || part_state FROM hall_event WHERE kind = 11"), "5/4");
  EXPECT_EQ(value("SELECT amount_fen || ' ' || payment_method || ' ' || transaction_result || ' ' "
                  "|| duration_s "
                  "FROM hall_event WHERE kind = 13"),
            "98765 2 1 30");
  EXPECT_EQ(value("SELECT detail->'queues'->0->>'waiting' FROM hall_event WHERE kind = 9"), "4");
  EXPECT_EQ(value("SELECT detail->'lines'->0->>'total_fen' FROM hall_event WHERE kind = 14"),
            "500");
  EXPECT_EQ(
      value("SELECT occurred_at AT TIME ZONE 'Asia/Shanghai' FROM hall_event WHERE sequence = 1"),
      "2026-11-23 17:15:00");
  EXPECT_EQ(value("SELECT last_sequence FROM acquisition_source WHERE id = " +
                  std::to_string(source.source_id)),
            "15");
  EXPECT_EQ(value("SELECT count(*) FROM hall_event_2026m11"), "15")
      << "stored in November's partition";
  EXPECT_EQ(
      value(
          "SELECT count(*) FROM hall_event WHERE received_at = date_trunc('second', received_at)"),
      "0")
      << "received_at keeps its microseconds (one in a million may land on a whole second)";
}

// A device that lost its counter sends 1…1000 after 20,000 were stored: every one is stored,
// none is dropped as a duplicate, and the restart is on the source's record.
TEST_F(EventStoreTest, ARestartedCounterIsStoredAsANewNumberingNotDroppedAsResends) {
  std::vector<Event> events(1000, Event{november, TicketRecalled{"A001", 1}});
  ASSERT_EQ(write(records({events[0]}, 20'000)).stored, 1u);
  auto outcome = write(records(events, 1));
  EXPECT_EQ(outcome.stored, 1000u);
  EXPECT_EQ(outcome.duplicates, 0u);
  ASSERT_EQ(outcome.restarts.size(), 1u);
  EXPECT_EQ(outcome.restarts[0].from, 20'000u);
  EXPECT_EQ(outcome.restarts[0].to, 1u);
  EXPECT_EQ(value("SELECT last_sequence || ' ' || restarts || ' ' || (last_restart_at IS NOT NULL) "
                  "FROM acquisition_source "
                  "WHERE id = " +
                  std::to_string(source.source_id)),
            "1000 1 true");
  // Resends of the new numbering are still resends.
  EXPECT_EQ(write(records({events[0], events[1]}, 999)).duplicates, 2u);
  EXPECT_EQ(value("SELECT count(*) FROM hall_event"), "1001");
}

TEST_F(EventStoreTest, ADeclaredEpochStartsTheNumberingAfreshAndIsKept) {
  auto batch = records({one_of_each()[2], one_of_each()[2]}, 500);
  for (auto& r : batch) r.epoch = 4;
  ASSERT_EQ(write(batch).stored, 2u);
  auto restarted = records({one_of_each()[2], one_of_each()[2]}, 1);
  for (auto& r : restarted) r.epoch = 5;
  auto outcome = write(restarted);
  EXPECT_EQ(outcome.stored, 2u);
  ASSERT_EQ(outcome.restarts.size(), 1u);
  EXPECT_EQ(outcome.restarts[0].new_epoch, std::optional<std::uint32_t>(5));
  EXPECT_EQ(value("SELECT epoch || '/' || last_sequence FROM acquisition_source WHERE id = " +
                  std::to_string(source.source_id)),
            "5/2");
  // The highest sequence and the epoch travel together: a resend of epoch 5 is one.
  EXPECT_EQ(write(restarted).duplicates, 2u);
}

TEST_F(EventStoreTest, ASequenceWrapsAt2To32WithoutLoss) {
  ASSERT_EQ(write(records({one_of_each()[2], one_of_each()[2]}, 4'294'967'294u)).stored, 2u);
  auto wrapped = write(records({one_of_each()[2], one_of_each()[2]}, 1));
  EXPECT_EQ(wrapped.stored, 2u);
  EXPECT_TRUE(wrapped.restarts.empty()) << "wrapping is not restarting";
  EXPECT_EQ(value("SELECT count(*) FROM hall_event"), "4");
}

// An event dated 13 hours ahead is stored under its reception time, with the device's time
// beside it, and is never read back for the KPIs.
TEST_F(EventStoreTest, AnEventOutsideTheClockBoundsIsStoredUnderItsReceptionTimeAndNotReadBack) {
  auto batch = records({Event{november + std::chrono::hours(13),
                              TicketIssued{"A009", "bill_payment", CustomerClassCode::general,
                                           TicketSource::kiosk}}},
                       1);
  batch[0].received_at = std::chrono::system_clock::time_point(november.time_since_epoch()) +
                         std::chrono::milliseconds(250);
  batch[0].clock_skewed = true;
  ASSERT_EQ(write(batch).stored, 1u);
  EXPECT_EQ(value("SELECT (occurred_at AT TIME ZONE 'UTC')::text || ' ' || (device_at AT TIME ZONE "
                  "'UTC')::text "
                  "FROM hall_event"),
            "2026-11-23 09:15:00 2026-11-23 22:15:00");
  auto events = database.run_blocking([&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    return read_hall_events(tx, hall_id, november - std::chrono::hours(48),
                            november + std::chrono::hours(48));
  });
  EXPECT_TRUE(events.empty());
}

TEST_F(EventStoreTest, ResentFramesAreStoredOnce) {
  auto events = one_of_each();
  ASSERT_EQ(write(records(events, 1)).stored, 15u);
  auto again = write(records(events, 1));
  EXPECT_EQ(again.stored, 0u);
  EXPECT_EQ(again.duplicates, 15u);
  // An overlapping resend: 11..15 again, then 16..20 new.
  std::vector<Event> more(events.begin(), events.begin() + 10);
  auto overlap = write(records(more, 11));
  EXPECT_EQ(overlap.duplicates, 5u);
  EXPECT_EQ(overlap.stored, 5u);
  EXPECT_EQ(value("SELECT count(*) FROM hall_event"), "20");
  EXPECT_EQ(value("SELECT count(DISTINCT sequence) FROM hall_event"), "20");
  // Within one batch, a repeated sequence counts once.
  auto batch = records({events[0], events[1]}, 21);
  batch.push_back(batch[0]);
  auto within = write(batch);
  EXPECT_EQ(within.stored, 2u);
  EXPECT_EQ(within.duplicates, 1u);
}

TEST_F(EventStoreTest, EachMonthGetsItsPartition) {
  std::vector<Event> events = {{november, TicketRecalled{"A", 1}},
                               {december, TicketRecalled{"B", 1}}};
  EXPECT_EQ(write(records(events, 1)).stored, 2u);
  EXPECT_EQ(value("SELECT count(*) FROM hall_event_2026m12"), "1");
  EXPECT_EQ(value("SELECT count(*) FROM pg_inherits WHERE inhparent = 'hall_event'::regclass"),
            "2");
  PartitionCache fresh_cache;  // a restarted writer finds the partitions there
  auto outcome = database.run_blocking([&](pqxx::connection& c) {
    return write_events(c, records({{december, TicketRecalled{"C", 1}}}, 3), fresh_cache);
  });
  EXPECT_EQ(outcome.stored, 1u);
}

TEST_F(EventStoreTest, AFailingBatchStoresNothing) {
  ASSERT_EQ(write(records({one_of_each()[0]}, 1)).stored, 1u);
  auto batch = records({one_of_each()[1], one_of_each()[2]}, 2);
  batch[1].event.body =
      TicketRecalled{std::string("bad\0byte", 8), 1};  // PostgreSQL text cannot hold NUL
  EXPECT_ANY_THROW(write(batch));
  EXPECT_EQ(value("SELECT count(*) FROM hall_event"), "1");
  EXPECT_EQ(value("SELECT last_sequence FROM acquisition_source"), "1")
      << "the high-water mark did not move";
  EXPECT_THROW(write(records({one_of_each()[0]}, 5, 999)), std::invalid_argument)
      << "unregistered source";
}

}  // namespace
}  // namespace halld::store
