// The intranet as an attacker sees it, against the real binary: every documented route gets
// nested, oversized, malformed-UTF-8, NUL-bearing, wrong-typed and missing-field input and
// must answer a 4xx JSON error and change nothing; a change whose audit row cannot be written
// does not happen (every state-changing route of the OpenAPI document); sign-in cannot be used
// to lock anyone out or to tell names apart, and a flood of it is shed; one address cannot take
// every connection.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <set>

#include <boost/asio/ip/tcp.hpp>

#include "halld_fixture.hpp"
#include "http_client.hpp"

namespace halld::testing {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

class HostileTest : public HalldTest {
 protected:
  void SetUp() override {
    config = write_config("", "", "info",
                          "[auth]\nmax_failed_logins = 3\nmax_failed_logins_per_address = "
                          "8\nlockout_s = 60\nhashing_queue = 2\n",
                          "max_connections_per_address = 12");
    // The small province without its channels: nothing in the database moves by itself.
    auto archives = json::parse(std::ifstream(HALLD_SOURCE_DIR "/tests/data/archives_small.json"));
    archives.erase("channels");
    const auto file = dir.write("archives.json", archives.dump());
    auto imported = halld_command({"import", "--config", config.string(), file.string()});
    ASSERT_EQ(imported.exit_code, 0) << imported.output;
    db.exec(
        "INSERT INTO alarm (id, rule_id, rule_name, kind, indicator, hall_id, severity, state, "
        "raised_at, raised_value, "
        "threshold, last_value) SELECT 1001, 1, '排队人数过多', 'limit', 'queue_length', id, 1, "
        "'raised', now(), 16, 15, 16 "
        "FROM hall WHERE code = '4101001'");
    db.exec("UPDATE alarm_rule SET clear_hold_s = 86400 WHERE id = 1");
    port = start(config);
    ASSERT_NE(port, 0);
  }
  void TearDown() override { source_address().clear(); }

  HttpResult send(const std::string& method, const std::string& target,
                  const std::string& body = {}, std::map<std::string, std::string> headers = {}) {
    if (!body.empty()) headers.emplace("Content-Type", "application/json");
    return http_request(port, method, target, headers, body);
  }
  HttpResult send_json(const std::string& method, const std::string& target, const json& body) {
    return send(method, target, body.is_null() ? std::string() : body.dump());
  }

  // Every table but the audit log, as one digest: equal digests, equal contents.
  std::string snapshot() {
    return db.query_value(
        "SELECT string_agg(t.relname || '=' || (xpath('/row/c/text()', query_to_xml(format("
        "'SELECT md5(coalesce(string_agg(x::text, ''|'' ORDER BY x::text), '''')) AS c FROM %I x', "
        "t.relname), "
        "false, true, '')))[1]::text, ',' ORDER BY t.relname) "
        "FROM pg_stat_user_tables t WHERE t.schemaname = 'public' AND t.relname <> 'audit_log' "
        // The model's snapshots are the engine's own, rewritten as it runs.
        "AND t.relname NOT LIKE 'model\\_%'");
  }
  bool healthy() { return http_get(port, "/healthz").status == 200; }

