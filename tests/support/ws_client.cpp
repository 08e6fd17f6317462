#include "ws_client.hpp"

#include "http_client.hpp"

#include <utility>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

namespace halld::testing {

namespace beast = boost::beast;

struct WsClient::Impl {
  boost::asio::io_context io;
  beast::websocket::stream<boost::asio::ip::tcp::socket> stream{io};
};

WsClient::WsClient(std::uint16_t port, const std::string& target) : impl_(std::make_unique<Impl>()) {
  try {
    boost::asio::ip::tcp::endpoint endpoint(boost::asio::ip::make_address("127.0.0.1"), port);
    impl_->stream.next_layer().connect(endpoint);
    impl_->stream.set_option(beast::websocket::stream_base::decorator([](beast::websocket::request_type& request) {
      for (const auto& [name, value] : default_headers()) request.set(name, value);
    }));
    impl_->stream.handshake("127.0.0.1", target);
    connected_ = true;
  } catch (const boost::system::system_error& e) {
    error_ = e.what();
    return;
  }
  reader_ = std::thread([this] {
    for (;;) {
      beast::flat_buffer buffer;
      boost::system::error_code ec;
      impl_->stream.read(buffer, ec);
      std::lock_guard lock(mutex_);
      if (ec) {
        closed_ = true;
        arrived_.notify_all();
        return;
      }
      messages_.push_back({std::chrono::steady_clock::now(), beast::buffers_to_string(buffer.data())});
      arrived_.notify_all();
    }
  });
}

WsClient::~WsClient() {
  if (reader_.joinable()) {
    boost::system::error_code ignored;
    impl_->stream.next_layer().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
    reader_.join();
  }
}

std::optional<WsClient::Received> WsClient::next_timed(const std::function<bool(const std::string&)>& wanted,
                                                       std::chrono::milliseconds limit) {
  std::unique_lock lock(mutex_);
  const auto until = std::chrono::steady_clock::now() + limit;
  for (;;) {
    while (!messages_.empty()) {
      auto message = std::move(messages_.front());
      messages_.pop_front();
      if (wanted(message.text)) return message;
    }
    if (closed_ || arrived_.wait_until(lock, until) == std::cv_status::timeout) {
      if (messages_.empty()) return std::nullopt;
    }
  }
}

std::optional<std::string> WsClient::next(const std::function<bool(const std::string&)>& wanted,
                                          std::chrono::milliseconds limit) {
  auto message = next_timed(wanted, limit);
  if (!message) return std::nullopt;
  return std::move(message->text);
}

}  // namespace halld::testing
