// The service shape: timers on a manual clock, a service's loops ending before its stop
// completes, escaped exceptions logged and counted, subscriber lists.
#include "halld/core/service.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "halld/core/clock.hpp"

namespace halld {
namespace {

using namespace std::chrono_literals;

const std::chrono::system_clock::time_point start{
    std::chrono::sys_days(std::chrono::year(2026) / 12 / 3)};

// Runs the context's ready handlers until `done` holds (a timer waiting on a manual clock is not
// ready: only advance() makes it so).
template <class Condition>
bool run_until(asio::io_context& io, Condition done) {
  for (int i = 0; i < 1000 && !done(); ++i) {
    io.restart();
    io.poll();
  }
  return done();
}

TEST(ManualClock, ATimerEndsOnlyWhenTheClockHasMovedItsWholeWait) {
  asio::io_context io;
  ManualClock clock(start);
  Timer timer(io.get_executor(), clock);
  std::optional<bool> ended;
  asio::co_spawn(
      io, [&]() -> asio::awaitable<void> { ended = co_await timer.wait(10s); }, asio::detached);
  ASSERT_TRUE(run_until(io, [&] { return clock.waiting() == 1; }));
  clock.advance(9s);
  io.restart();
  io.poll();
  EXPECT_FALSE(ended) << "9 s of a 10 s wait";
  EXPECT_EQ(clock.waiting(), 1u);
  clock.advance(1s);
  ASSERT_TRUE(run_until(io, [&] { return ended.has_value(); }));
  EXPECT_TRUE(*ended);
  EXPECT_EQ(clock.now(), start + 10s);
  EXPECT_EQ(clock.now_seconds(), std::chrono::floor<std::chrono::seconds>(start) + 10s);
}

TEST(ManualClock, ACancelEndsTheWaitAndOneBeforeTheWaitIsNotLost) {
  asio::io_context io;
  ManualClock clock(start);
  Timer timer(io.get_executor(), clock);
  std::vector<bool> ends;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        ends.push_back(co_await timer.wait(1h));
        ends.push_back(co_await timer.wait(1h));  // cancelled before it began
        ends.push_back(co_await timer.wait(0s));
      },
      asio::detached);
  ASSERT_TRUE(run_until(io, [&] { return clock.waiting() == 1; }));
  timer.cancel();
  ASSERT_TRUE(run_until(io, [&] { return ends.size() == 1; }));
  timer.cancel();
  ASSERT_TRUE(run_until(io, [&] { return ends.size() == 3; }));
  EXPECT_EQ(ends, (std::vector<bool>{false, false, true}));
  EXPECT_EQ(clock.now(), start) << "nothing moved the clock";
}

TEST(SystemClock, ATimerWaitsRealTime) {
  asio::io_context io;
  Timer timer(io.get_executor(), system_clock());
  const auto before = system_clock().elapsed();
  bool ended = false;
  asio::co_spawn(
      io, [&]() -> asio::awaitable<void> { ended = co_await timer.wait(20ms); }, asio::detached);
  io.run();
  EXPECT_TRUE(ended);
  EXPECT_GE(system_clock().elapsed() - before, 20ms);
}

// A service of two loops: ticks on the clock, stops when asked.
class Ticker final : public Service {
 public:
  Ticker(asio::io_context& io, const Clock& clock)
      : strand_(asio::make_strand(io.get_executor())),
        loops_(strand_, "ticker"),
        timer_(strand_, clock) {}
  std::string_view name() const override { return "ticker"; }
  void start() override {
    loops_.spawn("ticks", ticks());
    loops_.spawn("failing", failing());
  }
  void stop(std::function<void()> done) override {
    asio::post(strand_, [this, done = std::move(done)]() mutable {
      loops_.stop(std::move(done));
      timer_.cancel();
    });
  }
  std::atomic<int> ticked{0};

 private:
  asio::awaitable<void> ticks() {
    while (!loops_.stopping()) {
      auto waiting = timer_.wait(1s);
      if (co_await std::move(waiting)) ++ticked;
    }
  }
  asio::awaitable<void> failing() {
    throw std::runtime_error("a loop that fails");
    co_return;
  }
  asio::strand<asio::any_io_executor> strand_;
  Loops loops_;
  Timer timer_;
};

TEST(Service, StopCompletesWhenEveryLoopHasEndedAndAFailureIsCounted) {
  asio::io_context io;
  ManualClock clock(start);
  Ticker ticker(io, clock);
  const auto failures = coroutine_failures();
  ticker.start();
  ASSERT_TRUE(run_until(io, [&] { return clock.waiting() == 1; }));
  EXPECT_EQ(coroutine_failures(), failures + 1) << "the failing loop is counted, not lost";
  for (int i = 1; i <= 3; ++i) {
    clock.advance(1s);
    ASSERT_TRUE(run_until(io, [&] { return ticker.ticked == i && clock.waiting() == 1; }));
  }
  bool stopped = false;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        co_await stop_service(ticker);
        stopped = true;
      },
      asio::detached);
  ASSERT_TRUE(run_until(io, [&] { return stopped; }));
  EXPECT_EQ(ticker.ticked, 3);
}

TEST(Spawn, AnExceptionIsReportedWithWhatTheCoroutineWas) {
  asio::io_context io;
  const auto failures = coroutine_failures();
  spawn(io.get_executor(), "a test coroutine", []() -> asio::awaitable<void> {
    throw std::logic_error("escaped");
    co_return;
  });
  spawn(io.get_executor(), "a quiet one", []() -> asio::awaitable<void> { co_return; });
  io.run();
  EXPECT_EQ(coroutine_failures(), failures + 1);
}

TEST(Subscribers, EachIsToldInOrderUntilRemoved) {
  Subscribers<int> list;
  std::vector<std::pair<char, int>> told;
  const auto a = list.add([&](const int& n) { told.emplace_back('a', n); });
  list.add([&](const int& n) { told.emplace_back('b', n); });
  list.notify(1);
  list.remove(a);
  list.notify(2);
  EXPECT_EQ(told, (std::vector<std::pair<char, int>>{{'a', 1}, {'b', 1}, {'b', 2}}));
  EXPECT_EQ(list.size(), 1u);
}

}  // namespace
}  // namespace halld
