// notice/publisher: keeps every hall's screens in step with its notices as time passes — a
// scheduled notice goes up when its validity starts, an expired one comes down and the next in
// line takes its place, a long one is refreshed before the boards drop it, a lost command is
// sent again. Publications and withdrawals by operators sync their own halls at once (the API
// calls notice::sync_boards in the same transaction); the publisher catches everything else.
// Owns: its ticker. Must not touch: the notices themselves (operators and emergencies write them).
#pragma once

#include "halld/core/clock.hpp"
#include "halld/core/metrics.hpp"
#include "halld/core/service.hpp"
#include "halld/notice/store.hpp"
#include "halld/store/database.hpp"

namespace halld::notice {

struct PublisherOptions {
  std::chrono::milliseconds tick{std::chrono::seconds(5)};
  SyncOptions sync;
};

class Publisher final : public Service {
 public:
  Publisher(asio::any_io_executor executor, store::Database& database, MetricsRegistry& metrics,
            PublisherOptions options, const Clock& clock);
  std::string_view name() const override { return "notice"; }
  void start() override;
  void stop(std::function<void()> done) override;
  // Counts a sync's commands in the metrics: the ticker's and the API's alike. Thread-safe.
  void count(const std::vector<Delivery>& deliveries);
  const SyncOptions& sync_options() const { return options_.sync; }

 private:
  asio::awaitable<void> ticker();

  asio::strand<asio::any_io_executor> strand_;
  store::Database& database_;
  PublisherOptions options_;
  const Clock& clock_;
  Loops loops_;
  Timer tick_timer_;
  Counter& sent_;
  Counter& undeliverable_;
  Counter& failures_;
};

}  // namespace halld::notice
