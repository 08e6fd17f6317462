// The long-running server: its parts, their start in dependency order and their stop in reverse.
#include "daemon.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <csignal>
#include <thread>

#include "acquisition.hpp"
#include "halld/alarm/engine.hpp"
#include "halld/api/http_server.hpp"
#include "halld/api/routes.hpp"
#include "halld/app/app.hpp"
#include "halld/core/clock.hpp"
#include "halld/core/log.hpp"
#include "halld/core/service.hpp"
#include "halld/core/version.hpp"
#include "halld/facility/facility.hpp"
#include "halld/ha/lease.hpp"
#include "halld/live/engine.hpp"
#include "halld/marketing/sync.hpp"
#include "halld/notice/publisher.hpp"
#include "halld/notify/notifier.hpp"
#include "halld/retention/housekeeper.hpp"
#include "halld/store/archive_store.hpp"
#include "halld/store/migrations.hpp"
#include "setup.hpp"

namespace halld::app {
namespace {

static_assert(exit_lease_lost == ha::lease_lost_exit);

// Owns the running server's parts in the order they must be torn down (reverse of members).
class Daemon {
 public:
  explicit Daemon(Config config)
      : config_(std::move(config)),
        io_(static_cast<int>(config_.io_threads)),
        signals_(io_, SIGINT, SIGTERM, SIGHUP),
        files_(config_.http.web_root) {
    register_process_metrics(metrics_);
    metrics_.gauge_callback("halld_build_info", "Constant 1, labelled with the halld version.",
                            [] { return 1.0; }, {{"version", std::string(version())}});
    metrics_.counter_callback(
        "halld_coroutine_failures_total",
        "Coroutines that ended by an exception (each is logged with what it was).",
        [] { return static_cast<double>(coroutine_failures()); });
  }

  int run() {
    database_ = open_database(config_, metrics_, config_.database.pool_size);
    bool unreachable = false;
    if (int code = prepare_schema(*database_, config_, &unreachable); code != exit_ok) {
      // A node of several acquires only while it holds the lease, which lives in the database.
      if (!unreachable || !config_.ha.node.empty()) return code;
      switch (acquire_while_database_away(config_, *database_)) {
        case Outage::cannot_acquire:
          return code;
        case Outage::stopped:
          return exit_ok;
        case Outage::database_back:
          if (int again = prepare_schema(*database_, config_); again != exit_ok) return again;
      }
    }
    const auto known = store::known_migrations();
    metrics_.gauge_callback("halld_schema_version", "Schema version this halld runs against.",
                            [v = known.back().version] { return static_cast<double>(v); });
    guard_ = std::make_unique<api::Guard>(*database_, config_.auth, metrics_);
    if (!config_.ha.node.empty()) {
      if (auto code = stand_by()) return *code;
    }

    try {
      start_model();
    } catch (const std::exception& e) {
      spdlog::error("cannot start the real-time model, alarms and notification: {}", e.what());
      return exit_failure;
    }
    api::add_system_routes(router_, *database_, metrics_);
    api::add_auth_routes(router_, *database_, *guard_, config_.auth,
                         !config_.http.tls_certificate.empty());
    api::add_archive_routes(router_, *database_, [this] {
      guard_->forget_halls();
      halld::spawn(io_.get_executor(), "channels: after an import",
                   [this]() -> asio::awaitable<void> {
                     auto reloading = reload_channels();
                     log_changes(co_await std::move(reloading), "import");
                   });
    });
    api::add_facility_routes(router_, *database_,
                             {[this](const std::string& code) -> std::optional<nlohmann::json> {
                               auto hall = engine_->hall_id(code);
                               if (!hall) return std::nullopt;
                               return facility_->hall_json(*hall);
                             }});
    api::add_kpi_routes(router_, *database_, *engine_);
    api::add_live_routes(router_, *engine_);
    api::add_recompute_routes(router_, *database_, *engine_);
    api::add_alarm_routes(router_, *database_, *alarms_,
                          [this] { return notifier_->reload_contacts(); });
    api::add_emergency_routes(router_, *database_, *emergencies_);
    api::add_notice_routes(router_, *database_, *notices_);
    api::add_marketing_routes(router_, *database_, marketing_.get());
    api::add_acquisition_routes(router_, *database_,
                                {[this] {
                                   std::vector<nlohmann::json> statuses;
                                   for (const auto& channel : acquisition_->channels())
                                     statuses.push_back(acq::to_json(channel->status()));
                                   for (const auto& status : facility_->statuses())
                                     statuses.push_back(acq::to_json(status));
                                   if (marketing_)
                                     statuses.push_back(acq::to_json(marketing_->status()));
                                   return statuses;
                                 },
                                 [this]() -> asio::awaitable<nlohmann::json> {
                                   auto reloading = reload_channels();
                                   co_return to_json(co_await std::move(reloading));
                                 },
                                 [this](std::string code) -> asio::awaitable<nlohmann::json> {
                                   auto testing = acquisition_->test(code);
                                   auto result = co_await std::move(testing);
                                   if (!result.is_null()) co_return result;
                                   auto facility_testing = facility_->test(std::move(code));
                                   co_return co_await std::move(facility_testing);
                                 }});
    server_ =
        std::make_unique<api::HttpServer>(io_, config_.http, router_, files_, *guard_, metrics_);
    try {
      start_service(*server_);
    } catch (const std::system_error& e) {
      spdlog::error("cannot serve HTTP on {}:{}: {}", config_.http.listen_address,
                    config_.http.port, e.what());
      return exit_failure;
    }
    try {
      start_acquisition();
    } catch (const std::exception& e) {  // the spool cannot be opened, or the channels read
      spdlog::error("cannot start acquisition: {}", e.what());
      return exit_failure;
    }
    housekeeper_ = std::make_unique<retention::Housekeeper>(
        io_.get_executor(), *database_, metrics_, config_.retention, system_clock());
    start_service(*housekeeper_);
    halld::spawn(io_.get_executor(), "signals", handle_signals());
    spdlog::info("halld {} started (pid {})", version(), ::getpid());

    std::vector<std::thread> threads;
    for (std::size_t i = 1; i < config_.io_threads; ++i)
      threads.emplace_back([this] { io_.run(); });
    io_.run();
    for (auto& t : threads) t.join();
    if (lease_) lease_->release();  // every service has stopped: a standby may take over now

    try {  // the sources registered since the start, for a start without the database
      write_snapshot(config_, database_->run_blocking(store::acquisition_snapshot));
    } catch (const std::exception& e) {
      spdlog::warn("acquisition: snapshot not refreshed at stop: {}", e.what());
    }
    database_->stop();  // finishes queued work and closes the pool
    spdlog::info("halld stopped");
    spdlog::default_logger()->flush();
    return exit_ok;
  }

