#include "ws_feed.hpp"

namespace halld::api {

void Feed::post(const std::shared_ptr<Feed>& feed, std::shared_ptr<const std::string> message) {
  asio::post(feed->executor_, [feed, text = std::move(message)]() mutable {
    if (feed->queue_.size() >= feed->max_queued_) feed->overflowed_ = true;
    else feed->queue_.push_back(std::move(text));
    feed->wake_.cancel();
  });
}

asio::awaitable<void> Feed::read_until_closed(WebSocket& websocket, std::shared_ptr<Feed> feed) {
  beast::flat_buffer buffer;
  boost::system::error_code ec;
  while (!ec) {
    co_await websocket.async_read(buffer, asio::redirect_error(asio::use_awaitable, ec));
    buffer.consume(buffer.size());  // clients say nothing the server needs
  }
  feed->reader_done_ = true;
  feed->wake_.cancel();
}

asio::awaitable<void> Feed::pump(WebSocket& websocket, std::shared_ptr<Feed> feed, std::string first) {
  websocket.text(true);
  boost::system::error_code ec;
  co_await websocket.async_write(asio::buffer(first), asio::redirect_error(asio::use_awaitable, ec));
  asio::co_spawn(feed->executor_, read_until_closed(websocket, feed), asio::detached);
  while (!ec && !feed->reader_done_ && !feed->overflowed_) {
    if (feed->queue_.empty()) {
      feed->wake_.expires_after(std::chrono::seconds(30));
      co_await feed->wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      ec = {};
      continue;
    }
    const auto message = std::move(feed->queue_.front());
    feed->queue_.pop_front();
    co_await websocket.async_write(asio::buffer(*message), asio::redirect_error(asio::use_awaitable, ec));
  }
  if (feed->overflowed_ && !feed->reader_done_) {
    co_await websocket.async_close(beast::websocket::close_reason(beast::websocket::close_code::try_again_later,
                                                                  "too far behind; reconnect for a fresh snapshot"),
                                   asio::redirect_error(asio::use_awaitable, ec));
  }
  // The reader holds the stream until it sees the end; closing the socket ends it.
  beast::get_lowest_layer(websocket).socket().shutdown(asio::socket_base::shutdown_both, ec);
  while (!feed->reader_done_) {
    feed->wake_.expires_after(std::chrono::seconds(1));
    co_await feed->wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

}  // namespace halld::api
