#include "acquisition.hpp"

#include <spdlog/spdlog.h>

#include <csignal>
#include <fstream>
#include <thread>

#include "halld/acq/commands.hpp"
#include "halld/acq/links.hpp"
#include "halld/app/app.hpp"
#include "halld/store/event_store.hpp"
#include "halld/store/migrations.hpp"
#include "setup.hpp"

namespace halld::app {
namespace {

// The file beside the spool from which acquisition starts while the database is away.
std::filesystem::path snapshot_path(const Config& config) {
  return config.acquisition.spool_file.parent_path() / "acquisition.json";
}

}  // namespace

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

Acquisition::Acquisition(const Config& config, asio::io_context& io, store::Database& database,
                         acq::Ingest& ingest, MetricsRegistry& metrics,
                         std::vector<store::ChannelRow> rows, bool commands) {
  link::Backoff backoff{std::chrono::milliseconds(500), config.acquisition.reconnect_max};
  const auto& dtu = config.dtu;
  links_ = std::make_unique<acq::LinkMaker>(
      io.get_executor(), backoff,
      link::DtuServerOptions{dtu.listen_address, dtu.port, dtu.registration_timeout,
                             dtu.max_unregistered},
      metrics);
  const acq::ChannelOptions options{config.acquisition.clock_ahead,
                                    config.acquisition.clock_behind};
  for (auto& row : rows) {
    const auto code = row.channel.code;
    try {
      auto make_link = links_->factory(row.channel);
      channels_.push_back(std::make_shared<acq::Channel>(std::move(row), options, database, ingest,
                                                         metrics, make_link));
    } catch (const std::invalid_argument& e) {
      spdlog::error("channel {} not started: {}", code, e.what());
    }
  }
  if (commands) {
    commands_ = std::make_shared<acq::CommandDispatcher>(
        io.get_executor(), database, channels_, metrics, config.acquisition.command_timeout);
  }
}

Acquisition::~Acquisition() = default;

void Acquisition::start() {
  if (auto server = links_->dtu_server()) server->start();  // before any DTU can register
  for (auto& channel : channels_) channel->start();
  if (commands_) commands_->start();
  spdlog::info("acquisition: {} channel(s) started", channels_.size());
}

void Acquisition::stop(std::function<void()> done) {
  if (commands_) commands_->stop();
  for (auto& channel : channels_) channel->stop();
  if (auto server = links_->dtu_server()) server->stop();
  done();
}

Outage acquire_while_database_away(const Config& config, store::Database& database) {
  const auto path = snapshot_path(config);
  if (config.acquisition.spool_file.empty() || !std::filesystem::exists(path)) {
    spdlog::error("acquisition cannot start without the database: {}",
                  config.acquisition.spool_file.empty()
                      ? "no spool is configured"
                      : "no snapshot of the channels yet (" + path.string() + ")");
    return Outage::cannot_acquire;
  }
  store::AcquisitionSnapshot snapshot;
  try {
    snapshot = store::snapshot_from_json(nlohmann::json::parse(read_file(path)));
  } catch (const std::exception& e) {
    spdlog::error("acquisition cannot start without the database: {} is unreadable: {}",
                  path.string(), e.what());
    return Outage::cannot_acquire;
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
  Acquisition acquisition(config, io, database, ingest, metrics, snapshot.channels, false);
  for (auto& channel : acquisition.channels())
    channel->know(snapshot.sources[channel->code()], snapshot.terminal_halls);
  acquisition.start();
  spdlog::warn("the database is away: {} channel(s) acquire into the spool {} until it answers",
               acquisition.channels().size(), config.acquisition.spool_file.string());
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
  const bool stopped = signalled;
  spdlog::info(stopped
                   ? "stopping: what was acknowledged is in the spool"
                   : "the database answers: acquisition restarts in full and replays the spool");
  acquisition.stop([] {});
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
  return stopped ? Outage::stopped : Outage::database_back;
}

}  // namespace halld::app
