#include "daemon.hpp"

#include <fmt/format.h>
#include <pwd.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "halld/acq/channel.hpp"
#include "halld/acq/commands.hpp"
#include "halld/acq/ingest.hpp"
#include "halld/acq/links.hpp"
#include "halld/alarm/engine.hpp"
#include "halld/api/http_server.hpp"
#include "halld/api/routes.hpp"
#include "halld/app/app.hpp"
#include "halld/auth/secrets.hpp"
#include "halld/auth/user_store.hpp"
#include "halld/core/log.hpp"
#include "halld/core/version.hpp"
#include "halld/live/engine.hpp"
#include "halld/notify/notifier.hpp"
#include "halld/proto/commands.hpp"
#include "halld/store/archive_store.hpp"
#include "halld/store/command_store.hpp"
#include "halld/store/database.hpp"
#include "halld/store/event_store.hpp"
#include "halld/store/kpi_store.hpp"
#include "halld/store/migrations.hpp"

namespace halld::app {
namespace {

// Who ran a command-line change, for its record: the account of the process (not $USER, which
// a service manager or su may leave unset or stale), and who became it through sudo.
std::string operating_system_user() {
  const passwd* account = ::getpwuid(::geteuid());
  std::string name =
      account && account->pw_name ? account->pw_name : fmt::format("uid {}", ::geteuid());
  if (const char* sudo = std::getenv("SUDO_USER"); sudo && *sudo && name != sudo)
    name += fmt::format(" (sudo by {})", sudo);
  return name;
}

std::unique_ptr<store::Database> open_database(const Config& config, MetricsRegistry& metrics,
                                               std::size_t threads) {
  // libpq reads its connect timeout from the environment whatever form the conninfo takes.
  ::setenv("PGCONNECT_TIMEOUT", std::to_string(config.database.connect_timeout.count()).c_str(), 1);
  auto statements = store::archive_statements();
  auto events = store::event_statements();
  auto commands = store::command_statements();
  auto kpis = store::kpi_statements();
  statements.insert(statements.end(), events.begin(), events.end());
  statements.insert(statements.end(), commands.begin(), commands.end());
  statements.insert(statements.end(), kpis.begin(), kpis.end());
  return std::make_unique<store::Database>(config.database.conninfo, threads, std::move(statements),
                                           metrics);
}

// Waits up to startup_wait for the database, then brings the schema to this binary's version
// (or refuses, as configured). Returns an exit code, exit_ok when halld may go on; sets
// `unreachable` when the database could not be reached at all.
int prepare_schema(store::Database& database, const Config& config, bool* unreachable = nullptr) {
  const auto known = store::known_migrations();
  const auto deadline = std::chrono::steady_clock::now() + config.database.startup_wait;
  store::SchemaState state;
  for (;;) {
    try {
      state = database.run_blocking(
          [&](pqxx::connection& c) { return store::inspect_schema(c, known); });
      break;
    } catch (const pqxx::broken_connection& e) {
      if (std::chrono::steady_clock::now() >= deadline) {
        spdlog::error("database unreachable after {} s: {}", config.database.startup_wait.count(),
                      e.what());
        if (unreachable) *unreachable = true;
        return exit_failure;
      }
      spdlog::warn("database not reachable yet, retrying: {}", e.what());
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
  }
  if (state.current > state.latest_known) {
    spdlog::error(
        "the database schema is at version {}, newer than this halld knows ({}); refusing to start",
        state.current, state.latest_known);
    return exit_schema;
  }
  if (!state.pending.empty()) {
    if (config.database.on_old_schema == OldSchemaPolicy::refuse) {
      spdlog::error(
          "the database schema is at version {}, this halld needs {}; run 'halld migrate' "
          "(database.on_old_schema = \"refuse\")",
          state.current, state.latest_known);
      return exit_schema;
    }
    database.run_blocking([&](pqxx::connection& c) { return store::migrate(c, known); });
  }
  spdlog::info("database schema at version {}", state.latest_known);
  return exit_ok;
}

std::string read_file(const std::filesystem::path& path) {
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  if (ec) throw std::runtime_error(fmt::format("{}: cannot read: {}", path.string(), ec.message()));
  if (size > archive::max_file_bytes) {
    throw std::runtime_error(
        fmt::format("{}: larger than {} bytes", path.string(), archive::max_file_bytes));
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The file beside the spool from which acquisition starts while the database is away.
std::filesystem::path snapshot_path(const Config& config) {
  return config.acquisition.spool_file.parent_path() / "acquisition.json";
}

void write_snapshot(const Config& config, const store::AcquisitionSnapshot& snapshot) {
  if (config.acquisition.spool_file.empty()) return;
  const auto path = snapshot_path(config);
  const auto written = path.string() + ".new";
  try {
    std::filesystem::create_directories(path.parent_path().empty() ? "." : path.parent_path());
    {
      std::ofstream out(written, std::ios::trunc);
      out << to_json(snapshot).dump();
      if (!out.flush()) throw std::runtime_error("cannot write " + written);
    }
    std::filesystem::rename(written, path);  // whole or not at all
  } catch (const std::exception& e) {
    spdlog::warn(
        "acquisition: snapshot not saved ({}); a start without the database cannot acquire",
        e.what());
  }
}

// The channels of `rows`, each with its link; a channel whose link cannot be made is logged and
// left out.
std::vector<std::shared_ptr<acq::Channel>> make_channels(
    std::vector<store::ChannelRow> rows, const Config& config, store::Database& database,
    acq::Ingest& ingest, MetricsRegistry& metrics, acq::LinkMaker& links) {
  const acq::ChannelOptions options{config.acquisition.clock_ahead,
                                    config.acquisition.clock_behind};
  std::vector<std::shared_ptr<acq::Channel>> channels;
  for (auto& row : rows) {
    const auto code = row.channel.code;
    try {
      auto make_link = links.factory(row.channel);
      channels.push_back(std::make_shared<acq::Channel>(std::move(row), options, database, ingest,
                                                        metrics, make_link));
    } catch (const std::invalid_argument& e) {
      spdlog::error("channel {} not started: {}", code, e.what());
    }
  }
  return channels;
}

std::unique_ptr<acq::LinkMaker> make_link_maker(const Config& config, asio::io_context& io,
                                                MetricsRegistry& metrics) {
  link::Backoff backoff{std::chrono::milliseconds(500), config.acquisition.reconnect_max};
  const auto& dtu = config.dtu;
  return std::make_unique<acq::LinkMaker>(
      io.get_executor(), backoff,
      link::DtuServerOptions{dtu.listen_address, dtu.port, dtu.registration_timeout,
                             dtu.max_unregistered},
      metrics);
}

// halld started while PostgreSQL is away: the channels of the last snapshot take events in and
// acknowledge them once they are in the spool, until the database answers (true) or a signal
// asks halld to stop (false, `stopped` set). Devices are disconnected when this ends and resend
// what was not acknowledged to the halld that then starts in full; it replays the spool first.
bool acquire_while_database_away(const Config& config, store::Database& database, bool& stopped) {
  const auto path = snapshot_path(config);
  if (config.acquisition.spool_file.empty() || !std::filesystem::exists(path)) {
    spdlog::error("acquisition cannot start without the database: {}",
                  config.acquisition.spool_file.empty()
                      ? "no spool is configured"
                      : "no snapshot of the channels yet (" + path.string() + ")");
    return false;
  }
  store::AcquisitionSnapshot snapshot;
  try {
    snapshot = store::snapshot_from_json(nlohmann::json::parse(read_file(path)));
  } catch (const std::exception& e) {
    spdlog::error("acquisition cannot start without the database: {} is unreadable: {}",
                  path.string(), e.what());
    return false;
  }
  MetricsRegistry metrics;  // not served: HTTP waits for the database
  asio::io_context io(static_cast<int>(config.io_threads));
  acq::IngestLimits limits;
  limits.max_batch_rows = config.acquisition.batch_rows;
  limits.max_delay = config.acquisition.batch_delay;
  limits.spool_max_bytes = config.acquisition.spool_max_bytes;
  acq::Ingest ingest(io.get_executor(), database, limits, metrics,
                     std::make_unique<acq::Spool>(config.acquisition.spool_file));
  ingest.spool_only();
  ingest.start();
  auto links = make_link_maker(config, io, metrics);
  auto channels = make_channels(snapshot.channels, config, database, ingest, metrics, *links);
  for (auto& channel : channels)
    channel->know(snapshot.sources[channel->code()], snapshot.terminal_halls);
  if (auto server = links->dtu_server()) server->start();
  for (auto& channel : channels) channel->start();
  spdlog::warn("the database is away: {} channel(s) acquire into the spool {} until it answers",
               channels.size(), config.acquisition.spool_file.string());
  std::atomic<bool> signalled{false};
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (!ec) signalled = true;
  });
  std::vector<std::thread> threads;
  std::atomic<int> running{0};  // threads still in io.run()
  for (std::size_t i = 0; i < std::max<std::size_t>(config.io_threads, 1); ++i) {
    ++running;
    threads.emplace_back([&io, &running] {
      io.run();
      --running;
    });
  }

  const auto known = store::known_migrations();
  while (!signalled) {
    try {
      database.run_blocking([&](pqxx::connection& c) { return store::inspect_schema(c, known); });
      break;
    } catch (const pqxx::broken_connection&) {
      for (int i = 0; i < 20 && !signalled; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  stopped = signalled;
  spdlog::info(stopped
                   ? "stopping: what was acknowledged is in the spool"
                   : "the database answers: acquisition restarts in full and replays the spool");
  for (auto& channel : channels) channel->stop();
  if (auto server = links->dtu_server()) server->stop();
  ingest.stop([] {});
  signals.cancel();
  // Everything posted to this io_context (database answers included) must have run before its
  // parts go: the threads end once nothing is left to do.
  for (int i = 0; i < 300 && running > 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (running > 0) {
    // Its parts cannot be torn down safely with work still queued: start afresh instead (the
    // service manager restarts halld; everything acknowledged is in the spool).
    spdlog::error(
        "acquisition without the database did not wind down within 15 s; exiting to start afresh");
    spdlog::default_logger()->flush();
    std::_Exit(exit_failure);
  }
  for (auto& t : threads) t.join();
  return true;
}

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
  }

  int run() {
    database_ = open_database(config_, metrics_, config_.database.pool_size);
    bool unreachable = false;
    if (int code = prepare_schema(*database_, config_, &unreachable); code != exit_ok) {
      bool stopped = false;
      if (!unreachable || !acquire_while_database_away(config_, *database_, stopped)) return code;
      if (stopped) return exit_ok;
      if (int again = prepare_schema(*database_, config_); again != exit_ok) return again;
    }
    const auto known = store::known_migrations();
    metrics_.gauge_callback("halld_schema_version", "Schema version this halld runs against.",
                            [v = known.back().version] { return static_cast<double>(v); });

    try {
      start_model();
    } catch (const std::exception& e) {
      spdlog::error("cannot start the real-time model, alarms and notification: {}", e.what());
      return exit_failure;
    }
    guard_ = std::make_unique<api::Guard>(*database_, config_.auth, metrics_);
    api::add_system_routes(router_, *database_, metrics_);
    api::add_auth_routes(router_, *database_, *guard_, config_.auth,
                         !config_.http.tls_certificate.empty());
    api::add_archive_routes(router_, *database_, [this] { guard_->forget_halls(); });
    api::add_kpi_routes(router_, *database_, *engine_);
    api::add_recompute_routes(router_, *database_);
    api::add_alarm_routes(router_, *database_, *alarms_,
                          [this] { return notifier_->reload_contacts(); });
    api::add_acquisition_routes(router_, [this] {
      std::vector<nlohmann::json> statuses;
      for (const auto& channel : channels_) statuses.push_back(acq::to_json(channel->status()));
      return statuses;
    });
    server_ =
        std::make_unique<api::HttpServer>(io_, config_.http, router_, files_, *guard_, metrics_);
    try {
      server_->start();
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
    asio::co_spawn(io_, handle_signals(), asio::detached);
    spdlog::info("halld {} started (pid {})", version(), ::getpid());

    std::vector<std::thread> threads;
    for (std::size_t i = 1; i < config_.io_threads; ++i)
      threads.emplace_back([this] { io_.run(); });
    io_.run();
    for (auto& t : threads) t.join();

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
  asio::awaitable<void> handle_signals() {
    for (;;) {
      int signal = co_await signals_.async_wait(asio::use_awaitable);
      if (signal == SIGHUP) {
        reload();
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
    engine_ = std::make_unique<live::Engine>(io_.get_executor(), *database_, metrics_, options, [] {
      return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    });
    engine_->rebuild();
    engine_->start();
    alarms_ = std::make_unique<alarm::Engine>(
        io_.get_executor(), *database_, metrics_, *engine_, alarm::EngineOptions{},
        [] { return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()); });
    alarms_->load();
    notifier_ = make_notifier();
    notifier_->load();
    alarms_->start();
    notifier_->start();
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
      if (auto problem = alarm::check_template(*text)) {
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
    return std::make_unique<notify::Notifier>(
        io_.get_executor(), *database_, metrics_, *alarms_, std::move(channels), std::move(options),
        [] { return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()); });
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
    ingest_->start();
    auto snapshot = database_->run_blocking(store::acquisition_snapshot);
    write_snapshot(config_, snapshot);
    link_maker_ = make_link_maker(config_, io_, metrics_);
    channels_ = make_channels(std::move(snapshot.channels), config_, *database_, *ingest_, metrics_,
                              *link_maker_);
    for (auto& channel : channels_) {
      if (auto hall = channel->hall_id()) {
        channel->observe_comm([engine = engine_.get(), hall = *hall, code = channel->code()](
                                  bool up) { engine->channel_state(hall, code, up); });
        channel->observe_clock([engine = engine_.get(), hall = *hall,
                                code = channel->code()](std::chrono::seconds off) {
          engine->device_clock(hall, code, off);
        });
      }
    }
    if (auto server = link_maker_->dtu_server()) server->start();  // before any DTU can register
    for (auto& channel : channels_) channel->start();
    commands_ = std::make_shared<acq::CommandDispatcher>(
        io_.get_executor(), *database_, channels_, metrics_, config_.acquisition.command_timeout);
    commands_->start();
    spdlog::info("acquisition: {} channel(s) started", channels_.size());
  }

  // Stop the links (no new events), let ingest store what it holds, stop accepting HTTP and let
  // requests in flight finish, all within the grace period; then stop the loop.
  asio::awaitable<void> shut_down() {
    commands_->stop();
    for (auto& channel : channels_) channel->stop();
    if (link_maker_ && link_maker_->dtu_server()) link_maker_->dtu_server()->stop();
    // Set on the ingest's strand, read here; shared so that a late call finds it alive.
    auto ingest_stopped = std::make_shared<std::atomic<bool>>(false);
    auto engine_stopped = std::make_shared<std::atomic<bool>>(false);
    auto alarms_stopped = std::make_shared<std::atomic<bool>>(false);
    auto notifier_stopped = std::make_shared<std::atomic<bool>>(false);
    notifier_->stop([notifier_stopped] { *notifier_stopped = true; });
    // The model's last flush follows the last events ingest stores; the alarms' last writes
    // follow the model's last views.
    ingest_->stop([ingest_stopped, engine = engine_.get(), engine_stopped, alarms = alarms_.get(),
                   alarms_stopped] {
      *ingest_stopped = true;
      engine->stop([engine_stopped, alarms, alarms_stopped] {
        *engine_stopped = true;
        alarms->stop([alarms_stopped] { *alarms_stopped = true; });
      });
    });
    server_->stop();
    const auto deadline = std::chrono::steady_clock::now() + config_.shutdown_grace;
    asio::steady_timer timer(io_);
    auto busy = [&] {
      return server_->active_connections() > 0 || !*ingest_stopped || !*engine_stopped ||
             !*alarms_stopped || !*notifier_stopped;
    };
    while (busy() && std::chrono::steady_clock::now() < deadline) {
      timer.expires_after(std::chrono::milliseconds(20));
      co_await timer.async_wait(asio::use_awaitable);
    }
    if (busy()) {
      spdlog::warn(
          "stopping after {} s with {} HTTP connections open, {} events not stored (devices resend "
          "them){}",
          config_.shutdown_grace.count(), server_->active_connections(), ingest_->pending(),
          *engine_stopped ? "" : ", KPI rollups not flushed (rebuilt from the log at start)");
      if (!*alarms_stopped)
        spdlog::warn("alarm transitions not all stored (the rules raise them again at start)");
    }
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
    set_log_level(config_.log.level);
    server_->update_limits(config_.http);
    guard_->update(config_.auth);
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
  std::unique_ptr<api::Guard> guard_;
  std::unique_ptr<api::HttpServer> server_;
  std::unique_ptr<live::Engine> engine_;
  std::unique_ptr<alarm::Engine> alarms_;
  std::unique_ptr<notify::Notifier> notifier_;
  std::unique_ptr<acq::Ingest> ingest_;
  std::unique_ptr<acq::LinkMaker> link_maker_;
  std::vector<std::shared_ptr<acq::Channel>> channels_;
  std::shared_ptr<acq::CommandDispatcher> commands_;
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

int run_migrate(const Config& config) {
  init_logging(config.log);
  MetricsRegistry metrics;
  auto database = open_database(config, metrics, 1);
  const auto known = store::known_migrations();
  try {
    auto applied =
        database->run_blocking([&](pqxx::connection& c) { return store::migrate(c, known); });
    if (applied.empty())
      spdlog::info("schema already at version {}; nothing to do", known.back().version);
    else
      spdlog::info("applied {} migration(s); schema at version {}", applied.size(),
                   known.back().version);
    return exit_ok;
  } catch (const store::SchemaTooNew& e) {
    spdlog::error("{}", e.what());
    return exit_schema;
  }
}

int run_import(const Config& config, const std::filesystem::path& source, bool dry_run) {
  init_logging(config.log);
  MetricsRegistry metrics;
  // Read the file(s) before touching the database: a missing file is reported at once.
  std::function<archive::ReadResult(const archive::KnownCodes&)> read;
  if (std::filesystem::is_directory(source)) {
    archive::CsvTables tables;
    for (const auto& entry : std::filesystem::directory_iterator(source)) {
      if (entry.path().extension() == ".csv")
        tables.files[entry.path().filename().string()] = read_file(entry.path());
    }
    if (tables.files.empty())
      throw std::runtime_error(fmt::format("{}: no .csv files in this folder", source.string()));
    read = [tables = std::move(tables)](const archive::KnownCodes& known) {
      std::vector<archive::Problem> problems;
      auto document = archive::csv_to_document(tables, problems);
      auto result = archive::read_document(document, known);
      result.problems.insert(result.problems.begin(), problems.begin(), problems.end());
      return result;
    };
  } else {
    read = [text = read_file(source)](const archive::KnownCodes& known) {
      return archive::read_json(text, known);
    };
  }
  auto database = open_database(config, metrics, 1);
  if (int code = prepare_schema(*database, config); code != exit_ok) return code;
  auto outcome = database->run_blocking([&](pqxx::connection& c) {
    return store::import_archives(c, read,
                                  dry_run ? store::ImportMode::dry_run : store::ImportMode::commit);
  });
  const auto& problems = outcome.read.problems;
  if (!outcome.valid) {
    for (const auto& p : problems)
      std::fprintf(stderr, "%s: %s: %s\n", source.string().c_str(), p.location.c_str(),
                   p.reason.c_str());
    if (outcome.read.problems_not_listed > 0) {
      std::fprintf(stderr, "%s: … and %zu more problems\n", source.string().c_str(),
                   outcome.read.problems_not_listed);
    }
    std::fprintf(stderr, "%s: rejected with %zu problem(s); nothing was imported\n",
                 source.string().c_str(), problems.size() + outcome.read.problems_not_listed);
    return exit_import_rejected;
  }
  const auto& n = outcome.counts;
  std::printf(
      "%s: %s %zu cities, %zu business types, %zu customer classes, %zu halls, %zu windows, "
      "%zu clerks, %zu terminals, %zu devices, %zu channels\n",
      source.string().c_str(), dry_run ? "valid, nothing applied (--dry-run):" : "imported",
      n.cities, n.business_types, n.customer_classes, n.halls, n.windows, n.clerks, n.terminals,
      n.devices, n.channels);
  return exit_ok;
}

int run_first_admin(const Config& config, const std::string& username) {
  init_logging(config.log);
  MetricsRegistry metrics;
  auto database = open_database(config, metrics, 1);
  if (int code = prepare_schema(*database, config); code != exit_ok) return code;
  auth::UserFields admin{username,
                         "省公司管理员",
                         auth::Role::province_admin,
                         auth::Scope{},
                         false,
                         auth::random_password(),
                         {}};
  admin.password_hash =
      auth::hash_password(admin.password);  // a command line, not a server: no pool needed
  const bool created = database->run_blocking([&](pqxx::connection& c) {
    pqxx::work tx(c);
    tx.exec("LOCK TABLE app_user IN EXCLUSIVE MODE");
    if (auth::count_users(tx) > 0) return false;
    auth::create_user(tx, admin);
    tx.commit();
    return true;
  });
  if (!created) {
    std::printf(
        "users exist already: no administrator created (its password was shown when it was)\n");
    return exit_ok;
  }
  std::printf("administrator '%s' created; password (shown this once): %s\n", username.c_str(),
              admin.password.c_str());
  return exit_ok;
}

int run_create_token(const Config& config, const TokenRequest& request) {
  init_logging(config.log);
  MetricsRegistry metrics;
  auto database = open_database(config, metrics, 1);
  if (int code = prepare_schema(*database, config); code != exit_ok) return code;
  auth::TokenFields fields{request.name,
                           request.role,
                           request.scope,
                           request.requests_per_minute,
                           std::chrono::system_clock::now() + std::chrono::days(request.days),
                           "cli"};
  auto created = database->run_blocking([&](pqxx::connection& c) {
    pqxx::work tx(c);
    auto token = auth::create_token(tx, fields);
    auth::AuditEntry entry{"cli",
                           "",
                           "",
                           "CLI",
                           "halld token",
                           0,
                           "/api/v1/tokens",
                           nullptr,
                           nlohmann::json::parse(auth::token_json(tx, token.id)),
                           nullptr};
    auth::insert_audit(tx, entry);
    tx.commit();
    return token;
  });
  std::printf("%s\n", created.secret.c_str());
  return exit_ok;
}

int run_command(const Config& config, const CommandRequest& request) {
  init_logging(config.log);
  nlohmann::json command;
  try {
    command = nlohmann::json::parse(request.command);
  } catch (const nlohmann::json::exception& e) {
    std::fprintf(stderr, "halld: the command is not JSON: %s\n", e.what());
    return exit_usage;
  }
  MetricsRegistry metrics;
  auto database = open_database(config, metrics, 1);
  if (int code = prepare_schema(*database, config); code != exit_ok) return code;
  const auto protocol = database->run_blocking(
      [&](pqxx::connection& c) { return store::channel_protocol(c, request.channel); });
  if (!protocol) {
    std::fprintf(stderr, "halld: no channel '%s'\n", request.channel.c_str());
    return exit_usage;
  }
  auto device = request.device;
  if (!device) {
    // A guessed address would go to nobody, or to the wrong device on a bus.
    const auto known = database->run_blocking(
        [&](pqxx::connection& c) { return store::channel_devices(c, request.channel); });
    if (known.size() != 1) {
      std::fprintf(
          stderr, "halld: channel '%s' has %s; name the device with --device N\n",
          request.channel.c_str(),
          known.empty()
              ? "no device that has reported yet"
              : fmt::format("{} devices ({})", known.size(), fmt::join(known, ", ")).c_str());
      return exit_usage;
    }
    device = known.front();
  }
  try {
    proto::encode_command_json(*protocol, *device, 0,
                               command);  // refuses what the device could not be sent
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "halld: %s\n", e.what());
    return exit_usage;
  }
  const auto requested_by = "cli:" + operating_system_user();
  const auto id = database->run_blocking([&](pqxx::connection& c) {
    return store::queue_command(c, request.channel, *device, command, requested_by,
                                request.expires_in);
  });
  std::printf("command %lld queued for channel %s, device %u by %s\n", static_cast<long long>(id),
              request.channel.c_str(), *device, requested_by.c_str());
  std::fflush(stdout);
  const auto deadline = std::chrono::steady_clock::now() + request.wait;
  for (;;) {
    auto state =
        database->run_blocking([&](pqxx::connection& c) { return store::command_state(c, id); });
    const bool open = state->state == "queued" || state->state == "sent";
    if (!open || std::chrono::steady_clock::now() >= deadline) {
      std::printf("command %lld: %s%s%s\n", static_cast<long long>(id), state->state.c_str(),
                  state->detail.empty() ? "" : ": ", state->detail.c_str());
      return state->state == "done" || (open && request.wait.count() == 0) ? exit_ok : exit_failure;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

int run_recompute(const Config& config, const RecomputeRequest& request) {
  init_logging(config.log);
  MetricsRegistry metrics;
  auto database = open_database(config, metrics, 1);
  if (int code = prepare_schema(*database, config); code != exit_ok) return code;
  auto halls = database->run_blocking(store::load_kpi_halls);
  if (!request.hall.empty()) {
    std::erase_if(halls, [&](const store::KpiHall& h) { return h.code != request.hall; });
    if (halls.empty()) {
      std::fprintf(stderr, "halld: no hall '%s'\n", request.hall.c_str());
      return exit_usage;
    }
  }
  const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  const auto days = (request.last_day - request.first_day).count() + 1;
  const auto started = std::chrono::steady_clock::now();
  std::size_t done = 0;
  for (const auto& hall : halls) {
    for (auto day = request.first_day; day <= request.last_day; day += std::chrono::days(1)) {
      database->run_blocking(
          [&](pqxx::connection& c) { live::Engine::recompute_day(c, hall, day, now); });
    }
    if (++done % 100 == 0 || done == halls.size()) {
      std::printf("recomputed %zu of %zu halls × %lld days\n", done, halls.size(),
                  static_cast<long long>(days));
      std::fflush(stdout);
    }
  }
  std::printf("recomputed %zu hall-days in %.1f s\n", halls.size() * static_cast<std::size_t>(days),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  return exit_ok;
}

}  // namespace halld::app