 private:
  // A node of several (ha.node set) waits as a standby until it holds the lease, answering
  // /healthz, /readyz (503: who is active, and where) and /metrics meanwhile, and sending every
  // other request to the active node (307); nothing else runs.
  // Returns the exit code when it stops before it is active, nullopt once it is.
  std::optional<int> stand_by() {
    lease_ = std::make_unique<ha::Lease>(
        ha::LeaseOptions{config_.database.conninfo, config_.ha.node, config_.ha.address,
                         config_.ha.failover_delay, std::string(version())});
    auto& active = metrics_.gauge(
        "halld_ha_active", "1 while this node holds the lease and acts, 0 while it stands by.",
        {{"node", config_.ha.node}});
    metrics_.gauge_callback("halld_ha_term", "The lease's term this node took (0 while standby).",
                            [lease = lease_.get()] { return static_cast<double>(lease->term()); });
    std::mutex mutex;
    nlohmann::json active_node;
    asio::io_context standby_io(1);
    api::Router standby_router;
    api::add_system_routes(
        standby_router, *database_, metrics_, [&]() -> std::optional<nlohmann::json> {
          std::lock_guard lock(mutex);
          return nlohmann::json{
              {"status", "standby"}, {"node", config_.ha.node}, {"active", active_node}};
        });
    api::HttpServer server(standby_io, config_.http, standby_router, files_, *guard_, metrics_);
    server.send_to_active([&] {
      std::lock_guard lock(mutex);
      return active_node.is_object() ? active_node.value("address", std::string()) : std::string();
    });
    try {
      server.start();
    } catch (const std::system_error& e) {
      spdlog::error("cannot serve HTTP on {}:{}: {}", config_.http.listen_address,
                    config_.http.port, e.what());
      return exit_failure;
    }
    std::atomic<bool> stopping{false};
    asio::signal_set signals(standby_io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code& ec, int) {
      if (!ec) stopping = true;
    });
    std::thread serving([&] { standby_io.run(); });
    const bool took = lease_->wait_until_active([&] { return stopping.load(); },
                                                [&](const nlohmann::json& node) {
                                                  std::lock_guard lock(mutex);
                                                  active_node = node;
                                                });
    asio::post(standby_io, [&] {
      signals.cancel();
      server.stop([&] { standby_io.stop(); });
    });
    serving.join();
    if (!took) {
      spdlog::info("halld stopped (standby)");
      return exit_ok;
    }
    lease_->keep();
    active.set(1);
    return std::nullopt;
  }

