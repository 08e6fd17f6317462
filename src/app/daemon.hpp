// Internal to app: the long-running server and the one-shot subcommands.
#pragma once

#include <filesystem>

#include "halld/core/config.hpp"

namespace halld::app {

int run_daemon(const Config& config);
int run_migrate(const Config& config);
int run_import(const Config& config, const std::filesystem::path& source, bool dry_run);

}  // namespace halld::app
