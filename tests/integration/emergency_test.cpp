// Emergencies end to end: a simulated hall with one window staffed and a crowd at the door
// raises the queue alarm, the crowding plan is suggested (and texted), the manager starts it
// through the API, halld opens the idle windows through the hall's queue system (the simulator
// opens them and answers), and the closed record carries the plan, the steps, the indicators
// before and after and the timeline. Commands from the API reach the hall by object; a work
// order is answered and reviewed.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "halld_fixture.hpp"
#include "http_client.hpp"

namespace halld::testing {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

class EmergencyTest : public SimulatedHallTest {
 protected:
  void SetUp() override {
    config = write_config("", "", "info",
                          fmt::format("[sms]\nchannels = [\"log\"]\nlog_file = \"{}\"\n"
                                      "group_window_s = 0\n",
                                      (dir.path() / "sms.jsonl").string()));
  }
  void TearDown() override {
    if (HasFailure() && halld) {
      const auto output = halld->output();
      std::cerr << "halld's output (the end):\n"
                << output.substr(output.size() > 100000 ? output.size() - 100000 : 0)
                << "\nhall_sim:\n"
                << (simulator ? simulator->output() : "");
    }
  }
  HttpResult send(const std::string& method, const std::string& target, const json& body) {
    return http_request(port, method, target, {{"Content-Type", "application/json"}},
                        body.is_null() ? std::string() : body.dump());
  }
  // halld on the test archives, without a simulated hall.
  void start_with_archives() {
    auto imported = halld_command({"import", "--config", config.string(),
                                   HALLD_SOURCE_DIR "/tests/data/archives_small.json"});
    ASSERT_EQ(imported.exit_code, 0) << imported.output;
    port = start(config);
    ASSERT_NE(port, 0);
  }
  json get(const std::string& target) { return json::parse(http_get(port, target).body); }

