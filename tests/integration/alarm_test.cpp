// Alarms end to end: a simulated hall gets crowded, halld raises the alarm, the alarm window
// (a WebSocket) sees it at once, the hall manager is texted (log channel), an operator
// acknowledges it through the API, a restart neither loses it nor raises it twice, and clearing
// by hand closes it with every transition on record.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "halld_fixture.hpp"
#include "http_client.hpp"
#include "ws_client.hpp"

namespace halld::testing {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

class AlarmTest : public SimulatedHallTest {
 protected:
  void SetUp() override {
    config = write_config("", "", "info",
                          fmt::format(R"([sms]
channels = ["log"]
log_file = "{}"
group_window_s = 0
)",
                                      (dir.path() / "sms.jsonl").string()));
  }

  void TearDown() override {
    if (HasFailure() && halld) {
      const auto output = halld->output();
      std::cerr << "halld's output (the end):\n"
                << output.substr(output.size() > 200000 ? output.size() - 200000 : 0);
    }
  }

  HttpResult post_json(std::uint16_t port, const std::string& target, const json& body) {
    try {
      return http_request(port, "POST", target, {{"Content-Type", "application/json"}},
                          body.dump());
    } catch (const std::exception& e) {
      ADD_FAILURE() << "POST " << target << ": " << e.what() << "\n" << halld->output();
      return {};
    }
  }

  static std::function<bool(const std::string&)> event(const std::string& change,
                                                       std::int64_t rule_id) {
    return [change, rule_id](const std::string& text) {
      auto message = json::parse(text);
      return message["type"] == "alarm" && message["change"] == change &&
             message["alarm"]["rule_id"] == rule_id;
    };
  }
};

