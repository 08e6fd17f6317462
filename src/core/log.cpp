#include "halld/core/log.hpp"

#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace halld {

void init_logging(const LogConfig& config, LogDestination destination) {
  std::vector<spdlog::sink_ptr> sinks;
  sinks.push_back(std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  if (destination == LogDestination::console_and_file && !config.file.empty()) {
    std::filesystem::create_directories(std::filesystem::absolute(config.file).parent_path());
    sinks.push_back(std::make_shared<spdlog::sinks::rotating_file_sink_mt>(
        config.file.string(), config.max_file_bytes, config.max_files));
  }
  auto logger = std::make_shared<spdlog::logger>("halld", sinks.begin(), sinks.end());
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%-5l%$ [%t] %v");
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
  set_log_level(config.level);
  spdlog::flush_every(std::chrono::seconds(1));
}

void set_log_level(std::string_view level) {
  spdlog::set_level(spdlog::level::from_str(std::string(level)));
}

}  // namespace halld
