// live/engine: the one writer of the real-time model. Owns, per hall: the HallModel, its KPI
// tallies of the last two local days, the recent queue facts behind the "last 15 / 60
// minutes" figures, and the published immutable view. Everything it holds lives on its strand:
// events apply in the order ingest made them durable (each source's resends dropped by
// sequence, as the store drops them), with no lock on the path. Readers take published views
// (at most one per hall per publish period — a quiet hall's first change at once — always the
// latest); subscribers are told of each publication as one batch, so a consumer with many clients
// does its per-client work once per batch, not once per hall. Every flush period the changed
// buckets and days go to PostgreSQL whole (idempotent); an event older than what the engine holds
// marks its hall-day and the days after it stale, the engine rebuilds those from the event log and
// loads the hall's held days again from it, so that live and recomputed figures agree. Events
// outside the clock bounds are left out. With each snapshot period's flush it writes a snapshot
// (live/snapshot: each changed hall's state and changed buckets, and where every source stood),
// and a start restores the halls from it and the events received after it. Must not touch:
// links, sessions, HTTP.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <span>
#include <unordered_map>

#include "halld/core/asio.hpp"
#include "halld/core/clock.hpp"
#include "halld/core/metrics.hpp"
#include "halld/core/service.hpp"
#include "halld/kpi/tally.hpp"
#include "halld/live/prediction.hpp"
#include "halld/model/hall_model.hpp"
#include "halld/store/database.hpp"
#include "halld/store/ingest_record.hpp"
#include "halld/store/kpi_store.hpp"

namespace halld::live {

using records::Timestamp;

struct HallView {
  int hall_id = 0;
  std::shared_ptr<const store::KpiHall> info;  // archives and calendar, as the engine loaded them
  std::string code;
  std::string name;
  std::string city_code;
  std::int64_t target_wait_s = 0;
  Timestamp as_of{};
  model::HallSnapshot state;
  kpi::Tally today;        // since the hall's local midnight
  kpi::Tally last_15_min;  // queue, handling and evaluation figures only
  kpi::Tally last_60_min;
  std::vector<WaitPrediction>
      predictions;  // the hall first, then each business type waiting or served recently
  // The latest reading of each facility device's point (facility/facility), by device and point.
  std::vector<records::FacilityReading> facility;
};

struct EngineOptions {
  std::chrono::milliseconds publish_every{1000};
  std::chrono::seconds flush_every{30};
  std::size_t stale_days_per_flush = 20;
  // How often a flush also writes a snapshot of the model; zero: never (a start then replays
  // the log).
  std::chrono::seconds snapshot_every{60};
};

// What a start rebuilt the model from.
struct Rebuilt {
  std::size_t halls_restored = 0;   // from the snapshot
  std::size_t events_replayed = 0;  // received after it
  std::size_t halls_loaded = 0;     // from the log (no usable snapshot of them)
  std::size_t events_loaded = 0;
  std::optional<std::chrono::system_clock::time_point> snapshot_taken_at;
};

// The views published together, shared by every subscriber.
using PublishedViews = std::shared_ptr<const std::vector<std::shared_ptr<const HallView>>>;

class Engine final : public Service {
 public:
  using Subscriber = std::function<void(const PublishedViews&)>;

  Engine(asio::any_io_executor executor, store::Database& database, MetricsRegistry& metrics,
         EngineOptions options, const Clock& clock);
  ~Engine() override;
  std::string_view name() const override { return "model"; }

  // Set before the executor runs: whether every event applied is in the log (false while ingest
  // holds events in its spool); hall reloads wait until it is.
  void set_log_complete(std::function<bool()> log_complete) {
    log_complete_ = std::move(log_complete);
  }
  // Set before the executor runs: when the earliest event not yet handed to the engine was
  // received (ingest's queue), so that a snapshot knows from where the log holds what it lacks.
  using WallTime = std::chrono::system_clock::time_point;
  void set_unapplied_since(std::function<std::optional<WallTime>()> unapplied_since) {
    unapplied_since_ = std::move(unapplied_since);
  }

  // Blocking, before start(): loads the halls and restores each from the last snapshot and the
  // events received after it, or, without a usable snapshot of it, rebuilds its state and
  // tallies from yesterday's and today's events in the log.
  Rebuilt rebuild();
  void start() override;
  // Flushes what changed, then ends the engine's loops; `done` runs on the strand.
  void stop(std::function<void()> done) override;

  // Thread-safe. Events ingest has made durable (stored, spooled or replayed from the spool).
  void apply(std::span<const store::IngestRecord> batch);
  // Thread-safe. A channel of the hall came up or went down.
  void channel_state(int hall_id, std::string channel, bool up);
  // Thread-safe. The channel no longer serves the hall (retired, or moved to another hall).
  void channel_removed(int hall_id, std::string channel);
  // Thread-safe. A device of the hall's channel dated events `off` halld's clock, beyond its
  // bounds.
  void device_clock(int hall_id, std::string channel, std::chrono::seconds off);

