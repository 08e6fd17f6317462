// acq/channel: one acquisition channel at work: its link, the protocol session of the current
// connection, the registration of its sources, and the path of every event to ingest and of
// its acknowledgement back to the device. Owns: those and the channel's comm status.
// All its state lives on the link's strand; ingest's durability callbacks are posted back
// there. An ack goes out only on the connection that delivered the event: after a reconnect
// the device resends, ingest recognises the duplicate, and it is acknowledged then.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <unordered_map>

#include "halld/acq/ingest.hpp"
#include "halld/link/link.hpp"
#include "halld/proto/frame/session.hpp"
#include "halld/store/archive_store.hpp"

namespace halld::acq {

// A device behind a channel: a terminal (by code) on a terminal-management server, otherwise a
// source address (a queue server, or a keypad on a bus).
struct DeviceStatus {
  std::string device;
  std::optional<bool> answering;  // devices on a polled bus: whether they answer their polls
  std::uint64_t events = 0;
  std::optional<std::chrono::system_clock::time_point> last_event;  // when its last event arrived
};

struct ChannelStatus {
  std::string code;
  std::string hall;  // hall code; empty for a server of many halls
  std::string protocol;
  std::string link;  // tcp_client, dtu, serial, rs485
  std::string peer;  // where the bytes come from: host:port, a DTU's identity and address, a device
  bool up = false;
  bool logged_in = false;
  std::uint64_t connects = 0;
  std::uint64_t events_received = 0;
  std::uint64_t events_acknowledged = 0;
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;
  std::string last_down_reason;
  std::vector<DeviceStatus> devices;
  // "down"; "degraded": up, but nobody logged in yet or a device on the bus is not answering; "up".
  std::string state() const;
};
nlohmann::json to_json(const ChannelStatus& status);

// Which channels a reconciliation with the database (after an import, an API change, SIGHUP)
// started, made again, stopped, and could not run (with why).
struct ChannelChanges {
  std::vector<std::string> started, restarted, stopped, refused;
  bool superseded = false;  // a newer reading of the database was applied already
  bool empty() const {
    return started.empty() && restarted.empty() && stopped.empty() && refused.empty();
  }
  void add(const ChannelChanges& other);
};
nlohmann::json to_json(const ChannelChanges& changes);

// The administration page's channel test: the channel's status, and for a TCP client one
// connection to its peer tried beside its own ("probe").
asio::awaitable<nlohmann::json> test_channel(asio::any_io_executor executor, ChannelStatus status,
                                             const records::AcquisitionChannel& settings);

// What every channel is told by the configuration.
struct ChannelOptions {
  // An event dated further ahead of halld's clock at its reception, or further behind, is
  // stored under its reception time and kept out of the KPIs (store::IngestRecord::clock_skewed).
  std::chrono::seconds clock_ahead{300};
  std::chrono::seconds clock_behind{std::chrono::days(31)};
};

// Makes the channel's link, given the handler through which the link reports to the channel.
using LinkFactory = std::function<std::shared_ptr<link::Link>(link::LinkHandler)>;

class Channel : public std::enable_shared_from_this<Channel> {
 public:
  // `codec`: what the channel speaks (proto::own_protocol_codec or a described protocol's).
  Channel(store::ChannelRow config, std::shared_ptr<const proto::SessionCodec> codec,
          ChannelOptions options, store::Database& database, Ingest& ingest,
          MetricsRegistry& metrics, const LinkFactory& make_link);

  // Set before start(): told on the channel's strand each time the link comes up or goes down.
  using CommObserver = std::function<void(bool up)>;
  void observe_comm(CommObserver observer) { comm_observer_ = std::move(observer); }
  // Set before start(): told on the channel's strand of events outside the clock bounds (at
  // most once a second), with how far the furthest of them was off halld's clock.
  using ClockObserver = std::function<void(std::chrono::seconds skew)>;
  void observe_clock(ClockObserver observer) { clock_observer_ = std::move(observer); }
  std::optional<int> hall_id() const { return config_.hall_id; }

  // Before start(), without the database: the sources registered on the channel (device
  // address → source id) and where terminals stand, as a snapshot last saw them.
  void know(const std::map<std::uint32_t, int>& sources,
            std::unordered_map<std::string, int> terminal_halls);