  std::filesystem::path config;
  std::uint16_t port = 0;
};

std::string upper(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

// A documented pattern with its parameters filled in.
std::string fill(std::string pattern, const std::string& code, const std::string& id) {
  for (auto [param, value] :
       {std::pair{"{code}", code}, std::pair{"{id}", id}, std::pair{"{name}", code}}) {
    if (auto at = pattern.find(param); at != std::string::npos)
      pattern.replace(at, std::string_view(param).size(), value);
  }
  return pattern;
}

TEST_F(HostileTest, DeepNestingWithoutCredentialsIsRefusedAtOnce) {
  // The finding: 20 KB of '[' to the sign-in took gigabytes. Here the body limit is 2 KB.
  const std::string deep = std::string(1000, '[') + std::string(1000, ']');
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 50; ++i) {
    auto answer = send("POST", "/api/v1/session", deep, {{"Authorization", ""}});
    ASSERT_EQ(answer.status, 400) << answer.body;
    EXPECT_EQ(json::parse(answer.body)["error"]["code"], "too_deep");
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(20));
  EXPECT_TRUE(healthy());
  // Unreadable sign-in bodies name no one: they do not fill the audit log.
  EXPECT_EQ(db.query_value("SELECT count(*) FROM audit_log WHERE path = '/api/v1/session'"), "0");
}

// Every route of the OpenAPI document, with hostile parameters and bodies, as the province's
// administrator (so that nothing is refused for want of permission).
TEST_F(HostileTest, EveryDocumentedRouteRefusesHostileInputAndChangesNothing) {
  const auto document = json::parse(http_get(port, "/api/v1/openapi.json").body);
  const auto before = snapshot();
  const std::string nested = std::string(40, '[') + std::string(40, ']');
  const std::vector<std::pair<std::string, std::string>> bodies = {
      {"nested", "{\"a\":" + nested + "}"},
      {"invalid UTF-8", "{\"name\":\"\xC0\xAF\xFF\",\"note\":\"\xED\xA0\x80\"}"},
      {"NUL",
       R"({"name":"a\u0000b","note":"\u0000","reason":"\u0000","username":"\u0000","from":"\u0000"})"},
      {"wrong types",
       R"({"name":7,"note":[1],"reason":{},"username":true,"password":1,"from":5,"to":[],"hall":{},"role":3,)"
       R"("scope":[],"kind":9,"phone":1,"target":2,"until":false,"threshold":"x","level":{},"rules":"x"})"},
      {"array", "[1,2,3]"},
      {"missing fields", "{}"},
      {"oversized", "{\"a\":\"" + std::string(4000, 'x') + "\"}"},
      {"not JSON", "{\"a\":"},
  };
  const std::vector<std::pair<std::string, std::string>> values = {
      {"invalid UTF-8", "%C0%AF%FF"},         {"NUL", "a%00b"},
      {"bidi and BOM", "%E2%80%AE%EF%BB%BF"}, {"long", std::string(300, '9')},
      {"SQL", "1%27%20OR%201%3D1--"},         {"negative", "-1"},
      {"huge", "99999999999999999999"}};
  int tried = 0;
  for (const auto& [pattern, operations] : document["paths"].items()) {
    for (const auto& [method, operation] : operations.items()) {
      const auto verb = upper(method);
      std::vector<std::string> params;
      for (const auto& p : operation.value("parameters", json::array())) {
        if (p.value("in", "") == "query") params.push_back(p.value("name", ""));
      }
      std::vector<std::pair<std::string, std::string>> targets;  // what, target
      for (const auto& [what, value] : values) {
        if (pattern.find('{') != std::string::npos)
          targets.emplace_back("path " + what, fill(pattern, value, value));
        for (const auto& name : params)
          targets.emplace_back(name + " " + what,
                               fill(pattern, "4101001", "1001") + "?" + name + "=" + value);
      }
      targets.emplace_back("unknown parameter", fill(pattern, "4101001", "1001") + "?%FF=1");
      for (const auto& [what, target] : targets) {
        auto answer = send(verb, target);
        ++tried;
        EXPECT_LT(answer.status, 500)
            << verb << " " << target << " (" << what << "): " << answer.body;
        if (what.ends_with("invalid UTF-8") || what.ends_with("NUL") ||
            what == "unknown parameter") {
          EXPECT_EQ(answer.status, 400) << verb << " " << target << ": " << answer.body;
        }
        if (answer.status >= 400 && answer.status != 426) {
          auto error = json::parse(answer.body, nullptr, false);
          EXPECT_TRUE(error.contains("error") && error["error"].contains("code"))
              << verb << " " << target << ": " << answer.body;
        }
      }
      // Bodies go to an object nobody has (so that a valid one could change nothing); every
      // handler reads the body before it looks the object up. A DELETE's body is never read.
      if (method != "get" && method != "delete") {
        for (const auto& [what, body] : bodies) {
          const auto target = fill(pattern, "4101001", "999999");
          auto answer = send(verb, target, body);
          ++tried;
          EXPECT_GE(answer.status, 400)
              << verb << " " << target << " (" << what << " body): " << answer.body;
          EXPECT_LT(answer.status, 500)
              << verb << " " << target << " (" << what << " body): " << answer.body;
          auto error = json::parse(answer.body, nullptr, false);
          EXPECT_TRUE(error.contains("error"))
              << verb << " " << target << " (" << what << "): " << answer.body;
          if (what == "NUL" && answer.status == 400) {
            EXPECT_EQ(error["error"]["code"], "bad_text") << verb << " " << target;
          }
        }
      }
      ASSERT_TRUE(healthy()) << "after " << verb << " " << pattern;
    }
  }
  EXPECT_GT(tried, 500);
  EXPECT_EQ(snapshot(), before) << "a refused request changed the database";
  EXPECT_EQ(json::parse(send("GET", "/api/v1/alarms/1001").body)["state"], "raised");
  // The archive import names the city, hidden characters and all, as its problem (422).
  auto hidden =
      send("POST", "/api/v1/archives/import?dry_run=true",
           R"({"format":"halld-archives-v1","cities":[{"code":"4199","name":"\u202e\ufeff"}]})");
  EXPECT_EQ(hidden.status, 422) << hidden.body;
  EXPECT_THAT(hidden.body, HasSubstr("invisible"));
}

// The body of a valid request to each state-changing route, and the object it names; a route
// the document lists without an entry here fails the test, so none is left out.
struct Change {
  std::string target;
  json body;
};

TEST_F(HostileTest, AChangeWhoseAuditRowCannotBeWrittenDoesNotHappen) {
  // Objects for the routes that act on one.
  auto contact =
      send_json("POST", "/api/v1/contacts", {{"name", "值班员"}, {"phone", "13800000001"}});
  ASSERT_EQ(contact.status, 201) << contact.body;
  auto window = send_json("POST", "/api/v1/maintenance-windows",
                          {{"target", "4101001"},
                           {"reason", "检修"},
                           {"from", "2030-01-01T08:00:00+08:00"},
                           {"until", "2030-01-01T09:00:00+08:00"}});
  ASSERT_EQ(window.status, 201) << window.body;
  auto user = send_json("POST", "/api/v1/users",
                        {{"username", "zhao"},
                         {"password", "correct horse 1"},
                         {"role", "monitor"},
                         {"scope", "province"}});
  ASSERT_EQ(user.status, 201) << user.body;
  auto token = send_json("POST", "/api/v1/tokens",
                         {{"name", "feed"}, {"role", "monitor"}, {"scope", "province"}});
  ASSERT_EQ(token.status, 201) << token.body;
  auto recomputation = send_json("POST", "/api/v1/recomputations",
                                 {{"from", "2026-01-01"}, {"to", "2026-01-01"}, {"hall", nullptr}});
  ASSERT_EQ(recomputation.status, 202) << recomputation.body;
  // A browser session, for the routes that act on one's own session.
  auto signed_in = send("POST", "/api/v1/session",
                        json{{"username", "zhao"}, {"password", "correct horse 1"}}.dump(),
                        {{"Authorization", ""}, {"Origin", "http://127.0.0.1"}});
  ASSERT_EQ(signed_in.status, 200) << signed_in.body;
  const auto cookie =
      signed_in.headers["set-cookie"].substr(0, signed_in.headers["set-cookie"].find(';'));
  const std::string csrf = json::parse(signed_in.body)["csrf_token"];
  const std::map<std::string, std::string> browser = {{"Authorization", ""},
                                                      {"Cookie", cookie},
                                                      {"X-CSRF-Token", csrf},
                                                      {"Origin", "http://127.0.0.1"}};
  const auto id_of = [](const HttpResult& r, const char* path = "/id") {
    return std::to_string(json::parse(r.body)[json::json_pointer(path)].get<int>());
  };

  // Emergencies to act on: two started by hand (one to close, one whose step is confirmed), two
  // suggested (one to start, one to dismiss); work orders, one to answer, one to review; and a
  // queue system logged in at hall 4101001 to take a command.
  auto active = send_json("POST", "/api/v1/halls/4101001/emergencies", {{"plan", 4}});
  ASSERT_EQ(active.status, 201) << active.body;
  auto stepping = send_json("POST", "/api/v1/halls/4103001/emergencies", {{"plan", 4}});
  ASSERT_EQ(stepping.status, 201) << stepping.body;
  db.exec(
      "INSERT INTO emergency (plan_id, plan_version, plan, hall_id, event_type, state) SELECT 1, "
      "1, '{}', id, e, 'suggested' FROM hall, unnest(ARRAY['crowding', 'terminal_failure']) e "
      "WHERE code = '4101001'");
  const auto suggested = [&](const char* event_type) {
    return db.query_value(std::string("SELECT id FROM emergency WHERE event_type = '") +
                          event_type + "'");
  };
  db.exec(
      "INSERT INTO work_order (rule_id, rule_name, hall_id, indicator, threshold, state, "
      "opened_at, due_at, evidence, cause, measures) SELECT 1, 'r', id, 'longest_wait_min', 30, "
      "s, now(), now() + interval '1 day', '{}', CASE WHEN s = 'answered' THEN 'staffing' END, "
      "CASE WHEN s = 'answered' THEN '增派人员' END FROM hall, unnest(ARRAY['open', 'answered']) s "
      "WHERE code = '4101001'");
  const auto work_order = [&](const char* state) {
    return db.query_value(std::string("SELECT id FROM work_order WHERE state = '") + state + "'");
  };
  db.exec(
      "INSERT INTO acquisition_channel (code, hall_id, protocol, link, host, port, site) SELECT "
      "'qs-4101001', id, 'queue_eval', 'tcp_client', '127.0.0.1', 9, '4101001' FROM hall WHERE "
      "code = '4101001'");
  db.exec("INSERT INTO acquisition_source (channel, address) VALUES ('qs-4101001', 1)");
  // Scheduled for tomorrow, so that the publisher leaves the database alone meanwhile.
  db.exec(
      "INSERT INTO hall_notice (level, hall_id, text, priority, valid_from, valid_until, "
      "published_by, published_at) SELECT 'hall', id, '明日暂停取号', 2, now() + interval '1 day', "
      "now() + interval '2 days', 'test', now() FROM hall WHERE code = '4101001'");
  const auto notice = db.query_value("SELECT max(id) FROM hall_notice");
  const json plan = {{"name", "暴雨应急预案"},
                     {"event_type", "extreme_weather"},
                     {"steps", {{{"action", "instruction"}, {"text", "检查门口防滑"}}}}};
  const json work_order_rule = {
      {"name", "平均等候持续超时"}, {"indicator", "average_wait_60_min"}, {"threshold", 25}};

  const std::string rule = send("GET", "/api/v1/alarm-rules/1").body;
  json changed_rule = json::parse(rule);
  changed_rule["name"] = "排队人数过多 (改)";
  // Two retirements the marketing reconciliation holds for approval.
  db.exec(
      "INSERT INTO marketing_archive_change (id, kind, code, city_code, hall_code, change, state, "
      "found_at) OVERRIDING SYSTEM VALUE VALUES (2001, 'clerk', 'ZZ0001', '4101', '4101001', "
      "'retired', 'pending', now()), (2002, 'clerk', 'ZZ0002', '4101', '4101001', 'retired', "
      "'pending', now())");
  // A protocol description small enough for this suite's 2 KB body limit.
  const std::string tiny_queue = R"(protocol: tiny_queue
family: queue_eval
kind: text
function_key: cmd
sequence_key: seq
login: {required: false}
messages:
  - {name: ack, role: data_ack, code: ACK, fields: [{name: sequence, key: seq, type: uint}]}
  - name: take
    event: ticket_issued
    code: TAKE
    fields:
      - {name: at, key: time, type: time, format: "%Y%m%d%H%M%S"}
      - {name: ticket, key: no, type: string}
      - {name: business, key: biz, type: string}
)";
  // The channel and the protocol description that the retirements and the test act on.
  const json tcp_channel = {{"hall", "4103001"},
                            {"protocol", "queue_eval"},
                            {"link", "tcp_client"},
                            {"host", "127.0.0.1"},
                            {"port", 9}};
  ASSERT_EQ(send_json("PUT", "/api/v1/channels/qs-4103001", tcp_channel).status, 200);
  ASSERT_EQ(send_json("PUT", "/api/v1/protocols/tiny_queue", {{"text", tiny_queue}}).status, 200);
  const std::map<std::string, Change> changes = {
      {"post /api/v1/archives/import",
       {"/api/v1/archives/import?dry_run=true", {{"format", "halld-archives-v1"}}}},
      {"post /api/v1/alarms/{id}/acknowledge",
       {"/api/v1/alarms/1001/acknowledge", {{"note", "看"}}}},
      {"post /api/v1/alarms/{id}/clear", {"/api/v1/alarms/1001/clear", {{"reason", "误报"}}}},
      {"post /api/v1/alarm-rules",
       {"/api/v1/alarm-rules",
        [&] {
          auto r = json::parse(rule);
          r.erase("id");
          return r;
        }()}},
      {"put /api/v1/alarm-rules/{id}", {"/api/v1/alarm-rules/1", changed_rule}},
      {"delete /api/v1/alarm-rules/{id}", {"/api/v1/alarm-rules/1", nullptr}},
      {"post /api/v1/contacts", {"/api/v1/contacts", {{"name", "李"}, {"phone", "13800000002"}}}},
      {"put /api/v1/contacts/{id}",
       {"/api/v1/contacts/" + id_of(contact), {{"name", "王"}, {"phone", "13800000003"}}}},
      {"delete /api/v1/contacts/{id}", {"/api/v1/contacts/" + id_of(contact), nullptr}},
      {"post /api/v1/maintenance-windows",
       {"/api/v1/maintenance-windows",
        {{"target", "4103001"},
         {"reason", "停电"},
         {"from", "2030-02-01T08:00:00+08:00"},
         {"until", "2030-02-01T09:00:00+08:00"}}}},
      {"delete /api/v1/maintenance-windows/{id}",
       {"/api/v1/maintenance-windows/" + id_of(window), nullptr}},
      {"post /api/v1/session",
       {"/api/v1/session", {{"username", "zhao"}, {"password", "correct horse 1"}}}},
      {"delete /api/v1/session", {"/api/v1/session", nullptr}},
      {"post /api/v1/session/password",
       {"/api/v1/session/password",
        {{"current_password", "correct horse 1"}, {"new_password", "battery staple 2"}}}},
      {"post /api/v1/users",
       {"/api/v1/users",
        {{"username", "qian"},
         {"password", "correct horse 1"},
         {"role", "monitor"},
         {"scope", "province"}}}},
      {"put /api/v1/users/{id}",
       {"/api/v1/users/" + id_of(user),
        {{"username", "zhao"},
         {"display_name", "赵"},
         {"role", "monitor"},
         {"scope", "province"}}}},
      {"delete /api/v1/users/{id}", {"/api/v1/users/" + id_of(user), nullptr}},
      {"post /api/v1/users/{id}/unlock", {"/api/v1/users/" + id_of(user) + "/unlock", nullptr}},
      {"post /api/v1/tokens",
       {"/api/v1/tokens", {{"name", "another"}, {"role", "monitor"}, {"scope", "province"}}}},
      {"delete /api/v1/tokens/{id}", {"/api/v1/tokens/" + id_of(token, "/token/id"), nullptr}},
      {"post /api/v1/recomputations",
       {"/api/v1/recomputations",
        {{"from", "2026-01-02"}, {"to", "2026-01-02"}, {"hall", nullptr}}}},
      {"delete /api/v1/recomputations/{id}",
       {"/api/v1/recomputations/" + id_of(recomputation), nullptr}},
      {"post /api/v1/emergency-plans", {"/api/v1/emergency-plans", plan}},
      {"put /api/v1/emergency-plans/{id}", {"/api/v1/emergency-plans/4", plan}},
      {"post /api/v1/halls/{code}/emergencies",
       {"/api/v1/halls/4103001/emergencies", {{"plan", 1}, {"content", "排队客户多"}}}},
      {"post /api/v1/emergencies/{id}/start",
       {"/api/v1/emergencies/" + suggested("crowding") + "/start", nullptr}},
      {"post /api/v1/emergencies/{id}/dismiss",
       {"/api/v1/emergencies/" + suggested("terminal_failure") + "/dismiss",
        {{"result", "已恢复"}}}},
      {"post /api/v1/emergencies/{id}/steps/{position}",
       {"/api/v1/emergencies/" + id_of(stepping) + "/steps/1",
        {{"state", "done"}, {"result", "已疏散"}}}},
      {"post /api/v1/emergencies/{id}/close",
       {"/api/v1/emergencies/" + id_of(active) + "/close",
        {{"outcome", "resolved"}, {"result", "秩序恢复"}}}},
      {"post /api/v1/halls/{code}/commands",
       {"/api/v1/halls/4101001/commands",
        {{"object", "screen"}, {"kind", "show_message"}, {"text", "欢迎光临"}}}},
      {"post /api/v1/notices",
       {"/api/v1/notices?hall=4101001", {{"text", "今日下午系统维护"}, {"minutes", 30}}}},
      {"post /api/v1/notices/{id}/withdraw",
       {"/api/v1/notices/" + notice + "/withdraw", {{"reason", "已恢复"}}}},
      {"post /api/v1/work-orders/{id}/answer",
       {"/api/v1/work-orders/" + work_order("open") + "/answer",
        {{"cause", "staffing"}, {"measures", "增派两名柜员"}}}},
      {"post /api/v1/work-orders/{id}/review",
       {"/api/v1/work-orders/" + work_order("answered") + "/review",
        {{"verdict", "accept"}, {"review", "措施可行"}}}},
      {"post /api/v1/work-order-rules", {"/api/v1/work-order-rules", work_order_rule}},
      {"post /api/v1/marketing/archive-changes/{id}/approve",
       {"/api/v1/marketing/archive-changes/2001/approve", nullptr}},
      {"post /api/v1/marketing/archive-changes/{id}/reject",
       {"/api/v1/marketing/archive-changes/2002/reject", nullptr}},
      {"put /api/v1/work-order-rules/{id}", {"/api/v1/work-order-rules/1", work_order_rule}},
      {"put /api/v1/channels/{code}", {"/api/v1/channels/qs-4103001", tcp_channel}},
      {"post /api/v1/channels/{code}/test", {"/api/v1/channels/qs-4103001/test", nullptr}},
      {"delete /api/v1/channels/{code}", {"/api/v1/channels/qs-4103001", nullptr}},
      {"put /api/v1/protocols/{name}", {"/api/v1/protocols/tiny_queue", {{"text", tiny_queue}}}},
      {"delete /api/v1/protocols/{name}", {"/api/v1/protocols/tiny_queue", nullptr}},
  };
  // Wait for the first recomputation to end, so that the next may start when allowed.
  for (int i = 0;
       i < 100 &&
       json::parse(send("GET", "/api/v1/recomputations/" + id_of(recomputation)).body)["state"] ==
           "running";
       ++i) {
    std::this_thread::sleep_for(100ms);
  }
  const auto document = json::parse(http_get(port, "/api/v1/openapi.json").body);
  const auto send_change = [&](const std::string& name, const std::string& verb,
                               const Change& change) {
    const bool own_session =
        name.find("/api/v1/session") != std::string::npos && name != "post /api/v1/session";
    const bool public_route = name == "post /api/v1/session";
    std::map<std::string, std::string> headers =
        own_session ? browser : std::map<std::string, std::string>{};
    if (public_route) headers = {{"Authorization", ""}};
    return send(verb, change.target, change.body.is_null() ? std::string() : change.body.dump(),
                headers);
  };
  std::vector<std::pair<std::string, std::string>> operations;  // name, verb
  for (const auto& [pattern, ops] : document["paths"].items()) {
    for (const auto& [method, operation] : ops.items()) {
      if (method == "get") continue;
      operations.emplace_back(method + " " + pattern, upper(method));
      EXPECT_TRUE(changes.contains(method + " " + pattern))
          << "no valid request known for " << method << " " << pattern;
    }
  }
  ASSERT_GE(operations.size(), 20u);

