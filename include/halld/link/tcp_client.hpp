// link/tcp_client: keeps one outgoing TCP connection up, for a channel whose device or server
// listens (a hall's queue server, a terminal-management server). Owns: the socket, connecting
// with a timeout, reconnecting forever with exponential backoff and jitter, TCP keepalive, and
// the write queue. Bytes only: it knows no protocol. Everything happens on its strand; the
// handler's functions are called there. The running coroutine holds a shared_ptr to the
// client, so it lives until stop() has let that coroutine finish.
#pragma once

#include <chrono>
#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "halld/core/asio.hpp"

namespace halld::link {

struct TcpClientOptions {
  std::string host;
  std::uint16_t port = 0;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds backoff_initial{500};
  std::chrono::milliseconds backoff_max{60000};
};

struct LinkHandler {
  std::function<void()> on_up;
  std::function<void(std::span<const std::uint8_t>)> on_bytes;
  std::function<void(const std::string& why)> on_down;
  // Asked before every read: while it says true the link reads nothing, so the peer's sending
  // stalls in TCP flow control (backpressure instead of dropping). May be empty.
  std::function<bool()> hold;
};

class TcpClient : public std::enable_shared_from_this<TcpClient> {
 public:
  TcpClient(asio::any_io_executor executor, TcpClientOptions options, LinkHandler handler);

  void start();
  // Queues bytes for the current connection; bytes sent while the link is down are dropped
  // (the protocols resend what was not acknowledged).
  void send(std::vector<std::uint8_t> bytes);
  // Closes the current connection (e.g. a protocol error budget was spent); reconnects later.
  void drop(const std::string& why);
  void stop();

  const asio::strand<asio::any_io_executor>& strand() const { return strand_; }
  std::uint64_t connects() const { return connects_; }
  std::uint64_t bytes_in() const { return bytes_in_; }
  std::uint64_t bytes_out() const { return bytes_out_; }
  std::uint64_t holds() const { return holds_; }

 private:
  asio::awaitable<void> run(std::shared_ptr<TcpClient> self);
  asio::awaitable<bool> connect();
  asio::awaitable<void> read_loop();
  asio::awaitable<void> write_loop(std::shared_ptr<TcpClient> keep_alive, std::uint64_t generation);
  void close_socket();

  asio::strand<asio::any_io_executor> strand_;
  TcpClientOptions options_;
  LinkHandler handler_;
  asio::ip::tcp::socket socket_;
  asio::steady_timer timer_;         // backoff waits
  asio::steady_timer write_wake_;    // wakes the writer when bytes are queued
  asio::steady_timer hold_timer_;    // rechecks a hold
  std::deque<std::vector<std::uint8_t>> outbox_;
  std::uint64_t generation_ = 0;     // one per connection
  bool up_ = false;
  bool stopping_ = false;
  std::string drop_reason_;
  std::minstd_rand jitter_;
  // Written on the strand, read from anywhere (status, metrics).
  std::atomic<std::uint64_t> connects_ = 0, bytes_in_ = 0, bytes_out_ = 0, holds_ = 0;
};

}  // namespace halld::link
