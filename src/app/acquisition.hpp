// Internal to app: the acquisition as one service (the DTU server, the channels with their links,
// the downlink dispatcher), the snapshot of the channels a start without the database reads, and
// that start.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "halld/acq/channel.hpp"
#include "halld/acq/ingest.hpp"
#include "halld/acq/protocols.hpp"
#include "halld/core/config.hpp"
#include "halld/core/service.hpp"
#include "halld/store/archive_store.hpp"

namespace halld::acq {
class CommandDispatcher;
class LinkMaker;
}  // namespace halld::acq

namespace halld::app {

// What the daemon does with each channel: before it starts (its observers), and once it has
// stopped for good (retired, or made again with new settings).
struct ChannelHooks {
  std::function<void(acq::Channel&)> before_start;
  std::function<void(const acq::Channel&)> after_stop;
};

using ChannelChanges = acq::ChannelChanges;

class Acquisition final : public Service {
 public:
  // With `commands`, the downlink dispatcher over the channels.
  Acquisition(const Config& config, asio::io_context& io, store::Database& database,
              acq::Ingest& ingest, MetricsRegistry& metrics, ChannelHooks hooks, bool commands);
  ~Acquisition() override;
  std::string_view name() const override { return "acquisition"; }
  void start() override;
  // Disconnects the devices, which resend what was not acknowledged; `done` runs at once.
  void stop(std::function<void()> done) override;

  // Brings the channels in line with `rows` (the enabled channels) speaking `protocols`: a new
  // channel is made (and started, once the service runs), a channel gone is stopped, a channel
  // whose settings or protocol description changed is stopped and made again; every other
  // channel keeps its connection. A device cut off resends what was not acknowledged, and
  // ingest's watermarks keep each event exactly once. Thread-safe; calls are serialised, and a
  // call whose `generation` (when its rows were read) is older than one applied already is
  // ignored (superseded: true).
  ChannelChanges apply(std::vector<store::ChannelRow> rows, const acq::Protocols& protocols,
                       std::uint64_t generation);
  std::vector<std::shared_ptr<acq::Channel>> channels() const;  // thread-safe snapshot
  // The channel's status, and for a TCP client one connection to its peer tried beside its own
  // ("probe"); null when no channel of that code runs.
  asio::awaitable<nlohmann::json> test(std::string code);

 private:
  struct Running {
    std::shared_ptr<acq::Channel> channel;
    std::string fingerprint;  // its settings and protocol: a change makes it again
  };
  // Throws std::invalid_argument when the channel cannot be made.
  std::shared_ptr<acq::Channel> make(store::ChannelRow row,
                                     std::shared_ptr<const proto::SessionCodec> codec);
  void retire(const Running& running);

  asio::any_io_executor executor_;
  acq::ChannelOptions options_;
  store::Database& database_;
  acq::Ingest& ingest_;
  MetricsRegistry& metrics_;
  ChannelHooks hooks_;
  std::unique_ptr<acq::LinkMaker> links_;
  std::mutex apply_mutex_;  // one reconciliation at a time
  std::uint64_t applied_generation_ = 0;
  mutable std::mutex channels_mutex_;        // channels_ and started_
  std::map<std::string, Running> channels_;  // by code
  // Channels stopped by a reconciliation, kept until their links no longer call them.
  std::vector<std::shared_ptr<acq::Channel>> stopping_;
  bool started_ = false;
  std::shared_ptr<acq::CommandDispatcher> commands_;
};

// Saves the channels and their sources beside the spool (a failure is logged, not thrown).
void write_snapshot(const Config& config, const store::AcquisitionSnapshot& snapshot);

enum class Outage : std::uint8_t {
  database_back,   // the database answers: start in full, replaying the spool first
  stopped,         // a signal asked halld to stop; what was acknowledged is in the spool
  cannot_acquire,  // no spool or no readable snapshot: nothing was started
};
// halld started while PostgreSQL is away: the channels of the last snapshot take events in and
// acknowledge them once they are in the spool, until the database answers or a signal asks
// halld to stop. Devices are disconnected when this ends and resend what was not acknowledged.
Outage acquire_while_database_away(const Config& config, store::Database& database);

}  // namespace halld::app
