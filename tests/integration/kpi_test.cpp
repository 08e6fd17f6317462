// A simulated hall's day through halld: the live view shows the queue the events leave, the
// rollups hold what the events say, and neither a recomputation from the log nor a restart
// (which rebuilds the model from the log) changes a closed day by one byte. Events of a day the
// model no longer holds are counted by rebuilding that day.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "halld/records/event_json.hpp"
#include "halld_fixture.hpp"
#include "http_client.hpp"
#include "ws_client.hpp"

namespace halld::testing {
namespace {

using nlohmann::json;
using records::Timestamp;
using std::chrono::days;
using std::chrono::sys_days;

constexpr std::chrono::hours china(8);

std::string date_text(sys_days day) {
  return records::iso8601(Timestamp(day)).substr(0, 10);
}

class KpiTest : public SimulatedHallTest {
 protected:
  // A simulated morning that began at 08:00 on the hall's local day `day`.
  void simulate_morning(sys_days day, int events) {
    start_simulator({"--events", std::to_string(events), "--rate", "3000", "--windows", "3",
                     "--start", records::iso8601(Timestamp(day))});  // 08:00 in China is 00:00 UTC
  }

  // What the raw events of the hall's local day say, counted in SQL.
  std::string counted_in_sql(sys_days day) {
    return db.query_value(fmt::format(R"sql(
      SELECT count(*) FILTER (WHERE k.name = 'ticket_issued') || '/' ||
             count(*) FILTER (WHERE k.name = 'service_finished') || '/' ||
             count(*) FILTER (WHERE k.name = 'ticket_abandoned')
      FROM hall_event e JOIN event_kind k ON k.id = e.kind
      WHERE (e.occurred_at AT TIME ZONE 'Asia/Shanghai')::date = '{}')sql",
                                      date_text(day)));
  }
  std::string counted_in_rollups(sys_days day) {
    return db.query_value(
        fmt::format("SELECT coalesce(max(arrivals || '/' || served || '/' || abandoned), 'none') "
                    "FROM kpi_daily "
                    "WHERE dimension = 0 AND day = '{}'",
                    date_text(day)));
  }
  // The closed days' rollups, as one fingerprint.
  std::string rollups_before(sys_days day) {
    return db.query_value(
        fmt::format("SELECT count(*) || ':' || md5(string_agg(r::text, '|' ORDER BY hall_id, "
                    "bucket, dimension, key)) "
                    "FROM kpi_rollup r WHERE bucket < '{}T00:00:00+08:00'",
                    date_text(day)));
  }
  // The tickets still waiting when the stream ended: those whose last queue event is their issue.
  std::string waiting_in_sql() {
    return db.query_value(R"sql(
      SELECT coalesce(string_agg(ticket, ',' ORDER BY ticket), '') FROM (
        SELECT DISTINCT ON (ticket) ticket, k.name
        FROM hall_event e JOIN event_kind k ON k.id = e.kind
        WHERE k.name IN ('ticket_issued', 'ticket_called', 'ticket_abandoned', 'service_started')
        ORDER BY ticket, occurred_at DESC, sequence DESC) last
      WHERE name = 'ticket_issued')sql");
  }
  static std::string tickets_of(const json& live) {
    std::vector<std::string> tickets;
    for (const auto& t : live["tickets"]) tickets.push_back(t["ticket"]);
    std::sort(tickets.begin(), tickets.end());
    std::string joined;
    for (const auto& t : tickets) joined += (joined.empty() ? "" : ",") + t;
    return joined;
  }

