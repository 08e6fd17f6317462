// An RS-485 bus polled by halld as master, over a real pseudo-terminal with a toy dialect (the
// link knows no protocol): polls go out one at a time, an answer split across writes is handed
// up whole, a silent device is retried and reported, queued bytes go out between polls only.
#include "halld/link/bus.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <unistd.h>

#include <map>
#include <thread>

namespace halld::link {
namespace {

using namespace std::chrono_literals;

// The toy dialect: a poll is AA <address>; an answer is BB <address> <n> and n bytes.
BusDialect toy_dialect() {
  return {[](std::uint32_t address) {
            return std::vector<std::uint8_t>{0xAA, static_cast<std::uint8_t>(address)};
          },
          [](std::span<const std::uint8_t> received) -> std::size_t {
            if (received.size() < 3) return 0;
            const std::size_t size = 3u + received[2];
            return received.size() >= size ? size : 0;
          }};
}

// Devices 1 and 3 answer (1 in two pieces, 3 with a stray byte after its answer); device 2 is
// silent until `wake_two` is set. Everything the master wrote is kept for inspection.
class Devices {
 public:
  explicit Devices(int controller) : controller_(controller), thread_([this] { run(); }) {}
  ~Devices() {
    stop_ = true;
    thread_.join();
  }
  std::atomic<bool> wake_two = false;
  std::string written() {
    std::lock_guard lock(mutex_);
    return written_;
  }

 private:
  void run() {
    std::string pending;
    while (!stop_) {
      pollfd p{controller_, POLLIN, 0};
      if (::poll(&p, 1, 10) <= 0) continue;
      char buffer[256];
      auto n = ::read(controller_, buffer, sizeof buffer);
      if (n <= 0) continue;
      pending.append(buffer, static_cast<std::size_t>(n));
      {
        std::lock_guard lock(mutex_);
        written_.append(buffer, static_cast<std::size_t>(n));
      }
      while (pending.size() >= 2) {
        const bool is_poll = static_cast<unsigned char>(pending[0]) == 0xAA;
        const int address = pending[1];
        pending.erase(0, 2);
        if (!is_poll) continue;  // the queued bytes (CC CC): nothing to answer
        if (address == 1) {
          write("\xBB\x01\x02");
          std::this_thread::sleep_for(5ms);
          write("hi");
        } else if (address == 2 && wake_two) {
          write(std::string("\xBB\x02\x00", 3));
        } else if (address == 3) {
          write(std::string("\xBB\x03\x00\x77", 4));
        }
      }
    }
  }
  void write(const std::string& bytes) {
    ASSERT_EQ(::write(controller_, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  }

  int controller_;
  std::atomic<bool> stop_ = false;
  std::mutex mutex_;
  std::string written_;
  std::thread thread_;
};

TEST(BusLink, PollsOneDeviceAtATimeRetriesTheSilentAndWritesBetweenPolls) {
  int controller = -1, device = -1;
  char name[256] = {};
  ASSERT_EQ(::openpty(&controller, &device, name, nullptr, nullptr), 0);
  ::close(device);
  Devices devices(controller);

  asio::io_context io;
  std::vector<std::string> answers;
  std::vector<std::pair<std::uint32_t, bool>> changes;
  BusOptions options;
  options.serial.device = name;
  options.serial.backoff = {10ms, 20ms};
  options.addresses = {1, 2, 3};
  options.poll_interval = 100ms;
  options.response_timeout = 40ms;
  options.retries = 1;
  options.gap = 2ms;
  LinkHandler handler{
      [] {},
      [&](std::span<const std::uint8_t> b) { answers.emplace_back(b.begin(), b.end()); },
      [](const std::string&) {},
      {},
      [&](std::uint32_t address, bool answering) { changes.emplace_back(address, answering); }};
  auto bus = std::make_shared<BusLink>(io.get_executor(), options, toy_dialect(), handler);
  bus->start();
  for (int i = 0; i < 100 && changes.size() < 3; ++i) io.run_for(10ms);
  ASSERT_EQ(changes.size(), 3u);
  EXPECT_EQ(changes[0], std::make_pair(1u, true));
  EXPECT_EQ(changes[1], std::make_pair(2u, false));
  EXPECT_EQ(changes[2], std::make_pair(3u, true));
  bus->send({0xCC, 0xCC});
  io.run_for(400ms);
  devices.wake_two = true;
  for (int i = 0; i < 100 && changes.size() < 4; ++i) io.run_for(10ms);
  ASSERT_EQ(changes.size(), 4u);
  EXPECT_EQ(changes[3], std::make_pair(2u, true));
  bus->stop();
  io.run_for(50ms);

  // Answers are handed up whole and alone: never a piece, never the stray byte.
  std::map<std::string, int> kinds;
  for (const auto& a : answers) ++kinds[a];
  EXPECT_GT(kinds[std::string("\xBB\x01\x02hi")], 3);
  EXPECT_GT(kinds[std::string("\xBB\x03\x00", 3)], 3);
  EXPECT_EQ(kinds.size(), 3u) << "only whole answers of devices 1, 3 and (once awake) 2";
  EXPECT_GE(bus->discarded_bytes(), 4u) << "device 3's stray byte, every time";
  // The master's side of the bus: polls, and the queued bytes exactly once between two polls.
  auto written = devices.written();
  std::map<int, int> polls;
  int queued = 0;
  for (std::size_t at = 0; at + 1 < written.size(); at += 2) {
    if (static_cast<unsigned char>(written[at]) == 0xAA) {
      ++polls[written[at + 1]];
    } else {
      EXPECT_EQ(written.substr(at, 2), "\xCC\xCC");
      ++queued;
    }
  }
  EXPECT_EQ(queued, 1);
  EXPECT_GE(polls[2], 2 * polls[1] - 4) << "a silent device is polled 1 + retries times per cycle";
  EXPECT_GE(bus->timeouts(), 4u);
  EXPECT_EQ(bus->polls(), static_cast<std::uint64_t>(polls[1] + polls[2] + polls[3]));
  ::close(controller);
}

}  // namespace
}  // namespace halld::link
