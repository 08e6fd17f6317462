#include "ws_feed.hpp"

namespace halld::api {

void Feed::post(const std::shared_ptr<Feed>& feed, std::shared_ptr<const std::string> message) {
  asio::post(feed->executor_, [feed, text = std::move(message)]() mutable {
    if (feed->queue_.size() >= feed->max_queued_)
      feed->overflowed_ = true;
    else
      feed->queue_.push_back(std::move(text));
    feed->wake_.cancel();
  });
}

asio::awaitable<void> Feed::read_until_closed(WebSocket& websocket, std::shared_ptr<Feed> feed) {
  beast::flat_buffer buffer;
  for (;;) {
    const auto ec = co_await websocket.read(buffer);
    if (ec) break;
    buffer.consume(buffer.size());  // clients say nothing the server needs
  }
  feed->reader_done_ = true;
  feed->wake_.cancel();
}

asio::awaitable<void> Feed::pump(WebSocket& websocket, std::shared_ptr<Feed> feed,
                                 std::string first) {
  auto ec = co_await websocket.write_text(asio::buffer(first));
  halld::spawn(feed->executor_, "websocket: reader", read_until_closed(websocket, feed));
  while (!ec && !feed->reader_done_ && !feed->overflowed_) {
    if (feed->queue_.empty()) {
      feed->wake_.expires_after(std::chrono::seconds(30));
      co_await feed->wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      ec = {};
      continue;
    }
    const auto message = std::move(feed->queue_.front());
    feed->queue_.pop_front();
    ec = co_await websocket.write_text(asio::buffer(*message));
  }
  if (feed->overflowed_ && !feed->reader_done_) {
    const beast::websocket::close_reason reason(beast::websocket::close_code::try_again_later,
                                                "too far behind; reconnect for a fresh snapshot");
    auto closing = websocket.close(reason);
    co_await std::move(closing);
  }
  // The reader holds the stream until it sees the end; shutting the connection down ends it.
  websocket.shut_down();
  while (!feed->reader_done_) {
    feed->wake_.expires_after(std::chrono::seconds(1));
    co_await feed->wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

}  // namespace halld::api