  asio::awaitable<void> handle_signals() {
    for (;;) {
      int signal = co_await signals_.async_wait(asio::use_awaitable);
      if (signal == SIGHUP) {
        reload();
        auto reloading = reload_channels();
        log_changes(co_await std::move(reloading), "SIGHUP");
        continue;
      }
      spdlog::info("signal {} received: stopping", signal == SIGTERM ? "SIGTERM" : "SIGINT");
      co_await shut_down();
      co_return;
    }
  }

  // Before any event can arrive: the model is rebuilt from the log, then follows ingest.
  void start_model() {
    live::EngineOptions options;
    options.flush_every = config_.kpi.flush_interval;
    options.snapshot_every = config_.kpi.snapshot_interval;
    engine_ = std::make_unique<live::Engine>(io_.get_executor(), *database_, metrics_, options,
                                             system_clock());
    engine_->rebuild();
    start_service(*engine_);
    alarms_ = std::make_unique<alarm::Engine>(io_.get_executor(), *database_, metrics_, *engine_,
                                              alarm::EngineOptions{}, system_clock());
    alarms_->load();
    notifier_ = make_notifier();
    notifier_->load();
    emergencies_ = std::make_unique<emergency::Manager>(
        io_.get_executor(), *database_, metrics_, *alarms_, *engine_, emergency::ManagerOptions{},
        system_clock(), [this](emergency::Text text) {
          notifier_->tell({std::move(text.city_code), std::move(text.hall_code), text.level,
                           std::move(text.text)});
        });
    emergencies_->load();
    notices_ = std::make_unique<notice::Publisher>(io_.get_executor(), *database_, metrics_,
                                                   notice::PublisherOptions{}, system_clock());
    start_service(*alarms_);
    start_service(*notifier_);
    start_service(*emergencies_);
    start_service(*notices_);
    facility_ = std::make_unique<facility::Facility>(
        io_.get_executor(), *database_, metrics_, facility::FacilityOptions{}, system_clock(),
        [engine = engine_.get()](int hall, const std::vector<records::FacilityReading>& readings) {
          engine->facility_readings(hall, readings);
        });
    if (!config_.marketing.url.empty()) {
      marketing_ =
          std::make_unique<marketing::Sync>(io_.get_executor(), *database_, metrics_,
                                            marketing_options(config_.marketing), system_clock());
      start_service(*marketing_);
    }
  }

  static marketing::SyncOptions marketing_options(const MarketingConfig& config) {
    marketing::SyncOptions options;
    options.url = config.url;
    options.username = config.username;
    options.password = config.password;
    options.password_digest = config.password_type == "digest";
    options.page_size = static_cast<int>(config.page_size);
    options.interval = config.interval;
    options.archive_interval = config.archive_interval;
    options.http.connect_timeout = config.connect_timeout;
    options.http.read_timeout = config.read_timeout;
    options.attempts = static_cast<int>(config.attempts);
    options.retry_delay = config.retry_delay;
    options.breaker_rounds = static_cast<int>(config.breaker_rounds);
    options.breaker_pause = config.breaker_pause;
    options.thresholds.premium_annual_kwh = static_cast<double>(config.premium_annual_kwh);
    options.thresholds.premium_contract_kva = static_cast<double>(config.premium_contract_kva);
    options.link.settle = config.link_settle;
    options.link.give_up = config.link_give_up;
    options.link.options.tolerance = config.link_tolerance;
    return options;
  }

