#include "halld/live/engine.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>

#include "halld/live/snapshot.hpp"
#include "halld/records/event_json.hpp"
#include "halld/store/event_store.hpp"
#include "halld/store/model_store.hpp"

namespace halld::live {

using model::Fact;
using model::FactKind;
using std::chrono::days;
using std::chrono::sys_days;

namespace {

constexpr days state_lookback{30};  // how far back a rebuild looks for window and terminal states
// A snapshot reads the log again from somewhat before the earliest event it may lack: a channel
// stamps an event a moment before ingest queues it. Events it holds are told apart by source.
constexpr std::chrono::seconds replay_margin{10};
// An older snapshot is not used: replaying what came after it would cost what a rebuild does.
constexpr std::chrono::hours snapshot_useful_for{24};

// What a model needs to stand at `from` as the live one would: the last window, terminal and
// part states known before the day before, then that day's events (its tickets can still be
// called after midnight).
std::vector<records::Event> read_context(pqxx::transaction_base& tx, int hall_id,
                                         const model::HallCalendar& calendar, Timestamp from) {
  const auto day_before = calendar.day_start(calendar.local_day(from) - days(1));
  auto context = store::read_states_before(tx, hall_id, day_before, state_lookback);
  auto events = store::read_hall_events(tx, hall_id, day_before, from);
  context.insert(context.end(), std::make_move_iterator(events.begin()),
                 std::make_move_iterator(events.end()));
  return context;
}

// Calls work(0) … work(count - 1), each once, spread over the machine's cores; returns when all
// have returned and rethrows the first exception any of them threw.
template <typename Work>
void on_every_core(std::size_t count, Work&& work) {
  const std::size_t threads = std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1,
                                                      std::max<std::size_t>(count, 1));
  std::atomic<std::size_t> next{0};
  std::exception_ptr failed;
  std::mutex failed_mutex;
  auto worker = [&] {
    try {
      for (std::size_t i; (i = next++) < count;) work(i);
    } catch (...) {
      std::lock_guard lock(failed_mutex);
      if (!failed) failed = std::current_exception();
      next = count;
    }
  };
  {
    std::vector<std::jthread> helpers;
    for (std::size_t t = 1; t < threads; ++t) helpers.emplace_back(worker);
    worker();
  }
  if (failed) std::rethrow_exception(failed);
}

}  // namespace

struct Engine::Hall {
  Hall(store::KpiHall hall_info, Timestamp from)
      : info(std::make_shared<const store::KpiHall>(std::move(hall_info))),
        model(info->id),
        tally_sink(tallies, info->terms),
        horizon(from) {}
  std::shared_ptr<const store::KpiHall> info;  // shared with the views, which outlive a reload
  model::HallModel model;
  kpi::Tallies tallies;
  kpi::TallySink tally_sink;
  Timestamp horizon;          // tallies are whole from here on
  std::set<Timestamp> dirty;  // buckets changed since the last flush
  RecentFacts recent;
  sys_days day{};           // the local day the model is in
  bool reload_due = false;  // a late event changed what the held days start from
  std::optional<sys_days>
      reload_from;         // the first day held then: what the reload no longer holds is rebuilt
  bool reloading = false;  // a reload is reading the log: what is applied meanwhile is kept
  std::vector<store::IngestRecord> since_reload;
  std::map<std::pair<std::string, std::string>, records::FacilityReading> facility;
  bool changed = true;  // since the last publication
  std::chrono::steady_clock::time_point published_at{};
  // What the last snapshot written holds of the hall: it is written again when any of it moved.
  bool snapshot_whole = true;     // none of it is in the snapshot (its rows are rewritten whole)
  std::set<Timestamp> unsnapped;  // buckets changed since
  std::uint64_t snapped_version = 0;
  sys_days snapped_day{};
  Timestamp snapped_horizon{};
  bool snapshot_due() const {
    return snapshot_whole || !unsnapped.empty() || model.version() != snapped_version ||
           day != snapped_day || horizon != snapped_horizon;
  }
  // The snapshot written holds the hall as it stood at `version`, in `in_day` from `from`.
  void snapped(std::uint64_t version, sys_days in_day, Timestamp from) {
    snapshot_whole = false;
    snapped_version = version;
    snapped_day = in_day;
    snapped_horizon = from;
  }
};

struct Engine::Snapshot {
  store::ModelSnapshot stored;  // the blobs encoded, packed outside the strand
  struct Taken {
    int hall_id;
    const Hall* hall;  // the object written (a reload may replace it meanwhile)
    std::uint64_t version;
    sys_days day;
    Timestamp horizon;
    std::set<Timestamp> buckets;
  };
  std::vector<Taken> taken;
};

