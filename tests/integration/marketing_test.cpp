// The marketing system's WebService against halld (tools/marketing_sim inside hall_sim): a
// feed read whole through slow answers, SOAP Faults, cut answers, GBK, a service that is down
// and one that hangs — nothing lost, nothing doubled; the archive reconciled; counter
// applications linked to the tickets the same halls sent, with the accuracy measured against
// the simulator's truth; a wrong password is a clear, unretried failure.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "halld/records/event_json.hpp"
#include "halld_fixture.hpp"

namespace halld::testing {
namespace {

using nlohmann::json;

class MarketingTest : public SimulatedHallTest {
 protected:
  // The halls' events start five days back: 9000 events span about two simulated days, and every
  // application must be older than the linker's give-up time (6 h) whatever the time of day.
  void start_with_marketing(const std::string& events, const std::string& rate) {
    const auto start = records::iso8601(
        std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()) -
        std::chrono::hours(120));
    start_simulator({"--events",
                     events,
                     "--rate",
                     rate,
                     "--start",
                     start,
                     "--windows",
                     "4",
                     "--arrivals-per-hour",
                     "150",
                     "--hours",
                     "24h",
                     "--marketing-listen",
                     "127.0.0.1:0",
                     "--marketing-port-file",
                     (dir.path() / "mk.port").string(),
                     "--marketing-user",
                     "halld",
                     "--marketing-password",
                     "pw-1"},
                    false, false);
    ASSERT_TRUE(eventually([&] { return std::filesystem::exists(dir.path() / "mk.port"); }));
    marketing_port = static_cast<std::uint16_t>(std::stoi(read_text(dir.path() / "mk.port")));
  }
  std::filesystem::path marketing_config(const std::string& password) {
    return write_config("", "", "info",
                        fmt::format(R"([marketing]
url = "http://127.0.0.1:{}/marketing/services"
username = "halld"
password = "{}"
page_size = 50
interval_ms = 300
archive_interval_s = 2
read_timeout_s = 1
connect_timeout_ms = 500
attempts = 3
retry_delay_ms = 50
breaker_rounds = 2
breaker_pause_ms = 1000
)",
                                    marketing_port, password));
  }
  json simulator(const std::string& target) {
    auto answer = http_get(marketing_port, target);
    EXPECT_EQ(answer.status, 200) << target;
    return json::parse(answer.body);
  }
  long long count(const std::string& sql) { return std::stoll(db.query_value(sql)); }

  std::uint16_t marketing_port = 0;
};