  const sys_days today = std::chrono::floor<days>(std::chrono::system_clock::now() + china);
  const sys_days yesterday = today - days(1);
};

TEST_F(KpiTest, LiveViewRollupsRecomputationAndRestartAgree) {
  simulate_morning(yesterday, 2500);
  auto port = start(config);
  ASSERT_NE(port, 0);
  EXPECT_EQ(simulator_result()["unacked"], 0);
  const auto expected = counted_in_sql(yesterday);
  ASSERT_TRUE(eventually([&] { return counted_in_rollups(yesterday) == expected; }))
      << "rollups " << counted_in_rollups(yesterday) << ", events " << expected;

  // The KPI API reads the same day back.
  auto kpi = json::parse(
      http_get(port,
               fmt::format("/api/v1/kpi?level=hall&code=4101001&from={0}&to={0}&granularity=day",
                           date_text(yesterday)))
          .body);
  ASSERT_EQ(kpi["series"].size(), 1u) << kpi.dump();
  EXPECT_EQ(
      fmt::format("{}/{}/{}", kpi["series"][0]["arrivals"].get<int>(),
                  kpi["series"][0]["served"].get<int>(), kpi["series"][0]["abandoned"].get<int>()),
      expected);
  EXPECT_GT(kpi["series"][0]["average_wait_min"].get<double>(), 0);
  // The same table for a spreadsheet: CSV (with a byte-order mark) and an Excel workbook.
  const auto table =
      fmt::format("/api/v1/kpi?level=hall&code=4101001&from={0}&to={0}&granularity=day&format=",
                  date_text(yesterday));
  auto csv = http_get(port, table + "csv");
  EXPECT_EQ(csv.headers["content-type"], "text/csv; charset=utf-8");
  EXPECT_THAT(csv.body, ::testing::StartsWith("\xEF\xBB\xBFperiod,arrivals,"));
  EXPECT_THAT(csv.body,
              ::testing::HasSubstr(fmt::format(",{},", kpi["series"][0]["arrivals"].get<int>())));
  auto xlsx = http_get(port, table + "xlsx");
  EXPECT_EQ(xlsx.status, 200);
  EXPECT_EQ(xlsx.headers["content-type"],
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
  EXPECT_THAT(xlsx.body, ::testing::StartsWith("PK"));
  EXPECT_THAT(xlsx.body, ::testing::HasSubstr("xl/worksheets/sheet1.xml"));
  EXPECT_EQ(http_get(port, table + "pdf").status, 400);

  // The live view: the queue the events left, the windows, the channel.
  auto live = json::parse(http_get(port, "/api/v1/halls/4101001/live").body);
  EXPECT_EQ(tickets_of(live), waiting_in_sql());
  EXPECT_EQ(live["waiting"], live["tickets"].size());
  EXPECT_EQ(live["windows"].size(), 3u);
  EXPECT_FALSE(live["predictions"].empty());
  // The simulator hung up once all was acknowledged; the hall's channel shows it.
  EXPECT_TRUE(eventually([&] {
    auto channels = json::parse(http_get(port, "/api/v1/halls/4101001/live").body)["channels"];
    return channels.size() == 1 && channels[0]["channel"] == "qs-4101001" &&
           channels[0]["up"] == false;
  }));

  log_after_stop();
  const auto live_rollups = rollups_before(today);

  // A recomputation from the log writes the same closed day.
  auto recomputed = halld_command({"recompute", "--config", config.string(), "--from",
                                   date_text(yesterday), "--to", date_text(today)});
  ASSERT_EQ(recomputed.exit_code, 0) << recomputed.output;
  EXPECT_EQ(rollups_before(today), live_rollups);

  // A restart restores the model from the snapshot its stop wrote: the same queue, the same
  // rollups.
  port = start(config);
  ASSERT_NE(port, 0);
  EXPECT_THAT(halld->output(),
              ::testing::ContainsRegex(
                  "model: restored [0-9]+ halls from the snapshot of .*; rebuilt 0 from"));
  auto rebuilt = json::parse(http_get(port, "/api/v1/halls/4101001/live").body);
  EXPECT_EQ(tickets_of(rebuilt), tickets_of(live));
  ASSERT_EQ(rebuilt["windows"].size(), live["windows"].size());
  for (std::size_t i = 0; i < live["windows"].size(); ++i) {
    for (const char* field : {"number", "state", "clerk", "ticket", "served_today"}) {
      EXPECT_EQ(rebuilt["windows"][i][field], live["windows"][i][field])
          << "window " << i << ": " << field;
    }
  }

  // The same from the web: a recomputation through the API, watched until it is done.
  auto recompute = [&](const json& body) {
    return http_request(port, "POST", "/api/v1/recomputations",
                        {{"Content-Type", "application/json"}}, body.dump());
  };
  auto started =
      recompute({{"from", date_text(yesterday)}, {"to", date_text(today)}, {"hall", "4101001"}});
  ASSERT_EQ(started.status, 202) << started.body;
  EXPECT_EQ(json::parse(started.body)["hall_days"], 2);
  const auto location = started.headers["location"];
  json finished;
  ASSERT_TRUE(eventually([&] {
    finished = json::parse(http_get(port, location).body);
    return finished["state"] != "running";
  }));
  EXPECT_EQ(finished["state"], "done") << finished.dump();
  EXPECT_EQ(finished["done"], 2);
  EXPECT_EQ(finished["percent"], 100);
  EXPECT_THAT(finished["requested_by"].get<std::string>(), ::testing::StartsWith("token:"));
  EXPECT_EQ(recompute({{"from", date_text(today)}, {"to", date_text(yesterday)}}).status, 422);
  EXPECT_EQ(recompute({{"from", "2026-13-01"}, {"to", date_text(today)}}).status, 422);
  EXPECT_EQ(recompute({{"from", date_text(today - days(3660))}, {"to", date_text(today)}}).status,
            422);
  EXPECT_EQ(
      recompute({{"from", date_text(today)}, {"to", date_text(today)}, {"hall", "9999999"}}).status,
      404);
  EXPECT_EQ(http_request(port, "POST", "/api/v1/recomputations",
                         {{"Content-Type", "application/json"}}, "{")
                .status,
            400);

  // A long one: another is refused while it runs; cancelled, it stops part-way.
  auto long_one = recompute({{"from", date_text(today - days(3000))}, {"to", date_text(today)}});
  ASSERT_EQ(long_one.status, 202) << long_one.body;
  EXPECT_EQ(json::parse(long_one.body)["hall_days"], 2 * 3001);
  auto busy = recompute({{"from", date_text(today)}, {"to", date_text(today)}});
  EXPECT_EQ(busy.status, 409);
  EXPECT_EQ(json::parse(busy.body)["error"]["code"], "busy");
  const auto long_location = long_one.headers["location"];
  EXPECT_EQ(http_request(port, "DELETE", long_location).status, 200);
  ASSERT_TRUE(eventually([&] {
    finished = json::parse(http_get(port, long_location).body);
    return finished["state"] == "cancelled";
  })) << finished.dump();
  EXPECT_LT(finished["done"].get<int>(), 2 * 3001);
  EXPECT_EQ(http_request(port, "DELETE", long_location).status, 409);
  auto recent = json::parse(http_get(port, "/api/v1/recomputations").body)["items"];
  ASSERT_EQ(recent.size(), 2u);
  EXPECT_EQ(recent[0]["state"], "cancelled");
  EXPECT_EQ(recent[1]["state"], "done");

  log_after_stop();
  EXPECT_EQ(rollups_before(today), live_rollups);
}

// Every message a stream client has received until it goes quiet for `quiet`.
std::vector<json> drain(WsClient& client,
                        std::chrono::milliseconds quiet = std::chrono::milliseconds(300)) {
  std::vector<json> messages;
  while (auto text = client.next(quiet)) messages.push_back(json::parse(*text));
  return messages;
}

// The live streams: a publication's changed halls come in one message, only those of the
// client's city, each as the fields that changed; applied over the snapshot, they end at what
// the live endpoints show.
TEST_F(KpiTest, LiveStreamsFollowTheHallsOfTheirScope) {
  start_simulator({"--events", "1500", "--rate", "600", "--windows", "3", "--start",
                   records::iso8601(Timestamp(yesterday))});
  const auto port = start(config);
  ASSERT_NE(port, 0);
  WsClient province(port, "/api/v1/live/stream");
  WsClient other_city(port, "/api/v1/live/stream?city=4103");
  WsClient one_hall(port, "/api/v1/live/stream?hall=4101001");
  ASSERT_TRUE(province.connected() && other_city.connected() && one_hall.connected())
      << province.error();
  EXPECT_EQ(simulator_result()["unacked"], 0);

  json province_last, hall_last;
  int summaries = 0, partial_entries = 0;
  ASSERT_TRUE(eventually([&] {
    for (const auto& m : drain(province)) {
      if (m["type"] == "overview") {
        for (const auto& h : m["overview"]["halls"])
          if (h["hall"] == "4101001") province_last = h;
        continue;
      }
      EXPECT_EQ(m["type"], "summaries");
      EXPECT_TRUE(m["published_ms"].is_number());
      std::set<std::string> codes;
      for (const auto& h : m["halls"]) {
        EXPECT_TRUE(codes.insert(h["hall"].get<std::string>()).second)
            << "a hall twice in one publication";
        EXPECT_GT(h.size(), 1u) << "an entry changes something";
        partial_entries += !h.contains("name");
        if (h["hall"] == "4101001") province_last.update(h);
      }
      ++summaries;
    }
    for (const auto& m : drain(one_hall)) {
      EXPECT_EQ(m["type"], "hall");
      hall_last = m["hall"];
    }
    json overview_now;
    const auto overview = json::parse(http_get(port, "/api/v1/live").body);
    for (const auto& h : overview["halls"]) {
      if (h["hall"] == "4101001") overview_now = h;
    }
    return province_last == overview_now &&
           hall_last == json::parse(http_get(port, "/api/v1/halls/4101001/live").body);
  })) << province_last.dump()
      << "\n"
      << hall_last.dump();
  EXPECT_GT(summaries, 1) << "the hall changed while the client watched";
  EXPECT_GT(partial_entries, 0) << "entries after a hall's first carry what changed, not the name";
  EXPECT_EQ(province_last["hall"], "4101001");

  auto elsewhere = drain(other_city);
  ASSERT_FALSE(elsewhere.empty());
  EXPECT_EQ(elsewhere[0]["type"], "overview");
  EXPECT_EQ(elsewhere[0]["overview"]["halls"].size(), 1u);
  for (const auto& m : elsewhere)
    EXPECT_EQ(m.dump().find("4101001"), std::string::npos) << m.dump();
}

TEST_F(KpiTest, EventsOfADayNoLongerHeldAreCountedByRebuildingThatDay) {
  const sys_days long_ago = today - days(3);
  simulate_morning(long_ago, 600);
  const auto port = start(config);
  ASSERT_NE(port, 0);
  EXPECT_EQ(simulator_result()["unacked"], 0);
  const auto expected = counted_in_sql(long_ago);
  ASSERT_TRUE(eventually([&] {
    return counted_in_rollups(long_ago) == expected &&
           db.query_value("SELECT count(*) FROM kpi_stale_day") == "0";
  })) << "rollups "
      << counted_in_rollups(long_ago) << ", events " << expected;
  EXPECT_THAT(http_get(port, "/metrics").body,
              ::testing::HasSubstr("halld_model_late_events_total 600"));
  // That day and the one after it (a window it left open stays open past midnight), and the
  // two days the model holds, loaded again.
  const auto log = log_after_stop();
  EXPECT_THAT(log, ::testing::HasSubstr("rebuilt 2 hall-day(s) of late events"));
  EXPECT_THAT(log, ::testing::HasSubstr("reloaded 1 hall(s) from the log after late events"));
}

}  // namespace
}  // namespace halld::testing
