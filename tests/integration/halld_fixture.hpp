// The halld binary under test: a config of its own (own database, port 0, log in a temp
// dir), started and stopped by PID.
#pragma once

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <csignal>
#include <memory>
#include <thread>

#include "process.hpp"
#include "test_database.hpp"

namespace halld::testing {

using namespace std::chrono_literals;

// A config for one test run: its own database, port 0, logs in a temp dir.
class HalldTest : public ::testing::Test {
 protected:
  std::filesystem::path write_config(const std::string& extra_database = "", const std::string& extra_top = "",
                                     const std::string& log_level = "info") {
    // Acquisition batches are kept short so tests see events stored quickly.
    return dir.write("halld.toml", fmt::format(R"({}
shutdown_grace_s = 5
[http]
port = 0
web_root = "{}"
body_limit_bytes = 2048
header_limit_bytes = 2048
request_timeout_s = 2
[database]
conninfo = "{}"
startup_wait_s = 5
{}
[acquisition]
batch_delay_ms = 20
reconnect_max_s = 1
[log]
level = "{}"
file = "halld.log"
)", extra_top, (dir.path() / "web").string(), db.conninfo(), extra_database, log_level));
  }

  // Starts halld and waits until it listens; returns its port.
  std::uint16_t start(const std::filesystem::path& config) {
    dir.write("web/index.html", "<!doctype html><title>halld</title>");
    dir.write("outside.txt", "must not be served");
    halld = std::make_unique<Process>(HALLD_BINARY, std::vector<std::string>{"--config", config.string()},
                                      dir.path() / "stdout");
    const std::string listening = "HTTP listening on 127.0.0.1:";
    for (int i = 0; i < 600; ++i) {
      auto text = halld->output();
      if (auto at = text.find(listening); at != std::string::npos) {
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

  Completed halld_command(const std::vector<std::string>& args) { return run_program(HALLD_BINARY, args); }

  TestDatabase db;
  TempDir dir;
  std::unique_ptr<Process> halld;
};

}  // namespace halld::testing
