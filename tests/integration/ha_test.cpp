// Two halld nodes on one database, eight simulated halls streaming: the active node is killed
// (kill -9) and the standby takes over within the failover delay, dials the halls and stores
// every event once — 0 lost, 0 doubled; a clean stop hands the lease over at once.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "halld_fixture.hpp"

namespace halld::testing {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

constexpr int halls = 8;
constexpr int events_per_hall = 3000;  // at 100/s: the kill comes mid-stream even on a busy machine

class HaTest : public HalldTest {
 protected:
  std::filesystem::path node_config(const std::string& node) {
    const auto text = read_text(write_config(
        "", "", "info",
        fmt::format("[ha]\nnode = \"{0}\"\naddress = \"http://halld-{0}.example:8080\"\n"
                    "failover_delay_s = 3\n[sms]\nchannels = [\"log\"]\nlog_file = \"{1}\"\n"
                    "group_window_s = 0\n",
                    node, (dir.path() / "sms.jsonl").string())));
    return dir.write(node + "/halld.toml", text);
  }

  // Eight halls cloned from hall 4101001 of the small archive, each with its own simulator.
  void start_halls() {
    auto archives = json::parse(read_text(HALLD_SOURCE_DIR "/tests/data/archives_small.json"));
    const auto model = archives["halls"][0];
    archives["channels"] = json::array();
    for (int h = 0; h < halls; ++h) {
      const auto code = fmt::format("41010{:02}", 11 + h);
      const auto files = dir.path() / ("sim-" + code);
      std::filesystem::create_directories(files);
      simulators.push_back(std::make_unique<Process>(
          HALL_SIM_BINARY,
          std::vector<std::string>{"--listen", "127.0.0.1:0", "--site", code, "--source", "3",
                                   "--events", std::to_string(events_per_hall), "--rate", "100",
                                   "--hours", "24h", "--seed", std::to_string(h + 1),
                                   "--exit-when-acked", "--port-file", (files / "port").string(),
                                   "--stats-file", (files / "stats.json").string()},
          files / "out"));
      ASSERT_TRUE(eventually([&] { return std::filesystem::exists(files / "port"); }));
      auto hall = model;
      hall["code"] = code;
      hall["name"] = fmt::format("郑州测试营业厅{}", h + 1);
      hall["clerks"] = json::array();
      hall["terminals"] = json::array();
      hall["devices"] = json::array();
      archives["halls"].push_back(hall);
      archives["channels"].push_back({{"code", "qs-" + code},
                                      {"hall", code},
                                      {"protocol", "queue_eval"},
                                      {"link", "tcp_client"},
                                      {"host", "127.0.0.1"},
                                      {"port", std::stoi(read_text(files / "port"))}});
    }
    const auto imported =
        run_program(HALLD_BINARY, {"import", "--config", config_a.string(),
                                   dir.write("archives.json", archives.dump()).string()});
    ASSERT_EQ(imported.exit_code, 0) << imported.output;
  }

  // A node started without the fixture's wait for "listening" (a standby listens too).
  std::unique_ptr<Process> start_node(const std::filesystem::path& config) {
    return std::make_unique<Process>(HALLD_BINARY,
                                     std::vector<std::string>{"--config", config.string()},
                                     config.parent_path() / "stdout");
  }
  static std::uint16_t port_of(const Process& node) {
    const std::string listening = "HTTP listening on 127.0.0.1:";
    const auto text = node.output();
    const auto at = text.rfind(listening);
    return at == std::string::npos
               ? 0
               : static_cast<std::uint16_t>(std::stoi(text.substr(at + listening.size())));
  }
  long long count(const std::string& sql) { return std::stoll(db.query_value(sql)); }