  db.exec(
      "CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION "
      "'audit refused'; END $$");
  db.exec(
      "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION "
      "refuse_audit()");
  const auto before = snapshot();
  const auto recomputations = send("GET", "/api/v1/recomputations").body;
  for (const auto& [name, verb] : operations) {
    if (!changes.contains(name)) continue;
    auto answer = send_change(name, verb, changes.at(name));
    EXPECT_EQ(answer.status, 503) << name << ": " << answer.body;
    EXPECT_THAT(answer.body, HasSubstr("audit_unavailable")) << name;
  }
  EXPECT_EQ(snapshot(), before) << "a change went through without its audit row";
  // Nor did anything held in memory change: the alarm, the session, the recomputations.
  EXPECT_EQ(json::parse(send("GET", "/api/v1/alarms/1001").body)["state"], "raised");
  EXPECT_EQ(send("GET", "/api/v1/session", {}, browser).status, 200);
  EXPECT_EQ(send("GET", "/api/v1/recomputations").body, recomputations);

  // With the audit log back, the very same requests reach their handlers and each leaves its
  // row (deletions last, so that each finds its object; the alarm is acknowledged, not cleared).
  db.exec("DROP TRIGGER refuse_audit ON audit_log");
  std::stable_partition(operations.begin(), operations.end(),
                        [](const auto& op) { return op.second != "DELETE"; });
  for (const auto& [name, verb] : operations) {
    if (!changes.contains(name) || name == "post /api/v1/alarms/{id}/clear" ||
        name == "delete /api/v1/session")
      continue;
    const auto rows = std::stoi(db.query_value("SELECT count(*) FROM audit_log"));
    auto answer = send_change(name, verb, changes.at(name));
    // The first recomputation has ended, so cancelling it is a conflict; every other one is done.
    if (name == "delete /api/v1/recomputations/{id}") {
      EXPECT_EQ(answer.status, 409) << answer.body;
    } else {
      EXPECT_LT(answer.status, 300) << name << ": " << answer.body;
    }
    EXPECT_EQ(std::stoi(db.query_value("SELECT count(*) FROM audit_log")), rows + 1) << name;
    EXPECT_EQ(db.query_value("SELECT count(*) FROM audit_log WHERE status = 0 AND method <> 'CLI'"),
              "0")
        << name << ": an outcome not added to "
        << db.query_value(
               "SELECT string_agg(id || ' ' || method || ' ' || path, ', ') FROM audit_log WHERE "
               "status = 0 AND method <> 'CLI'");
  }
}