  // Throws std::invalid_argument for a template that cannot be used or a channel that cannot be
  // made.
  std::unique_ptr<notify::Notifier> make_notifier() {
    const auto& sms = config_.sms;
    notify::NotifierOptions options;
    options.policy.escalate_after = sms.escalate_after;
    options.policy.group_window = sms.group_window;
    options.policy.texts_per_hour = static_cast<int>(sms.texts_per_hour);
    for (auto [text, target] : {std::pair{&sms.text_template, &options.policy.text_template},
                                std::pair{&sms.state_template, &options.policy.state_template}}) {
      if (text->empty()) continue;
      if (auto problem = notify::check_template(*text)) {
        throw std::invalid_argument(fmt::format("sms template \"{}\": {}", *text, *problem));
      }
      *target = *text;
    }
    options.max_attempts = static_cast<int>(sms.max_attempts);
    options.retry_after = sms.retry_after;
    std::vector<std::unique_ptr<notify::Channel>> channels;
    for (const auto& name : sms.channels) {
      if (name == "log") {
        channels.push_back(notify::make_log_channel(sms.log_file));
      } else if (name == "kannel") {
        auto callback = [this, configured = sms.callback_url] {
          return configured.empty()
                     ? fmt::format("{}://127.0.0.1:{}", server_->tls() ? "https" : "http",
                                   server_->port())
                     : configured;
        };
        channels.push_back(notify::make_kannel_channel(
            io_.get_executor(), {sms.kannel_url, sms.kannel_username, sms.kannel_password,
                                 sms.kannel_from, callback, std::chrono::seconds(10)}));
      } else if (name == "modem") {
        channels.push_back(
            notify::make_modem_channel(io_.get_executor(),
                                       {sms.modem_devices, static_cast<unsigned>(sms.modem_baud),
                                        sms.modem_pin, sms.modem_timeout},
                                       metrics_));
      }
    }
    spdlog::info("sms: channels {}", sms.channels.empty()
                                         ? "none (alarms are not texted)"
                                         : fmt::format("{}", fmt::join(sms.channels, " → ")));
    return std::make_unique<notify::Notifier>(io_.get_executor(), *database_, metrics_, *alarms_,
                                              std::move(channels), std::move(options),
                                              system_clock());
  }

  void start_acquisition() {
    acq::IngestLimits limits;
    limits.max_batch_rows = config_.acquisition.batch_rows;
    limits.max_delay = config_.acquisition.batch_delay;
    limits.spool_max_bytes = config_.acquisition.spool_max_bytes;
    std::unique_ptr<acq::Spool> spool;
    if (!config_.acquisition.spool_file.empty())
      spool = std::make_unique<acq::Spool>(config_.acquisition.spool_file);
    ingest_ = std::make_unique<acq::Ingest>(io_.get_executor(), *database_, limits, metrics_,
                                            std::move(spool));
    ingest_->observe([engine = engine_.get()](std::span<const store::IngestRecord> batch) {
      engine->apply(batch);
    });
    engine_->set_log_complete([ingest = ingest_.get()] { return ingest->spool_bytes() == 0; });
    engine_->set_unapplied_since([ingest = ingest_.get()] { return ingest->oldest_unobserved(); });
    start_service(*ingest_);
    acquisition_ = std::make_unique<Acquisition>(config_, io_, *database_, *ingest_, metrics_,
                                                 channel_hooks(), true);
    start_service(*facility_);
    protocols_dir_ = config_.acquisition.protocols_dir;
    auto reading = database_->run_blocking(
        [dir = protocols_dir_](pqxx::connection& c) { return read_channels(c, dir); });
    log_changes(apply(std::move(reading), ++channel_generation_), "start");
    start_service(*acquisition_);
  }

  ChannelHooks channel_hooks() {
    return {[engine = engine_.get()](acq::Channel& channel) {
              auto hall = channel.hall_id();
              if (!hall) return;
              channel.observe_comm([engine, hall = *hall, code = channel.code()](bool up) {
                engine->channel_state(hall, code, up);
              });
              channel.observe_clock(
                  [engine, hall = *hall, code = channel.code()](std::chrono::seconds off) {
                    engine->device_clock(hall, code, off);
                  });
            },
            [engine = engine_.get()](const acq::Channel& channel) {
              if (auto hall = channel.hall_id()) engine->channel_removed(*hall, channel.code());
            }};
  }

  // What the channels should be: the description files written into the registry, then the
  // enabled channels and the descriptions they speak, read in one snapshot.
  struct ChannelReading {
    store::AcquisitionSnapshot snapshot;
    std::vector<std::string> problems;
  };
  static ChannelReading read_channels(pqxx::connection& connection,
                                      const std::filesystem::path& protocols_dir) {
    ChannelReading reading;
    if (!protocols_dir.empty())
      reading.problems = acq::sync_protocol_directory(connection, protocols_dir);
    reading.snapshot = store::acquisition_snapshot(connection);
    return reading;
  }

  ChannelChanges apply(ChannelReading reading, std::uint64_t generation) {
    acq::Protocols protocols(reading.snapshot.described_protocols, reading.problems);
    for (const auto& problem : reading.problems) spdlog::error("protocol registry: {}", problem);
    auto changes = acquisition_->apply(reading.snapshot.channels, protocols, generation);
    changes.add(facility_->apply(reading.snapshot.channels, protocols, generation));
    if (!changes.superseded) write_snapshot(config_, reading.snapshot);
    return changes;
  }

