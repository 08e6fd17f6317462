// facility/facility: the halls' facility devices as one service — a Modbus poller for each
// enabled channel of protocol modbus, reconciled with the database like the acquisition's
// channels; their readings stored in batches (store/facility_store) and told to the live model
// (where the alarm rules' facility indicators read them); the facility writes queued as hall
// commands, claimed and carried out by the channel's poller, and their outcome recorded.
// Owns: the pollers, the readings on their way to the database, the write commands' cycle.
// Must not touch: the conversation on the line (facility/poller), the alarm rules.
#pragma once

#include <deque>

#include "halld/acq/protocols.hpp"
#include "halld/core/metrics.hpp"
#include "halld/core/service.hpp"
#include "halld/facility/poller.hpp"
#include "halld/link/stream_link.hpp"
#include "halld/store/database.hpp"
#include "halld/store/facility_store.hpp"

namespace halld::acq {
class LinkMaker;
}  // namespace halld::acq

namespace halld::facility {

struct FacilityOptions {
  std::chrono::milliseconds store_every{1000};
  std::chrono::milliseconds commands_every{500};
  std::size_t max_pending = 200'000;  // readings held while the database is away; older go
  link::Backoff backoff;
};

class Facility final : public Service {
 public:
  using Observer = std::function<void(int hall_id, const std::vector<records::FacilityReading>&)>;
  Facility(asio::any_io_executor executor, store::Database& database, MetricsRegistry& metrics,
           FacilityOptions options, const Clock& clock, Observer observer);
  ~Facility() override;
  std::string_view name() const override { return "facility"; }
  void start() override;
  // Stops the pollers and stores the readings held; `done` runs on the service's strand.
  void stop(std::function<void()> done) override;

  // The pollers brought in line with the enabled modbus channels among `rows` (the others are
  // the acquisition's), as app::Acquisition::apply does for its channels. Thread-safe.
  acq::ChannelChanges apply(const std::vector<store::ChannelRow>& rows,
                            const acq::Protocols& protocols, std::uint64_t generation);
  std::vector<acq::ChannelStatus> statuses() const;  // thread-safe
  // acq::test_channel of the channel; null when no Modbus channel of that code runs.
  asio::awaitable<nlohmann::json> test(std::string code);
  // A hall's facility devices: archive, model points with their latest values, comm state.
  nlohmann::json hall_json(int hall_id) const;  // thread-safe

 private:
  struct Running {
    std::shared_ptr<Poller> poller;
    std::string fingerprint;
  };
  asio::awaitable<void> store_loop();
  asio::awaitable<void> store_pending();
  asio::awaitable<void> command_loop();
  asio::awaitable<void> carry_out_commands();
  void take(int hall_id, const std::vector<records::FacilityReading>& readings);
  std::shared_ptr<Poller> poller_of_channel(int channel_id) const;

  asio::any_io_executor executor_;
  asio::strand<asio::any_io_executor> strand_;
  store::Database& database_;
  FacilityOptions options_;
  const Clock& clock_;
  Observer observer_;
  std::unique_ptr<acq::LinkMaker> links_;
  Loops loops_;
  Timer store_timer_;
  Timer command_timer_;

  std::mutex apply_mutex_;
  std::uint64_t applied_generation_ = 0;
  mutable std::mutex pollers_mutex_;
  std::map<std::string, Running> pollers_;  // by channel code
  bool started_ = false;

  std::mutex pending_mutex_;
  std::deque<store::StoredReading> pending_;

  Counter& readings_;
  Counter& dropped_;
  Counter& store_failures_;
  Counter& writes_done_;
  Counter& writes_failed_;
};

}  // namespace halld::facility
