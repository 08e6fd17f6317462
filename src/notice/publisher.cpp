#include "halld/notice/publisher.hpp"

#include <spdlog/spdlog.h>

namespace halld::notice {

Publisher::Publisher(asio::any_io_executor executor, store::Database& database,
                     MetricsRegistry& metrics, PublisherOptions options, const Clock& clock)
    : strand_(asio::make_strand(executor)),
      database_(database),
      options_(options),
      clock_(clock),
      loops_(strand_, "notice"),
      tick_timer_(strand_, clock),
      sent_(metrics.counter("halld_notice_commands_total",
                            "Commands that put up, refreshed or cleared a notice on a hall's "
                            "screens.")),
      undeliverable_(metrics.counter(
          "halld_notice_undeliverable_total",
          "Notices a hall could not be sent (no queue system, or it has not logged in).")),
      failures_(metrics.counter("halld_notice_sync_failures_total",
                                "Syncs of the halls' screens the database refused (retried).")) {}

void Publisher::start() {
  loops_.spawn("ticker", ticker());
}

void Publisher::stop(std::function<void()> done) {
  asio::post(strand_, [this, done = std::move(done)]() mutable {
    loops_.stop(std::move(done));
    tick_timer_.cancel();
  });
}

void Publisher::count(const std::vector<Delivery>& deliveries) {
  for (const auto& d : deliveries) (d.command_id ? sent_ : undeliverable_).inc();
}

asio::awaitable<void> Publisher::ticker() {
  while (!loops_.stopping()) {
    auto waiting = tick_timer_.wait(options_.tick);
    if (!co_await std::move(waiting) || loops_.stopping()) continue;
    const auto now = clock_.now_seconds();
    auto syncing = database_.run([now, sync = options_.sync](pqxx::connection& c) {
      pqxx::work tx(c);
      auto deliveries = sync_boards(tx, now, {}, sync);
      tx.commit();
      return deliveries;
    });
    try {
      const auto deliveries = co_await std::move(syncing);
      count(deliveries);
    } catch (const std::exception& e) {
      failures_.inc();
      spdlog::warn("notice: the halls' screens are synced at the next tick: {}", e.what());
    }
  }
}

}  // namespace halld::notice
