#include "halld/link/tcp_client.hpp"

#include <spdlog/spdlog.h>

namespace halld::link {

TcpClient::TcpClient(asio::any_io_executor executor, TcpClientOptions options, LinkHandler handler)
    : strand_(asio::make_strand(executor)),
      options_(std::move(options)),
      handler_(std::move(handler)),
      socket_(strand_),
      timer_(strand_),
      write_wake_(strand_),
      hold_timer_(strand_),
      jitter_(std::random_device{}()) {}

void TcpClient::start() { asio::co_spawn(strand_, run(shared_from_this()), asio::detached); }

void TcpClient::send(std::vector<std::uint8_t> bytes) {
  asio::post(strand_, [self = shared_from_this(), bytes = std::move(bytes)]() mutable {
    if (!self->up_) return;
    self->outbox_.push_back(std::move(bytes));
    self->write_wake_.cancel();
  });
}

void TcpClient::drop(const std::string& why) {
  asio::post(strand_, [self = shared_from_this(), why] {
    self->drop_reason_ = why;
    self->close_socket();
  });
}

void TcpClient::stop() {
  asio::post(strand_, [self = shared_from_this()] {
    self->stopping_ = true;
    self->timer_.cancel();
    self->hold_timer_.cancel();
    self->close_socket();
  });
}

void TcpClient::close_socket() {
  boost::system::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  write_wake_.cancel();
}

asio::awaitable<void> TcpClient::run(std::shared_ptr<TcpClient> self) {
  auto backoff = options_.backoff_initial;
  while (!stopping_) {
    if (co_await connect()) {
      backoff = options_.backoff_initial;
      ++connects_;
      ++generation_;
      up_ = true;
      drop_reason_.clear();
      handler_.on_up();
      asio::co_spawn(strand_, write_loop(self, generation_), asio::detached);
      co_await read_loop();
      up_ = false;
      outbox_.clear();
      close_socket();
      handler_.on_down(drop_reason_.empty() ? "connection closed" : drop_reason_);
    }
    if (stopping_) break;
    // Full jitter: a province's links that fell together do not all return at the same instant.
    std::uniform_int_distribution<long> spread(backoff.count() / 2, backoff.count());
    timer_.expires_after(std::chrono::milliseconds(spread(jitter_)));
    boost::system::error_code ignored;
    co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    backoff = std::min(backoff * 2, options_.backoff_max);
  }
}

asio::awaitable<bool> TcpClient::connect() {
  boost::system::error_code ec;
  asio::ip::tcp::resolver resolver(strand_);
  auto endpoints = co_await resolver.async_resolve(options_.host, std::to_string(options_.port),
                                                   asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    drop_reason_ = "cannot resolve " + options_.host + ": " + ec.message();
    co_return false;
  }
  socket_ = asio::ip::tcp::socket(strand_);
  timer_.expires_after(options_.connect_timeout);
  timer_.async_wait([this](boost::system::error_code wait_ec) {
    if (!wait_ec) close_socket();  // the connect attempt took too long
  });
  co_await asio::async_connect(socket_, endpoints, asio::redirect_error(asio::use_awaitable, ec));
  timer_.cancel();
  if (ec || stopping_) {
    spdlog::debug("connect to {}:{} failed: {}", options_.host, options_.port, ec.message());
    close_socket();
    co_return false;
  }
  socket_.set_option(asio::socket_base::keep_alive(true), ec);
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  co_return true;
}

asio::awaitable<void> TcpClient::read_loop() {
  std::vector<std::uint8_t> buffer(16 * 1024);
  for (;;) {
    boost::system::error_code ec;
    if (handler_.hold && handler_.hold()) {
      ++holds_;
      while (handler_.hold() && socket_.is_open()) {
        hold_timer_.expires_after(std::chrono::milliseconds(20));
        co_await hold_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      }
      if (!socket_.is_open()) co_return;
    }
    std::size_t n = co_await socket_.async_read_some(asio::buffer(buffer), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (drop_reason_.empty() && ec != asio::error::eof) drop_reason_ = ec.message();
      co_return;
    }
    bytes_in_ += n;
    handler_.on_bytes(std::span(buffer.data(), n));
  }
}

asio::awaitable<void> TcpClient::write_loop([[maybe_unused]] std::shared_ptr<TcpClient> keep_alive,
                                            std::uint64_t generation) {
  while (generation == generation_ && up_) {
    if (outbox_.empty()) {
      write_wake_.expires_after(std::chrono::hours(24));
      boost::system::error_code ignored;
      co_await write_wake_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
      continue;
    }
    auto bytes = std::move(outbox_.front());
    outbox_.pop_front();
    boost::system::error_code ec;
    co_await asio::async_write(socket_, asio::buffer(bytes), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      close_socket();
      co_return;
    }
    bytes_out_ += bytes.size();
  }
}

}  // namespace halld::link
