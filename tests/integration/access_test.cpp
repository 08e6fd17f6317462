// Who may do what, end to end against the real binary: every endpoint tried with another
// city's token, browser sessions (cookie, CSRF, Origin, logout, idle expiry), brute force locked
// out, tokens revoked, expired and rate-limited, and the audit log of it all.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "halld_fixture.hpp"
#include "http_client.hpp"
#include "ws_client.hpp"

namespace halld::testing {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

class AccessTest : public HalldTest {
 protected:
  void SetUp() override {
    config = write_config("", "", "info",
                          "[auth]\nsession_idle_s = 5\nmax_failed_logins = 3\nlockout_s = 600\n");
    auto imported = halld_command({"import", "--config", config.string(),
                                   HALLD_SOURCE_DIR "/tests/data/archives_small.json"});
    ASSERT_EQ(imported.exit_code, 0) << imported.output;
    // A standing alarm in hall 4101001 (city 4101) that will not clear by itself during the test.
    db.exec("UPDATE alarm_rule SET clear_hold_s = 86400 WHERE id = 1");
    db.exec(
        "INSERT INTO alarm (id, rule_id, rule_name, kind, indicator, hall_id, severity, state, "
        "raised_at, raised_value, "
        "threshold, last_value) SELECT 1001, 1, '排队人数过多', 'limit', 'queue_length', id, 1, "
        "'raised', now(), 16, 15, 16 "
        "FROM hall WHERE code = '4101001'");
    // An emergency suggested and a work order open in the same hall.
    db.exec(
        "INSERT INTO emergency (id, plan_id, plan_version, plan, hall_id, event_type, state) "
        "OVERRIDING SYSTEM VALUE SELECT 1001, p.id, 1, '{}', h.id, p.event_type, 'suggested' "
        "FROM emergency_plan p, hall h WHERE p.id = 1 AND h.code = '4101001'");
    db.exec(
        "INSERT INTO work_order (id, rule_id, rule_name, hall_id, indicator, threshold, state, "
        "opened_at, due_at, evidence) OVERRIDING SYSTEM VALUE SELECT 1001, 1, 'r', id, "
        "'longest_wait_min', 30, 'open', now(), now() + interval '1 day', '{}' FROM hall WHERE "
        "code = '4101001'");
    // And a notice on its screens.
    db.exec(
        "INSERT INTO hall_notice (id, level, hall_id, text, priority, valid_from, valid_until, "
        "published_by, published_at) OVERRIDING SYSTEM VALUE SELECT 1001, 'hall', id, '暂停取号', "
        "2, now() - interval '1 minute', now() + interval '1 day', 'test', now() FROM hall WHERE "
        "code = '4101001'");
    // And a retirement the marketing reconciliation holds for the province's approval.
    db.exec(
        "INSERT INTO marketing_archive_change (id, kind, code, city_code, hall_code, change, "
        "state, found_at) OVERRIDING SYSTEM VALUE VALUES (1001, 'clerk', 'ZZ0001', '4101', "
        "'4101001', 'retired', 'pending', now())");
    port = start(config);
    ASSERT_NE(port, 0);
  }

  HttpResult send(const std::string& method, const std::string& target, const json& body,
                  std::map<std::string, std::string> headers) {
    if (!body.is_null()) headers["Content-Type"] = "application/json";
    return http_request(port, method, target, headers,
                        body.is_null() ? std::string() : body.dump());
  }
  // As the province's administrator (the fixture's token).
  HttpResult admin(const std::string& method, const std::string& target,
                   const json& body = nullptr) {
    return send(method, target, body, {});
  }
  std::string make_token(const json& fields) {
    auto created = admin("POST", "/api/v1/tokens", fields);
    EXPECT_EQ(created.status, 201) << created.body;
    return json::parse(created.body)["secret"];
  }
  static std::map<std::string, std::string> bearer(const std::string& secret) {
    return {{"Authorization", "Bearer " + secret}};
  }