TEST_F(HostileTest, SignInNeitherLocksAccountsNorTellsNamesApart) {
  ASSERT_EQ(send_json("POST", "/api/v1/users",
                      {{"username", "wang"},
                       {"password", "right password"},
                       {"role", "monitor"},
                       {"scope", "province"}})
                .status,
            201);
  const auto sign_in = [&](const std::string& name, const std::string& password) {
    return send("POST", "/api/v1/session", json{{"username", name}, {"password", password}}.dump(),
                {{"Authorization", ""}});
  };
  // From a guesser's address: the same answer for a real name and an unknown one.
  source_address() = "127.0.0.2";
  for (int i = 0; i < 3; ++i) {
    auto real = sign_in("wang", "guess " + std::to_string(i));
    auto unknown = sign_in("nobody", "guess " + std::to_string(i));
    EXPECT_EQ(real.status, 401) << real.body;
    EXPECT_EQ(unknown.status, 401) << unknown.body;
    EXPECT_EQ(real.body, unknown.body);
  }
  // The fourth failure for each name begins a wait for that name at that address...
  auto fourth = sign_in("wang", "guess 4");
  EXPECT_EQ(fourth.status, 401);
  EXPECT_EQ(json::parse(fourth.body).value("/error/details/throttled_for_s"_json_pointer, 0), 1)
      << fourth.body;
  auto throttled = sign_in("wang", "right password");
  EXPECT_EQ(throttled.status, 429) << throttled.body;
  EXPECT_FALSE(throttled.headers["retry-after"].empty());
  // The administrator sees the name held back (at once: the first wait is one second).
  const auto user_wang = [&] {
    const auto saved = source_address();
    source_address().clear();
    const auto users = json::parse(send("GET", "/api/v1/users").body);
    json found;
    for (const auto& u : users["items"])
      if (u["username"] == "wang") found = u;
    source_address() = saved;
    return found;
  };
  EXPECT_EQ(user_wang().value("locked", false), true);
  EXPECT_EQ(sign_in("nobody", "guess 4").status, 401);
  EXPECT_EQ(sign_in("nobody", "guess 5").status, 429);
  // ...while the owner, at their own desk, signs in with the right password.
  source_address() = "127.0.0.3";
  EXPECT_EQ(sign_in("wang", "right password").status, 200);
  // Many names from one address: the address itself is held back (8 failures here).
  source_address() = "127.0.0.4";
  int held = 0;
  for (int i = 0; i < 12; ++i) held += sign_in("name" + std::to_string(i), "x y z w").status == 429;
  EXPECT_GE(held, 3);
  // The administrator frees the name; every block is in the audit log and a metric.
  source_address().clear();
  const auto wang = user_wang();
  EXPECT_FALSE(wang.contains("failed_logins"));
  EXPECT_EQ(send("POST", fmt::format("/api/v1/users/{}/unlock", wang["id"].get<int>())).status,
            200);
  source_address() = "127.0.0.2";
  std::this_thread::sleep_for(1100ms);  // the address's own count is not the account's to free
  EXPECT_EQ(sign_in("wang", "right password").status, 200);
  source_address().clear();
  auto audit = json::parse(send("GET", "/api/v1/audit?path=/api/v1/session&limit=1000").body);
  int blocks = 0;
  for (const auto& row : audit["items"]) {
    if (row.value("/after/error/details/throttled_for_s"_json_pointer, 0) > 0) ++blocks;
  }
  EXPECT_GE(blocks, 2) << audit.dump();
  for (const auto& row : audit["items"]) {
    if (row["status"] == 200) {
      EXPECT_EQ(row.value("/after/csrf_token"_json_pointer, std::string()), "***") << row.dump();
    }
  }
  const auto metrics = http_get(port, "/metrics").body;
  EXPECT_THAT(metrics, HasSubstr("halld_auth_signin_blocks_total{by=\"account_address\"}"));
  EXPECT_THAT(metrics, HasSubstr("halld_auth_signin_blocks_total{by=\"address\"}"));
}