  // The registry and the channels as the database has them now, applied to the running channels.
  asio::awaitable<ChannelChanges> reload_channels() {
    const auto generation = ++channel_generation_;
    std::filesystem::path dir;
    {
      std::lock_guard lock(protocols_dir_mutex_);
      dir = protocols_dir_;
    }
    auto reading = database_->run(
        [dir = std::move(dir)](pqxx::connection& c) { return read_channels(c, dir); });
    co_return apply(co_await std::move(reading), generation);
  }

  static void log_changes(const ChannelChanges& changes, std::string_view why) {
    if (changes.empty() || changes.superseded) return;
    spdlog::info("channels ({}): started [{}], made again [{}], stopped [{}], refused [{}]", why,
                 fmt::join(changes.started, ", "), fmt::join(changes.restarted, ", "),
                 fmt::join(changes.stopped, ", "), fmt::join(changes.refused, "; "));
  }

  void start_service(Service& service) {
    service.start();
    started_.push_back(&service);
  }

  // The services stop in the reverse of their start, each awaited: no new events (acquisition),
  // what ingest holds stored, HTTP requests in flight answered, texts handed over, alarm
  // transitions written, the model's rollups flushed. What has not stopped within the grace
  // period is left (and said); then the loop stops.
  asio::awaitable<void> shut_down() {
    auto grace = std::make_shared<asio::steady_timer>(io_, config_.shutdown_grace);
    auto waiting = std::make_shared<std::string>();  // the service being awaited
    grace->async_wait([this, waiting](const boost::system::error_code& ec) {
      if (ec) return;
      spdlog::warn(
          "stopping after {} s while waiting for {}: {} HTTP connection(s) open, {} events "
          "not stored (devices resend them); the model is rebuilt from the log at start",
          config_.shutdown_grace.count(), *waiting, server_->active_connections(),
          ingest_ ? ingest_->pending() : 0);
      io_.stop();
    });
    for (auto it = started_.rbegin(); it != started_.rend(); ++it) {
      *waiting = (*it)->name();
      auto stopping = stop_service(**it);
      co_await std::move(stopping);
    }
    grace->cancel();
    io_.stop();
  }

  void reload() {
    Config fresh;
    try {
      fresh = load_config(config_.source);
    } catch (const ConfigError& e) {
      spdlog::error("SIGHUP: configuration not reloaded: {}", e.what());
      return;
    }
    auto report = reload_config(config_, fresh);
    config_ = std::move(report.next);
    {
      std::lock_guard lock(protocols_dir_mutex_);
      protocols_dir_ = config_.acquisition.protocols_dir;
    }
    set_log_level(config_.log.level);
    server_->update_limits(config_.http);
    guard_->update(config_.auth);
    housekeeper_->update(config_.retention);
    if (report.applied.empty() && report.need_restart.empty()) {
      spdlog::info("SIGHUP: configuration reloaded, nothing changed");
      return;
    }
    if (!report.applied.empty())
      spdlog::info("SIGHUP: applied {}", fmt::join(report.applied, ", "));
    if (!report.need_restart.empty()) {
      spdlog::warn("SIGHUP: changed but only applied at restart: {}",
                   fmt::join(report.need_restart, ", "));
    }
  }

  Config config_;
  MetricsRegistry metrics_;
  asio::io_context io_;
  asio::signal_set signals_;
  api::Router router_;
  api::StaticFiles files_;
  std::unique_ptr<store::Database> database_;
  std::unique_ptr<ha::Lease> lease_;  // when ha.node is set
  std::unique_ptr<api::Guard> guard_;
  std::unique_ptr<api::HttpServer> server_;
  std::unique_ptr<live::Engine> engine_;
  std::unique_ptr<alarm::Engine> alarms_;
  std::unique_ptr<notify::Notifier> notifier_;
  std::unique_ptr<emergency::Manager> emergencies_;
  std::unique_ptr<notice::Publisher> notices_;
  std::unique_ptr<marketing::Sync> marketing_;  // when marketing.url is set
  std::unique_ptr<facility::Facility> facility_;
  std::unique_ptr<acq::Ingest> ingest_;
  std::unique_ptr<Acquisition> acquisition_;
  std::unique_ptr<retention::Housekeeper> housekeeper_;
  std::atomic<std::uint64_t> channel_generation_{0};
  std::mutex protocols_dir_mutex_;
  std::filesystem::path protocols_dir_;  // as the configuration last said
  std::vector<Service*> started_;        // in the order started
};

}  // namespace

int run_daemon(const Config& config) {
  init_logging(config.log);
  std::signal(SIGPIPE, SIG_IGN);
  // The signal_set must exist before any thread starts so that every thread has them blocked
  // the Asio way; Daemon's constructor creates it.
  Daemon daemon(config);
  return daemon.run();
}

}  // namespace halld::app