// Counts each fact into the hall's tallies and keeps the queue facts of the last hour.
class Engine::HallSink final : public model::FactSink {
 public:
  explicit HallSink(Hall& hall) : hall_(hall) {}
  void on_fact(const Fact& f) override {
    hall_.tally_sink.on_fact(f);
    hall_.recent.add(f);
  }
  ~HallSink() {
    auto touched = hall_.tally_sink.take_touched();
    hall_.dirty.insert(touched.begin(), touched.end());
    hall_.unsnapped.merge(touched);
  }

 private:
  Hall& hall_;
};

Engine::Engine(asio::any_io_executor executor, store::Database& database, MetricsRegistry& metrics,
               EngineOptions options, const Clock& clock)
    : strand_(asio::make_strand(executor)),
      database_(database),
      options_(options),
      clock_(clock),
      loops_(strand_, "model"),
      publish_timer_(strand_, clock),
      flush_timer_(strand_, clock),
      events_applied_(metrics.counter("halld_model_events_applied_total",
                                      "Events applied to the real-time model.")),
      resends_dropped_(
          metrics.counter("halld_model_resends_dropped_total",
                          "Events the model had already applied (resent by a device).")),
      unknown_hall_(metrics.counter("halld_model_unknown_hall_events_total",
                                    "Events of halls the model did not know yet, or of no hall.")),
      skewed_events_(metrics.counter(
          "halld_model_skewed_events_total",
          "Events left out of the model: their device time was outside the clock bounds.")),
      late_events_(metrics.counter(
          "halld_model_late_events_total",
          "Events older than the model holds; their days are rebuilt from the log.")),
      reloads_(metrics.counter(
          "halld_model_hall_reloads_total",
          "Halls loaded again from the log because late events changed their held days.")),
      flushes_(metrics.counter("halld_kpi_flushes_total",
                               "Passes of the rollup flush, with or without anything to write.")),
      flushes_failed_(metrics.counter("halld_kpi_flushes_failed_total",
                                      "Rollup flushes the database refused.")),
      flush_seconds_(metrics.histogram("halld_kpi_flush_seconds",
                                       "Time to write one flush of rollups.",
                                       {0.01, 0.05, 0.1, 0.5, 1, 5, 30})),
      snapshots_(metrics.counter("halld_model_snapshots_total",
                                 "Snapshots of the real-time model written.")),
      snapshot_bytes_(metrics.counter(
          "halld_model_snapshot_bytes_total",
          "Compressed bytes of hall states and bucket tallies written with snapshots.")) {
  metrics.gauge_callback("halld_model_halls", "Halls in the real-time model.", [this] {
    std::lock_guard lock(published_mutex_);
    return static_cast<double>(codes_.size());
  });
}

Engine::~Engine() = default;

std::unique_ptr<Engine::Hall> Engine::load_hall(pqxx::transaction_base& tx, store::KpiHall info,
                                                Timestamp now, std::size_t& events) {
  const auto today = info.terms.calendar.local_day(now);
  const auto from = info.terms.calendar.day_start(today - days(1));
  const auto context = read_context(tx, info.id, info.terms.calendar, from);
  const auto log = store::read_hall_events(tx, info.id, from, now + days(1));
  auto h = std::make_unique<Hall>(std::move(info), from);
  const auto& calendar = h->info->terms.calendar;
  h->day = today - days(1);
  h->model.catch_up(context, from, calendar.day_start(h->day - days(1)), from);
  for (const auto& e : log) apply_event(*h, e);
  roll_day(*h, today);
  HallSink sink(*h);
  h->model.cut_intervals(now, sink);
  events += log.size();
  return h;
}

Rebuilt Engine::rebuild() {
  auto halls = database_.run_blocking(store::load_kpi_halls);
  database_.run_blocking([this](pqxx::connection& c) {
    store::ReadTransaction tx(c);
    for (auto& [source, mark] : store::source_sequences(tx)) sequences_[source] = mark;
    // Every event stored is in the model once it is rebuilt, whether from the snapshot or not.
    for (auto& [source, received] : store::sources_received(tx)) received_[source] = received;
  });
  const auto now = clock_.now_seconds();
  Rebuilt rebuilt;
  auto restored = restore(halls, now, rebuilt);
  for (auto& info : halls) {
    const int id = info.id;
    if (auto it = restored.find(id); it != restored.end()) {
      halls_.emplace(id, std::move(it->second));
      continue;
    }
    halls_.emplace(id, database_.run_blocking([&](pqxx::connection& c) {
      store::ReadTransaction tx(c);
      return load_hall(tx, std::move(info), now, rebuilt.events_loaded);
    }));
    ++rebuilt.halls_loaded;
  }
  halls_loaded_ = clock_.elapsed();
  publish_changed(now);
  if (rebuilt.snapshot_taken_at) {
    spdlog::info(
        "model: restored {} halls from the snapshot of {} and {} events received after it; "
        "rebuilt {} from {} events of yesterday and today",
        rebuilt.halls_restored, records::iso8601_micros(*rebuilt.snapshot_taken_at),
        rebuilt.events_replayed, rebuilt.halls_loaded, rebuilt.events_loaded);
  } else {
    spdlog::info("model: rebuilt {} halls from {} events of yesterday and today", halls_.size(),
                 rebuilt.events_loaded);
  }
  return rebuilt;
}