  struct Browser {
    std::string cookie;
    std::string csrf;
  };
  // Signs in as a browser would: no Authorization header, the cookie from Set-Cookie.
  std::optional<Browser> sign_in(const std::string& username, const std::string& password,
                                 int* status = nullptr) {
    auto answer = send("POST", "/api/v1/session", {{"username", username}, {"password", password}},
                       {{"Authorization", ""}, {"Origin", "http://127.0.0.1"}});
    if (status) *status = answer.status;
    if (answer.status != 200) return std::nullopt;
    const auto& set_cookie = answer.headers["set-cookie"];
    EXPECT_THAT(set_cookie, HasSubstr("HttpOnly"));
    EXPECT_THAT(set_cookie, HasSubstr("SameSite=Strict"));
    Browser browser{set_cookie.substr(0, set_cookie.find(';')),
                    json::parse(answer.body)["csrf_token"]};
    return browser;
  }
  HttpResult as(const Browser& browser, const std::string& method, const std::string& target,
                const json& body = nullptr, bool with_csrf = true,
                const std::string& origin = "http://127.0.0.1") {
    std::map<std::string, std::string> headers{
        {"Authorization", ""}, {"Cookie", browser.cookie}, {"Origin", origin}};
    if (with_csrf) headers["X-CSRF-Token"] = browser.csrf;
    return send(method, target, body, headers);
  }