  std::uint16_t port = 0;
};

TEST_F(EmergencyTest, ACrowdedHallGetsItsPlanRunAndTheRecordShowsTheEffect) {
  // Three windows, one staffed, twenty customers waiting at the opening.
  start_simulator({"--events", "0", "--speed", "1", "--hours", "24h", "--windows", "3", "--staffed",
                   "1", "--queue-at-start", "20", "--arrivals-per-hour", "6"});
  // The rule judges around the clock here: the test may run after the hall's closing time.
  db.exec("UPDATE alarm_rule SET hold_s = 0, schedule = 'always' WHERE name = '排队人数过多'");
  port = start(config);
  ASSERT_NE(port, 0);
  ASSERT_EQ(send("POST", "/api/v1/contacts",
                 {{"name", "王经理"}, {"phone", "13800138000"}, {"level", 1}, {"hall", "4101001"}})
                .status,
            201);

  // The queue alarm calls up the crowding plan: suggested, not started (the plan says so).
  json open;
  ASSERT_TRUE(eventually(
      [&] {
        open = get("/api/v1/emergencies?state=open&hall=4101001");
        return open["total"] == 1;
      },
      30s))
      << open.dump();
  const auto& suggestion = open["items"][0];
  EXPECT_EQ(suggestion["state"], "suggested");
  EXPECT_EQ(suggestion["event_type"], "crowding");
  EXPECT_EQ(suggestion["event_type_name"], "客户多");
  EXPECT_EQ(suggestion["plan_name"], "客户多应急预案");
  EXPECT_THAT(suggestion["content"].get<std::string>(), HasSubstr("排队人数过多"));
  const auto id = std::to_string(suggestion["id"].get<int>());
  ASSERT_TRUE(eventually(
      [&] { return read_text(dir.path() / "sms.jsonl").find("应急预案建议") != std::string::npos; },
      10s));

  auto started = send("POST", "/api/v1/emergencies/" + id + "/start", nullptr);
  ASSERT_EQ(started.status, 200) << started.body;
  auto record = json::parse(started.body);
  EXPECT_EQ(record["state"], "active");
  EXPECT_EQ(record["before"]["windows_open"], 1) << record.dump();
  EXPECT_GE(record["before"]["queue_length"].get<double>(), 15);
  ASSERT_EQ(record["steps"].size(), 5u);
  EXPECT_EQ(record["steps"][0]["action"], "open_windows");
  EXPECT_EQ(record["steps"][0]["state"], "running");
  EXPECT_EQ(record["steps"][0]["command_ids"].size(), 2u);
  EXPECT_EQ(record["steps"][2]["state"], "pending");  // add guides: a person's step
  // Starting twice is refused.
  EXPECT_EQ(send("POST", "/api/v1/emergencies/" + id + "/start", nullptr).status, 409);

  // The hall's queue system opens windows 2 and 3 and shows the notice; the answers close the
  // steps, and the live view has three windows open.
  ASSERT_TRUE(eventually(
      [&] {
        record = get("/api/v1/emergencies/" + id);
        return record["steps"][0]["state"] == "done" && record["steps"][1]["state"] == "done";
      },
      20s))
      << record.dump();
  EXPECT_THAT(record["steps"][0]["result"].get<std::string>(), HasSubstr("2、3 号窗口"));
  EXPECT_THAT(simulator->output(), HasSubstr("window 2 opened"));
  EXPECT_THAT(simulator->output(), HasSubstr("window 3 opened"));
  EXPECT_THAT(simulator->output(), HasSubstr("screens show \"当前办理业务客户较多"));
  json live;
  ASSERT_TRUE(eventually(
      [&] {
        live = get("/api/v1/halls/4101001/live");
        int open_windows = 0;
        for (const auto& w : live["windows"]) open_windows += w["state"] != "closed";
        return open_windows == 3;
      },
      20s))
      << live.dump();

  // People confirm their steps; a step is finished once.
  auto guides = send("POST", "/api/v1/emergencies/" + id + "/steps/3",
                     {{"state", "done"}, {"result", "两名引导员到岗"}});
  ASSERT_EQ(guides.status, 200) << guides.body;
  EXPECT_EQ(send("POST", "/api/v1/emergencies/" + id + "/steps/3", {{"state", "done"}}).status,
            409);
  EXPECT_EQ(send("POST", "/api/v1/emergencies/" + id + "/steps/9", {{"state", "done"}}).status,
            404);
  EXPECT_EQ(send("POST", "/api/v1/emergencies/" + id + "/steps/4", {{"state", "maybe"}}).status,
            400);

  auto closed =
      send("POST", "/api/v1/emergencies/" + id + "/close",
           {{"outcome", "resolved"}, {"result", "增开窗口后排队缓解"}, {"nature", "major"}});
  ASSERT_EQ(closed.status, 200) << closed.body;
  record = json::parse(closed.body);
  EXPECT_EQ(record["state"], "closed");
  EXPECT_EQ(record["nature"], "major");
  EXPECT_EQ(record["outcome"], "resolved");
  EXPECT_EQ(record["plan_version"], 1);
  EXPECT_EQ(record["plan"]["name"], "客户多应急预案");
  EXPECT_EQ(record["after"]["windows_open"], 3) << record.dump();
  EXPECT_TRUE(record["effective"].is_boolean());
  EXPECT_EQ(record["steps"][3]["state"], "skipped");  // left open at closing
  // The plan's notice was withdrawn with the closing: the screens are cleared.
  ASSERT_TRUE(eventually(
      [&] { return simulator->output().find("screens cleared") != std::string::npos; }, 20s));
  auto notices = get("/api/v1/notices?hall=4101001");
  ASSERT_EQ(notices["total"], 1) << notices.dump();
  EXPECT_EQ(notices["items"][0]["state"], "withdrawn");
  EXPECT_EQ(notices["items"][0]["priority"], "urgent");
  EXPECT_EQ(notices["items"][0]["emergency_id"], suggestion["id"]);
  EXPECT_EQ(notices["items"][0]["halls"]["showing"], 0);
  std::vector<std::string> kinds;
  for (const auto& entry : record["timeline"]) kinds.push_back(entry["kind"]);
  EXPECT_THAT(kinds,
              ::testing::IsSupersetOf({"suggest", "start", "step", "answer", "effect", "close"}));
  EXPECT_EQ(send("POST", "/api/v1/emergencies/" + id + "/close",
                 {{"outcome", "resolved"}, {"result", "again"}})
                .status,
            409);

  // The record exports; the plan's statistics count the run.
  auto csv = http_get(port, "/api/v1/emergencies?format=csv&hall=4101001");
  ASSERT_EQ(csv.status, 200);
  EXPECT_THAT(csv.body, HasSubstr("客户多应急预案"));
  EXPECT_THAT(csv.body, HasSubstr("增开窗口后排队缓解"));
  auto statistics = get("/api/v1/emergency-plan-statistics");
  EXPECT_EQ(statistics["items"][0]["runs"], 1) << statistics.dump();

  // A command from the API, by object: window 3 closes when idle (or refuses, being busy); a
  // command a window does not take, or for a hall without a queue system, is refused.
  auto command =
      send("POST", "/api/v1/halls/4101001/commands",
           {{"object", "screen"}, {"kind", "show_message"}, {"text", "下午五点停止取号"}});
  ASSERT_EQ(command.status, 202) << command.body;
  ASSERT_TRUE(eventually(
      [&] {
        auto commands = get("/api/v1/halls/4101001/commands");
        return commands["items"][0]["state"] == "done";
      },
      20s));
  EXPECT_THAT(simulator->output(), HasSubstr("下午五点停止取号"));
  EXPECT_EQ(
      send("POST", "/api/v1/halls/4101001/commands", {{"object", "window"}, {"kind", "reboot"}})
          .status,
      422);
  EXPECT_EQ(send("POST", "/api/v1/halls/4101001/commands",
                 {{"object", "window"}, {"kind", "open_window"}, {"window", 0}})
                .status,
            422);
  auto elsewhere = send("POST", "/api/v1/halls/4103001/commands",
                        {{"object", "screen"}, {"kind", "clear_message"}});
  EXPECT_EQ(elsewhere.status, 409) << elsewhere.body;
  EXPECT_THAT(elsewhere.body, HasSubstr("排队叫号系统"));
}

// Notices from the API: the province's reaches the simulated hall's screens, a hall's urgent one
// takes its place, and each withdrawal brings the next in line back until the screens are clear.
TEST_F(EmergencyTest, NoticesReachTheScreensInPriorityAndComeDownWhenWithdrawn) {
  start_simulator({"--events", "0", "--speed", "1", "--hours", "24h"});
  port = start(config);
  ASSERT_NE(port, 0);
  // The simulated hall logs in, so that its queue system is known.
  ASSERT_TRUE(eventually(
      [&] { return db.query_value("SELECT count(*) FROM acquisition_source") != "0"; }, 20s))
      << simulator->output();

  const auto shown = [&](const std::string& text) {
    return eventually(
        [&] { return simulator->output().find("screens show \"" + text) != std::string::npos; },
        20s);
  };
  auto province = send("POST", "/api/v1/notices",
                       {{"text", "12月5日系统升级，线上缴费暂停两小时"}, {"minutes", 120}});
  ASSERT_EQ(province.status, 201) << province.body;
  const auto province_id = std::to_string(json::parse(province.body)["id"].get<int>());
  EXPECT_EQ(json::parse(province.body)["level"], "province");
  ASSERT_TRUE(shown("12月5日系统升级")) << simulator->output();

  auto urgent =
      send("POST", "/api/v1/notices?hall=4101001",
           {{"text", "大厅空调检修，请到二楼等候"}, {"priority", "urgent"}, {"minutes", 30}});
  ASSERT_EQ(urgent.status, 201) << urgent.body;
  const auto urgent_id = std::to_string(json::parse(urgent.body)["id"].get<int>());
  ASSERT_TRUE(shown("大厅空调检修")) << simulator->output();

  // Its delivery is answered by the hall.
  json record;
  ASSERT_TRUE(eventually(
      [&] {
        record = get("/api/v1/notices/" + urgent_id);
        return record["halls"]["showing"] == 1;
      },
      20s))
      << record.dump();
  EXPECT_EQ(record["deliveries"][0]["hall"], "4101001");
  EXPECT_EQ(record["deliveries"][0]["command_state"], "done");

  const auto before = simulator->output().size();
  auto withdrawn =
      send("POST", "/api/v1/notices/" + urgent_id + "/withdraw", {{"reason", "检修完毕"}});
  ASSERT_EQ(withdrawn.status, 200) << withdrawn.body;
  EXPECT_EQ(json::parse(withdrawn.body)["state"], "withdrawn");
  EXPECT_EQ(send("POST", "/api/v1/notices/" + urgent_id + "/withdraw", {{"reason", "x"}}).status,
            409);
  ASSERT_TRUE(eventually(
      [&] { return simulator->output().find("12月5日系统升级", before) != std::string::npos; },
      20s))
      << "the province's notice is back: " << simulator->output();
  ASSERT_EQ(
      send("POST", "/api/v1/notices/" + province_id + "/withdraw", {{"reason", "改期"}}).status,
      200);
  ASSERT_TRUE(eventually(
      [&] { return simulator->output().find("screens cleared", before) != std::string::npos; },
      20s));

  // Refused: a notice too long for the boards, a hall that does not exist, no validity.
  EXPECT_EQ(
      send("POST", "/api/v1/notices", {{"text", std::string(300, 'x')}, {"minutes", 5}}).status,
      422);
  EXPECT_EQ(send("POST", "/api/v1/notices?hall=4199999", {{"text", "x"}, {"minutes", 5}}).status,
            404);
  EXPECT_EQ(send("POST", "/api/v1/notices", {{"text", "x"}}).status, 422);
  EXPECT_EQ(get("/api/v1/notices?state=current")["total"], 0);
  EXPECT_EQ(get("/api/v1/notices")["total"], 2);
}

TEST_F(EmergencyTest, AWorkOrderIsAnsweredReviewedAndCounted) {
  start_with_archives();
  if (HasFatalFailure()) return;
  db.exec(
      "INSERT INTO work_order (rule_id, rule_name, hall_id, indicator, threshold, state, "
      "opened_at, due_at, evidence) SELECT 1, '排队等候持续超时', id, 'longest_wait_min', 30, "
      "'open', now() - interval '2 days', now() - interval '1 day', '{\"value\": 41}' FROM hall "
      "WHERE code = '4101001'");
  auto orders = get("/api/v1/work-orders?state=overdue");
  ASSERT_EQ(orders["total"], 1) << orders.dump();
  const auto id = std::to_string(orders["items"][0]["id"].get<int>());
  EXPECT_EQ(orders["items"][0]["overdue"], true);

  EXPECT_EQ(send("POST", "/api/v1/work-orders/" + id + "/answer",
                 {{"cause", "weather"}, {"measures", "增派两名柜员"}})
                .status,
            400);
  auto answered = send("POST", "/api/v1/work-orders/" + id + "/answer",
                       {{"cause", "staffing"}, {"measures", "高峰时段增派两名柜员"}});
  ASSERT_EQ(answered.status, 200) << answered.body;
  EXPECT_EQ(json::parse(answered.body)["state"], "answered");
  EXPECT_EQ(send("POST", "/api/v1/work-orders/" + id + "/answer",
                 {{"cause", "staffing"}, {"measures", "再答一次"}})
                .status,
            409);
  // Sent back, it is open again; accepted, closed.
  ASSERT_EQ(send("POST", "/api/v1/work-orders/" + id + "/review",
                 {{"verdict", "return"}, {"review", "请说明排班调整"}})
                .status,
            200);
  ASSERT_EQ(send("POST", "/api/v1/work-orders/" + id + "/answer",
                 {{"cause", "staffing"}, {"measures", "周一上午排班增加两人"}})
                .status,
            200);
  auto reviewed = send("POST", "/api/v1/work-orders/" + id + "/review", {{"verdict", "accept"}});
  ASSERT_EQ(reviewed.status, 200) << reviewed.body;
  EXPECT_EQ(json::parse(reviewed.body)["state"], "closed");

  auto by_cause = get("/api/v1/work-order-statistics?group=cause");
  ASSERT_EQ(by_cause["items"].size(), 1u) << by_cause.dump();
  EXPECT_EQ(by_cause["items"][0]["key"], "staffing");
  EXPECT_EQ(by_cause["items"][0]["overdue"], 1);
  EXPECT_EQ(get("/api/v1/work-order-statistics?group=weekday")["error"]["code"], "bad_query");
}

TEST_F(EmergencyTest, DissatisfactionIsBrokenDownAndItsTopCausesRanked) {
  start_with_archives();
  if (HasFatalFailure()) return;
  // Two customers in the last whole hour (so that both evaluations fall in one hour of the day):
  // A001 (bill payment, clerk S01) waited 35 minutes and was dissatisfied; A002 (consultation,
  // clerk S02) waited 5 and was satisfied.
  db.exec("SELECT halld_event_partition(date_trunc('hour', now()) - interval '1 hour')");
  db.exec(
      "INSERT INTO hall_event (hall_id, occurred_at, received_at, source_id, sequence, kind, "
      "ticket, business, staff_no, evaluation) SELECT h.id, date_trunc('hour', now()) - interval "
      "'1 hour' + "
      "v.offset_min * interval '1 minute', now(), 1, v.seq, v.kind, v.ticket, v.business, "
      "v.staff, v.evaluation FROM hall h, (VALUES "
      "(1, 0, 'A001', 'bill_payment', NULL, NULL, 0), (2, 1, 'A001', NULL, 'S01', NULL, 35), "
      "(3, 7, 'A001', NULL, 'S01', 4, 40), (4, 0, 'A002', 'consultation', NULL, NULL, 0), "
      "(5, 1, 'A002', NULL, 'S02', NULL, 5), (6, 7, 'A002', NULL, 'S02', 2, 12)) "
      "AS v(seq, kind, ticket, business, staff, evaluation, offset_min) WHERE h.code = '4101001'");
  auto analysis = get("/api/v1/dissatisfaction?hall=4101001");
  EXPECT_EQ(analysis["evaluated"], 2) << analysis.dump();
  EXPECT_EQ(analysis["dissatisfied"], 1);
  std::set<std::pair<std::string, std::string>> top;
  for (const auto& group : analysis["top"])
    top.insert({group["dimension"].get<std::string>(), group["key"].get<std::string>()});
  EXPECT_EQ(top, (std::set<std::pair<std::string, std::string>>{
                     {"business", "bill_payment"}, {"clerk", "S01"}, {"wait_band", "30-60"}}))
      << analysis.dump();
  auto csv = http_get(port, "/api/v1/dissatisfaction?hall=4101001&format=csv");
  ASSERT_EQ(csv.status, 200);
  EXPECT_THAT(csv.body, HasSubstr("不满意率"));
  EXPECT_EQ(get("/api/v1/dissatisfaction?hall=4101001&format=pdf")["error"]["code"], "bad_query");
}

}  // namespace
}  // namespace halld::testing
