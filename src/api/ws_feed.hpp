// Internal to api: the outgoing side of a streaming WebSocket (alarm window, live halls). A
// subscriber posts messages into the client's Feed; pump() writes them in order. A message is
// shared, not copied, so one text made for a thousand clients stays one text. A client
// that falls `max_queued` messages behind is closed with "try again later", so one slow
// browser never holds memory or the engines back.
#pragma once

#include <deque>
#include <memory>
#include <string>

#include "halld/api/router.hpp"
#include "halld/core/spawn.hpp"

namespace halld::api {

class Feed {
 public:
  Feed(asio::any_io_executor executor, std::size_t max_queued)
      : executor_(executor), wake_(executor), max_queued_(max_queued) {}
  // Thread-safe: hands the message to the client's executor (the posted work keeps the feed).
  static void post(const std::shared_ptr<Feed>& feed, std::shared_ptr<const std::string> message);
  // Sends `first`, then every message posted, until the client closes or falls behind.
  static asio::awaitable<void> pump(WebSocket& websocket, std::shared_ptr<Feed> feed,
                                    std::string first);

 private:
  static asio::awaitable<void> read_until_closed(WebSocket& websocket, std::shared_ptr<Feed> feed);
  asio::any_io_executor executor_;
  std::deque<std::shared_ptr<const std::string>> queue_;  // on the executor
  asio::steady_timer wake_;
  std::size_t max_queued_;
  bool overflowed_ = false;
  bool reader_done_ = false;
};

}  // namespace halld::api
