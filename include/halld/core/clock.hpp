// core/clock: the time halld reads and the timers it waits on, from one source, so that a test
// moves time (ManualClock::advance) where it would otherwise sleep, and a service's periods,
// holds and timeouts follow the same time as its timestamps. Owns: the manual clock's time and
// the waits armed on it. Must not touch: what the time is used for.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <vector>

#include "halld/core/asio.hpp"

namespace halld {

class Timer;

class Clock {
 public:
  using Duration = std::chrono::steady_clock::duration;
  virtual ~Clock() = default;
  // Wall time (UTC), for what is recorded and compared with devices' times.
  virtual std::chrono::system_clock::time_point now() const = 0;
  std::chrono::sys_seconds now_seconds() const {
    return std::chrono::floor<std::chrono::seconds>(now());
  }
  // Monotonic time, for periods and timeouts: it never runs back when the wall time is set.
  virtual std::chrono::steady_clock::time_point elapsed() const = 0;

 protected:
  friend class Timer;
  struct Wait;
  // Arms `wait` to end `after` from now; the timer's wait ends then, or when it is cancelled.
  virtual void arm(const std::shared_ptr<Wait>& wait, Duration after) const = 0;
};

// The machine's clocks.
const Clock& system_clock();

// Time that moves only when told to: tests and simulations. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(std::chrono::system_clock::time_point start);
  std::chrono::system_clock::time_point now() const override;
  std::chrono::steady_clock::time_point elapsed() const override;
  // Moves both clocks forward and ends the waits that have come due (each on its own executor).
  void advance(Duration by);
  // How many waits are armed and not yet due: lets a test know a service is waiting.
  std::size_t waiting() const;

 private:
  void arm(const std::shared_ptr<Wait>& wait, Duration after) const override;

  mutable std::mutex mutex_;
  std::chrono::system_clock::time_point wall_;
  Duration moved_{};
  mutable std::vector<std::pair<Duration, std::weak_ptr<Wait>>> armed_;  // due at moved_ ≥ first
};

// One wait at a time on a clock, on an executor (a service's strand): its periods and retries.
// Use it from coroutines running on that executor; cancel() there too.
class Timer {
 public:
  Timer(asio::any_io_executor executor, const Clock& clock);
  ~Timer();
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  // True when `after` has passed on the clock; false when cancel() ended the wait first (a
  // cancel() with no wait pending makes the next wait return false at once).
  asio::awaitable<bool> wait(Clock::Duration after);
  void cancel();

 private:
  const Clock& clock_;
  std::shared_ptr<Clock::Wait> wait_;
};

struct Clock::Wait {
  explicit Wait(asio::any_io_executor executor) : timer(std::move(executor)) {}
  asio::steady_timer timer;
  bool due = false;
  bool cancelled = false;
};

}  // namespace halld
