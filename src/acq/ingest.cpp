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

void Ingest::submit(std::vector<store::IngestRecord> group, OnDurable on_durable) {
  if (group.empty()) return;
  pending_ += group.size();
  asio::post(strand_, [this, group = Group{std::move(group), 0, std::move(on_durable)}]() mutable {
    const bool was_empty = queued_rows_ == 0;
    queued_rows_ += group.records.size();
    queue_.push_back(std::move(group));
    // The first events start the batch's delay; a full batch goes at once.
    if (was_empty || queued_rows_ >= limits_.max_batch_rows) wake_.cancel();
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
    if (queued_rows_ == 0) {
      if (stopping_) break;
      wake_.expires_after(std::chrono::hours(24));  // until the first event or stop
      co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, woken));
      continue;
    }
    if (queued_rows_ < limits_.max_batch_rows && !stopping_) {
      wake_.expires_after(limits_.max_delay);  // woken early when the batch fills up, or on stop
      co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, woken));
    }
    // The batch: records from the front groups, a group possibly split across batches.
    const std::size_t rows = std::min(queued_rows_, limits_.max_batch_rows);
    std::vector<store::IngestRecord> batch;
    batch.reserve(rows);
    for (auto group = queue_.begin(); batch.size() < rows; ++group) {
      for (std::size_t i = group->written; i < group->records.size() && batch.size() < rows; ++i) {
        batch.push_back(group->records[i]);
      }
    }

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
      for (std::size_t left = rows; left > 0;) {
        Group& group = queue_.front();
        const std::size_t taken = std::min(left, group.records.size() - group.written);
        group.written += taken;
        left -= taken;
        if (group.written < group.records.size()) break;
        group.on_durable();
        queue_.pop_front();
      }
      queued_rows_ -= rows;
      pending_ -= rows;
    } catch (const std::exception& e) {
      // write_events is all or nothing, so the batch is simply still queued.
      failed_batches_.inc();
      if (stopping_) {
        // Not acknowledged, so the devices still hold these events and send them again.
        spdlog::warn("ingest: stopping with {} events not stored ({}); devices will resend them", queued_rows_,
                     e.what());
        break;
      }
      // An outage fails a batch every retry_delay; one line every 10 s says enough.
      ++failures_since_warning_;
      if (std::chrono::steady_clock::now() - last_warning_ > std::chrono::seconds(10)) {
        spdlog::warn("ingest: batch of {} events not stored, retrying ({} failed attempts): {}", rows,
                     failures_since_warning_, e.what());
        last_warning_ = std::chrono::steady_clock::now();
        failures_since_warning_ = 0;
      }
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