  std::filesystem::path config;
  std::uint16_t port = 0;
};

// Every documented endpoint, asked by city 4103's token about city 4101's halls (by path, by
// query, through an alarm), or for the province's configuration: refused, and nothing changes.
TEST_F(AccessTest, AnotherCitysTokenIsRefusedOnEveryEndpoint) {
  const auto other =
      bearer(make_token({{"name", "4103 feed"}, {"role", "city_manager"}, {"scope", "city:4103"}}));
  auto document = json::parse(http_get(port, "/api/v1/openapi.json").body);
  // Answer no hall's data, so any principal may call them.
  const std::set<std::string> unscoped = {
      "get /api/v1/cities",  "get /api/v1/business-types", "get /api/v1/customer-classes",
      "get /api/v1/session", "delete /api/v1/session",     "post /api/v1/session/password"};
  int tried = 0;
  for (const auto& [pattern, operations] : document["paths"].items()) {
    for (const auto& [method, operation] : operations.items()) {
      const auto name = method + " " + pattern;
      if (operation.contains("security") && operation["security"].empty()) continue;  // public
      if (unscoped.contains(name)) continue;
      std::string path = pattern;
      for (auto [param, value] :
           {std::pair{"{code}", "4101001"}, std::pair{"{id}", "1001"}, std::pair{"{position}", "1"},
            std::pair{"{name}", "vendor_text_queue"}}) {
        if (auto at = path.find(param); at != std::string::npos)
          path.replace(at, std::string_view(param).size(), value);
      }
      std::vector<std::string> queries;
      std::set<std::string> params;
      for (const auto& p : operation.value("parameters", json::array()))
        params.insert(p.value("name", ""));
      if (params.contains("city")) queries.push_back("city=4101");
      if (params.contains("hall")) queries.push_back("hall=4101001");
      if (params.contains("level")) {
        queries.push_back("level=city&code=4101");
        queries.push_back("level=hall&code=4101001");
        queries.push_back("level=province");
      }
      if (queries.empty()) queries.push_back("");
      std::string upper = method;
      for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      for (const auto& query : queries) {
        const auto target = query.empty() ? path : path + "?" + query;
        const json body =
            method == "get" || method == "delete" ? json() : json{{"note", "x"}, {"reason", "x"}};
        auto answer = send(upper, target, body, other);
        EXPECT_EQ(answer.status, 403) << upper << " " << target << ": " << answer.body;
        ++tried;
      }
    }
  }
  EXPECT_GE(tried, 50);
  auto saved = default_headers();
  default_headers() = other;
  EXPECT_FALSE(WsClient(port, "/api/v1/alarms/stream?city=4101").connected());
  EXPECT_TRUE(WsClient(port, "/api/v1/alarms/stream?city=4103").connected());
  default_headers() = saved;
  // Nothing changed: the alarm still stands unacknowledged, no rule or user is gone.
  auto alarm = json::parse(admin("GET", "/api/v1/alarms/1001").body);
  EXPECT_EQ(alarm["state"], "raised") << alarm.dump();
  EXPECT_EQ(json::parse(admin("GET", "/api/v1/alarm-rules").body)["items"].size(), 7u)
      << "the seven default rules";
  EXPECT_EQ(json::parse(admin("GET", "/api/v1/emergencies/1001").body)["state"], "suggested");
  EXPECT_EQ(json::parse(admin("GET", "/api/v1/work-orders/1001").body)["state"], "open");
  EXPECT_EQ(json::parse(admin("GET", "/api/v1/notices/1001").body)["state"], "current");
  EXPECT_EQ(json::parse(admin("GET", "/api/v1/notices").body)["total"], 1);
  EXPECT_EQ(
      json::parse(admin("GET", "/api/v1/marketing/archive-changes?state=pending").body)["total"],
      1);

  // Unnamed, a query is narrowed to the caller's own city.
  auto halls = json::parse(send("GET", "/api/v1/halls", nullptr, other).body);
  ASSERT_EQ(halls["items"].size(), 1u) << halls.dump();
  EXPECT_EQ(halls["items"][0]["code"], "4103001");
  auto live = json::parse(send("GET", "/api/v1/live", nullptr, other).body);
  for (const auto& hall : live["halls"]) EXPECT_EQ(hall["city"], "4103");
  EXPECT_EQ(json::parse(send("GET", "/api/v1/alarms?state=all", nullptr, other).body)["total"], 0);
  auto kpi = send("GET", "/api/v1/kpi", nullptr, other);
  ASSERT_EQ(kpi.status, 200) << kpi.body;
  EXPECT_EQ(json::parse(kpi.body)["level"], "city");
  EXPECT_EQ(json::parse(kpi.body)["code"], "4103");
  // And its own city's hall is answered.
  EXPECT_EQ(send("GET", "/api/v1/halls/4103001/live", nullptr, other).status, 200);
  // City 4101's manager may acknowledge its alarm; a monitor of the whole province may not.
  const auto own =
      bearer(make_token({{"name", "4101 feed"}, {"role", "city_manager"}, {"scope", "city:4101"}}));
  const auto monitor =
      bearer(make_token({{"name", "watch"}, {"role", "monitor"}, {"scope", "province"}}));
  EXPECT_EQ(send("POST", "/api/v1/alarms/1001/acknowledge", {{"note", "看"}}, monitor).status, 403);
  EXPECT_EQ(send("POST", "/api/v1/alarms/1001/acknowledge", {{"note", "已处理"}}, own).status, 200);
}

TEST_F(AccessTest, BrowserSessionsNeedTheirCsrfTokenAndEnd) {
  auto created = admin("POST", "/api/v1/users",
                       {{"username", "zhang"},
                        {"display_name", "张经理"},
                        {"password", "correct horse 1"},
                        {"role", "city_manager"},
                        {"scope", "city:4101"}});
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(admin("POST", "/api/v1/users",
                  {{"username", "zhang"},
                   {"password", "another one 22"},
                   {"role", "monitor"},
                   {"scope", "province"}})
                .status,
            409);
  EXPECT_EQ(
      admin("POST", "/api/v1/users",
            {{"username", "li"}, {"password", "short"}, {"role", "monitor"}, {"scope", "province"}})
          .status,
      422);
  EXPECT_EQ(admin("POST", "/api/v1/users",
                  {{"username", "li"},
                   {"password", "long enough 1"},
                   {"role", "city_manager"},
                   {"scope", "province"}})
                .status,
            422);  // a city manager's scope is a city

  // No session, no data.
  EXPECT_EQ(send("GET", "/api/v1/halls", nullptr, {{"Authorization", ""}}).status, 401);
  auto browser = sign_in("zhang", "correct horse 1");
  ASSERT_TRUE(browser);
  auto halls = json::parse(as(*browser, "GET", "/api/v1/halls").body);
  ASSERT_EQ(halls["items"].size(), 1u);
  EXPECT_EQ(halls["items"][0]["code"], "4101001");
  auto me = json::parse(as(*browser, "GET", "/api/v1/session").body);
  EXPECT_EQ(me["principal"]["scope"], "city:4101");
  EXPECT_EQ(me["csrf_token"], browser->csrf);

  // A change without the CSRF token, or from another site's page, is refused; with it, done.
  auto no_csrf = as(*browser, "POST", "/api/v1/alarms/1001/acknowledge", {{"note", "x"}}, false);
  EXPECT_EQ(no_csrf.status, 403);
  EXPECT_THAT(no_csrf.body, HasSubstr("csrf"));
  EXPECT_EQ(as(*browser, "POST", "/api/v1/alarms/1001/acknowledge", {{"note", "x"}}, true,
               "http://evil.example")
                .status,
            403);
  EXPECT_EQ(json::parse(admin("GET", "/api/v1/alarms/1001").body)["state"], "raised");
  auto acknowledged =
      as(*browser, "POST", "/api/v1/alarms/1001/acknowledge", {{"note", "已增开窗口"}});
  ASSERT_EQ(acknowledged.status, 200) << acknowledged.body;
  EXPECT_EQ(json::parse(acknowledged.body)["acknowledged_by"], "user:zhang");
  // A browser's WebSocket is admitted from halld's own pages only.
  auto saved = default_headers();
  default_headers() = {{"Cookie", browser->cookie}, {"Origin", "http://evil.example"}};
  EXPECT_FALSE(WsClient(port, "/api/v1/alarms/stream").connected());
  default_headers()["Origin"] = "http://127.0.0.1";
  EXPECT_TRUE(WsClient(port, "/api/v1/alarms/stream").connected());
  default_headers() = saved;

  // Every change is in the audit log: who, what, before and after; passwords masked.
  auto audit = json::parse(admin("GET", "/api/v1/audit?path=/api/v1/alarms/1001/acknowledge").body);
  ASSERT_GE(audit["total"].get<int>(), 3) << audit.dump();
  const auto& done = audit["items"][0];
  EXPECT_EQ(done["actor"], "user:zhang");
  EXPECT_EQ(done["status"], 200);
  EXPECT_EQ(done["before"]["state"], "raised");
  EXPECT_EQ(done["after"]["state"], "acknowledged");
  EXPECT_EQ(audit["items"][1]["status"], 403);  // the refused attempts are there too
  auto user_audit = json::parse(admin("GET", "/api/v1/audit?path=/api/v1/users").body);
  ASSERT_GE(user_audit["total"].get<int>(), 1);
  EXPECT_EQ(user_audit["items"].back()["request"]["password"], "***");
  EXPECT_THAT(user_audit.dump(), ::testing::Not(HasSubstr("correct horse 1")));

  // Signing out ends the session; an idle session ends by itself (session_idle_s = 5).
  EXPECT_EQ(as(*browser, "DELETE", "/api/v1/session").status, 200);
  EXPECT_EQ(as(*browser, "GET", "/api/v1/halls").status, 401);
  auto idle = sign_in("zhang", "correct horse 1");
  ASSERT_TRUE(idle);
  EXPECT_EQ(as(*idle, "GET", "/api/v1/halls").status, 200);
  std::this_thread::sleep_for(6s);
  auto expired = as(*idle, "GET", "/api/v1/halls");
  EXPECT_EQ(expired.status, 401);
  EXPECT_THAT(expired.body, HasSubstr("session_expired"));
}

TEST_F(AccessTest, RepeatedWrongPasswordsHoldBackTheGuesserNotTheAccount) {
  ASSERT_EQ(admin("POST", "/api/v1/users",
                  {{"username", "wang"},
                   {"password", "right password"},
                   {"role", "monitor"},
                   {"scope", "province"}})
                .status,
            201);
  int status = 0;
  EXPECT_FALSE(sign_in("nobody", "whatever pw", &status));
  EXPECT_EQ(status, 401);
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(sign_in("wang", "wrong password", &status));
    EXPECT_EQ(status, 401);
  }
  EXPECT_FALSE(sign_in("wang", "wrong password", &status));
  EXPECT_EQ(status, 401);  // the fourth failure in a row begins a wait at this address
  EXPECT_FALSE(sign_in("wang", "right password", &status));
  EXPECT_EQ(status, 429);  // even the right password waits, here, until the wait ends or an unlock
  auto users = json::parse(admin("GET", "/api/v1/users").body)["items"];
  json wang;
  for (const auto& user : users) {
    if (user["username"] == "wang") wang = user;
  }
  ASSERT_TRUE(wang["locked"].get<bool>()) << users.dump();
  auto unlocked = admin("POST", fmt::format("/api/v1/users/{}/unlock", wang["id"].get<int>()));
  EXPECT_EQ(unlocked.status, 200) << unlocked.body << halld->output();
  EXPECT_FALSE(json::parse(unlocked.body)["locked"].get<bool>());
  auto browser = sign_in("wang", "right password");
  ASSERT_TRUE(browser);
  // A monitor reads but changes nothing.
  EXPECT_EQ(as(*browser, "GET", "/api/v1/alarms").status, 200);
  EXPECT_EQ(as(*browser, "POST", "/api/v1/alarms/1001/acknowledge", {{"note", "x"}}).status, 403);
  // An oversized sign-in is refused before it is read.
  const std::string huge = json{{"username", "wang"}, {"password", std::string(5000, 'x')}}.dump();
  EXPECT_THAT(
      raw_exchange(
          port, fmt::format(
                    "POST /api/v1/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    "Content-Length: {}\r\n\r\n{}",
                    huge.size(), huge)),
      HasSubstr("413 Payload Too Large"));
}