std::map<int, std::unique_ptr<Engine::Hall>> Engine::restore(
    const std::vector<store::KpiHall>& halls, Timestamp now, Rebuilt& rebuilt) {
  struct Read {
    std::optional<store::ModelSnapshot> snapshot;
    std::vector<store::LoggedEvent> events;
  };
  const auto wall = std::chrono::system_clock::now();
  auto read = database_.run_blocking([wall](pqxx::connection& c) {
    store::ReadTransaction tx(c);
    Read r;
    r.snapshot = store::load_model_snapshot(tx);
    if (!r.snapshot) return r;
    const auto& s = *r.snapshot;
    if (s.format != snapshot_format || s.taken_at > wall ||
        wall - s.taken_at > snapshot_useful_for) {
      spdlog::info("model: the snapshot of {} is not used ({})",
                   records::iso8601_micros(s.taken_at),
                   s.format != snapshot_format ? "another format"
                   : s.taken_at > wall         ? "taken after this clock's now"
                                               : "over a day old");
      r.snapshot.reset();
      return r;
    }
    r.events = store::read_events_received_since(tx, s.replay_from);
    return r;
  });
  std::map<int, std::unique_ptr<Hall>> restored;
  if (!read.snapshot) return restored;
  rebuilt.snapshot_taken_at = read.snapshot->taken_at;
  std::unordered_map<int, const store::KpiHall*> known;
  for (const auto& info : halls) known.emplace(info.id, &info);
  const auto& stored_halls = read.snapshot->halls;
  std::vector<std::unique_ptr<Hall>> decoded(stored_halls.size());
  std::atomic<std::size_t> unreadable{0};
  // Decoding is most of a restore (a province's tallies are a gigabyte of small maps, allocated
  // anew), and halls are independent of each other: every core takes its share.
  on_every_core(stored_halls.size(), [&](std::size_t i) {
    const auto& stored = stored_halls[i];
    auto info = known.find(stored.hall_id);
    if (info == known.end()) return;
    auto state = unpack_hall_state(stored.hall_id, stored.state);
    kpi::Tallies tallies;
    bool whole = state.has_value();
    for (const auto& [bucket, blob] : stored.buckets)
      whole = whole && unpack_tallies(blob, tallies);
    if (!whole) {
      ++unreadable;
      return;
    }
    auto h = std::make_unique<Hall>(*info->second, state->horizon);
    h->model = std::move(state->model);
    h->tallies = std::move(tallies);
    h->recent = std::move(state->recent);
    h->day = state->day;
    h->snapped(h->model.version(), h->day, h->horizon);
    decoded[i] = std::move(h);
  });
  for (auto& h : decoded) {
    if (h) restored.emplace(h->info->id, std::move(h));
  }
  if (unreadable > 0)
    spdlog::warn("model: {} hall(s) of the snapshot could not be read; rebuilt from the log",
                 unreadable.load());
  for (const auto& e : read.events) {
    // Each source's events were applied in the order received: the snapshot holds those up to
    // the last it names.
    if (auto held = read.snapshot->sources.find(e.source_id);
        held != read.snapshot->sources.end() && e.received_at <= held->second)
      continue;
    auto it = restored.find(e.hall_id);
    if (it == restored.end()) continue;
    ++rebuilt.events_replayed;
    if (e.event.at < it->second->horizon) {
      note_late(*it->second, e.event.at);
    } else {
      apply_event(*it->second, e.event);
    }
  }
  for (auto& [id, h] : restored) {
    roll_day(*h, h->info->terms.calendar.local_day(now));
    HallSink sink(*h);
    h->model.cut_intervals(now, sink);
  }
  rebuilt.halls_restored = restored.size();
  return restored;
}

void Engine::start() {
  loops_.spawn("publisher", publisher());
  loops_.spawn("flusher", flusher());
}

