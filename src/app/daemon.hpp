// Internal to app: the long-running server and the one-shot subcommands.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

#include "halld/auth/principal.hpp"
#include "halld/core/config.hpp"

namespace halld::app {

int run_daemon(const Config& config);
int run_migrate(const Config& config);
int run_import(const Config& config, const std::filesystem::path& source, bool dry_run);

// Creates the first province administrator with a random password, printed once; does nothing
// when any user exists.
int run_first_admin(const Config& config, const std::string& username);

struct TokenRequest {
  std::string name;
  auth::Role role = auth::Role::monitor;
  auth::Scope scope;
  int requests_per_minute = 600;
  long days = 365;
};
// Creates an intranet API token and prints its secret (the only time it is shown).
int run_create_token(const Config& config, const TokenRequest& request);

struct CommandRequest {
  std::string channel;
  std::optional<std::uint32_t> device;   // nullopt: the channel's only device
  std::string command;                   // JSON
  std::chrono::seconds wait{0};          // for the device's answer; 0: queue and return
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

// One housekeeping run now (retention/housekeeper), or with `dry_run` what it would remove;
// prints it.
int run_housekeeping(const Config& config, bool dry_run);
// Loads a partition archive written by housekeeping back into the database.
int run_archive_load(const Config& config, const std::filesystem::path& archive);

// The active/standby nodes on the configured database and the lease, as JSON.
int run_ha_status(const Config& config);

// Checks a protocol description and, when `vectors` names a file, holds it to those vectors;
// prints what it found. Needs no configuration and no database.
int run_check_protocol(const std::string& description, const std::string& vectors);
// The protocol registry: each description file of acquisition.protocols_dir (read and checked,
// as the daemon reads them) and the descriptions the database holds, with versions, checksums
// and the channels that speak them.
int run_protocols(const Config& config);

}  // namespace halld::app
