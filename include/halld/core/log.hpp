// core/log: sets up spdlog's default logger (console, plus a rotating file when configured).
// Everything in halld logs through spdlog's default logger; only this file decides its sinks.
#pragma once

#include "halld/core/config.hpp"

namespace halld {

void init_logging(const LogConfig& config);
void set_log_level(std::string_view level);

}  // namespace halld