void Engine::stop(std::function<void()> done) {
  asio::post(strand_, [this, done = std::move(done)]() mutable {
    loops_.stop(std::move(done));
    publish_timer_.cancel();
    flush_timer_.cancel();
  });
}

void Engine::apply(std::span<const store::IngestRecord> batch) {
  if (batch.empty()) return;
  const auto earliest = in_flight_.note(batch);
  asio::post(strand_, [this, earliest,
                       records = std::vector<store::IngestRecord>(batch.begin(), batch.end())] {
    // Halls quiet for a publish period publish their change at once (alarms ride on it),
    // all of this batch's together: a commit that wakes a thousand halls is one
    // publication, not a thousand (each a message to every dashboard). The busy ones
    // wait for the publisher.
    std::vector<Hall*> woken;
    const auto quiet_since = clock_.elapsed() - options_.publish_every;
    for (const auto& r : records) {
      Hall* h = apply_on_strand(r);
      if (h && h->published_at <= quiet_since) woken.push_back(h);
    }
    std::sort(woken.begin(), woken.end());
    woken.erase(std::unique(woken.begin(), woken.end()), woken.end());
    publish(woken, clock_.now_seconds());
    in_flight_.forget(earliest);
  });
}

Engine::Hall* Engine::apply_on_strand(const store::IngestRecord& r) {
  if (auto& received = received_[r.source_id]; received < r.received_at) {
    received = r.received_at;
    sources_moved_ = true;
  }
  // The store's rule over the same order of records, so the model drops exactly what it dropped.
  if (store::arrive(sequences_[r.source_id], r.epoch, r.sequence) == store::Arrival::resend) {
    resends_dropped_.inc();
    return nullptr;
  }
  if (r.clock_skewed) {
    skewed_events_.inc();
    return nullptr;
  }
  Hall* h = r.hall_id != 0 ? hall(r.hall_id) : nullptr;
  if (!h) {
    unknown_hall_.inc();
    return nullptr;
  }
  if (r.event.at < h->horizon) {
    note_late(*h, r.event.at);
    return nullptr;
  }
  if (h->reloading) h->since_reload.push_back(r);
  apply_event(*h, r.event);
  h->changed = true;
  events_applied_.inc();
  return h;
}

void Engine::note_late(Hall& h, Timestamp at) {
  // Its day and every day to the horizon are rebuilt from the log (a window it opened stays
  // open after midnight); the days the model holds are reloaded from there as well.
  late_events_.inc();
  const auto& calendar = h.info->terms.calendar;
  const auto first_held = calendar.local_day(h.horizon);
  for (auto day = calendar.local_day(at); day < first_held; day += days(1))
    stale_[h.info->id].insert(day);
  h.reload_due = true;
  if (!h.reload_from || first_held < *h.reload_from) h.reload_from = first_held;
}

void Engine::apply_event(Hall& h, const records::Event& event) {
  if (const auto day = h.info->terms.calendar.local_day(event.at); day > h.day) roll_day(h, day);
  HallSink sink(h);
  h.model.apply(event, sink);
}

Engine::Hall* Engine::hall(int id) {
  if (auto it = halls_.find(id); it != halls_.end()) return it->second.get();
  // A hall imported since the model loaded: it is loaded from the log, and what it reported
  // meanwhile is rebuilt from there too.
  stale_[id].insert(model::HallCalendar().local_day(clock_.now_seconds()));
  if (!reloading_ && clock_.elapsed() - halls_loaded_ > std::chrono::seconds(10)) {
    reloading_ = true;
    halld::spawn(strand_, "model: loading new halls", reload_halls());
  }
  return nullptr;
}

asio::awaitable<void> Engine::reload_halls() {
  try {
    std::set<int> known;
    for (const auto& [id, h] : halls_) known.insert(id);
    auto loading = database_.run([known, now = clock_.now_seconds()](pqxx::connection& c) {
      std::vector<std::unique_ptr<Hall>> added;
      std::size_t events = 0;
      for (auto& info : store::load_kpi_halls(c)) {
        store::ReadTransaction tx(c);
        if (!known.contains(info.id)) added.push_back(load_hall(tx, std::move(info), now, events));
      }
      return added;
    });
    auto added = co_await std::move(loading);
    for (auto& h : added) {
      const int id = h->info->id;
      halls_.emplace(id, std::move(h));
    }
    if (!added.empty()) spdlog::info("model: {} new hall(s) from the archives", added.size());
  } catch (const std::exception& e) {
    spdlog::warn("model: reloading the halls failed: {}", e.what());
  }
  halls_loaded_ = clock_.elapsed();
  reloading_ = false;
}