TEST_F(AccessTest, TokensAreRateLimitedRevokedAndExpire) {
  const auto limited = make_token(
      {{"name", "slow"}, {"role", "monitor"}, {"scope", "city:4101"}, {"requests_per_minute", 3}});
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(send("GET", "/api/v1/halls", nullptr, bearer(limited)).status, 200);
  auto refused = send("GET", "/api/v1/halls", nullptr, bearer(limited));
  EXPECT_EQ(refused.status, 429);
  EXPECT_FALSE(refused.headers["retry-after"].empty());

  auto created = admin("POST", "/api/v1/tokens",
                       {{"name", "revoked"}, {"role", "monitor"}, {"scope", "province"}});
  const auto id = json::parse(created.body)["token"]["id"].get<int>();
  const auto secret = json::parse(created.body)["secret"].get<std::string>();
  EXPECT_EQ(send("GET", "/api/v1/halls", nullptr, bearer(secret)).status, 200);
  EXPECT_EQ(json::parse(admin("DELETE", fmt::format("/api/v1/tokens/{}", id)).body)["state"],
            "revoked");
  EXPECT_EQ(send("GET", "/api/v1/halls", nullptr, bearer(secret)).status, 401);
  EXPECT_THAT(admin("GET", "/api/v1/tokens").body, ::testing::Not(HasSubstr(secret)));
  EXPECT_EQ(db.query_value("SELECT count(*) FROM audit_log WHERE after::text LIKE '%hld_%'"), "0");

  const auto expiring = make_token({{"name", "old"}, {"role", "monitor"}, {"scope", "province"}});
  db.exec("UPDATE api_token SET expires_at = now() - interval '1 second' WHERE name = 'old'");
  EXPECT_EQ(send("GET", "/api/v1/halls", nullptr, bearer(expiring)).status, 401);
  EXPECT_EQ(send("GET", "/api/v1/halls", nullptr, bearer("hld_" + std::string(64, '0'))).status,
            401);
  EXPECT_EQ(send("GET", "/api/v1/halls", nullptr, {{"Authorization", "Basic eDp5"}}).status, 401);
}

