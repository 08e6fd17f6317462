// acq/commands: carries queued downlink commands from the hall_command table to the channels and
// their answers back. Owns: the sending cycle (every half second: expire what is too old, claim
// what is queued for channels whose device is logged in, hand each to its channel) and the
// recording of answers. A command is sent at most once; one that cannot be sent, or gets no
// answer within the answer timeout, ends failed or expired — it is never repeated behind the
// operator's back. Must not touch: command encoding (proto/commands), links.
#pragma once

#include <map>
#include <memory>

#include "halld/acq/channel.hpp"
#include "halld/core/metrics.hpp"

namespace halld::acq {

class CommandDispatcher : public std::enable_shared_from_this<CommandDispatcher> {
 public:
  // `channels`: the channels running now (they come and go while halld runs).
  using ChannelList = std::function<std::vector<std::shared_ptr<Channel>>()>;
  CommandDispatcher(asio::any_io_executor executor, store::Database& database, ChannelList channels,
                    MetricsRegistry& metrics, std::chrono::seconds answer_timeout);
  void start();
  void stop();

 private:
  asio::awaitable<void> run();
  asio::awaitable<void> cycle();
  void record(std::int64_t command_id, std::string state, std::string detail);
  Counter& ended(const std::string& state);  // halld_commands_total{state}

  asio::any_io_executor executor_;
  store::Database& database_;
  ChannelList channels_;
  MetricsRegistry& metrics_;
  std::chrono::seconds answer_timeout_;
  asio::steady_timer timer_;
  bool stopping_ = false;
};

}  // namespace halld::acq
