// The marketing system's records against real PostgreSQL: a page stored twice is stored once
// and its watermark moves with it; a full archive pass applies new and changed halls and
// clerks and holds retirements for approval, and approval deletes only what nothing refers
// to; counter applications are linked to the tickets of the hall's events.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "halld/marketing/store.hpp"
#include "halld/records/event_json.hpp"
#include "halld/store/migrations.hpp"
#include "test_database.hpp"

namespace halld::marketing {
namespace {

using namespace std::chrono_literals;
using halld::testing::TestDatabase;
using records::Timestamp;

Timestamp at(const char* text) {
  return records::parse_instant(text, {})->at;
}

class MarketingStoreTest : public ::testing::Test {
 protected:
  MarketingStoreTest() : connection(db.conninfo()) {
    store::migrate(connection, store::known_migrations());
    db.exec(
        "INSERT INTO city_company (code, name) VALUES ('4101', '郑州');"
        "INSERT INTO hall (code, name, city_id, latitude, longitude, level, status) VALUES "
        "('4101001', '中心营业厅', 1, 34.75, 113.62, 'A', 'open'),"
        "('4101002', '东区营业厅', 1, 34.77, 113.70, 'B', 'open'),"
        "('4101003', '西区营业厅', 1, 34.71, 113.50, 'C', 'open');"
        "INSERT INTO clerk (staff_no, name, hall_id, status) VALUES "
        "('4101001-01', '张三', 1, 'active'), ('4101001-02', '李四', 1, 'active'),"
        "('4101003-01', '王五', 3, 'active')");
  }
  void store(const wire::Page& page, Timestamp now = at("2026-12-01T09:00:00Z")) {
    pqxx::work tx(connection);
    store_page(tx, page, {}, now, now);
    tx.commit();
  }
  std::vector<nlohmann::json> pass(wire::Entity entity, Timestamp started) {
    pqxx::work tx(connection);
    auto changes = finish_archive_pass(tx, entity, started, started + 1s);
    tx.commit();
    return changes;
  }
  std::string value(const std::string& sql) { return db.query_value(sql); }

