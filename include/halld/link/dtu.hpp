// link/dtu: GPRS DTUs (data transfer units) that dial in to halld over the mobile network.
// A DTU connects, sends its registration packet (its identity in a vendor-style template),
// and from then on carries the device protocol transparently, with heartbeat packets while
// idle (docs/protocols/dtu.md). Owns: the listening socket, the registration handshake, the
// binding of a connection to its channel's DtuLink, replacing an old connection by a new
// registration, refusing unknown identities, heartbeats and the offline timeout.
// Bytes only: the protocol inside is none of its business.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "halld/core/metrics.hpp"
#include "halld/link/stream_link.hpp"

namespace halld::link {

// Which DTU a connection's first bytes name (pure). Packets are whole byte strings.
class RegistrationTable {
 public:
  bool add(const std::string& packet, std::string key);  // false: another DTU has this packet
  void remove(const std::string& packet);
  struct Match {
    enum class Kind { found, need_more, unknown } kind = Kind::need_more;
    std::string key;
    std::size_t size = 0;  // bytes of the registration packet (found)
  };
  // `final`: no more bytes will come (the registration timed out), so a shorter packet that a
  // longer one extends is taken.
  Match match(std::string_view received, bool final = false) const;
  std::size_t size() const { return keys_.size(); }

 private:
  std::map<std::string, std::string, std::less<>> keys_;  // packet → key
  std::map<std::size_t, std::size_t> lengths_;            // packet length → how many
};

// Cuts heartbeat packets off the front of one read (pure). DTUs send them only while idle, so
// they arrive on their own; bytes that merely look like one inside data are left alone.
std::span<const std::uint8_t> strip_heartbeats(std::span<const std::uint8_t> bytes,
                                               std::string_view heartbeat, std::size_t& stripped);

struct DtuLinkOptions {
  std::string identity;
  std::string registration;  // the packet, expanded
  std::string heartbeat;     // the packet, expanded; empty: none
  std::chrono::seconds heartbeat_interval{60};
  unsigned offline_after = 3;  // intervals without a byte
};

class DtuLink final : public StreamLink<asio::ip::tcp::socket> {
 public:
  DtuLink(asio::any_io_executor executor, DtuLinkOptions options, LinkHandler handler,
          MetricsRegistry& metrics);
  std::string peer() const override;
  const DtuLinkOptions& options() const { return options_; }
  // From the server: a connection that registered as this DTU, and what came after the packet.
  void adopt(asio::ip::tcp::socket socket, std::string rest);

 private:
  asio::awaitable<bool> open() override;
  void after_up() override;
  void on_read(std::span<const std::uint8_t> bytes) override;
  void on_closed() override;
  void on_stop() override;
  asio::awaitable<void> watch(std::shared_ptr<DtuLink> self, std::uint64_t generation);

  DtuLinkOptions options_;
  std::optional<asio::ip::tcp::socket> waiting_;  // adopted, not yet taken by open()
  std::string waiting_rest_, rest_;
  asio::steady_timer adopt_wake_;
  asio::steady_timer watchdog_;
  std::chrono::steady_clock::time_point last_heard_;
  mutable std::mutex peer_mutex_;
  std::string peer_;
  Counter& heartbeats_;
  Counter& offline_;
  Counter& replaced_;
};

struct DtuServerOptions {
  std::string listen_address = "0.0.0.0";
  std::uint16_t port = 9500;
  std::chrono::seconds registration_timeout{30};
  std::size_t max_unregistered = 1000;  // connections still registering; more are refused
};

class DtuServer : public std::enable_shared_from_this<DtuServer> {
 public:
  DtuServer(asio::any_io_executor executor, DtuServerOptions options, MetricsRegistry& metrics);
  // At any time (a channel added while halld runs). Throws std::invalid_argument when another
  // DTU has the same packet.
  void add(std::shared_ptr<DtuLink> link);
  // At any time: connections registering with its packet are refused from now on.
  void remove(const DtuLink& link);
  bool started() const;
  void start();  // binds (throws std::system_error) and accepts
  void stop();
  std::uint16_t port() const { return bound_port_; }

 private:
  asio::awaitable<void> accept_loop(std::shared_ptr<DtuServer> self);
  struct Registering;
  asio::awaitable<void> handshake(std::shared_ptr<DtuServer> self,
                                  std::shared_ptr<Registering> registering);
  void settle(Registering& registering);  // binds the connection to its DTU, or refuses it
  void refuse(const std::pair<std::string, std::string>& why);  // (metric label, log text)

  asio::strand<asio::any_io_executor> strand_;
  DtuServerOptions options_;
  asio::ip::tcp::acceptor acceptor_;
  mutable std::mutex table_mutex_;  // table_, links_ and started_: channels come and go
  RegistrationTable table_;
  std::map<std::string, std::weak_ptr<DtuLink>> links_;  // by identity
  bool started_ = false;
  std::size_t registering_ = 0;
  std::uint16_t bound_port_ = 0;
  bool stopping_ = false;
  std::chrono::steady_clock::time_point last_warning_{};  // refusals are logged at most every 10 s
  std::uint64_t refused_since_warning_ = 0;
  MetricsRegistry& metrics_;
  Counter& accepted_;
};

}  // namespace halld::link