  void start();
  void stop();
  // After stop(): the link has ended its last operation and will not call the channel again.
  bool link_finished() const { return link_.use_count() == 1; }
  const std::string& code() const { return config_.channel.code; }
  const store::ChannelRow& config() const { return config_; }
  int id() const { return config_.channel_id; }
  bool logged_in() const;

  // Downlink: sends `command` (JSON, proto/commands) to the device at `address`, its SEQ the low
  // 32 bits of `command_id`. `answered` gets the outcome — the device's (done, refused,
  // unsupported, failed) or "failed" when the command could not be sent or the link went down
  // first — once, on the channel's strand.
  using CommandAnswer =
      std::function<void(std::int64_t command_id, std::string state, std::string detail)>;
  void send_command(std::uint32_t address, std::int64_t command_id, nlohmann::json command,
                    CommandAnswer answered);
  ChannelStatus status() const;  // thread-safe snapshot

 private:
  struct Source {
    std::optional<int> id;
    std::optional<std::uint32_t> epoch;  // declared in the device's last login (version 2)
    // After a failed registration (the database away), events wait unacknowledged until then.
    std::chrono::steady_clock::time_point retry_at{};
    std::vector<proto::Session::Deliver> waiting;  // until the source is registered
  };
  void on_up();
  void on_bytes(std::span<const std::uint8_t> bytes);
  void on_down(const std::string& why);
  void on_device(std::uint32_t address, bool answering);
  void act(std::vector<proto::Session::Action> actions);
  // The events one read delivered, from one device address.
  void deliver(std::uint32_t address, std::vector<proto::Session::Deliver> delivered);
  void submit(int source_id, std::vector<proto::Session::Deliver> delivered);
  // The hall an event belongs to: the channel's, or for a server of many halls its terminal's.
  std::optional<int> hall_of(const records::Event& event);
  asio::awaitable<void> load_terminal_halls();
  void note_devices(std::uint32_t address, const std::vector<proto::Session::Deliver>& delivered);
  asio::awaitable<void> register_source(std::shared_ptr<Channel> keep_alive, std::uint32_t address);
  void count_new_errors();
  // A rate-limited line naming what was refused, from which device, and its first bytes.
  void log_refusal(const proto::Session::Refused& refused);
  // Whether the event's time lies outside the clock bounds around `received`.
  bool clock_skewed(const records::Event& event,
                    std::chrono::system_clock::time_point received) const;
  void note_clock_skew(std::uint32_t address, std::chrono::seconds off, std::size_t events);
  void send(std::vector<std::uint8_t> bytes);  // through the tap, when it is on
  void record_comm_event(std::string state, std::string detail);

  store::ChannelRow config_;
  std::shared_ptr<const proto::SessionCodec> codec_;
  ChannelOptions options_;
  CommObserver comm_observer_;
  std::atomic<bool> stopped_{false};  // observers are not told after stop()
  ClockObserver clock_observer_;
  std::chrono::steady_clock::time_point clock_noted_{};
  std::chrono::steady_clock::time_point refusal_logged_{};
  std::uint64_t refusals_unlogged_ = 0;  // since the last line
  store::Database& database_;
  Ingest& ingest_;
  std::shared_ptr<link::Link> link_;
  std::optional<proto::Session> session_;
  std::uint64_t connection_ = 0;  // which connection the session belongs to
  std::array<std::uint64_t, proto::session_error_kinds> errors_seen_{};
  std::map<std::uint32_t, Source> sources_;  // by device address; ids outlive connections
  // The last reception time given to an event: each one is later, to the microsecond the log
  // keeps, so that a source's events are in reception order as they are stored and applied
  // (the model's snapshots name the last event of each source they hold by it).
  std::chrono::system_clock::time_point last_received_{};
  struct Outstanding {
    std::int64_t command_id;
    CommandAnswer answered;
  };
  std::map<std::pair<std::uint32_t, std::uint32_t>, Outstanding> commands_;  // by (address, SEQ)
  void fail_outstanding_commands(const std::string& why);

  // A server of many halls: where its terminals stand; reloaded (rarely) when it names a stranger.
  std::unordered_map<std::string, int> terminal_halls_;
  std::chrono::steady_clock::time_point terminal_halls_loaded_{};

  mutable std::mutex status_mutex_;
  ChannelStatus status_;
  std::map<std::string, DeviceStatus> devices_;

  std::array<Counter*, proto::session_error_kinds> error_counters_{};
  Counter& events_received_;
  Counter& skewed_;
  Counter& unattributed_;
  Gauge& channels_up_;
};

}  // namespace halld::acq
