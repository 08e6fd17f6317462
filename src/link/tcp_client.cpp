#include "halld/link/tcp_client.hpp"

#include <spdlog/spdlog.h>

namespace halld::link {

TcpClient::TcpClient(asio::any_io_executor executor, TcpClientOptions options, LinkHandler handler)
    : StreamLink(std::move(executor), std::move(handler), options.backoff),
      options_(std::move(options)),
      connect_timer_(strand_) {}

asio::awaitable<bool> TcpClient::open() {
  boost::system::error_code ec;
  asio::ip::tcp::resolver resolver(strand_);
  auto endpoints = co_await resolver.async_resolve(options_.host, std::to_string(options_.port),
                                                   asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    drop_reason_ = "cannot resolve " + options_.host + ": " + ec.message();
    co_return false;
  }
  stream_ = asio::ip::tcp::socket(strand_);
  connect_timer_.expires_after(options_.connect_timeout);
  connect_timer_.async_wait([this](boost::system::error_code wait_ec) {
    if (!wait_ec) close_stream();  // the connect attempt took too long
  });
  co_await asio::async_connect(stream_, endpoints, asio::redirect_error(asio::use_awaitable, ec));
  connect_timer_.cancel();
  if (ec || stopping_) {
    spdlog::debug("connect to {}:{} failed: {}", options_.host, options_.port, ec.message());
    close_stream();
    co_return false;
  }
  stream_.set_option(asio::socket_base::keep_alive(true), ec);
  stream_.set_option(asio::ip::tcp::no_delay(true), ec);
  co_return true;
}

}  // namespace halld::link
