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
    return db.query_value("SELECT coalesce(" + name + "::text, '') FROM sms_message WHERE id = " + std::to_string(id));
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

}  // namespace
}  // namespace halld::notify
