#include "halld/acq/ingest.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace halld::acq {

Ingest::Ingest(asio::any_io_executor executor, store::Database& database, IngestLimits limits,
               MetricsRegistry& metrics, std::unique_ptr<Spool> spool)
    : strand_(asio::make_strand(executor)),
      database_(database),
      limits_(limits),
      spool_(std::move(spool)),
      loops_(strand_, "ingest"),
      wake_(strand_),
      stored_(metrics.counter("halld_ingest_events_stored_total",
                              "Events committed to the event log.")),
      duplicates_(metrics.counter("halld_ingest_duplicates_total",
                                  "Events dropped as resends of events already stored.")),
      restarts_(metrics.counter("halld_ingest_sequence_restarts_total",
                                "Sources whose sequence numbers started afresh (a new epoch, or "
                                "far below the highest).")),
      failed_batches_(metrics.counter("halld_ingest_failed_batches_total",
                                      "Batches the database refused or could not take.")),
      spooled_(metrics.counter("halld_ingest_events_spooled_total",
                               "Events written to the local spool while the database was away.")),
      replayed_(
          metrics.counter("halld_ingest_events_replayed_total",
                          "Spooled events replayed into the database (stored or found stored).")),
      batch_rows_(metrics.histogram("halld_ingest_batch_rows", "Events per committed batch.",
                                    {1, 10, 100, 1000, 5000, 20000})),
      commit_seconds_(metrics.histogram("halld_ingest_commit_seconds", "Time to commit one batch.",
                                        {0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5})) {
  metrics.gauge_callback("halld_ingest_pending", "Events received and not yet durable.",
                         [this] { return static_cast<double>(pending()); });
  metrics.gauge_callback("halld_ingest_spool_bytes", "Bytes in the local spool awaiting replay.",
                         [this] { return static_cast<double>(spool_bytes()); });
  if (spool_) {
    spool_bytes_ = spool_->bytes();
    if (spool_->damaged()) {
      spdlog::error(
          "ingest: {} is damaged at byte {}: cut {} bytes, which may have held acknowledged events",
          spool_->path().string(), spool_->bytes(), spool_->cut_bytes());
    } else if (spool_->cut_bytes() > 0) {
      spdlog::warn("ingest: cut a torn tail of {} bytes from {} (never acknowledged)",
                   spool_->cut_bytes(), spool_->path().string());
    }
    if (spool_->records() > 0) {
      spdlog::info("ingest: {} spooled events to replay from {}", spool_->records(),
                   spool_->path().string());
    }
  }
}

void Ingest::submit(std::vector<store::IngestRecord> group, OnDurable on_durable) {
  if (group.empty()) return;
  pending_ += group.size();
  const auto earliest = unobserved_.note(group);
  asio::post(strand_,
             [this, group = Group{std::move(group), 0, std::move(on_durable), earliest}]() mutable {
               const bool was_empty = queued_rows_ == 0;
               queued_rows_ += group.records.size();
               queue_.push_back(std::move(group));
               // The first events start the batch's delay; a full batch goes at once.
               if (was_empty || queued_rows_ >= limits_.max_batch_rows) wake_.cancel();
             });
}

std::optional<std::chrono::system_clock::time_point> Ingest::oldest_unobserved() const {
  return unobserved_.earliest();
}

void Ingest::start() {
  loops_.spawn("writer", writer());
}

void Ingest::stop(std::function<void()> done) {
  asio::post(strand_, [this, done = std::move(done)]() mutable {
    loops_.stop(std::move(done));
    wake_.cancel();
  });
}

std::vector<store::IngestRecord> Ingest::next_batch() const {
  // Records from the front groups, a group possibly split across batches.
  const std::size_t rows = std::min(queued_rows_, limits_.max_batch_rows);
  std::vector<store::IngestRecord> batch;
  batch.reserve(rows);
  for (auto group = queue_.begin(); batch.size() < rows; ++group) {
    for (std::size_t i = group->written; i < group->records.size() && batch.size() < rows; ++i) {
      batch.push_back(group->records[i]);
    }
  }
  return batch;
}

void Ingest::release(std::size_t rows) {
  queued_rows_ -= rows;
  pending_ -= rows;
  while (rows > 0) {
    Group& group = queue_.front();
    const std::size_t taken = std::min(rows, group.records.size() - group.written);
    group.written += taken;
    rows -= taken;
    if (group.written < group.records.size()) break;
    group.on_durable();
    unobserved_.forget(group.earliest);
    queue_.pop_front();
  }
}

void Ingest::note_restarts(const std::vector<store::SequenceRestart>& restarts) {
  // Rare (a device restarted or was replaced) and worth a line each: a restart nobody declared
  // can also be a device resending from a corrupted counter.
  for (const auto& r : restarts) {
    restarts_.inc();
    if (r.new_epoch && r.old_epoch != r.new_epoch) {
      spdlog::warn(
          "ingest: source {} declared sequence epoch {} (was {}): its numbering starts afresh at "
          "{} "
          "after {}",
          r.source_id, *r.new_epoch, r.old_epoch ? std::to_string(*r.old_epoch) : "none", r.to,
          r.from);
    } else {
      spdlog::warn(
          "ingest: source {} restarted its sequence numbers without a new epoch: {} is more than "
          "{} below "
          "the highest stored, {}; stored as a new numbering",
          r.source_id, r.to, store::resend_window, r.from);
    }
  }
}