  TestDatabase db;
  pqxx::connection connection;
};

wire::ApplicationEntry application(const char* number, const char* staff, const char* accepted,
                                   const char* finished) {
  return {number,       "bill_payment", "C1",       "4101",    "4101001",   staff,
          at(accepted), at(finished),   "finished", "counter", at(finished)};
}

TEST_F(MarketingStoreTest, APageStoredTwiceIsStoredOnceAndMovesTheWatermark) {
  wire::Page page;
  page.entity = wire::Entity::applications;
  page.applications = {
      application("YX1", "4101001-01", "2026-12-01T08:00:40Z", "2026-12-01T08:02:00Z"),
      application("YX2", "4101001-02", "2026-12-01T08:01:00Z", "2026-12-01T08:03:00Z")};
  page.rejected = {{"YX3", "acceptedAt \"bad\" is not a time"}};
  page.last = wire::Watermark{at("2026-12-01T08:03:01Z"), "YX3"};
  store(page);
  store(page);  // the same page again (an answer whose commit was not seen): no doubles
  EXPECT_EQ(value("SELECT count(*) FROM business_application"), "2");
  EXPECT_EQ(value("SELECT hall_id FROM business_application WHERE application_no = 'YX1'"), "1");
  EXPECT_EQ(value("SELECT count(*) FROM marketing_rejected"), "2");
  pqxx::read_transaction tx(connection);
  const auto mark = feed_position(tx, wire::Entity::applications);
  EXPECT_EQ(mark.key, "YX3");
  EXPECT_EQ(mark.changed_at, at("2026-12-01T08:03:01Z"));
  EXPECT_EQ(feed_position(tx, wire::Entity::customers), wire::Watermark{});
}

TEST_F(MarketingStoreTest, CustomersAreClassified) {
  wire::Page page;
  page.entity = wire::Entity::customers;
  page.customers = {{"C1", "某公司", true, 630, 2e6, "enterprise", at("2026-12-01T00:00:00Z")},
                    {"C2", "居民", false, 8, 2000, "resident", at("2026-12-01T00:00:01Z")},
                    {"C3", "咨询", false, 0, 0, "unregistered", at("2026-12-01T00:00:02Z")}};
  store(page);
  EXPECT_EQ(value("SELECT string_agg(class_code, ',' ORDER BY customer_no) FROM "
                  "marketing_customer"),
            "premium,general,potential");
}

TEST_F(MarketingStoreTest, AnArchivePassAppliesNewAndChangedAndHoldsRetirements) {
  const auto t1 = at("2026-12-01T09:00:00Z");
  wire::Page halls;
  halls.entity = wire::Entity::halls;
  halls.halls = {{"4101001", "中心营业厅", "4101", "", "", "open", t1},
                 {"4101002", "东区营业厅", "4101", "", "东风路9号（迁址）", "open", t1},
                 {"4101009", "营销新增营业厅", "4101", "金水区", "", "open", t1},
                 {"5101001", "外省营业厅", "5101", "", "", "open", t1}};  // an unknown city
  store(halls, t1);
  auto changes = pass(wire::Entity::halls, t1);
  ASSERT_EQ(changes.size(), 4u);
  EXPECT_EQ(value("SELECT address FROM hall WHERE code = '4101002'"), "东风路9号（迁址）");
  EXPECT_EQ(value("SELECT level || count(*) FROM hall h JOIN hall_opening_hours o ON o.hall_id = "
                  "h.id WHERE code = '4101009' GROUP BY level"),
            "C5");
  EXPECT_EQ(value("SELECT state || ':' || detail FROM marketing_archive_change WHERE code = "
                  "'5101001'"),
            "refused:城市公司 5101 不在档案中");
  EXPECT_EQ(value("SELECT state FROM marketing_archive_change WHERE code = '4101003'"), "pending");
  EXPECT_EQ(value("SELECT status FROM hall WHERE code = '4101003'"), "open");  // not yet

  // The next pass finds nothing new: the refusal and the pending retirement are not repeated.
  store(halls, t1 + 60s);
  EXPECT_TRUE(pass(wire::Entity::halls, t1 + 60s).empty());

  // 4101003 has events: approved, it is closed, not deleted. A clerk nothing refers to is.
  db.exec(
      "SELECT halld_event_partition('2026-12-01T08:00:00Z');"
      "INSERT INTO hall_event (hall_id, occurred_at, received_at, source_id, sequence, kind, "
      "ticket) VALUES (3, '2026-12-01T08:00:00Z', now(), 1, 1, 0, 'A001')");
  const auto id = std::stoll(value(
      "SELECT id FROM marketing_archive_change WHERE code = '4101003' AND state = 'pending'"));
  {
    pqxx::work tx(connection);
    auto decided = decide_change(tx, id, true, "user:li", t1 + 120s);
    ASSERT_TRUE(decided);
    EXPECT_EQ((*decided)["state"], "deactivated");
    EXPECT_FALSE(decide_change(tx, id, true, "user:li", t1 + 120s));  // decided already
    tx.commit();
  }
  EXPECT_EQ(value("SELECT status FROM hall WHERE code = '4101003'"), "closed");

  wire::Page clerks;
  clerks.entity = wire::Entity::clerks;
  clerks.clerks = {{"4101001-01", "张三", "4101001", "active", t1},
                   {"4101001-02", "李四", "4101001", "retired", t1},
                   {"4101001-03", "新员工", "4101001", "active", t1}};
  store(clerks, t1);
  changes = pass(wire::Entity::clerks, t1);
  // 4101001-02 retired, 4101001-03 new, 4101003-01 no longer listed.
  EXPECT_EQ(changes.size(), 3u);
  EXPECT_EQ(value("SELECT name FROM clerk WHERE staff_no = '4101001-03'"), "新员工");
  const auto clerk_change = std::stoll(value(
      "SELECT id FROM marketing_archive_change WHERE code = '4101001-02' AND state = 'pending'"));
  pqxx::work tx(connection);
  EXPECT_EQ((*decide_change(tx, clerk_change, true, "user:li", t1))["state"], "deleted");
  tx.commit();
  EXPECT_EQ(value("SELECT count(*) FROM clerk WHERE staff_no = '4101001-02'"), "0");
}

TEST_F(MarketingStoreTest, CounterApplicationsAreLinkedToTheirTickets) {
  db.exec(
      "SELECT halld_event_partition('2026-12-01T08:00:00Z');"
      "INSERT INTO hall_event (hall_id, occurred_at, received_at, source_id, sequence, kind, "
      "ticket, staff_no) VALUES "
      "(1, '2026-12-01T08:00:10Z', now(), 1, 1, 4, 'A001', '4101001-01'),"
      "(1, '2026-12-01T08:01:32Z', now(), 1, 2, 5, 'A001', '4101001-01'),"
      "(1, '2026-12-01T08:02:10Z', now(), 1, 3, 4, 'A002', '4101001-01'),"
      "(1, '2026-12-01T08:05:31Z', now(), 1, 4, 5, 'A002', '4101001-01')");
  wire::Page page;
  page.entity = wire::Entity::applications;
  page.applications = {
      application("YX1", "4101001-01", "2026-12-01T08:00:53Z", "2026-12-01T08:01:50Z"),
      application("YX2", "4101001-01", "2026-12-01T08:02:40Z", "2026-12-01T08:05:40Z"),
      application("YX3", "4101001-01", "2026-12-01T09:30:00Z", "2026-12-01T09:31:00Z")};
  auto online = application("YX4", "", "2026-12-01T08:00:00Z", "2026-12-01T08:00:00Z");
  online.channel = "online", online.hall_code = "";
  page.applications.push_back(online);
  store(page);
  LinkRound round;
  round.settle = 600s, round.give_up = 3600s;
  pqxx::work tx(connection);
  auto counts = link_waiting(tx, at("2026-12-01T09:45:00Z"), round);
  EXPECT_EQ(counts.linked, 2u);
  EXPECT_EQ(counts.unmatched, 0u);  // YX3 is too recent to judge
  counts = link_waiting(tx, at("2026-12-01T11:00:00Z"), round);
  EXPECT_EQ(counts.unmatched, 1u);  // and now given up
  tx.commit();
  EXPECT_EQ(value("SELECT string_agg(application_no || '=' || coalesce(ticket, link_state), ',' "
                  "ORDER BY application_no) FROM business_application"),
            "YX1=A001,YX2=A002,YX3=unmatched,YX4=not_counter");
  pqxx::read_transaction read(connection);
  const auto summary =
      summary_json(read, {at("2026-12-01T00:00:00Z"), at("2026-12-02T00:00:00Z"), "4101", ""});
  EXPECT_EQ(summary["linking"]["linked"], 2);
  EXPECT_EQ(summary["linking"]["tickets_served"], 2);
  EXPECT_EQ(summary["linking"]["tickets_without_application"], 0);
  EXPECT_EQ(summary["channels"]["online"], 1);
  EXPECT_EQ(summary["handling"][0]["applications"], 2);
  const auto other_city =
      summary_json(read, {at("2026-12-01T00:00:00Z"), at("2026-12-02T00:00:00Z"), "4102", ""});
  EXPECT_TRUE(other_city["channels"].empty());
}

}  // namespace
}  // namespace halld::marketing