void Engine::channel_state(int hall_id, std::string channel, bool up) {
  asio::post(strand_, [this, hall_id, channel = std::move(channel), up] {
    if (auto it = halls_.find(hall_id); it != halls_.end()) {
      it->second->model.set_channel(channel, up, clock_.now_seconds());
      it->second->changed = true;
    }
  });
}

void Engine::channel_removed(int hall_id, std::string channel) {
  asio::post(strand_, [this, hall_id, channel = std::move(channel)] {
    if (auto it = halls_.find(hall_id); it != halls_.end()) {
      it->second->model.remove_channel(channel);
      it->second->changed = true;
    }
  });
}

void Engine::device_clock(int hall_id, std::string channel, std::chrono::seconds off) {
  asio::post(strand_, [this, hall_id, channel = std::move(channel), off] {
    if (auto it = halls_.find(hall_id); it != halls_.end()) {
      it->second->model.note_clock_skew(channel, off, clock_.now_seconds());
      it->second->changed = true;
    }
  });
}

void Engine::facility_readings(int hall_id, std::vector<records::FacilityReading> readings) {
  asio::post(strand_, [this, hall_id, readings = std::move(readings)] {
    if (auto it = halls_.find(hall_id); it != halls_.end()) {
      for (const auto& r : readings) it->second->facility[{r.device, r.point}] = r;
      it->second->changed = true;
    }
  });
}

void Engine::roll_day(Hall& h, sys_days day) {
  if (day <= h.day) return;
  h.day = day;
  const auto& calendar = h.info->terms.calendar;
  h.model.start_day(calendar.day_start(day), calendar.day_start(day - days(1)));
  h.changed = true;
}

std::shared_ptr<const HallView> Engine::make_view(Hall& h, Timestamp now) const {
  auto view = std::make_shared<HallView>();
  view->hall_id = h.info->id;
  view->info = h.info;
  view->code = h.info->code;
  view->name = h.info->name;
  view->city_code = h.info->city_code;
  view->target_wait_s = h.info->terms.target_wait_s;
  view->as_of = now;
  view->state = h.model.snapshot();
  const auto day_start = h.info->terms.calendar.day_start(h.info->terms.calendar.local_day(now));
  view->today = kpi::sum_hall(h.tallies, day_start, now + std::chrono::seconds(1));

  auto recent = h.recent.figures(now, h.info->terms);
  view->last_15_min = recent.last_15_min;
  view->last_60_min = recent.last_60_min;
  view->predictions = h.recent.predict(view->state, view->last_60_min, view->today, h.info->terms,
                                       h.info->window_business, now);
  for (const auto& [key, reading] : h.facility) view->facility.push_back(reading);
  return view;
}

void Engine::publish_changed(Timestamp now) {
  std::vector<Hall*> changed;
  const auto due = clock_.elapsed() - options_.publish_every;
  for (auto& [id, h] : halls_) {
    roll_day(*h, h->info->terms.calendar.local_day(now));
    if (h->changed && h->published_at <= due) changed.push_back(h.get());
  }
  publish(changed, now);
}

void Engine::publish(std::span<Hall* const> halls, Timestamp now) {
  if (halls.empty()) return;
  const auto published_at = clock_.elapsed();
  auto fresh = std::make_shared<std::vector<std::shared_ptr<const HallView>>>();
  fresh->reserve(halls.size());
  for (Hall* h : halls) {
    h->changed = false;
    h->published_at = published_at;
    fresh->push_back(make_view(*h, now));
  }
  {
    std::lock_guard lock(published_mutex_);
    for (const auto& view : *fresh) {
      published_[view->hall_id] = view;
      codes_[view->code] = view->hall_id;
    }
    ++publications_;
  }
  const PublishedViews batch = std::move(fresh);
  subscribers_.notify(batch);
}

asio::awaitable<void> Engine::publisher() {
  while (!loops_.stopping()) {
    // Finer than the period, so a hall's trailing change waits little past its period.
    auto waiting =
        publish_timer_.wait(std::max(options_.publish_every / 4, std::chrono::milliseconds(10)));
    co_await std::move(waiting);
    if (loops_.stopping()) break;
    publish_changed(clock_.now_seconds());
  }
}

asio::awaitable<void> Engine::flusher() {
  for (;;) {
    if (!loops_.stopping()) {
      auto waiting = flush_timer_.wait(options_.flush_every);
      co_await std::move(waiting);
    }
    auto flushing = flush(clock_.now_seconds());
    co_await std::move(flushing);
    if (loops_.stopping()) break;
  }
}

