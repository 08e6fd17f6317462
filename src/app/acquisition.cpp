#include "acquisition.hpp"

#include <spdlog/spdlog.h>

#include <csignal>
#include <fstream>
#include <thread>

#include "halld/acq/commands.hpp"
#include "halld/acq/links.hpp"
#include "halld/acq/reconcile.hpp"
#include "halld/app/app.hpp"
#include "halld/link/tcp_client.hpp"
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
                         acq::Ingest& ingest, MetricsRegistry& metrics, ChannelHooks hooks,
                         bool commands)
    : executor_(io.get_executor()),
      options_{config.acquisition.clock_ahead, config.acquisition.clock_behind},
      database_(database),
      ingest_(ingest),
      metrics_(metrics),
      hooks_(std::move(hooks)) {
  link::Backoff backoff{std::chrono::milliseconds(500), config.acquisition.reconnect_max};
  const auto& dtu = config.dtu;
  links_ = std::make_unique<acq::LinkMaker>(
      io.get_executor(), backoff,
      link::DtuServerOptions{dtu.listen_address, dtu.port, dtu.registration_timeout,
                             dtu.max_unregistered},
      metrics);
  if (commands) {
    commands_ = std::make_shared<acq::CommandDispatcher>(
        io.get_executor(), database, [this] { return channels(); }, metrics,
        config.acquisition.command_timeout);
  }
}

Acquisition::~Acquisition() = default;

std::shared_ptr<acq::Channel> Acquisition::make(store::ChannelRow row,
                                                std::shared_ptr<const proto::SessionCodec> codec) {
  auto make_link = links_->factory(row.channel);
  auto channel = std::make_shared<acq::Channel>(std::move(row), std::move(codec), options_,
                                                database_, ingest_, metrics_, make_link);
  if (hooks_.before_start) hooks_.before_start(*channel);
  return channel;
}

void Acquisition::retire(const Running& running) {
  running.channel->stop();
  links_->release(running.channel->config().channel);
  if (hooks_.after_stop) hooks_.after_stop(*running.channel);
  // Its link calls back into it until the link's last operation has ended.
  std::erase_if(stopping_, [](const auto& channel) { return channel->link_finished(); });
  stopping_.push_back(running.channel);
}

ChannelChanges Acquisition::apply(std::vector<store::ChannelRow> rows,
                                  const acq::Protocols& protocols, std::uint64_t generation) {
  std::lock_guard serial(apply_mutex_);
  ChannelChanges changes;
  if (generation < applied_generation_) {
    changes.superseded = true;
    return changes;
  }
  applied_generation_ = generation;
  auto plan = acq::plan_channels(
      [this] {
        std::lock_guard lock(channels_mutex_);
        return channels_;
      }(),
      std::move(rows), protocols,
      [](const store::ChannelRow& row) {
        // The facility devices' Modbus channels are the facility service's (facility/facility).
        return row.channel.protocol != records::ChannelProtocol::modbus;
      });
  // A changed channel's link (a DTU's registration) must be free before it is made again.
  for (const auto& running : plan.changed) retire(running);
  auto next = std::move(plan.kept);
  std::vector<std::shared_ptr<acq::Channel>> to_start;
  for (auto& [row, fingerprint, restart] : plan.make) {
    const auto code = row.channel.code;
    auto codec = protocols.codec(row.channel);
    if (!codec) {
      changes.refused.push_back(fmt::format("{}: its protocol '{}' is not in the registry", code,
                                            row.channel.described_protocol));
      if (restart) changes.stopped.push_back(code);
      continue;
    }
    try {
      auto channel = make(std::move(row), std::move(codec));
      to_start.push_back(channel);
      next.emplace(code, Running{std::move(channel), std::move(fingerprint)});
      (restart ? changes.restarted : changes.started).push_back(code);
    } catch (const std::invalid_argument& e) {
      changes.refused.push_back(fmt::format("{}: {}", code, e.what()));
      if (restart) changes.stopped.push_back(code);
    }
  }
  for (auto& [code, running] : plan.gone) {  // no longer enabled
    retire(running);
    changes.stopped.push_back(code);
  }
  bool started = false;
  {
    std::lock_guard lock(channels_mutex_);
    channels_ = std::move(next);
    started = started_;
  }
  if (started) {
    if (auto server = links_->dtu_server(); server && !server->started()) server->start();
    for (auto& channel : to_start) channel->start();
  }
  for (const auto& line : changes.refused) spdlog::error("channel {}: not started", line);
  return changes;
}

std::vector<std::shared_ptr<acq::Channel>> Acquisition::channels() const {
  std::lock_guard lock(channels_mutex_);
  std::vector<std::shared_ptr<acq::Channel>> out;
  for (const auto& [code, running] : channels_) out.push_back(running.channel);
  return out;
}

asio::awaitable<nlohmann::json> Acquisition::test(std::string code) {
  std::shared_ptr<acq::Channel> channel;
  {
    std::lock_guard lock(channels_mutex_);
    if (auto found = channels_.find(code); found != channels_.end())
      channel = found->second.channel;
  }
  if (!channel) co_return nullptr;
  auto testing = acq::test_channel(executor_, channel->status(), channel->config().channel);
  co_return co_await std::move(testing);
}

void Acquisition::start() {
  {
    std::lock_guard lock(channels_mutex_);
    started_ = true;
  }
  if (auto server = links_->dtu_server()) server->start();  // before any DTU can register
  const auto all = channels();
  for (const auto& channel : all) channel->start();
  if (commands_) commands_->start();
  spdlog::info("acquisition: {} channel(s) started", all.size());
}

void Acquisition::stop(std::function<void()> done) {
  if (commands_) commands_->stop();
  for (auto& channel : channels()) channel->stop();
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
  Acquisition acquisition(config, io, database, ingest, metrics,
                          {[&snapshot](acq::Channel& channel) {
                             channel.know(snapshot.sources[channel.code()],
                                          snapshot.terminal_halls);
                           },
                           nullptr},
                          false);
  std::vector<std::string> problems;
  acquisition.apply(snapshot.channels, acq::Protocols(snapshot.described_protocols, problems), 1);
  for (const auto& problem : problems) spdlog::error("protocol registry: {}", problem);
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
