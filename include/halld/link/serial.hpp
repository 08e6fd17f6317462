// link/serial: a point-to-point serial line (RS-232, or RS-485 used point to point) to one
// device or data-source server. Owns: opening the port with its line settings, and opening it
// again with backoff when it fails or vanishes (a USB adapter pulled out); reading and writing
// are StreamLink's. Bytes only.
#pragma once

#include "halld/link/stream_link.hpp"

namespace halld::link {

struct SerialOptions {
  std::string device;
  unsigned baud = 9600;
  unsigned data_bits = 8;
  asio::serial_port::parity::type parity = asio::serial_port::parity::none;
  asio::serial_port::stop_bits::type stop_bits = asio::serial_port::stop_bits::one;
  asio::serial_port::flow_control::type flow = asio::serial_port::flow_control::none;
  Backoff backoff;
};

// Not final: a polled bus (link/bus) is a serial line with a master's conversation on top.
class SerialLink : public StreamLink<asio::serial_port> {
 public:
  SerialLink(asio::any_io_executor executor, SerialOptions options, LinkHandler handler);
  std::string peer() const override { return options_.device; }

 protected:
  asio::awaitable<bool> open() override;

 private:
  SerialOptions options_;
};

}  // namespace halld::link
