// Notices against real PostgreSQL: a province-wide notice and a hall's urgent one go to the halls
// they reach, the urgent one wins where both reach, a hall with no queue system is recorded
// once (not at every sync); withdrawing the urgent notice brings the province's back, expiry
// clears the boards, a long notice is refreshed before the boards would drop it, a lost command
// is sent again.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "halld/notice/store.hpp"
#include "halld/store/migrations.hpp"
#include "test_database.hpp"

namespace halld::notice {
namespace {

using namespace std::chrono_literals;
using halld::testing::TestDatabase;
using nlohmann::json;

class NoticeStoreTest : public ::testing::Test {
 protected:
  NoticeStoreTest() : connection(db.conninfo()) {
    store::migrate(connection, store::known_migrations());
    db.exec(
        "INSERT INTO city_company (code, name) VALUES ('4101', '郑州'), ('4102', '开封');"
        "INSERT INTO hall (code, name, city_id, latitude, longitude, level, status) VALUES "
        "('4101001', '中心营业厅', 1, 34.75, 113.62, 'A', 'open'),"
        "('4101002', '东区营业厅', 1, 34.76, 113.70, 'B', 'open'),"
        "('4102001', '开封营业厅', 2, 34.79, 114.30, 'B', 'open'),"
        "('4102002', '停业营业厅', 2, 34.79, 114.31, 'C', 'closed');"
        // 4101001 and 4102001 have a queue system that has logged in; 4101002 has none
        "INSERT INTO acquisition_channel (code, hall_id, protocol, link, host, port, site) VALUES "
        "('qs-1', 1, 'queue_eval', 'tcp_client', '127.0.0.1', 9, '4101001'),"
        "('qs-3', 3, 'queue_eval', 'tcp_client', '127.0.0.1', 9, '4102001');"
        "INSERT INTO acquisition_source (channel, address) VALUES ('qs-1', 1), ('qs-3', 7)");
  }

  std::vector<Delivery> sync(Timestamp at, std::vector<int> halls = {}) {
    pqxx::work tx(connection);
    auto deliveries = sync_boards(tx, at, halls, {});
    tx.commit();
    return deliveries;
  }
  std::int64_t publish(const json& body, Reach reach, Timestamp at) {
    pqxx::work tx(connection);
    auto id = notice::publish(tx, std::get<Draft>(draft_from_json(body, at)), reach, "user:li", at);
    tx.commit();
    return id;
  }
  // The command a hall's queue system was last sent, as JSON.
  json last_command(const char* channel) {
    return json::parse(db.query_value(
        std::string("SELECT k.command::text FROM hall_command k JOIN acquisition_channel c ON "
                    "c.id = k.channel_id WHERE c.code = '") +
        channel + "' ORDER BY k.id DESC LIMIT 1"));
  }
  int commands() { return std::stoi(db.query_value("SELECT count(*) FROM hall_command")); }

  TestDatabase db;
  pqxx::connection connection;
  const Timestamp t0 = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
};

TEST_F(NoticeStoreTest, TheUrgentWinsAWithdrawalBringsTheOtherBackAndExpiryClears) {
  const auto province = publish({{"text", "系统升级，今晚 20:00 后暂停线上缴费"}, {"minutes", 120}},
                                {Level::province, ""}, t0);
  auto sent = sync(t0);
  ASSERT_EQ(sent.size(), 3u);  // the three open halls; the closed one is not reached
  EXPECT_EQ(commands(), 2);    // 4101002 has nowhere to send it
  EXPECT_EQ(last_command("qs-1")["text"], "系统升级，今晚 20:00 后暂停线上缴费");
  EXPECT_EQ(last_command("qs-1")["seconds"], 7200);
  EXPECT_EQ(last_command("qs-1")["kind"], "show_message");
  const auto undeliverable = [&] {
    return std::stoi(
        db.query_value("SELECT count(*) FROM hall_notice_delivery WHERE action = 'undeliverable'"));
  };
  EXPECT_EQ(undeliverable(), 1);

  // Nothing changed: nothing sent. Five minutes on, 4101002 is tried again, and not recorded
  // again.
  EXPECT_TRUE(sync(t0 + 10s).empty());
  EXPECT_EQ(sync(t0 + 5min).size(), 1u);
  EXPECT_EQ(undeliverable(), 1);

  const auto urgent = publish(
      {{"text", "大厅暂停取号，请到东区营业厅办理"}, {"priority", "urgent"}, {"minutes", 30}},
      {Level::hall, "4101001"}, t0 + 6min);
  sent = sync(t0 + 6min);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].notice_id, urgent);
  EXPECT_EQ(last_command("qs-1")["text"], "大厅暂停取号，请到东区营业厅办理");

