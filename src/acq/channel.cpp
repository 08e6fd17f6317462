#include "halld/acq/channel.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "halld/core/spawn.hpp"
#include "halld/link/tcp_client.hpp"
#include "halld/records/event_json.hpp"

namespace halld::acq {
namespace {

// More than any terminal-management server runs (a province has tens of thousands of terminals
// in all, a city's server a few thousand).
constexpr std::size_t max_devices_shown = 50'000;

records::Timestamp now() {
  return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
}

}  // namespace

Channel::Channel(store::ChannelRow config, std::shared_ptr<const proto::SessionCodec> codec,
                 ChannelOptions options, store::Database& database, Ingest& ingest,
                 MetricsRegistry& metrics, const LinkFactory& make_link)
    : config_(std::move(config)),
      codec_(std::move(codec)),
      options_(options),
      database_(database),
      ingest_(ingest),
      events_received_(
          metrics.counter("halld_acq_events_received_total", "Data frames received from devices.")),
      skewed_(metrics.counter(
          "halld_acq_events_clock_skewed_total",
          "Events dated outside the clock bounds around halld's clock: stored under their "
          "reception time and kept out of the KPIs.")),
      unattributed_(
          metrics.counter("halld_acq_events_unattributed_total",
                          "Events stored without a hall: a server of many halls named a terminal "
                          "missing from the archives (an import that adds it attributes them).")),
      channels_up_(metrics.gauge("halld_acq_channels_up", "Channels whose link is connected.")) {
  for (std::size_t kind = 0; kind < proto::session_error_kinds; ++kind) {
    error_counters_[kind] = &metrics.counter(
        "halld_acq_frame_errors_total", "Frames and bytes refused by the protocol layer, by kind.",
        {{"kind", std::string(proto::to_string(static_cast<proto::SessionError>(kind)))}});
  }
  link::LinkHandler handler{
      [this] { on_up(); }, [this](std::span<const std::uint8_t> b) { on_bytes(b); },
      [this](const std::string& why) { on_down(why); }, [this] { return ingest_.saturated(); },
      [this](std::uint32_t address, bool answering) { on_device(address, answering); }};
  link_ = make_link(std::move(handler));
}

void Channel::know(const std::map<std::uint32_t, int>& sources,
                   std::unordered_map<std::string, int> terminal_halls) {
  for (const auto& [address, id] : sources) sources_[address].id = id;
  terminal_halls_ = std::move(terminal_halls);
}

void Channel::start() {
  if (config_.hall_id) {
    link_->start();
    return;
  }
  // A server of many halls: its terminals' halls are known before its first event arrives.
  halld::spawn(link_->strand(), "channel " + code() + ": loading sources",
               [self = shared_from_this()]() -> asio::awaitable<void> {
                 auto loading = self->load_terminal_halls();
                 co_await std::move(loading);
                 self->link_->start();
               });
}

asio::awaitable<void> Channel::load_terminal_halls() {
  terminal_halls_loaded_ = std::chrono::steady_clock::now();
  try {
    auto pending = database_.run([](pqxx::connection& c) { return store::terminal_halls(c); });
    terminal_halls_ = co_await std::move(pending);
  } catch (const std::exception& e) {
    spdlog::warn("channel {}: cannot load the halls of terminals: {}", code(), e.what());
  }
}

std::optional<int> Channel::hall_of(const records::Event& event) {
  if (config_.hall_id) return config_.hall_id;
  auto terminal = records::terminal_of(event);
  if (auto found = terminal_halls_.find(std::string(terminal)); found != terminal_halls_.end())
    return found->second;
  // Stored without a hall for now; a terminal imported since the last load is known again soon.
  if (std::chrono::steady_clock::now() - terminal_halls_loaded_ > std::chrono::seconds(10)) {
    spdlog::warn("channel {}: events of {} are stored without a hall: {}", code(),
                 terminal.empty() ? "no terminal" : "terminal " + std::string(terminal),
                 terminal.empty() ? "a server of many halls can only report terminals"
                                  : "it is not in the archives");
    halld::spawn(link_->strand(), "channel " + code() + ": loading terminals",
                 [self = shared_from_this()]() -> asio::awaitable<void> {
                   auto loading = self->load_terminal_halls();
                   co_await std::move(loading);
                 });
  }
  return std::nullopt;
}

void Channel::stop() {
  stopped_ = true;  // its hall hears no more of it: the channel may be gone from the hall
  link_->stop();
}

bool Channel::logged_in() const {
  std::lock_guard lock(status_mutex_);
  return status_.logged_in;
}

void Channel::send_command(std::uint32_t address, std::int64_t command_id, nlohmann::json command,
                           CommandAnswer answered) {
  asio::post(link_->strand(),
             [self = shared_from_this(), address, command_id, command = std::move(command),
              answered = std::move(answered)]() mutable {
               if (!self->session_ || !self->session_->logged_in()) {
                 answered(command_id, "failed", "the channel is not connected");
                 return;
               }
               const auto sequence = static_cast<std::uint32_t>(command_id);
               std::vector<std::uint8_t> frame;
               try {
                 frame = self->codec_->command(address, sequence, command);
               } catch (const std::exception& e) {
                 answered(command_id, "failed", e.what());
                 return;
               }
               spdlog::info("channel {}: command {} to device {}: {}", self->code(), command_id,
                            address, command.dump());
               self->commands_[{address, sequence}] = {command_id, std::move(answered)};
               self->send(std::move(frame));
             });
}

void Channel::fail_outstanding_commands(const std::string& why) {
  auto outstanding = std::move(commands_);
  commands_.clear();
  for (auto& [key, command] : outstanding)
    command.answered(command.command_id, "failed",
                     "the link went down before the device answered: " + why);
}

std::string ChannelStatus::state() const {
  if (!up) return "down";
  const bool silent_device = std::any_of(
      devices.begin(), devices.end(), [](const DeviceStatus& d) { return d.answering == false; });
  return logged_in && !silent_device ? "up" : "degraded";
}

ChannelStatus Channel::status() const {
  std::lock_guard lock(status_mutex_);
  auto copy = status_;
  for (const auto& [device, status] : devices_) copy.devices.push_back(status);
  copy.code = config_.channel.code;
  copy.hall = config_.channel.hall_code;
  copy.protocol = records::protocol_name(config_.channel);
  copy.link = std::string(records::to_string(config_.channel.link));
  copy.peer = link_->peer();
  copy.connects = link_->connects();
  copy.bytes_in = link_->bytes_in();
  copy.bytes_out = link_->bytes_out();
  return copy;
}

nlohmann::json to_json(const ChannelStatus& s) {
  auto devices = nlohmann::json::array();
  for (const auto& d : s.devices) {
    nlohmann::json device = {{"device", d.device}, {"events", d.events}};
    if (d.answering) device["answering"] = *d.answering;
    device["last_event_at"] =
        d.last_event ? nlohmann::json(records::iso8601_micros(*d.last_event)) : nlohmann::json();
    devices.push_back(std::move(device));
  }
  return {{"code", s.code},
          {"hall", s.hall},
          {"protocol", s.protocol},
          {"link", s.link},
          {"peer", s.peer},
          {"up", s.up},
          {"logged_in", s.logged_in},
          {"connects", s.connects},
          {"events_received", s.events_received},
          {"events_acknowledged", s.events_acknowledged},
          {"bytes_in", s.bytes_in},
          {"bytes_out", s.bytes_out},
          {"last_down_reason", s.last_down_reason},
          {"state", s.state()},
          {"devices", devices}};
}

void ChannelChanges::add(const ChannelChanges& other) {
  for (auto [to, from] :
       {std::pair{&started, &other.started}, std::pair{&restarted, &other.restarted},
        std::pair{&stopped, &other.stopped}, std::pair{&refused, &other.refused}})
    to->insert(to->end(), from->begin(), from->end());
  superseded = superseded || other.superseded;
}

nlohmann::json to_json(const ChannelChanges& changes) {
  return {{"started", changes.started},
          {"restarted", changes.restarted},
          {"stopped", changes.stopped},
          {"refused", changes.refused},
          {"superseded", changes.superseded}};
}

asio::awaitable<nlohmann::json> test_channel(asio::any_io_executor executor, ChannelStatus status,
                                             const records::AcquisitionChannel& settings) {
  nlohmann::json result{{"channel", to_json(status)}, {"probe", nullptr}};
  if (settings.link == records::ChannelLink::tcp_client) {
    auto probing =
        link::probe_tcp(std::move(executor), settings.host, settings.port, std::chrono::seconds(3));
    const auto probe = co_await std::move(probing);
    result["probe"] = {
        {"reached", probe.reached}, {"detail", probe.detail}, {"took_ms", probe.took.count()}};
  }
  co_return result;
}

void Channel::send(std::vector<std::uint8_t> bytes) {
  if (config_.channel.tap) spdlog::trace("channel {} tx {}", code(), proto::to_hex(bytes));
  link_->send(std::move(bytes));
}

void Channel::record_comm_event(std::string state, std::string detail) {
  // Microseconds: a reconnect can go down and up within one second.
  auto at = records::iso8601_micros(std::chrono::system_clock::now());
  auto job = [id = config_.channel_id, at = std::move(at), state = std::move(state),
              detail = std::move(detail)](pqxx::connection& c) {
    store::record_comm_event(c, id, at, state, detail);
  };
  // Fire and forget: a status record that cannot be written is logged, never blocks the link.
  halld::spawn(
      link_->strand(), "channel " + code() + ": recording a comm event",
      [this, self = shared_from_this(), job = std::move(job)]() mutable -> asio::awaitable<void> {
        try {
          auto pending = database_.run(std::move(job));
          co_await std::move(pending);
        } catch (const std::exception& e) {
          spdlog::warn("channel {}: comm status not recorded: {}", code(), e.what());
        }
      });
}

void Channel::on_up() {
  record_comm_event("up", link_->peer());
  if (comm_observer_ && !stopped_) comm_observer_(true);
  ++connection_;
  session_.emplace(codec_, config_.channel.site);
  errors_seen_ = {};
  channels_up_.add(1);
  std::lock_guard lock(status_mutex_);
  status_.up = true;
  spdlog::info("channel {}: connected to {}", code(), link_->peer());
}

void Channel::on_down(const std::string& why) {
  record_comm_event("down", why);
  if (comm_observer_ && !stopped_) comm_observer_(false);
  session_.reset();
  for (auto& [address, source] : sources_) source.waiting.clear();  // resent after reconnecting
  fail_outstanding_commands(why);
  channels_up_.add(-1);
  std::lock_guard lock(status_mutex_);
  status_.up = false;
  status_.logged_in = false;
  status_.last_down_reason = why;
  for (auto& [device, status] : devices_) status.answering.reset();
  spdlog::info("channel {}: link down: {}", code(), why);
}

void Channel::on_device(std::uint32_t address, bool answering) {
  const auto device = std::to_string(address);
  if (answering) {
    spdlog::info("channel {}: device {} answers its polls", code(), device);
  } else {
    spdlog::warn("channel {}: device {} does not answer its polls", code(), device);
  }
  record_comm_event(answering ? "device_up" : "device_down", device);
  std::lock_guard lock(status_mutex_);
  auto& status = devices_[device];
  status.device = device;
  status.answering = answering;
}

void Channel::on_bytes(std::span<const std::uint8_t> bytes) {
  if (!session_) return;
  if (config_.channel.tap) spdlog::trace("channel {} rx {}", code(), proto::to_hex(bytes));
  act(session_->on_bytes(bytes, now()));
  count_new_errors();
}

void Channel::log_refusal(const proto::Session::Refused& refused) {
  // A device sending garbage would otherwise fill the log; the counters hold the totals.
  const auto now = std::chrono::steady_clock::now();
  if (now - refusal_logged_ < std::chrono::seconds(10)) {
    ++refusals_unlogged_;
    return;
  }
  spdlog::warn(
      "channel {}: refused {} from {}: {}{}{}", code(), proto::to_string(refused.error),
      refused.source ? fmt::format("device {}", *refused.source) : std::string("an unknown device"),
      proto::to_hex(refused.head),
      refused.head.size() == proto::Session::refused_head_bytes ? " …" : "",
      refusals_unlogged_ > 0
          ? fmt::format(" ({} more refused since the last line)", refusals_unlogged_)
          : "");
  refusal_logged_ = now;
  refusals_unlogged_ = 0;
}

void Channel::note_clock_skew(std::uint32_t address, std::chrono::seconds off, std::size_t events) {
  skewed_.inc(events);
  const auto now = std::chrono::steady_clock::now();
  if (now - clock_noted_ < std::chrono::seconds(1)) return;
  if (now - clock_noted_ > std::chrono::seconds(60)) {
    spdlog::warn(
        "channel {}: device {} dates its events {} s {} halld's clock, beyond the bounds (-{} s, "
        "+{} s): "
        "stored under their reception time and kept out of the KPIs; the heartbeat ack carries "
        "halld's time",
        code(), address, std::chrono::abs(off).count(), off.count() > 0 ? "ahead of" : "behind",
        options_.clock_behind.count(), options_.clock_ahead.count());
  }
  clock_noted_ = now;
  if (clock_observer_ && !stopped_) clock_observer_(off);
}

bool Channel::clock_skewed(const records::Event& event,
                           std::chrono::system_clock::time_point received) const {
  const auto at = std::chrono::system_clock::time_point(event.at.time_since_epoch());
  return at > received + options_.clock_ahead || at < received - options_.clock_behind;
}

void Channel::count_new_errors() {
  const auto& errors = session_->errors();
  for (std::size_t kind = 0; kind < errors.size(); ++kind) {
    if (errors[kind] > errors_seen_[kind])
      error_counters_[kind]->inc(errors[kind] - errors_seen_[kind]);
  }
  errors_seen_ = errors;
}

void Channel::act(std::vector<proto::Session::Action> actions) {
  std::map<std::uint32_t, std::vector<proto::Session::Deliver>> delivered;  // by device address
  for (auto& action : actions) {
    if (auto* bytes = std::get_if<proto::Session::Send>(&action)) {
      send(std::move(bytes->bytes));
    } else if (auto* event = std::get_if<proto::Session::Deliver>(&action)) {
      delivered[event->source].push_back(std::move(*event));
    } else if (auto* refused = std::get_if<proto::Session::Refused>(&action)) {
      log_refusal(*refused);
    } else if (auto* login = std::get_if<proto::Session::LoggedIn>(&action)) {
      const bool declares_epoch = login->login.version >= proto::login_with_epoch;
      sources_[login->source].epoch =
          declares_epoch ? std::optional(login->login.epoch) : std::nullopt;
      spdlog::info("channel {}: {} (device {}) logged in as {}{}", code(), login->login.device_id,
                   login->source, login->login.site,
                   declares_epoch ? fmt::format(", sequence epoch {}", login->login.epoch) : "");
      record_comm_event("logged_in", login->login.device_id);
      std::lock_guard lock(status_mutex_);
      status_.logged_in = true;
    } else if (auto* close = std::get_if<proto::Session::Close>(&action)) {
      spdlog::warn("channel {}: closing the connection: {}", code(), close->reason);
      link_->drop(close->reason);
    } else if (auto* answer = std::get_if<proto::Session::Answered>(&action)) {
      auto outstanding = commands_.find({answer->source, answer->result.command});
      if (outstanding == commands_.end()) {
        spdlog::warn(
            "channel {}: device {} answered command {}, which is not waiting for an answer", code(),
            answer->source, answer->result.command);
        continue;
      }
      auto command = std::move(outstanding->second);
      commands_.erase(outstanding);
      command.answered(command.command_id, std::string(proto::to_string(answer->result.outcome)),
                       answer->result.detail);
    }
  }
  for (auto& [address, events] : delivered) deliver(address, std::move(events));
}

void Channel::deliver(std::uint32_t address, std::vector<proto::Session::Deliver> delivered) {
  events_received_.inc(delivered.size());
  note_devices(address, delivered);
  auto& source = sources_[address];
  if (source.id) {
    submit(*source.id, std::move(delivered));
    return;
  }
  // Not acknowledged: the device sends them again once the source can be registered.
  if (std::chrono::steady_clock::now() < source.retry_at) return;
  const bool first = source.waiting.empty();
  for (auto& d : delivered) source.waiting.push_back(std::move(d));
  if (first)
    halld::spawn(link_->strand(), "channel " + code() + ": registering a source",
                 register_source(shared_from_this(), address));
}

void Channel::note_devices(std::uint32_t address,
                           const std::vector<proto::Session::Deliver>& delivered) {
  const auto arrived = std::chrono::system_clock::now();
  std::lock_guard lock(status_mutex_);
  status_.events_received += delivered.size();
  auto count = [&](const std::string& device, std::uint64_t events) {
    // A server naming ever new terminals must not grow this table without end; past the cap,
    // new devices' events are stored as always but not shown one by one.
    if (devices_.size() >= max_devices_shown && !devices_.contains(device)) return;
    auto& status = devices_[device];
    status.device = device;
    status.events += events;
    status.last_event = arrived;
  };
  // Queue events are the source's own: one update for the group. Terminal events, one each.
  std::uint64_t source_events = 0;
  for (const auto& d : delivered) {
    auto terminal = records::terminal_of(d.event);
    if (terminal.empty()) {
      ++source_events;
    } else {
      count(std::string(terminal), 1);
    }
  }
  if (source_events > 0) count(std::to_string(address), source_events);
}

asio::awaitable<void> Channel::register_source([[maybe_unused]] std::shared_ptr<Channel> keep_alive,
                                               std::uint32_t address) {
  std::optional<int> id;
  try {
    auto job = [channel = code(), address, hall = config_.hall_id](pqxx::connection& c) {
      return store::register_source(c, channel, address, hall).source_id;
    };
    auto pending = database_.run(std::move(job));
    id = co_await std::move(pending);
  } catch (const std::exception& e) {
    // The waiting events stay unacknowledged; the device resends them and we try again.
    spdlog::warn("channel {}: cannot register source {}: {}", code(), address, e.what());
  }
  auto& source = sources_[address];
  auto waiting = std::move(source.waiting);
  source.waiting.clear();
  if (!id) {
    source.retry_at = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    co_return;
  }
  source.id = id;
  submit(*id, std::move(waiting));
}

void Channel::submit(int source_id, std::vector<proto::Session::Deliver> delivered) {
  if (delivered.empty()) return;
  std::vector<store::IngestRecord> records;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> to_ack;  // (address, sequence)
  records.reserve(delivered.size());
  to_ack.reserve(delivered.size());
  constexpr std::chrono::microseconds tick{1};
  const std::chrono::system_clock::time_point wall =
      std::chrono::floor<std::chrono::microseconds>(std::chrono::system_clock::now());
  auto received = std::max(wall, last_received_ + tick);
  const auto epoch = sources_[delivered.front().source].epoch;
  std::optional<std::chrono::seconds> furthest;  // of the skewed events, off halld's clock
  std::size_t skewed_events = 0;
  for (auto& d : delivered) {
    auto hall = hall_of(d.event);
    if (!hall) unattributed_.inc();
    to_ack.emplace_back(d.source, d.sequence);
    const bool skewed = clock_skewed(d.event, received);
    if (skewed) {
      ++skewed_events;
      const auto off = std::chrono::duration_cast<std::chrono::seconds>(
          d.event.at.time_since_epoch() - received.time_since_epoch());
      if (!furthest || std::chrono::abs(off) > std::chrono::abs(*furthest)) furthest = off;
    }
    records.push_back(
        {source_id, d.sequence, hall.value_or(0), std::move(d.event), received, epoch, skewed});
    last_received_ = received;
    received += tick;
  }
  if (furthest) note_clock_skew(delivered.front().source, *furthest, skewed_events);
  auto on_durable = [self = shared_from_this(), connection = connection_,
                     to_ack = std::move(to_ack)]() mutable {
    asio::post(self->link_->strand(), [self, connection, to_ack = std::move(to_ack)] {
      if (connection != self->connection_ || !self->session_) return;  // that connection is gone
      std::vector<std::uint8_t> acks;  // one write for the whole group
      for (const auto& [address, sequence] : to_ack) {
        for (auto& action : self->session_->on_durable(address, sequence)) {
          const auto& bytes = std::get<proto::Session::Send>(action).bytes;
          acks.insert(acks.end(), bytes.begin(), bytes.end());
        }
      }
      self->send(std::move(acks));
      std::lock_guard lock(self->status_mutex_);
      self->status_.events_acknowledged += to_ack.size();
    });
  };
  ingest_.submit(std::move(records), std::move(on_durable));
}

}  // namespace halld::acq
