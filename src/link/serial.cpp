#include "halld/link/serial.hpp"

#include <spdlog/spdlog.h>

namespace halld::link {

SerialLink::SerialLink(asio::any_io_executor executor, SerialOptions options, LinkHandler handler)
    : StreamLink(std::move(executor), std::move(handler), options.backoff),
      options_(std::move(options)) {}

asio::awaitable<bool> SerialLink::open() {
  boost::system::error_code ec;
  stream_.open(options_.device, ec);
  if (!ec) stream_.set_option(asio::serial_port::baud_rate(options_.baud), ec);
  if (!ec) stream_.set_option(asio::serial_port::character_size(options_.data_bits), ec);
  if (!ec) stream_.set_option(asio::serial_port::parity(options_.parity), ec);
  if (!ec) stream_.set_option(asio::serial_port::stop_bits(options_.stop_bits), ec);
  if (!ec) stream_.set_option(asio::serial_port::flow_control(options_.flow), ec);
  if (ec) {
    drop_reason_ = "cannot open " + options_.device + ": " + ec.message();
    spdlog::debug("serial {}: {}", options_.device, drop_reason_);
    close_stream();
    co_return false;
  }
  co_return true;
}

}  // namespace halld::link
