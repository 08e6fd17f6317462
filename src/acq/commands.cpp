#include "halld/acq/commands.hpp"

#include <spdlog/spdlog.h>

#include "halld/core/spawn.hpp"
#include "halld/store/command_store.hpp"

namespace halld::acq {

CommandDispatcher::CommandDispatcher(asio::any_io_executor executor, store::Database& database,
                                     ChannelList channels, MetricsRegistry& metrics,
                                     std::chrono::seconds answer_timeout)
    : executor_(std::move(executor)),
      database_(database),
      channels_(std::move(channels)),
      metrics_(metrics),
      answer_timeout_(answer_timeout),
      timer_(executor_) {}

void CommandDispatcher::start() {
  halld::spawn(executor_, "commands: dispatcher",
               [self = shared_from_this()]() -> asio::awaitable<void> {
                 auto running = self->run();
                 co_await std::move(running);
               });
}

void CommandDispatcher::stop() {
  asio::post(executor_, [self = shared_from_this()] {
    self->stopping_ = true;
    self->timer_.cancel();
  });
}

asio::awaitable<void> CommandDispatcher::run() {
  while (!stopping_) {
    try {
      auto cycling = cycle();
      co_await std::move(cycling);
    } catch (const std::exception& e) {
      // The database is away: commands wait in their table, and the next cycle tries again.
      spdlog::debug("commands: {}", e.what());
    }
    timer_.expires_after(std::chrono::milliseconds(500));
    boost::system::error_code ignored;
    co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
}

asio::awaitable<void> CommandDispatcher::cycle() {
  auto expiring = database_.run([timeout = answer_timeout_](pqxx::connection& c) {
    return store::expire_commands(c, timeout);
  });
  if (auto expired = co_await std::move(expiring); expired > 0) {
    ended("expired").inc(expired);
    spdlog::warn("commands: {} expired (not sent in time, or not answered within {} s)", expired,
                 answer_timeout_.count());
  }
  std::map<int, std::shared_ptr<Channel>> by_id;
  std::vector<int> ready;
  for (auto& channel : channels_()) {
    if (channel->logged_in()) ready.push_back(channel->id());
    by_id.emplace(channel->id(), std::move(channel));
  }
  if (ready.empty()) co_return;
  auto claiming =
      database_.run([ready](pqxx::connection& c) { return store::claim_commands(c, ready); });
  auto claimed = co_await std::move(claiming);
  for (auto& command : claimed) {
    by_id.at(command.channel_id)
        ->send_command(
            command.address, command.id, std::move(command.command),
            [self = shared_from_this()](std::int64_t id, std::string state, std::string detail) {
              self->record(id, std::move(state), std::move(detail));
            });
  }
}

void CommandDispatcher::record(std::int64_t command_id, std::string state, std::string detail) {
  halld::spawn(
      executor_, "commands: recording an answer",
      [self = shared_from_this(), command_id, state = std::move(state),
       detail = std::move(detail)]() -> asio::awaitable<void> {
        try {
          auto recording = self->database_.run([&](pqxx::connection& c) {
            return store::finish_command(c, command_id, state, detail);
          });
          if (!co_await std::move(recording)) {
            spdlog::warn(
                "command {}: answered '{}' after it had ended (expired); the record keeps the "
                "first ending",
                command_id, state);
            co_return;
          }
          self->ended(state).inc();
          spdlog::info("command {}: {}{}{}", command_id, state, detail.empty() ? "" : ": ", detail);
        } catch (const std::exception& e) {
          // Left 'sent'; the expiry marks it expired, which is the truth as far as the record goes.
          spdlog::warn("command {}: answer not recorded: {}", command_id, e.what());
        }
      });
}

Counter& CommandDispatcher::ended(const std::string& state) {
  return metrics_.counter("halld_commands_total", "Downlink commands by how they ended.",
                          {{"state", state}});
}

}  // namespace halld::acq