  // A normal notice of the same hall does not push the urgent one off the boards.
  publish({{"text", "欢迎光临"}, {"minutes", 60}}, {Level::hall, "4101001"}, t0 + 7min);
  EXPECT_TRUE(sync(t0 + 7min, {1}).empty());

  {
    pqxx::work tx(connection);
    EXPECT_EQ(withdraw(tx, urgent, "user:li", "已恢复", t0 + 8min), "");
    EXPECT_EQ(withdraw(tx, urgent, "user:li", "again", t0 + 8min), "公告已撤回");
    EXPECT_EQ(withdraw(tx, 999, "user:li", "none", t0 + 8min), "not_found");
    tx.commit();
  }
  sent = sync(t0 + 8min, {1});
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(last_command("qs-1")["text"], "欢迎光临");  // the newest of the rest

  // 4101001's own notice ends at t0 + 67 min: the province's is shown there again. It ends at
  // t0 + 2 h: the boards are cleared.
  sync(t0 + 68min);
  EXPECT_EQ(last_command("qs-1")["text"], "系统升级，今晚 20:00 后暂停线上缴费");
  sync(t0 + 2h);
  EXPECT_EQ(last_command("qs-1")["kind"], "clear_message");
  EXPECT_EQ(last_command("qs-3")["kind"], "clear_message");
  EXPECT_TRUE(sync(t0 + 3h).empty());

  pqxx::read_transaction tx(connection);
  auto record = notice_record(tx, province, {}, t0 + 3h);
  EXPECT_EQ(record["state"], "expired");
  EXPECT_EQ(record["halls"]["reached"], 3);
  EXPECT_EQ(record["halls"]["failed"], 1);   // 4101002
  EXPECT_EQ(record["halls"]["showing"], 0);  // over: no hall shows it any more
  // A city sees the notices that reach its halls, not those of other cities' halls.
  auto kaifeng = list_notices(tx, {"4102", "", "", 100, 0}, t0 + 3h);
  EXPECT_EQ(kaifeng["total"], 1);
  EXPECT_EQ(list_notices(tx, {"4101", "", "", 100, 0}, t0 + 3h)["total"], 3);
  EXPECT_EQ(list_notices(tx, {"", "4101002", "", 100, 0}, t0 + 3h)["total"], 1);
  EXPECT_FALSE(reaches(tx, urgent, {"4102", "", "", 100, 0}));
  EXPECT_TRUE(reaches(tx, province, {"4102", "", "", 100, 0}));
}

TEST_F(NoticeStoreTest, ALongNoticeIsRefreshedAndALostOneSentAgain) {
  publish({{"text", "春节期间营业时间调整"}, {"minutes", 3 * 24 * 60}}, {Level::city, "4102"}, t0);
  ASSERT_EQ(sync(t0).size(), 1u);
  EXPECT_EQ(last_command("qs-3")["seconds"], 65535);
  EXPECT_TRUE(sync(t0 + 17h).empty());
  ASSERT_EQ(sync(t0 + 65535s - 20min).size(), 1u);  // before the boards drop it
  EXPECT_EQ(commands(), 2);

  // The command never reached the hall (its link was down): sent again five minutes later.
  db.exec(
      "UPDATE hall_command SET state = 'expired' WHERE id = (SELECT max(id) FROM hall_command)");
  EXPECT_TRUE(sync(t0 + 65535s - 18min).empty());
  ASSERT_EQ(sync(t0 + 65535s - 14min).size(), 1u);
  EXPECT_EQ(commands(), 3);
  EXPECT_EQ(std::stoi(db.query_value(
                "SELECT count(*) FROM hall_notice_delivery WHERE action = 'refresh'")),
            1);
}

}  // namespace
}  // namespace halld::notice
