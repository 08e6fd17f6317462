// acq/ingest: the one path from sessions to the event log. Owns: batching (by rows or by
// delay), the single writer that runs store::write_events on the database pool, retries while
// the database is away, and the durability callbacks. Events come in groups (what one read from
// a link delivered); a group's callback runs once, after every event of it is in a committed
// batch (stored, or recognised as a duplicate of a stored one), so a session acknowledges
// nothing that is not durable, and acknowledges a whole group with one write.
// When a batch cannot be stored (the database is away) and a spool is configured, the batch
// goes to the spool instead and counts as durable once it is fsync'd there; from then on every
// batch goes to the spool until the spool has been replayed into the database, in order, so
// that each source's sequence numbers still reach the database rising (ingest drops
// duplicates by the source's high-water mark).
// Everything runs on the ingest's strand.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <memory>

#include "halld/acq/spool.hpp"
#include "halld/core/asio.hpp"
#include "halld/core/metrics.hpp"
#include "halld/core/service.hpp"
#include "halld/store/event_store.hpp"

namespace halld::acq {

struct IngestLimits {
  std::size_t max_batch_rows = 5000;
  std::chrono::milliseconds max_delay{50};     // a partial batch waits at most this long
  std::chrono::milliseconds retry_delay{500};  // after a failed batch (database away)
  std::size_t high_water = 200'000;            // pending events above which links should pause
  std::uint64_t spool_max_bytes = 1ull << 30;  // spool size above which links should pause
};

class Ingest final : public Service {
 public:
  using OnDurable = std::function<void()>;

  // Without a spool, a batch the database cannot take stays queued (unacknowledged) and is retried.
  Ingest(asio::any_io_executor executor, store::Database& database, IngestLimits limits,
         MetricsRegistry& metrics, std::unique_ptr<Spool> spool = nullptr);

  // Thread-safe. The callback runs on the ingest's strand once every event of the group is durable.
  void submit(std::vector<store::IngestRecord> group, OnDurable on_durable);
  // Events submitted and not yet durable; links stop reading above limits().high_water.
  std::size_t pending() const { return pending_.load(); }
  // Links stop reading while this holds: too much pending, or the spool is full.
  bool saturated() const {
    return pending_.load() > limits_.high_water || spool_bytes_.load() > limits_.spool_max_bytes;
  }
  std::uint64_t spool_bytes() const { return spool_bytes_.load(); }
  // Thread-safe. When the earliest event submitted and not yet handed to the observer was
  // received; nullopt when there is none (the model's snapshots read the log from there).
  std::optional<std::chrono::system_clock::time_point> oldest_unobserved() const;
  const IngestLimits& limits() const { return limits_; }

  // Set before start(): called on the ingest's strand with each batch that has become durable
  // (stored, or spooled) and each chunk replayed from the spool — resends included, which the
  // observer drops by sequence as the store does. The real-time model follows ingest this way.
  using Observer = std::function<void(std::span<const store::IngestRecord>)>;
  void observe(Observer observer) { observer_ = std::move(observer); }

  // Set before start(): every batch goes to the spool and none to the database, which is not
  // tried at all — halld started while PostgreSQL was away. Needs a spool.
  void spool_only() { spool_only_ = true; }

  // Starts the writer. stop() writes what is queued (as long as the database takes it), then
  // ends the writer; `done` runs on the strand when it has.
  std::string_view name() const override { return "ingest"; }
  void start() override;
  void stop(std::function<void()> done) override;

 private:
  struct Group {
    std::vector<store::IngestRecord> records;
    std::size_t written = 0;  // records already in a committed batch
    OnDurable on_durable;
    std::chrono::system_clock::time_point earliest;  // of its records' reception times
  };
  asio::awaitable<void> writer();
  std::vector<store::IngestRecord> next_batch() const;
  // The first `rows` queued records are durable: release the groups they complete.
  void release(std::size_t rows);
  // One committed transaction of write_events, counted; false when the database refused it.
  asio::awaitable<bool> store_batch(const std::vector<store::IngestRecord>& batch,
                                    std::string_view what, bool warn);
  // Spooled events wait for replay: every batch goes to the spool until it has drained.
  bool spooling() const { return spool_ && (spool_only_ || !spool_->drained()); }
  bool spool(const std::vector<store::IngestRecord>& batch);  // false: the disk failed too
  asio::awaitable<bool> replay_spool();                       // false: the database is still away
  void warn_failure(std::string_view what, std::size_t rows, const std::exception& e);
  void note_restarts(const std::vector<store::SequenceRestart>& restarts);

  asio::strand<asio::any_io_executor> strand_;
  store::Database& database_;
  IngestLimits limits_;
  std::deque<Group> queue_;
  std::size_t queued_rows_ = 0;  // records in queue_ not yet written
  std::atomic<std::size_t> pending_{0};
  store::ReceptionsInFlight unobserved_;  // the groups queued
  std::unique_ptr<Spool> spool_;
  std::atomic<std::uint64_t> spool_bytes_{0};
  Observer observer_;
  Loops loops_;
  asio::steady_timer wake_;  // a signal (work came, or stop) as much as a period
  bool spool_only_ = false;
  store::PartitionCache partitions_;  // used only inside database jobs, one at a time
  std::chrono::steady_clock::time_point last_warning_{};  // failures are logged at most every 10 s
  std::uint64_t failures_since_warning_ = 0;

  Counter& stored_;
  Counter& duplicates_;
  Counter& restarts_;
  Counter& failed_batches_;
  Counter& spooled_;
  Counter& replayed_;
  Histogram& batch_rows_;
  Histogram& commit_seconds_;
};

}  // namespace halld::acq