  std::filesystem::path config_a = node_config("a");
  std::filesystem::path config_b = node_config("b");
  std::vector<std::unique_ptr<Process>> simulators;
};

TEST_F(HaTest, TheStandbyTakesOverAKilledActiveNodeWithinTheDelayAndNothingIsLostOrDoubled) {
  ASSERT_EQ(halld_command({"migrate", "--config", config_a.string()}).exit_code, 0);
  // Whoever is on duty hears of every alarm, and the halls' queues soon stand over a limit.
  db.exec(
      "INSERT INTO contact (name, phone, level) VALUES ('值班员', '13800138000', 1);"
      "INSERT INTO alarm_rule (name, kind, indicator, warning, critical, clear_at, hold_s, "
      "clear_hold_s, schedule) VALUES ('测试排队', 'limit', 'queue_length', 3, 100000, 0, 0, 0, "
      "'always')");
  start_halls();
  auto a = start_node(config_a);
  ASSERT_TRUE(eventually([&] {
    return a->output().find("ha: node a is active") != std::string::npos;
  })) << a->output();
  auto b = start_node(config_b);
  ASSERT_TRUE(eventually([&] {
    return b->output().find("node b is standby; the active node is a") != std::string::npos &&
           port_of(*b) != 0;
  })) << b->output();
  // The standby says it is not ready, and who is.
  auto ready = http_get(port_of(*b), "/readyz");
  EXPECT_EQ(ready.status, 503);
  EXPECT_EQ(json::parse(ready.body)["active"]["node"], "a") << ready.body;
  EXPECT_EQ(json::parse(ready.body)["active"]["address"], "http://halld-a.example:8080");
  EXPECT_THAT(http_get(port_of(*b), "/metrics").body, HasSubstr("halld_ha_active{node=\"b\"} 0"));
  EXPECT_EQ(http_get(port_of(*a), "/readyz").status, 200);
  EXPECT_EQ(count("SELECT count(*) FROM ha_node WHERE state = 'standby'"), 1);
  // Everything else the standby sends to the active node, path, query and method kept.
  auto sent = http_get(port_of(*b), "/api/v1/halls?city=4101&limit=5");
  EXPECT_EQ(sent.status, 307) << sent.body;
  EXPECT_EQ(sent.headers["location"], "http://halld-a.example:8080/api/v1/halls?city=4101&limit=5");
  EXPECT_EQ(json::parse(sent.body)["error"]["code"], "standby");
  sent = http_request(port_of(*b), "POST", "/api/v1/session",
                      {{"content-type", "application/json"}}, R"({"username":"x","password":"y"})");
  EXPECT_EQ(sent.status, 307);
  EXPECT_EQ(sent.headers["location"], "http://halld-a.example:8080/api/v1/session");
  EXPECT_EQ(http_get(port_of(*b), "/").headers["location"], "http://halld-a.example:8080/");

  // A manager signed in through node a, as a browser.
  const auto admin = halld_command({"first-admin", "--config", config_a.string()});
  const std::string shown = "password (shown this once): ";
  ASSERT_NE(admin.output.find(shown), std::string::npos) << admin.output;
  const auto password = admin.output.substr(admin.output.find(shown) + shown.size(), 16);
  auto signed_in = http_request(
      port_of(*a), "POST", "/api/v1/session",
      {{"Authorization", ""}, {"Origin", "http://127.0.0.1"}, {"Content-Type", "application/json"}},
      json{{"username", "admin"}, {"password", password}}.dump());
  ASSERT_EQ(signed_in.status, 200) << signed_in.body;
  const auto cookie =
      signed_in.headers["set-cookie"].substr(0, signed_in.headers["set-cookie"].find(';'));
  const auto csrf = json::parse(signed_in.body)["csrf_token"].get<std::string>();

  ASSERT_TRUE(eventually(
      [&] {
        return count("SELECT count(*) FROM alarm WHERE state = 'raised'") > 0 &&
               count("SELECT count(*) FROM sms_message WHERE state IN ('sent', 'delivered')") > 0;
      },
      60s))
      << count("SELECT count(*) FROM alarm") << " alarms, "
      << count("SELECT count(*) FROM sms_message") << " texts\n"
      << a->output().substr(0, 6000);

  // Killed mid-stream, with a snapshot of the model written meanwhile.
  ASSERT_TRUE(eventually(
      [&] {
        return count("SELECT count(*) FROM hall_event") > 2000 &&
               count("SELECT count(*) FROM model_hall_state") >= halls;
      },
      30s));
  a->signal(SIGKILL);
  const auto killed = std::chrono::steady_clock::now();
  EXPECT_EQ(a->wait(10s), 128 + SIGKILL);
  const auto standing_at_kill = db.query_value(
      "SELECT coalesce(string_agg(id::text, ','), '') FROM alarm WHERE state IN ('raised', "
      "'acknowledged')");
  ASSERT_FALSE(standing_at_kill.empty());
  const auto stored_at_kill = count("SELECT count(*) FROM hall_event");
  EXPECT_LT(stored_at_kill, halls * events_per_hall) << "killed mid-stream";
  ASSERT_TRUE(eventually(
      [&] { return b->output().find("ha: node b is active") != std::string::npos; }, 10s, 20ms))
      << b->output();
  const auto took =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - killed).count();
  std::cout << fmt::format("failover: the standby acted {:.2f} s after the kill (delay 3 s)\n",
                           took);
  EXPECT_LT(took, 3.0 + 1.5);

