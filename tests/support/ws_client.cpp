#include "ws_client.hpp"

#include <utility>
#include <variant>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "http_client.hpp"

namespace halld::testing {

namespace beast = boost::beast;

using PlainSocket = beast::websocket::stream<boost::asio::ip::tcp::socket>;
using TlsSocket = beast::websocket::stream<beast::ssl_stream<boost::asio::ip::tcp::socket>>;

struct WsClient::Impl {
  boost::asio::io_context io;
  std::unique_ptr<boost::asio::ssl::context> tls =
      tls_trust().empty() ? nullptr : trusting_context();
  std::variant<PlainSocket, TlsSocket> stream =
      tls ? std::variant<PlainSocket, TlsSocket>(std::in_place_type<TlsSocket>, io, *tls)
          : std::variant<PlainSocket, TlsSocket>(std::in_place_type<PlainSocket>, io);
  template <class Action>
  auto with_stream(Action action) {
    return std::visit(action, stream);
  }
};

WsClient::WsClient(std::uint16_t port, const std::string& target)
    : impl_(std::make_unique<Impl>()) {
  try {
    boost::asio::ip::tcp::endpoint endpoint(boost::asio::ip::make_address("127.0.0.1"), port);
    impl_->with_stream([&](auto& stream) {
      beast::get_lowest_layer(stream).connect(endpoint);
      if constexpr (std::is_same_v<std::decay_t<decltype(stream)>, TlsSocket>) {
        stream.next_layer().handshake(boost::asio::ssl::stream_base::client);
      }
      stream.set_option(
          beast::websocket::stream_base::decorator([](beast::websocket::request_type& request) {
            for (const auto& [name, value] : default_headers()) request.set(name, value);
          }));
      stream.handshake("127.0.0.1", target);
    });
    connected_ = true;
  } catch (const boost::system::system_error& e) {
    error_ = e.what();
    return;
  }
  reader_ = std::thread([this] {
    for (;;) {
      beast::flat_buffer buffer;
      boost::system::error_code ec;
      impl_->with_stream([&](auto& stream) { stream.read(buffer, ec); });
      std::lock_guard lock(mutex_);
      if (ec) {
        closed_ = true;
        arrived_.notify_all();
        return;
      }
      messages_.push_back(
          {std::chrono::steady_clock::now(), beast::buffers_to_string(buffer.data())});
      arrived_.notify_all();
    }
  });
}

WsClient::~WsClient() {
  if (reader_.joinable()) {
    boost::system::error_code ignored;
    impl_->with_stream([&](auto& stream) {
      beast::get_lowest_layer(stream).shutdown(boost::asio::ip::tcp::socket::shutdown_both,
                                               ignored);
    });
    reader_.join();
  }
}

std::optional<WsClient::Received> WsClient::next_timed(
    const std::function<bool(const std::string&)>& wanted, std::chrono::milliseconds limit) {
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
