#include "halld/facility/facility.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "halld/acq/links.hpp"
#include "halld/acq/reconcile.hpp"
#include "halld/records/event_json.hpp"
#include "halld/store/command_store.hpp"

namespace halld::facility {

Facility::Facility(asio::any_io_executor executor, store::Database& database,
                   MetricsRegistry& metrics, FacilityOptions options, const Clock& clock,
                   Observer observer)
    : executor_(executor),
      strand_(asio::make_strand(executor)),
      database_(database),
      options_(std::move(options)),
      clock_(clock),
      observer_(std::move(observer)),
      links_(std::make_unique<acq::LinkMaker>(executor, options_.backoff, link::DtuServerOptions{},
                                              metrics)),
      loops_(strand_, "facility"),
      store_timer_(strand_, clock),
      command_timer_(strand_, clock),
      readings_(metrics.counter("halld_facility_readings_total",
                                "Facility readings stored (one per point per poll answered).")),
      dropped_(metrics.counter("halld_facility_readings_dropped_total",
                               "Facility readings given up while the database was away longer "
                               "than the pending limit allows.")),
      store_failures_(metrics.counter("halld_facility_store_failures_total",
                                      "Batches of facility readings the database refused (kept "
                                      "and tried again).")),
      writes_done_(
          metrics.counter("halld_facility_writes_total", "Facility writes the device confirmed.")),
      writes_failed_(metrics.counter("halld_facility_writes_failed_total",
                                     "Facility writes refused or unanswered.")) {}

Facility::~Facility() = default;

void Facility::start() {
  std::vector<std::shared_ptr<Poller>> all;
  {
    std::lock_guard lock(pollers_mutex_);
    started_ = true;
    for (const auto& [code, running] : pollers_) all.push_back(running.poller);
  }
  for (const auto& poller : all) poller->start();
  loops_.spawn("store", store_loop());
  loops_.spawn("commands", command_loop());
  if (!all.empty()) spdlog::info("facility: {} Modbus channel(s) started", all.size());
}

void Facility::stop(std::function<void()> done) {
  {
    std::lock_guard lock(pollers_mutex_);
    for (const auto& [code, running] : pollers_) running.poller->stop();
    started_ = false;
  }
  asio::post(strand_, [this, done = std::move(done)]() mutable {
    loops_.stop(std::move(done));
    store_timer_.cancel();
    command_timer_.cancel();
  });
}

acq::ChannelChanges Facility::apply(const std::vector<store::ChannelRow>& rows,
                                    const acq::Protocols& protocols, std::uint64_t generation) {
  std::lock_guard serial(apply_mutex_);
  acq::ChannelChanges changes;
  if (generation < applied_generation_) {
    changes.superseded = true;
    return changes;
  }
  applied_generation_ = generation;
  std::unique_lock lock(pollers_mutex_);
  auto current = pollers_;
  lock.unlock();
  auto plan =
      acq::plan_channels(std::move(current), rows, protocols, [](const store::ChannelRow& row) {
        return row.channel.protocol == records::ChannelProtocol::modbus && row.hall_id.has_value();
      });
  std::vector<std::shared_ptr<Poller>> to_start, to_stop;
  for (const auto& running : plan.changed) to_stop.push_back(running.poller);
  auto next = std::move(plan.kept);
  for (auto& [row, fingerprint, restart] : plan.make) {
    const auto code = row.channel.code;
    std::vector<PolledDevice> devices;
    std::string missing;
    for (const auto& device : row.channel.facilities) {
      auto model = protocols.model(device.model);
      if (!model) missing += (missing.empty() ? "" : ", ") + device.model;
      devices.push_back({device, std::move(model)});
    }
    if (!missing.empty()) {
      changes.refused.push_back(
          fmt::format("{}: device models not in the registry: {}", code, missing));
      if (restart) changes.stopped.push_back(code);
      continue;
    }
    const int hall_id = *row.hall_id;
    auto factory = links_->factory(row.channel);
    auto poller = std::make_shared<Poller>(
        std::move(row), std::move(devices), std::move(factory), clock_,
        [this, hall_id](const std::vector<records::FacilityReading>& readings) {
          take(hall_id, readings);
        });
    to_start.push_back(poller);
    next.emplace(code, Running{std::move(poller), std::move(fingerprint)});
    (restart ? changes.restarted : changes.started).push_back(code);
  }
  for (const auto& [code, running] : plan.gone) {
    to_stop.push_back(running.poller);
    changes.stopped.push_back(code);
  }
  lock.lock();
  pollers_ = std::move(next);
  const bool started = started_;
  lock.unlock();
  for (const auto& poller : to_stop) poller->stop();
  if (started) {
    for (const auto& poller : to_start) poller->start();
  }
  return changes;
}

std::vector<acq::ChannelStatus> Facility::statuses() const {
  std::lock_guard lock(pollers_mutex_);
  std::vector<acq::ChannelStatus> out;
  for (const auto& [code, running] : pollers_) out.push_back(running.poller->status());
  return out;
}

asio::awaitable<nlohmann::json> Facility::test(std::string code) {
  std::shared_ptr<Poller> poller;
  {
    std::lock_guard lock(pollers_mutex_);
    if (auto found = pollers_.find(code); found != pollers_.end()) poller = found->second.poller;
  }
  if (!poller) co_return nullptr;
  auto testing = acq::test_channel(executor_, poller->status(), poller->row().channel);
  co_return co_await std::move(testing);
}

nlohmann::json Facility::hall_json(int hall_id) const {
  std::vector<std::shared_ptr<Poller>> pollers;
  {
    std::lock_guard lock(pollers_mutex_);
    for (const auto& [code, running] : pollers_) {
      if (running.poller->row().hall_id == hall_id) pollers.push_back(running.poller);
    }
  }
  auto devices = nlohmann::json::array();
  for (const auto& poller : pollers) {
    const auto states = poller->states();
    const auto& polled = poller->devices();
    for (std::size_t i = 0; i < polled.size(); ++i) {
      const auto& archive = polled[i].archive;
      const auto& state = states[i];
      auto points = nlohmann::json::array();
      for (const auto& p : polled[i].model->points) {
        nlohmann::json point = {{"name", p.name},
                                {"title", p.title},
                                {"quantity", records::to_string(p.quantity)},
                                {"unit", p.unit},
                                {"writable", p.writable},
                                {"min", p.min ? nlohmann::json(*p.min) : nlohmann::json()},
                                {"max", p.max ? nlohmann::json(*p.max) : nlohmann::json()},
                                {"value", nullptr},
                                {"read_at", nullptr}};
        if (auto value = state.values.find(p.name); value != state.values.end()) {
          point["value"] = value->second.value;
          point["read_at"] = records::iso8601_micros(value->second.at);
        }
        points.push_back(std::move(point));
      }
      devices.push_back(
          {{"id", archive.id},
           {"kind", records::to_string(archive.kind)},
           {"name", archive.name},
           {"model", archive.model},
           {"model_title", polled[i].model->title},
           {"channel", poller->row().channel.code},
           {"unit", archive.unit},
           {"poll_ms", archive.poll_ms},
           {"answering", state.answering ? nlohmann::json(*state.answering) : nlohmann::json()},
           {"last_answer_at", state.last_answer
                                  ? nlohmann::json(records::iso8601_micros(*state.last_answer))
                                  : nlohmann::json()},
           {"problem", state.problem},
           {"polls", state.polls},
           {"failures", state.failures},
           {"points", std::move(points)}});
    }
  }
  return {{"devices", std::move(devices)}};
}

void Facility::take(int hall_id, const std::vector<records::FacilityReading>& readings) {
  {
    std::lock_guard lock(pending_mutex_);
    for (const auto& r : readings) pending_.push_back({hall_id, r});
    while (pending_.size() > options_.max_pending) {
      pending_.pop_front();
      dropped_.inc();
    }
  }
  if (observer_) observer_(hall_id, readings);
}

asio::awaitable<void> Facility::store_loop() {
  while (!loops_.stopping()) {
    auto waiting = store_timer_.wait(options_.store_every);
    co_await std::move(waiting);
    auto storing = store_pending();
    co_await std::move(storing);
  }
}

asio::awaitable<void> Facility::store_pending() {
  std::vector<store::StoredReading> batch;
  {
    std::lock_guard lock(pending_mutex_);
    batch.assign(pending_.begin(), pending_.end());
    pending_.clear();
  }
  if (batch.empty()) co_return;
  try {
    auto storing = database_.run([&batch](pqxx::connection& c) {
      store::store_facility_readings(c, batch);
      return 0;
    });
    co_await std::move(storing);
    readings_.inc(batch.size());
  } catch (const std::exception& e) {
    store_failures_.inc();
    spdlog::warn("facility: {} readings not stored yet: {}", batch.size(), e.what());
    std::lock_guard lock(pending_mutex_);
    pending_.insert(pending_.begin(), batch.begin(), batch.end());
  }
}

std::shared_ptr<Poller> Facility::poller_of_channel(int channel_id) const {
  std::lock_guard lock(pollers_mutex_);
  for (const auto& [code, running] : pollers_) {
    if (running.poller->row().channel_id == channel_id) return running.poller;
  }
  return nullptr;
}

asio::awaitable<void> Facility::command_loop() {
  while (!loops_.stopping()) {
    auto waiting = command_timer_.wait(options_.commands_every);
    co_await std::move(waiting);
    if (loops_.stopping()) break;
    try {
      auto carrying = carry_out_commands();
      co_await std::move(carrying);
    } catch (const std::exception& e) {
      spdlog::warn("facility: commands not claimed: {}", e.what());
    }
  }
}

asio::awaitable<void> Facility::carry_out_commands() {
  std::vector<int> channel_ids;
  {
    std::lock_guard lock(pollers_mutex_);
    for (const auto& [code, running] : pollers_)
      channel_ids.push_back(running.poller->row().channel_id);
  }
  if (channel_ids.empty()) co_return;
  auto claiming = database_.run(
      [&channel_ids](pqxx::connection& c) { return store::claim_commands(c, channel_ids); });
  const auto claimed = co_await std::move(claiming);
  for (const auto& command : claimed) {
    WriteOutcome outcome{"failed", "通道已停用"};
    if (auto poller = poller_of_channel(command.channel_id)) {
      const auto& c = command.command;
      if (c.value("kind", "") != "facility_write" || !c.contains("device") ||
          !c["device"].is_string() || !c.contains("point") || !c["point"].is_string() ||
          !c.contains("value") || !c["value"].is_number()) {
        outcome = {"unsupported", "Modbus 通道只执行设施写入命令"};
      } else {
        auto writing = poller->write(c["device"].get<std::string>(), c["point"].get<std::string>(),
                                     c["value"].get<double>());
        outcome = co_await std::move(writing);
      }
    }
    (outcome.state == "done" ? writes_done_ : writes_failed_).inc();
    spdlog::info("facility: command {} {}: {}", command.id, outcome.state, outcome.detail);
    auto finishing = database_.run([id = command.id, outcome](pqxx::connection& c) {
      return store::finish_command(c, id, outcome.state, outcome.detail);
    });
    co_await std::move(finishing);
  }
}

}  // namespace halld::facility