asio::awaitable<void> Engine::flush(Timestamp now) {
  const auto started = clock_.elapsed();
  std::vector<store::HallRollup> batch;
  for (auto& [id, h] : halls_) {
    {
      HallSink sink(*h);
      h->model.cut_intervals(now, sink);  // time so far counts before the next change
    }
    if (h->dirty.empty()) continue;
    store::HallRollup r;
    r.hall_id = id;
    r.buckets = std::exchange(h->dirty, {});
    const auto& calendar = h->info->terms.calendar;
    for (auto bucket : r.buckets) {
      for (auto it = h->tallies.lower_bound(kpi::TallyKey{bucket, kpi::Dimension::hall, {}});
           it != h->tallies.end() && it->first.bucket == bucket; ++it) {
        r.rollups.insert(*it);
      }
      const auto day = calendar.local_day(bucket);
      if (calendar.day_start(day) >= h->horizon) r.days.insert(day);
    }
    for (auto day : r.days) r.daily.merge(kpi::sum_day(h->tallies, calendar, day));
    batch.push_back(std::move(r));
  }
  std::map<int, std::set<sys_days>> stale = std::exchange(stale_, {});
  // Taken at the same instant as the rollups and written in their transaction: the rollups of
  // every bucket the snapshot holds are in the database as soon as it is.
  auto snapshot = take_snapshot();
  bool written = true;
  if (!batch.empty() || !stale.empty() || snapshot) {
    try {
      auto writing = database_.run([&batch, &stale, &snapshot](pqxx::connection& c) {
        std::uint64_t packed_bytes = 0;
        if (snapshot) {
          for (auto& h : snapshot->stored.halls) {
            h.state = pack(h.state);
            packed_bytes += h.state.size();
            for (auto& [bucket, blob] : h.buckets) {
              blob = pack(blob);
              packed_bytes += blob.size();
            }
          }
        }
        pqxx::work tx(c);
        store::write_rollups(tx, batch);
        if (snapshot) store::write_model_snapshot(tx, snapshot->stored);
        tx.commit();
        for (const auto& [hall_id, days] : stale) store::note_stale_days(c, hall_id, days);
        return packed_bytes;
      });
      const auto snapshot_bytes = co_await std::move(writing);
      flush_seconds_.observe(std::chrono::duration<double>(clock_.elapsed() - started).count());
      if (snapshot) {
        snapshots_.inc();
        snapshot_bytes_.inc(snapshot_bytes);
      }
    } catch (const std::exception& e) {
      written = false;
      flushes_failed_.inc();
      spdlog::warn("kpi: writing {} halls' rollups failed, will retry: {}", batch.size(), e.what());
    }
  }
  if (snapshot) snapshot_done(*snapshot, written);
  if (!written) {  // (no co_await in a catch handler) put the work back for the next flush
    for (auto& r : batch) halls_.at(r.hall_id)->dirty.merge(r.buckets);
    for (auto& [hall_id, days] : stale) stale_[hall_id].merge(days);
    co_return;
  }
  // Keep yesterday and today; what is older is in the database.
  for (auto& [id, h] : halls_) {
    const auto& calendar = h->info->terms.calendar;
    const auto keep_from = calendar.day_start(calendar.local_day(now) - days(1));
    if (keep_from <= h->horizon) continue;
    h->tallies.erase(h->tallies.begin(),
                     h->tallies.lower_bound(kpi::TallyKey{keep_from, kpi::Dimension::hall, {}}));
    h->horizon = keep_from;
  }
  if (!loops_.stopping()) {
    auto rebuilding = rebuild_stale_days(now);
    co_await std::move(rebuilding);
    auto reloading = reload_late_halls(now);
    co_await std::move(reloading);
  }
  flushes_.inc();
}