TEST_F(MarketingTest, FaultsLoseNothingDoubleNothingAndLinksAreMeasured) {
  start_with_marketing("9000", "400");
  const auto port = start(marketing_config("pw-1"));
  ASSERT_TRUE(eventually([&] { return count("SELECT count(*) FROM business_application") > 50; }))
      << halld->output();

  // Everything a real service does wrong, in turn, while the halls go on.
  simulator("/control?fault=0.3&malformed=0.2&gbk=1&latency_ms=30");
  std::this_thread::sleep_for(4s);
  simulator("/control?fault=0&malformed=0&down=1");
  ASSERT_TRUE(eventually([&] {
    auto feeds = json::parse(http_get(port, "/api/v1/marketing/feeds").body);
    return feeds["connection"]["up"] == false && feeds["connection"]["circuit"] != "closed" &&
           feeds["connection"]["last_down_reason"].get<std::string>().find("HTTP 503") !=
               std::string::npos;
  })) << halld->output();
  auto channels = json::parse(http_get(port, "/api/v1/channels").body);
  const auto feed = std::find_if(channels["items"].begin(), channels["items"].end(),
                                 [](const json& c) { return c["code"] == "marketing"; });
  ASSERT_NE(feed, channels["items"].end()) << channels.dump();
  EXPECT_EQ((*feed)["state"], "down");
  EXPECT_THAT((*feed)["last_down_reason"].get<std::string>(), ::testing::HasSubstr("HTTP 503"));
  simulator("/control?down=0&stall=1");
  std::this_thread::sleep_for(3s);
  simulator("/control?stall=0&gbk=0&latency_ms=0");

  // Once the halls are done (every event made and acknowledged), halld holds exactly what the
  // marketing system holds.
  ASSERT_TRUE(eventually(
      [&] {
        if (!std::filesystem::exists(dir.path() / "sim.json")) return false;
        const auto halls = json::parse(read_text(dir.path() / "sim.json"));
        return halls["events"] == 9000 && halls["acks"] == 9000;
      },
      120s));
  json stats;
  ASSERT_TRUE(eventually(
      [&] {
        stats = simulator("/stats");
        return count("SELECT count(*) FROM business_application") ==
               stats["applications"].get<long long>();
      },
      60s))
      << stats.dump() << "\n"
      << halld->output();
  EXPECT_GT(stats["faults"].get<long long>(), 0);
  EXPECT_EQ(db.query_value("SELECT max(application_no) FROM business_application"),
            fmt::format("YX{:010}", stats["applications"].get<long long>()));
  EXPECT_GT(count("SELECT count(*) FROM marketing_comm_event WHERE state = 'down'"), 0);
  EXPECT_EQ(db.query_value("SELECT state FROM marketing_comm_event ORDER BY at DESC LIMIT 1"),
            "up");

  // The archive: the hall's clerks as the queue system names them came in; the archive's own,
  // which the marketing system does not list, wait for approval.
  EXPECT_EQ(count("SELECT count(*) FROM clerk WHERE staff_no LIKE '4101001-0%'"), 4);
  EXPECT_EQ(count("SELECT count(*) FROM marketing_archive_change WHERE state = 'pending' AND "
                  "kind = 'clerk'"),
            2);

  // Linking, against the simulator's truth.
  ASSERT_TRUE(eventually([&] {
    return count("SELECT count(*) FROM business_application WHERE link_state = 'waiting'") == 0;
  }))
      << db.query_value(
             "SELECT now() || ': ' || string_agg(application_no || ' hall ' || "
             "coalesce(hall_id::text, "
             "'-') || ' accepted ' || accepted_at, '; ') FROM (SELECT * FROM business_application "
             "WHERE link_state = 'waiting' ORDER BY accepted_at LIMIT 10) w");
  const auto truth = simulator("/truth");
  long long right = 0, wrong = 0, unlinked = 0;
  std::string rows = db.query_value(
      "SELECT string_agg(application_no || ' ' || coalesce(ticket, '-') || ' ' || "
      "coalesce(to_char(ticket_started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
      "'-'), ';') FROM business_application WHERE channel = 'counter'");
  std::istringstream lines(rows);
  for (std::string line; std::getline(lines, line, ';');) {
    std::istringstream fields(line);
    std::string number, ticket, started;
    fields >> number >> ticket >> started;
    ASSERT_TRUE(truth.contains(number)) << number;
    const auto& real = truth[number];
    if (ticket == "-")
      ++unlinked;
    else if (real["ticket"] == ticket && real["started"] == started)
      ++right;
    else
      ++wrong;
  }
  const double accuracy =
      static_cast<double>(right) / static_cast<double>(right + wrong + unlinked);
  std::cout << fmt::format(
      "linking: {} counter applications, {} to the right ticket, {} to a wrong one, "
      "{} to none: accuracy {:.1f}%\n",
      right + wrong + unlinked, right, wrong, unlinked, 100 * accuracy);
  // The simulator keys 3% under a colleague's number and 2% a quarter of an hour late.
  EXPECT_GE(accuracy, 0.88);

  const auto summary =
      json::parse(http_get(port, "/api/v1/marketing/summary?city=4101&from=" +
                                     records::iso8601(std::chrono::floor<std::chrono::seconds>(
                                                          std::chrono::system_clock::now()) -
                                                      std::chrono::hours(144)))
                      .body);
  EXPECT_EQ(summary["linking"]["linked"].get<long long>(), right + wrong);
  EXPECT_GT(summary["channels"]["online"].get<long long>() +
                summary["channels"]["mobile"].get<long long>(),
            0);
  EXPECT_FALSE(summary["classes"].empty());
  EXPECT_FALSE(summary["handling"].empty());
}

TEST_F(MarketingTest, AWrongPasswordIsAClearFailureAndNotHammered) {
  start_with_marketing("200", "200");
  const auto port = start(marketing_config("wrong"));
  json feeds;
  ASSERT_TRUE(eventually([&] {
    feeds = json::parse(http_get(port, "/api/v1/marketing/feeds").body);
    return feeds["connection"]["last_down_reason"].get<std::string>().find(
               "FailedAuthentication") != std::string::npos;
  })) << feeds.dump();
  std::this_thread::sleep_for(2s);
  // Not retried within a round, and paused by the circuit: a few requests, not hundreds.
  EXPECT_LT(simulator("/stats")["requests"].get<long long>(), 12);
  EXPECT_EQ(count("SELECT count(*) FROM business_application"), 0);
}

}  // namespace
}  // namespace halld::testing