TEST_F(AlarmTest, ACrowdedHallIsAlarmedTextedAcknowledgedKeptOverARestartAndCleared) {
  // One window, a customer a second: the queue only grows.
  start_simulator({"--events", "0", "--speed", "1", "--arrivals-per-hour", "7200", "--windows", "1",
                   "--hours", "24h"});
  auto port = start(config);
  ASSERT_NE(port, 0);

  auto contact =
      post_json(port, "/api/v1/contacts",
                {{"name", "王经理"}, {"phone", "13800138000"}, {"level", 1}, {"hall", "4101001"}});
  ASSERT_EQ(contact.status, 201) << contact.body;
  auto rule = post_json(port, "/api/v1/alarm-rules",
                        {{"name", "测试排队"},
                         {"kind", "limit"},
                         {"indicator", "queue_length"},
                         {"warning", 3},
                         {"critical", 5},
                         {"clear", 1},
                         {"hold_s", 0},
                         {"clear_hold_s", 0},
                         {"hall", "4101001"},
                         {"schedule", "always"}});
  ASSERT_EQ(rule.status, 201) << rule.body;
  const auto rule_id = json::parse(rule.body)["id"].get<std::int64_t>();
  EXPECT_EQ(json::parse(http_get(port, "/api/v1/contacts").body)["items"].back()["name"], "王经理");
  EXPECT_EQ(json::parse(http_get(port, "/api/v1/alarm-rules").body)["items"].back()["id"], rule_id);
  EXPECT_EQ(http_get(port, "/api/v1/contacts?x=1").status, 400);
  // A maintenance window on another hall changes nothing here.
  auto maintenance = post_json(port, "/api/v1/maintenance-windows",
                               {{"target", "4101002"},
                                {"from", "2026-01-01T00:00:00+08:00"},
                                {"until", "2099-01-01T00:00:00+08:00"}});
  ASSERT_EQ(maintenance.status, 201) << maintenance.body;
  EXPECT_EQ(json::parse(http_get(port, "/api/v1/maintenance-windows").body)["items"].size(), 1u);

  WsClient window(port, "/api/v1/alarms/stream?hall=4101001");
  ASSERT_TRUE(window.connected()) << window.error();
  auto snapshot = window.next();
  ASSERT_TRUE(snapshot);
  EXPECT_EQ(json::parse(*snapshot)["type"], "snapshot");

  auto raised = window.next(event("raise", rule_id), 60s);
  ASSERT_TRUE(raised) << halld->output();
  const auto alarm = json::parse(*raised)["alarm"];
  const auto alarm_id = alarm["id"].get<std::int64_t>();
  EXPECT_EQ(alarm["hall"], "4101001");
  EXPECT_EQ(alarm["what"], "排队人数");
  EXPECT_GE(alarm["raised_value"].get<double>(), 3);
  // The queue keeps growing past the critical limit: the same alarm rises in severity.
  auto escalated = window.next(event("escalate", rule_id), 60s);
  ASSERT_TRUE(escalated) << *raised
                         << "\nlive: " << http_get(port, "/api/v1/halls/4101001/live").body;
  EXPECT_EQ(json::parse(*escalated)["alarm"]["id"], alarm_id);
  EXPECT_EQ(json::parse(*escalated)["alarm"]["severity"], "critical");

  // The hall manager got a text, recorded as delivered by the log channel.
  ASSERT_TRUE(eventually([&] {
    auto texts = json::parse(http_get(port, fmt::format("/api/v1/sms?alarm={}", alarm_id)).body);
    return texts["total"].get<int>() >= 1 && texts["items"].back()["state"] == "delivered";
  })) << http_get(port, "/api/v1/sms").body;
  auto texts = json::parse(http_get(port, fmt::format("/api/v1/sms?alarm={}", alarm_id)).body);
  EXPECT_EQ(texts["items"].back()["phone"], "13800138000");
  EXPECT_EQ(texts["items"].back()["channel"], "log");
  EXPECT_THAT(texts["items"].back()["text"].get<std::string>(), HasSubstr("排队人数"));
  EXPECT_THAT(read_text(dir.path() / "sms.jsonl"), HasSubstr("13800138000"));

  auto acknowledged = post_json(port, fmt::format("/api/v1/alarms/{}/acknowledge", alarm_id),
                                {{"note", "已增开窗口"}});
  ASSERT_EQ(acknowledged.status, 200) << acknowledged.body;
  EXPECT_EQ(json::parse(acknowledged.body)["state"], "acknowledged");
  // A 200 means recorded: the alarm read back at once says so.
  EXPECT_EQ(json::parse(http_get(port, fmt::format("/api/v1/alarms/{}", alarm_id)).body)["state"],
            "acknowledged");
  ASSERT_TRUE(window.next(event("acknowledge", rule_id), 10s));
  EXPECT_EQ(post_json(port, fmt::format("/api/v1/alarms/{}/acknowledge", alarm_id), json::object())
                .status,
            409);
  EXPECT_EQ(
      post_json(port, fmt::format("/api/v1/alarms/{}/clear", alarm_id), json::object()).status,
      400);  // no reason

  // A restart: the alarm stands as it was, and the queue still over the limit raises nothing new.
  EXPECT_EQ(db.query_value(
                fmt::format("SELECT count(*) FROM alarm_transition WHERE alarm_id = {}", alarm_id)),
            "3");
  log_after_stop();
  port = start(config);
  ASSERT_NE(port, 0);
  auto standing = json::parse(http_get(port, "/api/v1/alarms?hall=4101001").body);
  ASSERT_EQ(standing["total"], 1) << standing.dump();
  EXPECT_EQ(standing["items"][0]["id"], alarm_id);
  EXPECT_EQ(standing["items"][0]["state"], "acknowledged");
  // Who acted is who is signed in (here the tests' token), whatever a body might claim.
  const auto me = json::parse(http_get(port, "/api/v1/session").body)["principal"];
  EXPECT_EQ(standing["items"][0]["acknowledged_by"], fmt::format("token:{}", me["id"].get<int>()));
  std::this_thread::sleep_for(3s);  // a few evaluation ticks over the rebuilt queue
  EXPECT_EQ(db.query_value(fmt::format("SELECT count(*) FROM alarm WHERE rule_id = {}", rule_id)),
            "1");

  // The database refuses the record for a moment: the clear is done (202), written later.
  db.exec(
      "CREATE FUNCTION refuse_transition() RETURNS trigger LANGUAGE plpgsql AS "
      "$$BEGIN RAISE EXCEPTION 'the disk is full'; END$$;"
      "CREATE TRIGGER refuse BEFORE INSERT ON alarm_transition "
      "FOR EACH ROW EXECUTE FUNCTION refuse_transition()");
  auto cleared =
      post_json(port, fmt::format("/api/v1/alarms/{}/clear", alarm_id), {{"reason", "分流完毕"}});
  ASSERT_EQ(cleared.status, 202) << cleared.body;
  EXPECT_EQ(json::parse(cleared.body)["state"], "closed");
  EXPECT_EQ(db.query_value(fmt::format("SELECT state FROM alarm WHERE id = {}", alarm_id)),
            "acknowledged");
  db.exec("DROP TRIGGER refuse ON alarm_transition");
  ASSERT_TRUE(eventually([&] {
    return db.query_value(fmt::format("SELECT state FROM alarm WHERE id = {}", alarm_id)) ==
           "closed";
  }));
  {
    auto history = json::parse(http_get(port, fmt::format("/api/v1/alarms/{}", alarm_id)).body);
    std::string changes;
    for (const auto& t : history["transitions"]) changes += t["change"].get<std::string>() + " ";
    EXPECT_EQ(changes, "raise escalate acknowledge clear close ") << history.dump();
  }
  auto stats = json::parse(http_get(port, "/api/v1/alarm-statistics?group=hall").body);
  ASSERT_FALSE(stats["items"].empty()) << stats.dump();
  EXPECT_EQ(stats["items"][0]["key"], "4101001");
  EXPECT_GE(stats["items"][0]["alarms"].get<int>(), 1);
  log_after_stop();
}

}  // namespace
}  // namespace halld::testing