std::optional<Engine::Snapshot> Engine::take_snapshot() {
  if (options_.snapshot_every <= std::chrono::seconds::zero() ||
      (snapshot_at_ && clock_.elapsed() - *snapshot_at_ < options_.snapshot_every))
    return std::nullopt;
  // Spooled events are applied and not in the log yet: a snapshot holding them would have a
  // start apply them twice, once from it and once from the spool.
  if (log_complete_ && !log_complete_()) return std::nullopt;
  snapshot_at_ = clock_.elapsed();
  const WallTime wall =
      std::chrono::floor<std::chrono::microseconds>(std::chrono::system_clock::now());
  auto replay_from = wall;
  if (unapplied_since_) {
    if (auto queued = unapplied_since_()) replay_from = std::min(replay_from, *queued);
  }
  if (auto posted = in_flight_.earliest()) replay_from = std::min(replay_from, *posted);
  Snapshot out;
  out.stored.format = snapshot_format;
  out.stored.taken_at = wall;
  out.stored.replay_from = replay_from - replay_margin;
  out.stored.sources.insert(received_.begin(), received_.end());
  for (auto& [id, h] : halls_) {
    if (h->reload_due || h->reloading) {
      // Late events changed what its held days start from: a start loads it from the log, as
      // the reload will.
      out.stored.dropped.push_back(id);
      h->snapshot_whole = true;
      continue;
    }
    if (!h->snapshot_due()) continue;
    store::SnapshotHall stored;
    stored.hall_id = id;
    stored.horizon = h->horizon;
    stored.whole = h->snapshot_whole;
    stored.state = encode_hall_state(h->model, h->recent, h->horizon, h->day);
    auto buckets = std::exchange(h->unsnapped, {});
    if (h->snapshot_whole) {
      for (const auto& [key, tally] : h->tallies) buckets.insert(key.bucket);
    }
    for (auto bucket : buckets) {
      if (bucket < h->horizon) continue;
      kpi::Tallies of_bucket(
          h->tallies.lower_bound(kpi::TallyKey{bucket, kpi::Dimension::hall, {}}),
          h->tallies.lower_bound(
              kpi::TallyKey{bucket + std::chrono::seconds(1), kpi::Dimension::hall, {}}));
      stored.buckets.emplace(bucket, encode_tallies(of_bucket));
    }
    out.taken.push_back({id, h.get(), h->model.version(), h->day, h->horizon, std::move(buckets)});
    out.stored.halls.push_back(std::move(stored));
  }
  // Nothing moved since the last one (a quiet night): nothing to write.
  if (out.stored.halls.empty() && out.stored.dropped.empty() && !sources_moved_)
    return std::nullopt;
  sources_moved_ = false;
  return out;
}

void Engine::snapshot_done(const Snapshot& snapshot, bool written) {
  if (!written) sources_moved_ = true;
  for (const auto& taken : snapshot.taken) {
    auto it = halls_.find(taken.hall_id);
    if (it == halls_.end() || it->second.get() != taken.hall) continue;  // reloaded: written whole
    Hall& h = *it->second;
    if (!written) {
      h.unsnapped.insert(taken.buckets.begin(), taken.buckets.end());
      continue;
    }
    h.snapped(taken.version, taken.day, taken.horizon);
  }
}

asio::awaitable<void> Engine::rebuild_stale_days(Timestamp now) {
  try {
    auto reading = database_.run([limit = options_.stale_days_per_flush](pqxx::connection& c) {
      return store::stale_days(c, limit);
    });
    auto days = co_await std::move(reading);
    for (const auto& stale : days) {
      auto it = halls_.find(stale.hall_id);
      if (it == halls_.end()) continue;  // not loaded yet; its note stays for a later flush
      auto rebuilding = database_.run([hall = *it->second->info, stale, now](pqxx::connection& c) {
        recompute_day(c, hall, stale.day, now);
        store::clear_stale_day(c, stale);
      });
      co_await std::move(rebuilding);
    }
    if (!days.empty())
      spdlog::info("kpi: rebuilt {} hall-day(s) of late events from the event log", days.size());
  } catch (const std::exception& e) {
    spdlog::warn("kpi: rebuilding stale days failed, will retry: {}", e.what());
  }
}

