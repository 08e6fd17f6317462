// Internal to app: the acquisition as one service (the DTU server, the channels with their links,
// the downlink dispatcher), the snapshot of the channels a start without the database reads, and
// that start.
#pragma once

#include <memory>
#include <vector>

#include "halld/acq/channel.hpp"
#include "halld/acq/ingest.hpp"
#include "halld/core/config.hpp"
#include "halld/core/service.hpp"
#include "halld/store/archive_store.hpp"

namespace halld::acq {
class CommandDispatcher;
class LinkMaker;
}  // namespace halld::acq

namespace halld::app {

class Acquisition final : public Service {
 public:
  // The channels of `rows`, each with its link (a channel whose link cannot be made is logged
  // and left out); with `commands`, the downlink dispatcher over them.
  Acquisition(const Config& config, asio::io_context& io, store::Database& database,
              acq::Ingest& ingest, MetricsRegistry& metrics, std::vector<store::ChannelRow> rows,
              bool commands);
  ~Acquisition() override;
  std::string_view name() const override { return "acquisition"; }
  void start() override;
  // Disconnects the devices, which resend what was not acknowledged; `done` runs at once.
  void stop(std::function<void()> done) override;
  const std::vector<std::shared_ptr<acq::Channel>>& channels() const { return channels_; }

 private:
  std::unique_ptr<acq::LinkMaker> links_;
  std::vector<std::shared_ptr<acq::Channel>> channels_;
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
