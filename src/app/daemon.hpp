// Internal to app: the long-running server and the one-shot subcommands.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

#include "halld/core/config.hpp"

namespace halld::app {

int run_daemon(const Config& config);
int run_migrate(const Config& config);
int run_import(const Config& config, const std::filesystem::path& source, bool dry_run);

struct CommandRequest {
  std::string channel;
  std::uint32_t device = 0;
  std::string command;  // JSON
  std::chrono::seconds wait{0};        // for the device's answer; 0: queue and return
  std::chrono::seconds expires_in{300};  // not sent by then: expired
};
// Queues a downlink command (checked first) and, with a wait, reports the device's answer.
int run_command(const Config& config, const CommandRequest& request);

struct RecomputeRequest {
  std::chrono::sys_days first_day{};  // local days, both included
  std::chrono::sys_days last_day{};
  std::string hall;  // empty: every hall
};
// Rebuilds KPI rollups from the event log (the log is the truth; a changed KPI definition can be
// applied to the past this way).
int run_recompute(const Config& config, const RecomputeRequest& request);

}  // namespace halld::app
