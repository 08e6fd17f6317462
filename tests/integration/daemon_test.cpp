// The halld executable as an operator runs it: subcommands, exit codes, HTTP endpoints, signals.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <thread>

#include "halld/core/asio.hpp"
#include "halld/store/migrations.hpp"
#include "halld_fixture.hpp"
#include "http_client.hpp"
#include "process.hpp"
#include "test_database.hpp"

namespace halld::testing {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

TEST_F(HalldTest, VersionAndUsage) {
  auto version = halld_command({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_THAT(version.output, HasSubstr("halld 0."));
  auto usage = halld_command({"frobnicate"});
  EXPECT_EQ(usage.exit_code, 2);
  EXPECT_THAT(usage.output, HasSubstr("usage:"));
}

TEST_F(HalldTest, MisspeltConfigKeyIsOneClearLineAndExitTwo) {
  auto config =
      dir.write("bad.toml", "[database]\nconninfo = \"x\"\n[http]\nlisten_adress = \"0.0.0.0\"\n");
  for (auto args : {std::vector<std::string>{"check-config", config.string()},
                    std::vector<std::string>{"--config", config.string()}}) {
    auto result = halld_command(args);
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_EQ(
        result.output,
        "halld: config error: bad.toml:4:1: unknown key 'http.listen_adress'; expected one of: "
        "body_limit_bytes, header_limit_bytes, header_timeout_s, idle_timeout_s, listen, "
        "max_connections, "
        "max_connections_per_address, port, request_timeout_s, tls_certificate, tls_private_key, "
        "web_root\n");
  }
  EXPECT_EQ(halld_command({"check-config", write_config().string()}).exit_code, 0);
  auto example = halld_command({"check-config", HALLD_SOURCE_DIR "/config/halld.example.toml"});
  EXPECT_EQ(example.exit_code, 0) << "the documented example must stay valid: " << example.output;
}

TEST_F(HalldTest, AProtocolDescriptionIsCheckedAndHeldToItsVectorsFromTheCommandLine) {
  const std::string described = HALLD_SOURCE_DIR "/tests/data/protocols/described/";
  auto good =
      halld_command({"check-protocol", HALLD_SOURCE_DIR "/config/protocols/vendor_text_queue.yaml",
                     described + "vendor_text_queue.vectors.json"});
  EXPECT_EQ(good.exit_code, 0) << good.output;
  EXPECT_THAT(good.output, HasSubstr("protocol vendor_text_queue version 1 (text), 11 messages: "
                                     "6 events, 0 commands, sha256 "));
  EXPECT_THAT(good.output, HasSubstr("all 9 vectors hold"));

  auto text = read_text(HALLD_SOURCE_DIR "/config/protocols/vendor_binary_queue.yaml");
  text.replace(text.find("algorithm: xor"), 14, "algorithm: crc32");
  auto broken = halld_command({"check-protocol", dir.write("broken.yaml", text).string()});
  EXPECT_EQ(broken.exit_code, 1);
  EXPECT_THAT(broken.output,
              HasSubstr("line 21: 'algorithm' must be crc16_modbus, crc16_ccitt, xor or sum"));

  auto vectors = nlohmann::json::parse(read_text(described + "vendor_text_queue.vectors.json"));
  vectors[1]["event"]["ticket"] = "A016";
  auto wrong =
      halld_command({"check-protocol", HALLD_SOURCE_DIR "/config/protocols/vendor_text_queue.yaml",
                     dir.write("wrong.json", vectors.dump()).string()});
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_THAT(wrong.output, HasSubstr("take: read as "));
  EXPECT_THAT(wrong.output, ::testing::Not(HasSubstr("all 9 vectors hold")));
}

// The description files of acquisition.protocols_dir enter the registry at start and again on
// SIGHUP: a new file is registered, a removed one retired, a broken one named with its line and
// left out; `halld protocols` lists both; a file's description is not the API's to change.
TEST_F(HalldTest, DescriptionFilesEnterTheRegistryAtStartAndOnSighup) {
  const auto files = dir.path() / "protocols";
  std::filesystem::create_directories(files);
  std::filesystem::copy_file(HALLD_SOURCE_DIR "/config/protocols/vendor_text_queue.yaml",
                             files / "vendor_text_queue.yaml");
  extra_acquisition = "protocols_dir = \"" + files.string() + "\"";
  const auto config = write_config("", "", "info", "", "", 64 * 1024);
  const auto port = start(config);
  ASSERT_NE(port, 0);
  const auto registry = [&] {
    std::map<std::string, std::string> state;  // name → origin, or "retired"
    const auto listed = nlohmann::json::parse(http_get(port, "/api/v1/protocols").body);
    for (const auto& p : listed["items"])
      state[p["name"]] = p["retired_at"].is_null() ? p["origin"].get<std::string>() : "retired";
    return state;
  };
  EXPECT_EQ(registry(), (std::map<std::string, std::string>{{"vendor_text_queue", "file"}}));
  auto taken = http_request(
      port, "PUT", "/api/v1/protocols/vendor_text_queue", {{"Content-Type", "application/json"}},
      nlohmann::json{{"text", read_text(files / "vendor_text_queue.yaml")}}.dump());
  EXPECT_EQ(taken.status, 409) << taken.body;
  EXPECT_THAT(taken.body, HasSubstr("SIGHUP"));
  // Vectors sent with a description are held to it before anything else: ones it fails refuse
  // it (422, each disagreement listed); ones it passes let the request on (here to the 409).
  auto vectors = nlohmann::json::parse(
      read_text(HALLD_SOURCE_DIR "/tests/data/protocols/described/vendor_text_queue.vectors.json"));
  const nlohmann::json good_upload = {{"text", read_text(files / "vendor_text_queue.yaml")},
                                      {"vectors", vectors}};
  EXPECT_EQ(http_request(port, "PUT", "/api/v1/protocols/vendor_text_queue",
                         {{"Content-Type", "application/json"}}, good_upload.dump())
                .status,
            409);
  vectors[0]["hex"] = "00";
  auto failing = http_request(
      port, "PUT", "/api/v1/protocols/vendor_text_queue", {{"Content-Type", "application/json"}},
      nlohmann::json{{"text", good_upload["text"]}, {"vectors", vectors}}.dump());
  EXPECT_EQ(failing.status, 422) << failing.body;
  EXPECT_THAT(failing.body, HasSubstr("vectors_failed"));
  EXPECT_EQ(nlohmann::json::parse(failing.body)["error"]["details"]["disagreements"].size(), 1u);

  std::filesystem::copy_file(HALLD_SOURCE_DIR "/config/protocols/vendor_binary_queue.yaml",
                             files / "vendor_binary_queue.yaml");
  std::filesystem::remove(files / "vendor_text_queue.yaml");
  dir.write("protocols/broken.yaml", "protocol: broken\nfamily: queue_eval\nkind: sideways\n");
  halld->signal(SIGHUP);
  EXPECT_TRUE(eventually([&] {
    return registry() == std::map<std::string, std::string>{{"vendor_binary_queue", "file"},
                                                            {"vendor_text_queue", "retired"}};
  }));
  const auto listed = halld_command({"protocols", "--config", config.string()});
  EXPECT_EQ(listed.exit_code, 1) << "a refused file is a failure: " << listed.output;
  EXPECT_THAT(listed.output, HasSubstr("1 described, 1 refused"));
  EXPECT_THAT(listed.output, HasSubstr("broken.yaml: line 3: 'kind' must be binary or text"));
  EXPECT_THAT(listed.output, HasSubstr("registry: 2 description(s)"));
  EXPECT_THAT(listed.output, HasSubstr("retired; no channel speaks it"));
  const auto log = log_after_stop();
  EXPECT_THAT(log, HasSubstr("broken.yaml: line 3: 'kind' must be binary or text"));
}

TEST_F(HalldTest, ServesHealthMetricsArchivesAndStaticFiles) {
  auto config = write_config();
  auto imported = halld_command(
      {"import", "--config", config.string(), HALLD_SOURCE_DIR "/tests/data/archives_small.json"});
  ASSERT_EQ(imported.exit_code, 0) << imported.output;
  EXPECT_THAT(imported.output,
              HasSubstr("imported 2 cities, 1 business types, 1 customer classes, 2 halls"));
  auto port = start(config);
  ASSERT_NE(port, 0);

  EXPECT_EQ(http_get(port, "/healthz").body, R"({"status":"ok"})");
  auto ready = http_get(port, "/readyz");
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(json::parse(ready.body)["status"], "ready");

  auto halls = http_get(port, "/api/v1/halls?city=4101");
  EXPECT_EQ(halls.status, 200);
  EXPECT_EQ(halls.headers["content-type"], "application/json; charset=utf-8");
  EXPECT_EQ(json::parse(halls.body)["items"][0]["code"], "4101001");
  auto hall = http_get(port, "/api/v1/halls/4101001");
  EXPECT_EQ(json::parse(hall.body)["windows"].size(), 3u);
  EXPECT_EQ(http_get(port, "/api/v1/halls/none").status, 404);
  EXPECT_EQ(json::parse(http_get(port, "/api/v1/halls?limit=0").body)["error"]["code"],
            "bad_query");
  EXPECT_EQ(json::parse(http_get(port, "/api/v1/nothing").body)["error"]["code"], "not_found");
  EXPECT_EQ(http_request(port, "DELETE", "/api/v1/halls").status, 405);
  EXPECT_EQ(json::parse(http_get(port, "/api/v1/openapi.json").body)["info"]["title"], "halld");
  EXPECT_EQ(json::parse(http_get(port, "/api/v1/business-types").body)["total"], 25);
  EXPECT_EQ(json::parse(http_get(port, "/api/v1/customer-classes").body)["items"][0]["code"],
            "premium");
  EXPECT_EQ(json::parse(http_get(port, "/api/v1/cities").body)["total"], 2);

  auto index = http_get(port, "/");
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.headers["content-type"], "text/html; charset=utf-8");
  EXPECT_EQ(index.headers["x-content-type-options"], "nosniff");
  auto head = http_request(port, "HEAD", "/index.html");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.headers["content-length"], std::to_string(index.body.size()));
  for (const char* target : {"/../outside.txt", "/%2e%2e/outside.txt", "/..%2foutside.txt"}) {
    auto answer = raw_exchange(
        port, fmt::format("GET {} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", target));
    EXPECT_THAT(answer, HasSubstr("404 Not Found")) << target;
    EXPECT_THAT(answer, Not(HasSubstr("must not be served"))) << target;
  }

  auto metrics = http_get(port, "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_THAT(
      metrics.body,
      HasSubstr("halld_http_requests_total{route=\"/api/v1/halls/{code}\",code=\"200\"} 1"));
  EXPECT_THAT(metrics.body, HasSubstr(fmt::format("halld_schema_version {}",
                                                  store::known_migrations().back().version)));
  EXPECT_THAT(metrics.body, HasSubstr("halld_db_pool_size 4"));
  // Every coroutine's escaped exception is counted (and logged); a healthy start has none.
  EXPECT_THAT(metrics.body, HasSubstr("halld_coroutine_failures_total 0"));
  EXPECT_THAT(halld->output(), Not(HasSubstr("ended by an exception")));
  auto metrics_file = dir.write("metrics.txt", metrics.body);
  auto check = run_program("/bin/sh", {"-c", "promtool check metrics < " + metrics_file.string()});
  EXPECT_EQ(check.exit_code, 0) << check.output;
}

TEST_F(HalldTest, RefusesOversizedAndMalformedRequests) {
  auto port = start(write_config());
  ASSERT_NE(port, 0);
  auto big_body = raw_exchange(
      port, "POST /api/v1/halls HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" +
                std::string(4096, 'x'));
  EXPECT_THAT(big_body, HasSubstr("413 Payload Too Large"));
  auto big_head = raw_exchange(
      port, "GET / HTTP/1.1\r\nHost: x\r\nX-Filler: " + std::string(4096, 'y') + "\r\n\r\n");
  EXPECT_THAT(big_head, HasSubstr("431"));
  auto garbage = raw_exchange(port, "\x16\x03\x01 this is not http\r\n\r\n");
  EXPECT_THAT(garbage, HasSubstr("400 Bad Request"));
  auto bad_escape = raw_exchange(port, "GET /api/v1/halls?q=%zz HTTP/1.1\r\nHost: x\r\n\r\n", 1000);
  EXPECT_THAT(bad_escape, HasSubstr("bad_target"));
  // Half a request head is cut off after header_timeout_s (2 s here), with no answer.
  const auto sent = std::chrono::steady_clock::now();
  EXPECT_EQ(raw_exchange(port, "GET /healthz HTTP/1.1\r\nHost: x\r\n", 8000), "");
  EXPECT_LT(std::chrono::steady_clock::now() - sent, 6s);
  EXPECT_EQ(http_get(port, "/healthz").status, 200) << "still serving";
  // The timed-out connection is counted once its coroutine resumes, which a loaded machine may
  // do after the client has already seen the close.
  std::string metrics;
  EXPECT_TRUE(eventually([&] {
    metrics = http_get(port, "/metrics").body;
    return metrics.find("halld_http_bad_requests_total 4\n") != std::string::npos;
  })) << metrics.substr(metrics.find("halld_http_bad_requests_total"), 80);
}

TEST_F(HalldTest, SigtermFinishesTheRequestInFlightThenExitsZero) {
  auto port = start(write_config());
  ASSERT_NE(port, 0);
  // Hold a lock that /readyz must wait for, so its request is in flight when SIGTERM comes.
  pqxx::connection blocker(db.conninfo());
  pqxx::work lock(blocker);
  lock.exec("LOCK TABLE schema_migrations IN ACCESS EXCLUSIVE MODE");
  std::optional<HttpResult> in_flight;
  std::thread client([&] { in_flight = http_get(port, "/readyz"); });
  std::this_thread::sleep_for(300ms);
  halld->signal(SIGTERM);
  std::this_thread::sleep_for(300ms);
  EXPECT_TRUE(halld->running()) << "waits for the request in flight";
  lock.abort();
  client.join();
  ASSERT_TRUE(in_flight);
  EXPECT_EQ(in_flight->status, 200);
  EXPECT_EQ(halld->wait(10s), 0);
  EXPECT_THAT(read_text(dir.path() / "halld.log"), HasSubstr("halld stopped"));
}

TEST_F(HalldTest, IdleKeepAliveConnectionsDoNotDelayShutdown) {
  auto port = start(write_config());
  ASSERT_NE(port, 0);
  asio::io_context io;
  asio::ip::tcp::socket idle(io);
  idle.connect({asio::ip::make_address("127.0.0.1"), port});
  std::this_thread::sleep_for(100ms);
  const auto started = std::chrono::steady_clock::now();
  halld->signal(SIGINT);
  EXPECT_EQ(halld->wait(10s), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
}

TEST_F(HalldTest, SighupReloadsWhatItCanAndNamesTheRest) {
  auto config = write_config();
  auto port = start(config);
  ASSERT_NE(port, 0);
  auto text = read_text(config);
  text.replace(text.find("level = \"info\""), 14, "level = \"debug\"");
  text.replace(text.find("port = 0"), 8, "port = 1");
  dir.write("halld.toml", text);
  halld->signal(SIGHUP);
  ASSERT_TRUE(
      eventually([&] { return halld->output().find("SIGHUP: changed") != std::string::npos; }));
  EXPECT_THAT(halld->output(), HasSubstr("SIGHUP: applied log.level"));
  EXPECT_THAT(halld->output(), HasSubstr("SIGHUP: changed but only applied at restart: http.port"));
  dir.write("halld.toml", "[database]\nconinfo = 1\n");
  halld->signal(SIGHUP);
  std::this_thread::sleep_for(300ms);
  EXPECT_THAT(halld->output(), HasSubstr("configuration not reloaded"));
  EXPECT_EQ(http_get(port, "/healthz").status, 200) << "a bad reload keeps the server running";
}

TEST_F(HalldTest, RefusesANewerSchema) {
  auto config = write_config();
  ASSERT_EQ(halld_command({"migrate", "--config", config.string()}).exit_code, 0);
  db.exec("INSERT INTO schema_migrations (version, name) VALUES (999, 'future')");
  halld = std::make_unique<Process>(
      HALLD_BINARY, std::vector<std::string>{"--config", config.string()}, dir.path() / "out");
  EXPECT_EQ(halld->wait(30s), 3);
  EXPECT_THAT(halld->output(), HasSubstr("newer than this halld knows"));
  EXPECT_EQ(halld_command({"migrate", "--config", config.string()}).exit_code, 3);
}

TEST_F(HalldTest, RefusesADatabaseWhoseMigrationsAreAnotherBuilds) {
  auto config = write_config();
  ASSERT_EQ(halld_command({"migrate", "--config", config.string()}).exit_code, 0);
  db.exec("UPDATE schema_migrations SET checksum = repeat('0', 64) WHERE version = 9");
  halld = std::make_unique<Process>(
      HALLD_BINARY, std::vector<std::string>{"--config", config.string()}, dir.path() / "out");
  EXPECT_EQ(halld->wait(30s), 3);
  EXPECT_THAT(halld->output(), HasSubstr("migration 0009_kpi_rollups was applied with checksum "
                                         "000000000000"));
  EXPECT_THAT(halld->output(), HasSubstr("refusing to start"));
  const auto migrating = halld_command({"migrate", "--config", config.string()});
  EXPECT_EQ(migrating.exit_code, 3);
  EXPECT_THAT(migrating.output, HasSubstr("made by another build"));
}

TEST_F(HalldTest, OldSchemaIsRefusedWhenConfiguredSo) {
  auto config = write_config("on_old_schema = \"refuse\"");
  halld = std::make_unique<Process>(
      HALLD_BINARY, std::vector<std::string>{"--config", config.string()}, dir.path() / "out");
  EXPECT_EQ(halld->wait(30s), 3);
  EXPECT_THAT(halld->output(), HasSubstr("run 'halld migrate'"));
  EXPECT_EQ(db.query_value("SELECT to_regclass('hall') IS NULL"), "t");
}

TEST_F(HalldTest, RejectedImportListsProblemsAndChangesNothing) {
  auto config = write_config();
  auto doc = json::parse(read_text(HALLD_SOURCE_DIR "/tests/data/archives_small.json"));
  doc["halls"][1]["opening_hours"]["mon"] = "9-5";
  auto file = dir.write("bad.json", doc.dump());
  auto result = halld_command({"import", "--config", config.string(), file.string()});
  EXPECT_EQ(result.exit_code, 4);
  EXPECT_THAT(result.output, HasSubstr("bad.json: halls[1].opening_hours.mon: expects"));
  EXPECT_THAT(result.output, HasSubstr("rejected with 1 problem(s); nothing was imported"));
  EXPECT_EQ(db.query_value("SELECT count(*) FROM hall"), "0");
}

TEST_F(HalldTest, ImportsAFolderOfCsvFiles) {
  auto config = write_config();
  dir.write("csv/cities.csv", "code,name\n4101,国网郑州供电公司\n");
  dir.write("csv/halls.csv",
            "code,name,city,latitude,longitude,mon\n4101009,\"金水区营业厅, "
            "北区\",4101,34.7,113.6,08:30-17:30\n");
  dir.write("csv/clerks.csv", "hall,staff_no,name\n4101009,S1,王芳\n");
  auto result =
      halld_command({"import", "--config", config.string(), (dir.path() / "csv").string()});
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(db.query_value("SELECT name FROM hall WHERE code = '4101009'"), "金水区营业厅, 北区");
  EXPECT_EQ(db.query_value("SELECT count(*) FROM clerk"), "1");
}

TEST_F(HalldTest, UnreachableDatabaseIsOneLineAndExitOne) {
  auto config =
      dir.write("unreachable.toml",
                "[database]\nconninfo = \"host=127.0.0.1 port=1 dbname=x\"\nstartup_wait_s = 0\n");
  auto result = halld_command({"--config", config.string()});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.output, HasSubstr("database unreachable"));
}

}  // namespace
}  // namespace halld::testing
