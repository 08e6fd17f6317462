// link/tcp_client: keeps one outgoing TCP connection up, for a channel whose device or server
// listens (a hall's queue server, a terminal-management server). Owns: resolving, connecting
// with a timeout, TCP keepalive; reconnecting, reading and writing are StreamLink's.
#pragma once

#include "halld/link/stream_link.hpp"

namespace halld::link {

struct TcpClientOptions {
  std::string host;
  std::uint16_t port = 0;
  std::chrono::milliseconds connect_timeout{5000};
  Backoff backoff;
};

class TcpClient final : public StreamLink<asio::ip::tcp::socket> {
 public:
  TcpClient(asio::any_io_executor executor, TcpClientOptions options, LinkHandler handler);
  std::string peer() const override { return options_.host + ":" + std::to_string(options_.port); }

 private:
  asio::awaitable<bool> open() override;

  TcpClientOptions options_;
  asio::steady_timer connect_timer_;
};

// One TCP connection to host:port tried and closed at once, beside the channel's own (the
// channel test of the administration page): whether it connected, why not, and how long it took.
struct Probe {
  bool reached = false;
  std::string detail;
  std::chrono::milliseconds took{0};
};
asio::awaitable<Probe> probe_tcp(asio::any_io_executor executor, std::string host,
                                 std::uint16_t port, std::chrono::milliseconds timeout);

}  // namespace halld::link
