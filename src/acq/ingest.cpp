#include "halld/acq/ingest.hpp"

#include <spdlog/spdlog.h>

namespace halld::acq {

Ingest::Ingest(asio::any_io_executor executor, store::Database& database, IngestLimits limits,
               MetricsRegistry& metrics)
    : strand_(asio::make_strand(executor)),
      database_(database),
      limits_(limits),
      wake_(strand_),
      stored_(metrics.counter("halld_ingest_events_stored_total", "Events committed to the event log.")),
      duplicates_(metrics.counter("halld_ingest_duplicates_total",
                                  "Events dropped as resends of events already stored.")),
      failed_batches_(metrics.counter("halld_ingest_failed_batches_total",
                                      "Batches the database refused or could not take; retried.")),
      batch_rows_(metrics.histogram("halld_ingest_batch_rows", "Events per committed batch.",
                                    {1, 10, 100, 1000, 5000, 20000})),
      commit_seconds_(metrics.histogram("halld_ingest_commit_seconds", "Time to commit one batch.",
                                        {0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5})) {
  metrics.gauge_callback("halld_ingest_pending", "Events received and not yet durable.",
                         [this] { return static_cast<double>(pending()); });
}

void Ingest::submit(store::IngestRecord record, OnDurable on_durable) {
  ++pending_;
  asio::post(strand_, [this, item = Item{std::move(record), std::move(on_durable)}]() mutable {
    queue_.push_back(std::move(item));
    // The first event starts the batch's delay; a full batch goes at once.
    if (queue_.size() == 1 || queue_.size() >= limits_.max_batch_rows) wake_.cancel();
  });
}

void Ingest::start() { asio::co_spawn(strand_, writer(), asio::detached); }

void Ingest::stop(std::function<void()> done) {
  asio::post(strand_, [this, done = std::move(done)]() mutable {
    stopping_ = true;
    on_stopped_ = std::move(done);
    wake_.cancel();
  });
}

asio::awaitable<void> Ingest::writer() {
  boost::system::error_code woken;
  for (;;) {
    if (queue_.empty()) {
      if (stopping_) break;
      wake_.expires_after(std::chrono::hours(24));  // until the first event or stop
      co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, woken));
      continue;
    }
    if (queue_.size() < limits_.max_batch_rows && !stopping_) {
      wake_.expires_after(limits_.max_delay);  // woken early when the batch fills up, or on stop
      co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, woken));
    }
    const std::size_t rows = std::min(queue_.size(), limits_.max_batch_rows);
    std::vector<store::IngestRecord> batch;
    batch.reserve(rows);
    for (std::size_t i = 0; i < rows; ++i) batch.push_back(queue_[i].record);

    const auto started = std::chrono::steady_clock::now();
    bool failed = false;
    try {
      auto job = [&batch, this](pqxx::connection& c) { return store::write_events(c, batch, partitions_); };
      auto pending = database_.run(std::move(job));
      store::BatchOutcome outcome = co_await std::move(pending);
      commit_seconds_.observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
      stored_.inc(outcome.stored);
      duplicates_.inc(outcome.duplicates);
      batch_rows_.observe(static_cast<double>(rows));
      for (std::size_t i = 0; i < rows; ++i) {
        queue_.front().on_durable();
        queue_.pop_front();
      }
      pending_ -= rows;
    } catch (const std::exception& e) {
      // write_events is all or nothing, so the batch is simply still queued.
      failed_batches_.inc();
      if (stopping_) {
        // Not acknowledged, so the devices still hold these events and send them again.
        spdlog::warn("ingest: stopping with {} events not stored ({}); devices will resend them", queue_.size(),
                     e.what());
        break;
      }
      spdlog::warn("ingest: batch of {} events not stored, retrying: {}", rows, e.what());
      failed = true;
    }
    if (failed) {  // (no co_await is allowed inside the handler)
      asio::steady_timer pause(strand_, limits_.retry_delay);
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, woken));
    }
  }
  if (on_stopped_) on_stopped_();
}

}  // namespace halld::acq