TEST_F(HostileTest, ASignInFloodIsShedNotQueuedBehindEveryoneElse) {
  // hashing_queue = 2: of many sign-ins at once, those beyond two are told to come back.
  std::vector<std::future<HttpResult>> answers;
  for (int i = 0; i < 12; ++i) {
    answers.push_back(std::async(std::launch::async, [this, i] {
      return send("POST", "/api/v1/session",
                  json{{"username", "u" + std::to_string(i)}, {"password", "wrong one"}}.dump(),
                  {{"Authorization", ""}});
    }));
  }
  int shed = 0;
  for (auto& answer : answers) {
    auto result = answer.get();
    EXPECT_TRUE(result.status == 401 || result.status == 503 || result.status == 429)
        << result.status << result.body;
    if (result.status == 503) {
      ++shed;
      EXPECT_EQ(result.headers["retry-after"], "1");
      EXPECT_THAT(result.body, HasSubstr("overloaded"));
    }
  }
  EXPECT_GE(shed, 1);
  EXPECT_EQ(send("GET", "/api/v1/halls").status, 200);
}

TEST_F(HostileTest, DeletionsAnswerAValidStatusLine) {
  auto contact =
      send_json("POST", "/api/v1/contacts", {{"name", "值班员"}, {"phone", "13800000001"}});
  ASSERT_EQ(contact.status, 201);
  auto window = send_json("POST", "/api/v1/maintenance-windows",
                          {{"target", "4101001"},
                           {"from", "2030-01-01T08:00:00+08:00"},
                           {"until", "2030-01-01T09:00:00+08:00"}});
  ASSERT_EQ(window.status, 201);
  for (const auto& target :
       {std::string("/api/v1/alarm-rules/2"),
        fmt::format("/api/v1/contacts/{}", json::parse(contact.body)["id"].get<int>()),
        fmt::format("/api/v1/maintenance-windows/{}", json::parse(window.body)["id"].get<int>())}) {
    const auto answer = raw_exchange(
        port, fmt::format(
                  "DELETE {} HTTP/1.1\r\nHost: x\r\nAuthorization: {}\r\nConnection: close\r\n\r\n",
                  target, default_headers()["Authorization"]));
    EXPECT_TRUE(answer.starts_with("HTTP/1.1 200 OK\r\n"))
        << target << ": " << answer.substr(0, 80);
  }
}

