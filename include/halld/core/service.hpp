// core/service: the one lifecycle of halld's long-running parts (the live engine, the alarm
// engine, the notifier, ingest, the acquisition, the HTTP server), and the two things each of
// them would otherwise write again: its loops' bookkeeping and its subscriber list.
// Owns: nothing of any service; the shape only. Must not touch: what a service does.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string_view>

#include "halld/core/spawn.hpp"

namespace halld {

class Service {
 public:
  virtual ~Service() = default;
  virtual std::string_view name() const = 0;
  virtual void start() = 0;
  // Ends the service's work, writing what it holds first; `done` runs once, when it has ended
  // (on the service's executor). Called at most once, after start().
  virtual void stop(std::function<void()> done) = 0;
};

// Awaits a service's stop from a coroutine, which resumes on its own executor.
asio::awaitable<void> stop_service(Service& service);

// The loops of a service, each a coroutine on the service's strand: counts them, and runs the
// stop's `done` when the last has ended once a stop was asked. Use it on that strand only.
class Loops {
 public:
  explicit Loops(asio::strand<asio::any_io_executor> strand, std::string name)
      : strand_(std::move(strand)), name_(std::move(name)) {}

  void spawn(std::string_view what, asio::awaitable<void> loop);
  // Marks the service stopping; `done` runs when no loop is left (at once when none runs).
  void stop(std::function<void()> done);
  bool stopping() const { return stopping_; }

 private:
  void ended();

  asio::strand<asio::any_io_executor> strand_;
  std::string name_;
  int running_ = 0;
  bool stopping_ = false;
  std::function<void()> done_;
};

// Callbacks told of what a service publishes. Thread-safe; callbacks run on the publisher's
// executor, in subscription order, under the list's lock (so a subscriber removed is never
// called afterwards) and must not block or subscribe.
template <class... Args>
class Subscribers {
 public:
  using Callback = std::function<void(const Args&...)>;

  std::uint64_t add(Callback callback) {
    std::lock_guard lock(mutex_);
    callbacks_.emplace(next_, std::move(callback));
    return next_++;
  }
  void remove(std::uint64_t id) {
    std::lock_guard lock(mutex_);
    callbacks_.erase(id);
  }
  void notify(const Args&... args) const {
    std::lock_guard lock(mutex_);
    for (const auto& [id, callback] : callbacks_) callback(args...);
  }
  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return callbacks_.size();
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::uint64_t, Callback> callbacks_;
  std::uint64_t next_ = 1;
};

}  // namespace halld
