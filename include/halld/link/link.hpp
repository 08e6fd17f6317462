// link/link: what every link shows a channel, whatever carries the bytes (a TCP connection
// halld dials, a DTU that dialled in, a serial port, a polled RS-485 bus). Bytes and
// connection state only: no protocol. A link calls its handler on its own strand.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "halld/core/asio.hpp"

namespace halld::link {

struct LinkHandler {
  std::function<void()> on_up;
  std::function<void(std::span<const std::uint8_t>)> on_bytes;
  std::function<void(const std::string& why)> on_down;
  // Asked before every read: while it says true the link reads nothing, so the peer's sending
  // stalls in flow control (backpressure instead of dropping). May be empty.
  std::function<bool()> hold;
  // A device on a polled bus began (true) or stopped (false) answering its polls; told on the
  // first poll of each connection and on every change. Only buses call it; may be empty.
  std::function<void(std::uint32_t address, bool answering)> on_device;
};

class Link {
 public:
  virtual ~Link() = default;
  virtual void start() = 0;
  // Queues bytes for the current connection; bytes sent while the link is down are dropped
  // (the protocols resend what was not acknowledged).
  virtual void send(std::vector<std::uint8_t> bytes) = 0;
  // Closes the current connection (e.g. a protocol error budget was spent); it comes back later.
  virtual void drop(const std::string& why) = 0;
  virtual void stop() = 0;

  virtual const asio::strand<asio::any_io_executor>& strand() const = 0;
  // Where the bytes come from, for status and logs ("10.1.2.3:9100", "/dev/ttyS1").
  virtual std::string peer() const = 0;
  virtual std::uint64_t connects() const = 0;
  virtual std::uint64_t bytes_in() const = 0;
  virtual std::uint64_t bytes_out() const = 0;
};

}  // namespace halld::link