  // b restored the model from a's snapshot and the events stored after it.
  EXPECT_TRUE(eventually([&] {
    return ::testing::Matches(::testing::ContainsRegex(
        "model: restored [0-9]+ halls from the snapshot of .* after it; rebuilt 0 from"))(
        b->output());
  })) << b->output();

  // Every hall is dialled by b and every event ends stored once.
  for (auto& simulator : simulators) EXPECT_EQ(simulator->wait(120s), 0) << simulator->output();
  for (int h = 0; h < halls; ++h) {
    const auto stats =
        json::parse(read_text(dir.path() / fmt::format("sim-41010{:02}", 11 + h) / "stats.json"));
    EXPECT_EQ(stats["unacked"], 0) << stats.dump();
  }
  EXPECT_EQ(count("SELECT count(*) FROM hall_event"), halls * events_per_hall);
  EXPECT_EQ(count("SELECT count(*) FROM (SELECT DISTINCT source_id, sequence FROM hall_event) d"),
            halls * events_per_hall);
  // No alarm standing at the kill was raised again by b while it stood, and nobody was told the
  // same thing twice.
  EXPECT_EQ(count(fmt::format(
                "SELECT count(*) FROM alarm s JOIN alarm n ON n.rule_id = s.rule_id AND n.hall_id "
                "= s.hall_id AND n.object = s.object AND n.id <> s.id WHERE s.id IN ({}) AND "
                "n.raised_at >= s.raised_at AND n.raised_at < coalesce(s.cleared_at, 'infinity')",
                standing_at_kill)),
            0);
  EXPECT_EQ(count("SELECT count(*) FROM (SELECT phone, body FROM sms_message GROUP BY 1, 2 "
                  "HAVING count(*) > 1) d"),
            0)
      << db.query_value("SELECT string_agg(body, E'\\n') FROM sms_message");
  const auto status =
      json::parse(halld_command({"ha", "status", "--config", config_b.string()}).output);
  EXPECT_EQ(status["holder"], "b");
  EXPECT_EQ(status["term"], 2);
  EXPECT_EQ(status["active_address"], "http://halld-b.example:8080");
  const auto port_b = port_of(*b);
  EXPECT_EQ(http_get(port_b, "/readyz").status, 200);
  EXPECT_THAT(http_get(port_b, "/metrics").body, HasSubstr("halld_ha_active{node=\"b\"} 1"));
  // The manager is still signed in on node b, with the same CSRF token; signing out there ends
  // the session for every node.
  const std::map<std::string, std::string> browser{
      {"Authorization", ""}, {"Cookie", cookie}, {"Origin", "http://127.0.0.1"}};
  auto session = http_get(port_b, "/api/v1/session", browser);
  ASSERT_EQ(session.status, 200) << session.body;
  EXPECT_EQ(json::parse(session.body)["csrf_token"], csrf);
  EXPECT_EQ(json::parse(session.body)["principal"]["name"], "admin") << session.body;
  auto with_csrf = browser;
  with_csrf["X-CSRF-Token"] = csrf;
  EXPECT_EQ(http_request(port_b, "DELETE", "/api/v1/session", with_csrf).status, 200);
  EXPECT_EQ(http_get(port_b, "/api/v1/session", browser).status, 401);
  EXPECT_EQ(count("SELECT count(*) FROM app_session"), 0);

  // A clean stop gives the lease up: a node started afterwards is active at once.
  b->signal(SIGTERM);
  EXPECT_EQ(b->wait(20s), 0);
  EXPECT_THAT(b->output(), HasSubstr("ha: node b gave up the lease"));
  EXPECT_EQ(db.query_value("SELECT coalesce(holder, 'free') FROM ha_lease"), "free");
  const auto restarted = std::chrono::steady_clock::now();
  a = start_node(config_a);
  ASSERT_TRUE(eventually([&] {
    return a->output().find("ha: node a is active (term 3)") != std::string::npos;
  })) << a->output();
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - restarted).count(),
            3.0);
  // A node that finds its lease taken (here by hand, as a partitioned node would find it)
  // stops at once rather than act beside another.
  db.exec("UPDATE ha_lease SET holder = 'c', term = term + 1, renewed_at = clock_timestamp()");
  EXPECT_EQ(a->wait(10s), 5);
  EXPECT_THAT(a->output(), HasSubstr("ha: the lease was taken by another node; stopping at once"));
}

}  // namespace
}  // namespace halld::testing
