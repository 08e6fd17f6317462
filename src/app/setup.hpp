// Internal to app: what the daemon and the subcommands share to reach the database and files.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "halld/core/config.hpp"
#include "halld/core/metrics.hpp"
#include "halld/store/database.hpp"

namespace halld::app {

// Who ran a command-line change, for its record.
std::string operating_system_user();

// The pool with every module's prepared statements.
std::unique_ptr<store::Database> open_database(const Config& config, MetricsRegistry& metrics,
                                               std::size_t threads);

// Waits up to startup_wait for the database, then brings the schema to this binary's version
// (or refuses, as configured). Returns an exit code, exit_ok when halld may go on; sets
// `unreachable` when the database could not be reached at all.
int prepare_schema(store::Database& database, const Config& config, bool* unreachable = nullptr);

// A whole file, refused above archive::max_file_bytes.
std::string read_file(const std::filesystem::path& path);

}  // namespace halld::app
