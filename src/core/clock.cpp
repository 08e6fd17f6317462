#include "halld/core/clock.hpp"

#include <algorithm>

namespace halld {
namespace {

class SystemClock final : public Clock {
 public:
  std::chrono::system_clock::time_point now() const override {
    return std::chrono::system_clock::now();
  }
  std::chrono::steady_clock::time_point elapsed() const override {
    return std::chrono::steady_clock::now();
  }

 private:
  void arm(const std::shared_ptr<Wait>& wait, Duration after) const override {
    wait->timer.expires_after(after);
  }
};

}  // namespace

const Clock& system_clock() {
  static const SystemClock clock;
  return clock;
}

ManualClock::ManualClock(std::chrono::system_clock::time_point start) : wall_(start) {}

std::chrono::system_clock::time_point ManualClock::now() const {
  std::lock_guard lock(mutex_);
  return wall_ + std::chrono::duration_cast<std::chrono::system_clock::duration>(moved_);
}

std::chrono::steady_clock::time_point ManualClock::elapsed() const {
  std::lock_guard lock(mutex_);
  // Far from the epoch, so that "now minus a period" is a time like any other.
  return std::chrono::steady_clock::time_point{} + std::chrono::hours(24 * 365) + moved_;
}

void ManualClock::arm(const std::shared_ptr<Wait>& wait, Duration after) const {
  std::lock_guard lock(mutex_);
  if (after <= Duration::zero()) {
    wait->due = true;
    wait->timer.expires_at(std::chrono::steady_clock::time_point::min());
    return;
  }
  wait->timer.expires_at(std::chrono::steady_clock::time_point::max());
  armed_.emplace_back(moved_ + after, wait);
}

void ManualClock::advance(Duration by) {
  std::vector<std::shared_ptr<Wait>> due;
  {
    std::lock_guard lock(mutex_);
    moved_ += by;
    std::erase_if(armed_, [&](const auto& entry) {
      auto wait = entry.second.lock();
      if (!wait) return true;
      if (entry.first > moved_) return false;
      due.push_back(std::move(wait));
      return true;
    });
  }
  // The timer belongs to its executor: it is touched only there.
  for (auto& wait : due) {
    asio::post(wait->timer.get_executor(), [wait] {
      wait->due = true;
      wait->timer.cancel();
    });
  }
}

std::size_t ManualClock::waiting() const {
  std::lock_guard lock(mutex_);
  return static_cast<std::size_t>(std::count_if(
      armed_.begin(), armed_.end(), [](const auto& entry) { return !entry.second.expired(); }));
}

Timer::Timer(asio::any_io_executor executor, const Clock& clock)
    : clock_(clock), wait_(std::make_shared<Clock::Wait>(std::move(executor))) {}

Timer::~Timer() = default;

asio::awaitable<bool> Timer::wait(Clock::Duration after) {
  auto wait = wait_;  // held by the frame: the timer may go while this is suspended
  if (std::exchange(wait->cancelled, false)) co_return false;
  wait->due = false;
  clock_.arm(wait, after);
  boost::system::error_code ec;
  co_await wait->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  if (std::exchange(wait->cancelled, false)) co_return false;
  co_return !ec || wait->due;
}

void Timer::cancel() {
  wait_->cancelled = true;
  wait_->timer.cancel();
}

}  // namespace halld
