// core/log: sets up spdlog's default logger (console, plus a rotating file when configured).
// Everything in halld logs through spdlog's default logger; only this file decides its sinks.
#pragma once

#include "halld/core/config.hpp"

namespace halld {

// The file belongs to the daemon. A one-shot subcommand run beside it writes to the console
// only: two processes appending through their own stdio buffers cut each other's lines.
enum class LogDestination { console_and_file, console };

void init_logging(const LogConfig& config,
                  LogDestination destination = LogDestination::console_and_file);
void set_log_level(std::string_view level);

}  // namespace halld
