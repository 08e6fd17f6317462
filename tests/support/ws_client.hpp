// A WebSocket client for tests over a real TCP connection to 127.0.0.1: a thread reads every
// message into a queue, and the test waits for the one it expects.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace halld::testing {

class WsClient {
 public:
  // Connects and upgrades; connected() says whether it worked, error() why not.
  WsClient(std::uint16_t port, const std::string& target);
  ~WsClient();
  WsClient(const WsClient&) = delete;
  WsClient& operator=(const WsClient&) = delete;

  bool connected() const { return connected_; }
  const std::string& error() const { return error_; }
  // The first message not yet taken that satisfies `wanted` (those before it are dropped), or
  // nullopt when none came in time.
  std::optional<std::string> next(const std::function<bool(const std::string&)>& wanted,
                                  std::chrono::milliseconds limit = std::chrono::seconds(30));
  std::optional<std::string> next(std::chrono::milliseconds limit = std::chrono::seconds(30)) {
    return next([](const std::string&) { return true; }, limit);
  }
  // When each message arrived, with it: for latency measurements.
  struct Received {
    std::chrono::steady_clock::time_point at;
    std::string text;
  };
  std::optional<Received> next_timed(const std::function<bool(const std::string&)>& wanted,
                                     std::chrono::milliseconds limit);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  bool connected_ = false;
  std::string error_;
  std::mutex mutex_;
  std::condition_variable arrived_;
  std::deque<Received> messages_;
  bool closed_ = false;
  std::thread reader_;
};

}  // namespace halld::testing
