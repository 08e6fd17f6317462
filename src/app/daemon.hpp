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

}  // namespace halld::app
