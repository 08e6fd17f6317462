// The text record against real PostgreSQL: a gateway's report and the sender's own record of the
// attempt may land in either order, and the report is the newer news.
#include "halld/notify/sms_store.hpp"

#include <gtest/gtest.h>

#include "halld/store/migrations.hpp"
#include "test_database.hpp"

namespace halld::notify {
namespace {

class SmsStoreTest : public ::testing::Test {
 protected:
  SmsStoreTest() : connection(db.conninfo()) {
    store::migrate(connection, store::known_migrations());
    pqxx::work tx(connection);
    id = insert_text(tx, {0, "+8613800138000", "告警", {7}}, "token").message.id;
    tx.commit();
  }

  ReportResult report(int status, const std::string& token = "token") {
    pqxx::work tx(connection);
    auto result = record_report(tx, id, token, status);
    tx.commit();
    return result;
  }
  void attempt(TextState state, const std::string& error = "") {
    pqxx::work tx(connection);
    record_attempt(tx, id, state, 1, "kannel", error);
    tx.commit();
  }
  std::string column(const std::string& name) {
    return db.query_value("SELECT coalesce(" + name +
                          "::text, '') FROM sms_message WHERE id = " + std::to_string(id));
  }

  testing::TestDatabase db;
  pqxx::connection connection;
  std::int64_t id = 0;
};

TEST_F(SmsStoreTest, SentThenDeliveredEndsDelivered) {
  attempt(TextState::sent);
  EXPECT_EQ(report(8), ReportResult::recorded);
  EXPECT_EQ(report(1), ReportResult::recorded);
  EXPECT_EQ(column("state"), "delivered");
  EXPECT_NE(column("sent_at"), "");
  EXPECT_NE(column("delivered_at"), "");
}

TEST_F(SmsStoreTest, AReportBeforeTheSendersRecordKeepsItsState) {
  EXPECT_EQ(report(8), ReportResult::recorded);
  EXPECT_EQ(report(1), ReportResult::recorded);
  attempt(TextState::sent, "sms-modem: no modem");
  EXPECT_EQ(column("state"), "delivered");
  EXPECT_EQ(column("error"), "");
  EXPECT_EQ(column("attempts"), "1");
  EXPECT_EQ(column("channel"), "kannel");
}

TEST_F(SmsStoreTest, ARejectionBeforeTheSendersRecordKeepsTheFailure) {
  EXPECT_EQ(report(16), ReportResult::recorded);
  attempt(TextState::sent);
  EXPECT_EQ(column("state"), "failed");
  EXPECT_EQ(column("error"), "rejected by the SMSC (report 16)");
}

TEST_F(SmsStoreTest, ReportsNeedTheTextsTokenAndAKnownStatus) {
  attempt(TextState::sent);
  EXPECT_EQ(report(1, "forged"), ReportResult::unknown_text);
  EXPECT_EQ(report(3), ReportResult::bad_status);
  EXPECT_EQ(column("state"), "sent");
  EXPECT_EQ(db.query_value("SELECT count(*) FROM sms_report"), "0");
}

// The finding: with a text's real token, a later "delivered" turned a failed text delivered.
TEST_F(SmsStoreTest, AFinalStateNeverChangesAndLateReportsAreKeptUnapplied) {
  attempt(TextState::sent);
  EXPECT_EQ(report(2), ReportResult::recorded);
  EXPECT_EQ(report(1), ReportResult::recorded);  // replayed or late
  EXPECT_EQ(report(1), ReportResult::recorded);
  EXPECT_EQ(column("state"), "failed");
  EXPECT_EQ(column("delivered_at"), "");
  EXPECT_EQ(column("error"), "not delivered to the phone (report 2)");
  EXPECT_EQ(db.query_value(
                "SELECT string_agg(status || ':' || applied, ',' ORDER BY id) FROM sms_report"),
            "2:true,1:false,1:false");
  pqxx::read_transaction tx(connection);
  auto listed = list_texts(tx, {});
  EXPECT_EQ(listed["items"][0]["reports"], nlohmann::json({2, 1, 1}));
  EXPECT_EQ(listed["items"][0]["reports_not_applied"], nlohmann::json({1, 1}));
}

TEST_F(SmsStoreTest, ADuplicateDeliveryIsRecordedNotApplied) {
  attempt(TextState::sent);
  EXPECT_EQ(report(1), ReportResult::recorded);
  const auto delivered_at = column("delivered_at");
  EXPECT_EQ(report(1), ReportResult::recorded);
  EXPECT_EQ(report(8), ReportResult::recorded);  // "accepted by the SMSC", out of order
  EXPECT_EQ(column("state"), "delivered");
  EXPECT_EQ(column("delivered_at"), delivered_at);
  EXPECT_EQ(db.query_value("SELECT string_agg(applied::text, ',' ORDER BY id) FROM sms_report"),
            "true,false,false");
}

// The race seen once in five texts through a real Kannel: the report commits while the sender's
// record of the attempt waits for the row; the text must end delivered, with its time.
TEST_F(SmsStoreTest, AReportRacingTheSendersRecordEndsDeliveredWithItsTime) {
  pqxx::connection other(db.conninfo());
  pqxx::work sender(connection);
  sender.exec("SELECT 1");  // the sender's transaction has begun (and taken its snapshot)
  {
    pqxx::work gateway(other);
    EXPECT_EQ(record_report(gateway, id, "token", 1), ReportResult::recorded);
    gateway.commit();
  }
  record_attempt(sender, id, TextState::sent, 1, "kannel", "");
  sender.commit();
  EXPECT_EQ(column("state"), "delivered");
  EXPECT_NE(column("delivered_at"), "");
}

TEST(SmsStates, MoveOnlyForward) {
  EXPECT_TRUE(moves_forward(TextState::queued, TextState::sent));
  EXPECT_TRUE(moves_forward(TextState::sent, TextState::delivered));
  EXPECT_TRUE(moves_forward(TextState::queued, TextState::failed));
  EXPECT_FALSE(moves_forward(TextState::failed, TextState::delivered));
  EXPECT_FALSE(moves_forward(TextState::delivered, TextState::failed));
  EXPECT_FALSE(moves_forward(TextState::sent, TextState::queued));
  EXPECT_FALSE(moves_forward(TextState::sent, TextState::sent));
}

}  // namespace
}  // namespace halld::notify
