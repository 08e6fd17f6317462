#include "halld/link/tcp_client.hpp"

#include <fmt/format.h>
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

namespace {

// Runs on `strand`, as the timer that cuts it short does.
asio::awaitable<Probe> probe_on(asio::strand<asio::any_io_executor> strand, std::string host,
                                std::uint16_t port, std::chrono::milliseconds timeout) {
  const auto start = std::chrono::steady_clock::now();
  auto took = [start] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 start);
  };
  boost::system::error_code ec;
  asio::ip::tcp::resolver resolver(strand);
  auto resolving = resolver.async_resolve(host, std::to_string(port),
                                          asio::redirect_error(asio::use_awaitable, ec));
  auto endpoints = co_await std::move(resolving);
  if (ec) co_return Probe{false, "cannot resolve " + host + ": " + ec.message(), took()};
  auto socket = std::make_shared<asio::ip::tcp::socket>(strand);
  auto timed_out = std::make_shared<bool>(false);
  asio::steady_timer timer(strand, timeout);
  timer.async_wait([socket, timed_out](boost::system::error_code wait_ec) {
    if (wait_ec) return;
    *timed_out = true;
    boost::system::error_code ignored;
    socket->close(ignored);
  });
  auto connecting =
      asio::async_connect(*socket, endpoints, asio::redirect_error(asio::use_awaitable, ec));
  co_await std::move(connecting);
  timer.cancel();
  boost::system::error_code ignored;
  socket->close(ignored);
  if (*timed_out)
    co_return Probe{false, fmt::format("no answer within {} ms", timeout.count()), took()};
  if (ec) co_return Probe{false, ec.message(), took()};
  co_return Probe{true, "connected", took()};
}

}  // namespace

asio::awaitable<Probe> probe_tcp(asio::any_io_executor executor, std::string host,
                                 std::uint16_t port, std::chrono::milliseconds timeout) {
  auto strand = asio::make_strand(executor);
  auto probing =
      asio::co_spawn(strand, probe_on(strand, std::move(host), port, timeout), asio::use_awaitable);
  co_return co_await std::move(probing);
}

}  // namespace halld::link
