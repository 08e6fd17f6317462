// The halld binary under test: a config of its own (own database, port 0, log in a temp
// dir), started and stopped by PID; and hall_sim, the simulated hall it dials.
#pragma once

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <csignal>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "http_client.hpp"
#include "process.hpp"
#include "test_database.hpp"

namespace halld::testing {

using namespace std::chrono_literals;

// A config for one test run: its own database, port 0, logs in a temp dir.
class HalldTest : public ::testing::Test {
 protected:
  std::filesystem::path write_config(const std::string& extra_database = "",
                                     const std::string& extra_top = "",
                                     const std::string& log_level = "info",
                                     const std::string& extra_sections = "",
                                     const std::string& extra_http = "",
                                     std::size_t body_limit = 2048) {
    // Acquisition batches and KPI flushes are kept short so tests see their results quickly.
    // A simulator paced by --rate runs its clock ahead of real time: a day ahead is accepted.
    return dir.write("halld.toml", fmt::format(R"({}
shutdown_grace_s = 5
[http]
port = 0
web_root = "{}"
body_limit_bytes = {}
header_limit_bytes = 2048
request_timeout_s = 2
header_timeout_s = 2
{}
[database]
conninfo = "{}"
startup_wait_s = 5
{}
[acquisition]
batch_delay_ms = 20
reconnect_max_s = 1
clock_ahead_s = 86400
{}
[kpi]
flush_interval_s = 1
snapshot_interval_s = 1
[log]
level = "{}"
file = "halld.log"
{}
)",
                                               extra_top, (dir.path() / "web").string(), body_limit,
                                               extra_http, db.conninfo(), extra_database,
                                               extra_acquisition, log_level, extra_sections));
  }

  // Starts halld and waits until it listens; returns its port.
  std::uint16_t start(const std::filesystem::path& config) {
    dir.write("web/index.html", "<!doctype html><title>halld</title>");
    dir.write("outside.txt", "must not be served");
    // A restart appends to the same output: only what this run printed counts.
    const auto stdout_file = dir.path() / "stdout";
    const auto earlier =
        std::filesystem::exists(stdout_file) ? std::filesystem::file_size(stdout_file) : 0;
    halld = std::make_unique<Process>(
        HALLD_BINARY, std::vector<std::string>{"--config", config.string()}, stdout_file);
    const std::string listening = "HTTP listening on 127.0.0.1:";
    for (int i = 0; i < 600; ++i) {
      auto text = halld->output();
      if (auto at = text.find(listening, earlier); at != std::string::npos) {
        if (api_token.empty()) {
          // The tests act as the province's administrator through an API token, as a city
          // company's system would (tests/integration/access_test.cpp tries the other roles);
          // its rate is well above what a test sends (the hostile suite walks every route).
          auto token =
              halld_command({"token", "--config", config.string(), "--name", "tests", "--role",
                             "province_admin", "--scope", "province", "--rate", "100000"});
          EXPECT_EQ(token.exit_code, 0) << token.output;
          if (auto secret = token.output.find("hld_"); secret != std::string::npos)
            api_token = token.output.substr(secret, 68);
        }
        default_headers()["Authorization"] = "Bearer " + api_token;
        // The token works (and halld knows it, should a test take the database away next).
        const auto port = static_cast<std::uint16_t>(std::stoi(text.substr(at + listening.size())));
        EXPECT_EQ(http_get(port, "/api/v1/session").status, 200);
        return static_cast<std::uint16_t>(std::stoi(text.substr(at + listening.size())));
      }
      if (!halld->running()) break;
      std::this_thread::sleep_for(50ms);
    }
    ADD_FAILURE() << "halld did not start:\n" << halld->output();
    return 0;
  }

  // halld's log once it has stopped: info lines are flushed only every second while it runs.
  std::string log_after_stop() {
    halld->signal(SIGTERM);
    EXPECT_EQ(halld->wait(10s), 0);
    return read_text(dir.path() / "halld.log");
  }

  Completed halld_command(const std::vector<std::string>& args) {
    return run_program(HALLD_BINARY, args);
  }

  std::string extra_acquisition;  // keys of [acquisition], for the next write_config
  TestDatabase db;
  TempDir dir;
  std::unique_ptr<Process> halld;
  std::string api_token;  // the province administrator's, made at the first start
};

// halld and a simulated hall 4101001 (tests/data/archives_small.json) that it dials.
class SimulatedHallTest : public HalldTest {
 protected:
  // Starts the simulator and imports the archives with a channel to it. Unless
  // `exit_when_acked` is false, the simulator ends once halld has acknowledged every event.
  void start_simulator(const std::vector<std::string>& extra, bool tap = false,
                       bool exit_when_acked = true) {
    std::filesystem::remove(dir.path() / "sim.port");
    std::vector<std::string> args = {"--listen",     "127.0.0.1:0",
                                     "--site",       "4101001",
                                     "--source",     "3",
                                     "--port-file",  (dir.path() / "sim.port").string(),
                                     "--stats-file", (dir.path() / "sim.json").string()};
    if (exit_when_acked) args.push_back("--exit-when-acked");
    args.insert(args.end(), extra.begin(), extra.end());
    simulator = std::make_unique<Process>(HALL_SIM_BINARY, args, dir.path() / "sim.out");
    ASSERT_TRUE(eventually([&] { return std::filesystem::exists(dir.path() / "sim.port"); }));
    const int port = std::stoi(read_text(dir.path() / "sim.port"));

    auto archives =
        nlohmann::json::parse(read_text(HALLD_SOURCE_DIR "/tests/data/archives_small.json"));
    archives["channels"][0]["host"] = "127.0.0.1";
    archives["channels"][0]["port"] = port;
    archives["channels"][0]["tap"] = tap;
    auto file = dir.write("archives.json", archives.dump());
    auto imported =
        run_program(HALLD_BINARY, {"import", "--config", config.string(), file.string()});
    ASSERT_EQ(imported.exit_code, 0) << imported.output;
  }

  // Waits for the simulator to see every event acknowledged, then reads its account.
  nlohmann::json simulator_result(std::chrono::seconds limit = 90s) {
    auto code = simulator->wait(limit);
    EXPECT_EQ(code, 0) << "simulator did not finish:\n"
                       << simulator->output() << "\nhalld:\n"
                       << (halld ? halld->output() : "");
    return nlohmann::json::parse(read_text(dir.path() / "sim.json"));
  }

  std::filesystem::path config = write_config();
  std::unique_ptr<Process> simulator;
};

}  // namespace halld::testing