TEST_F(HostileTest, OneAddressCannotTakeEveryConnection) {
  // Twelve idle sockets from one address fill its share; the next is closed at once...
  source_address() = "127.0.0.5";
  boost::asio::io_context io;
  std::vector<boost::asio::ip::tcp::socket> idle;
  for (int i = 0; i < 12; ++i) {
    idle.emplace_back(io);
    idle.back().open(boost::asio::ip::tcp::v4());
    idle.back().bind({boost::asio::ip::make_address("127.0.0.5"), 0});
    idle.back().connect({boost::asio::ip::make_address("127.0.0.1"), port});
  }
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(raw_exchange(port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 2000), "");
  // ...while another address is served.
  source_address() = "127.0.0.6";
  EXPECT_EQ(http_get(port, "/healthz").status, 200);
  // A head dribbled slowly is cut at the header deadline (2 s here), freeing the slot.
  idle.clear();
  std::this_thread::sleep_for(200ms);
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(raw_exchange(port, "GET /healthz HTTP/1.1\r\nHost:", 5000), "");
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(4500));
  const auto metrics = http_get(port, "/metrics").body;
  EXPECT_THAT(
      metrics,
      HasSubstr("halld_http_connections_refused_total{limit=\"max_connections_per_address\"}"));
}

}  // namespace
}  // namespace halld::testing
