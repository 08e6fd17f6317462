// link/stream_link: the part every byte-stream link shares, whether the stream is a TCP socket
// or a serial port: the run loop (open, read until the stream ends, report down, wait with
// exponential backoff and jitter, open again), the read loop with its hold for backpressure,
// the write queue and the counters. A concrete link says only how its stream is opened
// (open()) and, where it must, how a connection talks (talk(): by default, write what is
// queued) and what a read means (on_read(): by default, hand the bytes up).
// Lifetime: the run coroutine holds a shared_ptr to the link until stop() lets it finish.
#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <random>

#include "halld/link/link.hpp"

namespace halld::link {

struct Backoff {
  std::chrono::milliseconds initial{500};
  std::chrono::milliseconds max{60000};
};

template <class Stream>
class StreamLink : public Link, public std::enable_shared_from_this<StreamLink<Stream>> {
 public:
  void start() override;
  void send(std::vector<std::uint8_t> bytes) override;
  void drop(const std::string& why) override;
  void stop() override;
  const asio::strand<asio::any_io_executor>& strand() const override { return strand_; }
  std::uint64_t connects() const override { return connects_; }
  std::uint64_t bytes_in() const override { return bytes_in_; }
  std::uint64_t bytes_out() const override { return bytes_out_; }
  std::uint64_t holds() const { return holds_; }

 protected:
  StreamLink(asio::any_io_executor executor, LinkHandler handler, Backoff backoff);

  // Opens stream_ (or makes it ready); false: try again after the backoff. drop_reason_ says why.
  virtual asio::awaitable<bool> open() = 0;
  // Runs beside the read loop for one connection; ends when the connection does.
  virtual asio::awaitable<void> talk(std::uint64_t generation);
  virtual void on_read(std::span<const std::uint8_t> bytes) { handler_.on_bytes(bytes); }
  // Called on the strand: after the handler heard of a new connection; once a connection has
  // ended, before the handler hears of it; when stop() is asked for.
  virtual void after_up() {}
  virtual void on_closed() {}
  virtual void on_stop() {}
  void close_stream();
  // Writes one buffer; false when the stream failed (it is closed then).
  asio::awaitable<bool> write(const std::vector<std::uint8_t>& bytes);

  asio::strand<asio::any_io_executor> strand_;
  Stream stream_;
  LinkHandler handler_;
  std::deque<std::vector<std::uint8_t>> outbox_;
  asio::steady_timer write_wake_;  // wakes talk() when bytes are queued
  std::uint64_t generation_ = 0;   // one per connection
  bool up_ = false;
  bool stopping_ = false;
  std::string drop_reason_;
  // Written on the strand, read from anywhere (status, metrics).
  std::atomic<std::uint64_t> connects_ = 0, bytes_in_ = 0, bytes_out_ = 0, holds_ = 0;

 private:
  asio::awaitable<void> run(std::shared_ptr<StreamLink> self);
  asio::awaitable<void> read_loop();
  asio::awaitable<void> talk_alive(std::shared_ptr<StreamLink> keep_alive,
                                   std::uint64_t generation);

  Backoff backoff_;
  asio::steady_timer backoff_timer_;
  asio::steady_timer hold_timer_;
  std::minstd_rand jitter_;
};

extern template class StreamLink<asio::ip::tcp::socket>;
extern template class StreamLink<asio::serial_port>;

}  // namespace halld::link