// A data clerk of the province imports archives over the API: checked first (a dry run applies
// nothing), then applied all or nothing, with every problem listed when rejected, and recorded.
TEST_F(AccessTest, DataClerksImportArchivesAllOrNothing) {
  const auto clerk =
      bearer(make_token({{"name", "档案员"}, {"role", "data_clerk"}, {"scope", "province"}}));
  json hall = {
      {"code", "4101002"},
      {"name", "郑州市二七区营业厅"},
      {"city", "4101"},
      {"county", "二七区"},
      {"latitude", 34.72},
      {"longitude", 113.62},
      {"level", "B"},
      {"status", "open"},
      {"timezone", "Asia/Shanghai"},
      {"opening_hours",
       {{"mon", "08:30-17:30"},
        {"tue", "08:30-17:30"},
        {"wed", "08:30-17:30"},
        {"thu", "08:30-17:30"},
        {"fri", "08:30-17:30"},
        {"sat", "09:00-12:00"},
        {"sun", "closed"}}},
      {"windows", {{{"number", 1}, {"kind", "general"}, {"business_types", {"bill_payment"}}}}}};
  const json document = {{"format", "halld-archives-v1"}, {"halls", {hall}}};

  auto checked = send("POST", "/api/v1/archives/import?dry_run=true", document, clerk);
  ASSERT_EQ(checked.status, 200) << checked.body;
  EXPECT_EQ(json::parse(checked.body)["dry_run"], true);
  EXPECT_EQ(json::parse(checked.body)["counts"]["halls"], 1);
  EXPECT_EQ(admin("GET", "/api/v1/halls/4101002").status, 404);

  auto imported = send("POST", "/api/v1/archives/import", document, clerk);
  ASSERT_EQ(imported.status, 200) << imported.body;
  EXPECT_EQ(json::parse(imported.body)["applied"], true);
  EXPECT_EQ(json::parse(imported.body)["counts"]["windows"], 1);
  EXPECT_EQ(json::parse(admin("GET", "/api/v1/halls/4101002").body)["city"]["code"], "4101");
  // The new hall is city 4101's at once: its token reads it, city 4103's may not.
  const auto city_4101 =
      bearer(make_token({{"name", "4101 feed"}, {"role", "city_manager"}, {"scope", "city:4101"}}));
  const auto city_4103 =
      bearer(make_token({{"name", "4103 feed"}, {"role", "city_manager"}, {"scope", "city:4103"}}));
  EXPECT_EQ(send("GET", "/api/v1/halls/4101002", nullptr, city_4101).status, 200);
  EXPECT_EQ(send("GET", "/api/v1/halls/4101002", nullptr, city_4103).status, 403);

  // A file with mistakes: every one listed, nothing applied (not even the valid hall).
  json broken_hall = hall;
  broken_hall["code"] = "4101003";
  broken_hall["city"] = "9999";
  broken_hall["level"] = "Z";
  json good_hall = hall;
  good_hall["code"] = "4101004";
  auto rejected =
      send("POST", "/api/v1/archives/import",
           {{"format", "halld-archives-v1"}, {"halls", {good_hall, broken_hall}}}, clerk);
  ASSERT_EQ(rejected.status, 422) << rejected.body;
  const auto error = json::parse(rejected.body)["error"];
  EXPECT_EQ(error["code"], "import_rejected");
  ASSERT_GE(error["details"]["problems"].size(), 2u) << error.dump();
  EXPECT_THAT(error["details"].dump(), HasSubstr("'9999'"));
  EXPECT_EQ(admin("GET", "/api/v1/halls/4101004").status, 404);

  EXPECT_EQ(send("POST", "/api/v1/archives/import?dry_run=yes", document, clerk).status, 400);
  EXPECT_EQ(
      http_request(port, "POST", "/api/v1/archives/import",
                   {{"Authorization", clerk.at("Authorization")}, {"Content-Type", "text/csv"}},
                   "code,name\n")
          .status,
      415);
  EXPECT_EQ(http_request(port, "POST", "/api/v1/archives/import",
                         {{"Authorization", clerk.at("Authorization")},
                          {"Content-Type", "application/json"}},
                         "{\"format\": ")
                .status,
            400);  // refused at the edge, as every JSON body
  // Only a data clerk or administrator of the whole province may import.
  const auto city_clerk =
      bearer(make_token({{"name", "市档案员"}, {"role", "data_clerk"}, {"scope", "city:4101"}}));
  const auto monitor =
      bearer(make_token({{"name", "watch"}, {"role", "monitor"}, {"scope", "province"}}));
  EXPECT_EQ(send("POST", "/api/v1/archives/import", document, city_clerk).status, 403);
  EXPECT_EQ(send("POST", "/api/v1/archives/import", document, monitor).status, 403);

  auto audit = json::parse(admin("GET", "/api/v1/audit?path=/api/v1/archives/import").body);
  ASSERT_GE(audit["total"].get<int>(), 3) << audit.dump();
  EXPECT_THAT(
      audit.dump(),
      HasSubstr(R"("role":"data_clerk","status":200)"));  // the import, by the clerk's token
  EXPECT_THAT(audit.dump(), HasSubstr("import_rejected"));
}

}  // namespace
}  // namespace halld::testing