  // Thread-safe. Facility devices of the hall were read (their latest values enter its view).
  void facility_readings(int hall_id, std::vector<records::FacilityReading> readings);

  // Thread-safe. The latest published view; null for a hall the engine does not know.
  std::shared_ptr<const HallView> view(int hall_id) const;
  std::vector<std::shared_ptr<const HallView>> views() const;
  // Thread-safe. How many publications there have been: what is derived from the views is
  // current while this has not moved.
  std::uint64_t publications() const;
  std::optional<int> hall_id(std::string_view code) const;
  // Thread-safe. Subscribers are called on the engine's strand and must not block.
  std::uint64_t subscribe(Subscriber subscriber);
  void unsubscribe(std::uint64_t id);

  // Thread-safe. Rebuilds one hall-day of rollups from the event log through the engine, the one
  // writer of rollups: a day it holds is loaded again from the log and written whole by its next
  // flush; an older day is rebuilt at once, on the engine's strand.
  asio::awaitable<void> recompute(store::KpiHall hall, std::chrono::sys_days day);

  // Blocking, outside the engine: rebuilds one hall-day of rollups from the event log (the
  // `recompute` subcommand, and the engine's own rebuilds).
  static void recompute_day(pqxx::connection& connection, const store::KpiHall& hall,
                            std::chrono::sys_days day, Timestamp now);

 private:
  struct Hall;
  class HallSink;
  struct Snapshot;

  // A hall's model and tallies of yesterday and today, from the log (outside the strand: the
  // hall is not shared yet).
  static std::unique_ptr<Hall> load_hall(pqxx::transaction_base& tx, store::KpiHall info,
                                         Timestamp now, std::size_t& events);
  // The halls the stored snapshot holds, with the events received after it applied; none when
  // there is no snapshot, or it is of another format, or from the future, or over a day old.
  std::map<int, std::unique_ptr<Hall>> restore(const std::vector<store::KpiHall>& halls,
                                               Timestamp now, Rebuilt& rebuilt);
  // An event older than the hall's tallies: its days are rebuilt and the hall reloaded.
  void note_late(Hall& h, Timestamp at);
  // On the strand, when one is due: what changed since the last snapshot, encoded.
  std::optional<Snapshot> take_snapshot();
  void snapshot_done(const Snapshot& snapshot, bool written);
  // Halls whose held days a late event changed, loaded again from the log.
  asio::awaitable<void> reload_late_halls(Timestamp now);
  // The hall the record changed, or null when it changed none.
  Hall* apply_on_strand(const store::IngestRecord& record);
  Hall* hall(int id);
  // Applies one event in the hall's model, starting its next local day first if the event is in it.
  static void apply_event(Hall& h, const records::Event& event);
  static void roll_day(Hall& h, std::chrono::sys_days day);
  // Halls changed and not published within the period; then those given, now.
  void publish_changed(Timestamp now);
  void publish(std::span<Hall* const> halls, Timestamp now);
  std::shared_ptr<const HallView> make_view(Hall& h, Timestamp now) const;
  asio::awaitable<void> publisher();
  asio::awaitable<void> flusher();
  asio::awaitable<void> flush(Timestamp now);
  asio::awaitable<void> rebuild_stale_days(Timestamp now);
  asio::awaitable<void> reload_halls();
  asio::awaitable<void> recompute_on_strand(store::KpiHall hall, std::chrono::sys_days day);

  asio::strand<asio::any_io_executor> strand_;
  store::Database& database_;
  EngineOptions options_;
  const Clock& clock_;
  Loops loops_;
  std::unordered_map<int, std::unique_ptr<Hall>> halls_;
  std::unordered_map<int, store::SequenceMark>
      sequences_;  // source → where its applied numbering stands
  std::map<int, std::set<std::chrono::sys_days>> stale_;  // hall-days to note for rebuilding
  Subscribers<PublishedViews> subscribers_;
  std::chrono::steady_clock::time_point halls_loaded_{};
  bool reloading_ = false;
  Timer publish_timer_;
  Timer flush_timer_;
  std::function<bool()> log_complete_;
  std::function<std::optional<WallTime>()> unapplied_since_;
  std::unordered_map<int, WallTime> received_;  // source → its last event applied, received when
  bool sources_moved_ = true;                   // since the last snapshot
  std::optional<std::chrono::steady_clock::time_point> snapshot_at_;  // none yet: the next flush
  store::ReceptionsInFlight in_flight_;  // batches apply() posted, not yet applied

  mutable std::mutex published_mutex_;  // readers' side: views and codes
  std::unordered_map<int, std::shared_ptr<const HallView>> published_;
  std::uint64_t publications_ = 0;
  std::unordered_map<std::string, int> codes_;

  Counter& events_applied_;
  Counter& resends_dropped_;
  Counter& unknown_hall_;
  Counter& skewed_events_;
  Counter& late_events_;
  Counter& reloads_;
  Counter& flushes_;
  Counter& flushes_failed_;
  Histogram& flush_seconds_;
  Counter& snapshots_;
  Counter& snapshot_bytes_;
};

}  // namespace halld::live