asio::awaitable<void> Engine::reload_late_halls(Timestamp now) {
  // Spooled events are applied but not in the log yet: a reload now would lose them.
  if (log_complete_ && !log_complete_()) co_return;
  std::vector<int> due;
  for (auto& [id, h] : halls_) {
    if (h->reload_due && !h->reloading) due.push_back(id);
  }
  for (int id : due) {
    Hall& old = *halls_.at(id);
    old.reload_due = false;
    // Days held when the late event came and no longer held now are rebuilt from the log.
    const auto& calendar = old.info->terms.calendar;
    const auto first_loaded = calendar.local_day(now) - days(1);
    for (auto day = old.reload_from.value_or(first_loaded); day < first_loaded; day += days(1))
      stale_[id].insert(day);
    old.reload_from.reset();
    old.reloading = true;
    old.since_reload.clear();
    struct Loaded {
      std::unique_ptr<Hall> hall;
      std::map<int, store::SequenceMark> marks;  // of the same snapshot as the hall's events
    };
    std::optional<Loaded> loaded;
    try {
      auto loading = database_.run([info = *old.info, now](pqxx::connection& c) {
        pqxx::transaction<pqxx::repeatable_read, pqxx::read_only> tx(c);
        std::size_t events = 0;
        Loaded out;
        out.marks = store::source_sequences(tx);
        out.hall = load_hall(tx, info, now, events);
        return out;
      });
      loaded = co_await std::move(loading);
    } catch (const std::exception& e) {
      spdlog::warn("model: reloading hall {} after late events failed, will retry: {}",
                   old.info->code, e.what());
    }
    auto it = halls_.find(id);
    if (it == halls_.end()) continue;
    Hall& current = *it->second;
    current.reloading = false;
    if (!loaded) {
      current.reload_due = true;
      current.reload_from = first_loaded;
      continue;
    }
    // What was applied while the log was read and is not in the snapshot, applied again.
    Hall& fresh = *loaded->hall;
    for (const auto& r : current.since_reload) {
      if (store::arrive(loaded->marks[r.source_id], r.epoch, r.sequence) == store::Arrival::resend)
        continue;
      apply_event(fresh, r.event);
    }
    {
      HallSink sink(fresh);
      fresh.model.cut_intervals(now, sink);
    }
    for (const auto& [key, tally] : fresh.tallies)
      fresh.dirty.insert(key.bucket);  // flushed whole next time
    fresh.model.take_channels(current.model);
    fresh.reload_due = current.reload_due;
    fresh.reload_from = current.reload_from;
    fresh.changed = true;
    it->second = std::move(loaded->hall);
    reloads_.inc();
  }
  if (!due.empty())
    spdlog::info("model: reloaded {} hall(s) from the log after late events", due.size());
}

asio::awaitable<void> Engine::recompute(store::KpiHall hall, sys_days day) {
  return asio::co_spawn(strand_, recompute_on_strand(std::move(hall), day), asio::use_awaitable);
}

asio::awaitable<void> Engine::recompute_on_strand(store::KpiHall hall, sys_days day) {
  const auto now = clock_.now_seconds();
  if (auto it = halls_.find(hall.id);
      it != halls_.end() && hall.terms.calendar.day_start(day) >= it->second->horizon) {
    it->second->reload_due = true;  // the next flush loads it from the log and writes it whole
    co_return;
  }
  auto rebuilding = database_.run([hall = std::move(hall), day, now](pqxx::connection& c) {
    recompute_day(c, hall, day, now);
  });
  co_await std::move(rebuilding);
}

void Engine::recompute_day(pqxx::connection& connection, const store::KpiHall& hall, sys_days day,
                           Timestamp now) {
  const auto& calendar = hall.terms.calendar;
  const auto from = calendar.day_start(day);
  const auto day_end = calendar.day_start(day + days(1));
  const auto until = std::min(day_end, std::max(now, from));
  std::vector<records::Event> before, events;
  {
    store::ReadTransaction tx(connection);
    // Rollups rebuilt from a month whose events are gone would be empty: refused instead.
    if (auto removed = store::events_removed(tx, from, day_end)) throw std::runtime_error(*removed);
    before = read_context(tx, hall.id, calendar, from);
    events = store::read_hall_events(tx, hall.id, from, day_end);
  }
  store::HallRollup r;
  r.hall_id = hall.id;
  r.rollups = kpi::tally_events(hall.id, hall.terms, before, events, from, until);
  for (auto bucket = from; bucket < day_end;
       bucket += std::chrono::duration_cast<std::chrono::seconds>(kpi::bucket_length)) {
    r.buckets.insert(bucket);
  }
  r.days = {day};
  r.daily = kpi::sum_day(r.rollups, calendar, day);
  store::write_rollups(connection, std::span(&r, 1));
}

std::shared_ptr<const HallView> Engine::view(int hall_id) const {
  std::lock_guard lock(published_mutex_);
  auto it = published_.find(hall_id);
  return it == published_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<const HallView>> Engine::views() const {
  std::lock_guard lock(published_mutex_);
  std::vector<std::shared_ptr<const HallView>> all;
  for (const auto& [id, view] : published_) all.push_back(view);
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a->code < b->code; });
  return all;
}

std::uint64_t Engine::publications() const {
  std::lock_guard lock(published_mutex_);
  return publications_;
}

std::optional<int> Engine::hall_id(std::string_view code) const {
  std::lock_guard lock(published_mutex_);
  auto it = codes_.find(std::string(code));
  if (it == codes_.end()) return std::nullopt;
  return it->second;
}

std::uint64_t Engine::subscribe(Subscriber subscriber) {
  return subscribers_.add(std::move(subscriber));
}

void Engine::unsubscribe(std::uint64_t id) {
  subscribers_.remove(id);
}

}  // namespace halld::live