void Ingest::warn_failure(std::string_view what, std::size_t rows, const std::exception& e) {
  // An outage fails an attempt every retry_delay; one line every 10 s says enough.
  ++failures_since_warning_;
  if (std::chrono::steady_clock::now() - last_warning_ > std::chrono::seconds(10)) {
    spdlog::warn("ingest: {} of {} events failed ({} failed attempts), retrying: {}", what, rows,
                 failures_since_warning_, e.what());
    last_warning_ = std::chrono::steady_clock::now();
    failures_since_warning_ = 0;
  }
}

bool Ingest::spool(const std::vector<store::IngestRecord>& batch) {
  try {
    const bool first = spool_->records() == 0;
    spool_->append(batch);
    spool_bytes_ = spool_->bytes();
    spooled_.inc(batch.size());
    if (observer_) observer_(batch);
    if (first)
      spdlog::warn("ingest: the database is away; spooling events to {}", spool_->path().string());
    return true;
  } catch (const std::exception& e) {
    warn_failure("spooling a batch", batch.size(), e);
    return false;
  }
}

asio::awaitable<bool> Ingest::store_batch(const std::vector<store::IngestRecord>& batch,
                                          std::string_view what, bool warn) {
  const auto started = std::chrono::steady_clock::now();
  try {
    auto job = [&batch, this](pqxx::connection& c) {
      return store::write_events(c, batch, partitions_);
    };
    auto pending = database_.run(std::move(job));
    store::BatchOutcome outcome = co_await std::move(pending);
    commit_seconds_.observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    stored_.inc(outcome.stored);
    duplicates_.inc(outcome.duplicates);
    note_restarts(outcome.restarts);
    batch_rows_.observe(static_cast<double>(batch.size()));
    if (observer_) observer_(batch);
    co_return true;
  } catch (const std::exception& e) {
    // write_events is all or nothing: none of the batch is stored.
    failed_batches_.inc();
    if (warn) warn_failure(what, batch.size(), e);
  }
  co_return false;
}

asio::awaitable<bool> Ingest::replay_spool() {
  auto chunk = spool_->peek(limits_.max_batch_rows);
  auto storing = store_batch(chunk, "replaying the spool", true);
  if (!co_await std::move(storing)) co_return false;
  replayed_.inc(chunk.size());
  spool_->consumed(chunk.size());
  if (spool_->drained()) {
    spool_->clear_if_drained();
    spdlog::info("ingest: the spool is replayed; writing to the database directly again");
  }
  spool_bytes_ = spool_->bytes();
  co_return true;
}

asio::awaitable<void> Ingest::writer() {
  boost::system::error_code woken;
  auto replay_due = std::chrono::steady_clock::now();
  for (;;) {
    const bool replay_now = spooling() && !spool_only_ &&
                            std::chrono::steady_clock::now() >= replay_due && !loops_.stopping();
    if (queued_rows_ == 0 && !replay_now) {
      if (loops_.stopping()) break;
      // Until the first event, the next replay attempt, or stop.
      if (spooling() && !spool_only_)
        wake_.expires_at(replay_due);
      else
        wake_.expires_after(std::chrono::hours(24));
      co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, woken));
      continue;
    }
    if (queued_rows_ > 0 && queued_rows_ < limits_.max_batch_rows && !loops_.stopping() &&
        !replay_now) {
      wake_.expires_after(limits_.max_delay);  // woken early when the batch fills up, or on stop
      co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, woken));
    }

    bool failed = false;
    if (queued_rows_ > 0) {
      auto batch = next_batch();
      if (spooling()) {
        // Behind spooled events: the database must see them first.
        failed = !spool(batch);
      } else {
        // With a spool, a refused batch goes there at once, so its failure is no warning yet.
        auto storing = store_batch(batch, "storing a batch", !spool_);
        failed = !co_await std::move(storing);
        if (failed && spool_ && spool(batch)) {
          failed = false;
          replay_due = std::chrono::steady_clock::now() + limits_.retry_delay;
        }
      }
      if (!failed) release(batch.size());
    }
    if (!failed && spooling() && !spool_only_ && !loops_.stopping() &&
        std::chrono::steady_clock::now() >= replay_due) {
      auto replay = replay_spool();
      const bool replayed = co_await std::move(replay);
      if (!replayed) replay_due = std::chrono::steady_clock::now() + limits_.retry_delay;
    }
    if (failed && loops_.stopping()) {
      // Not acknowledged, so the devices still hold these events and send them again.
      spdlog::warn(
          "ingest: stopping with {} events neither stored nor spooled; devices will resend them",
          queued_rows_);
      break;
    }
    if (failed) {  // (no co_await is allowed inside a catch handler)
      asio::steady_timer pause(strand_, limits_.retry_delay);
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, woken));
    }
  }
}

}  // namespace halld::acq
