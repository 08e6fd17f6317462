// A serial link over a real pseudo-terminal: it opens the device with its line settings,
// carries bytes both ways, and opens the device again after it went away.
#include "halld/link/serial.hpp"

#include <gtest/gtest.h>
#include <pty.h>
#include <unistd.h>

#include <thread>

namespace halld::link {
namespace {

using namespace std::chrono_literals;

TEST(SerialLink, CarriesBytesBothWaysAndRetriesADeviceThatIsNotThereYet) {
  int controller = -1, device = -1;
  char name[256] = {};
  ASSERT_EQ(::openpty(&controller, &device, name, nullptr, nullptr), 0);
  ::close(device);  // the link opens it by name

  asio::io_context io;
  std::string received;
  int ups = 0;
  SerialOptions options;
  options.device = "/nonexistent/ttyX";
  options.backoff = {10ms, 20ms};
  auto missing = std::make_shared<SerialLink>(io.get_executor(), options,
                                              LinkHandler{[&] { ++ups; }, {}, {}, {}, {}});
  missing->start();
  io.run_for(100ms);
  EXPECT_EQ(ups, 0) << "a device that is not there is retried, not an error";
  missing->stop();

  options.device = name;
  options.baud = 19200;
  options.parity = asio::serial_port::parity::even;
  auto serial = std::make_shared<SerialLink>(
      io.get_executor(), options,
      LinkHandler{[&] { ++ups; },
                  [&](std::span<const std::uint8_t> b) { received.append(b.begin(), b.end()); },
                  {},
                  {},
                  {}});
  serial->start();
  for (int i = 0; i < 100 && ups == 0; ++i) io.run_for(10ms);
  ASSERT_EQ(ups, 1);
  EXPECT_EQ(serial->peer(), name);
  ASSERT_EQ(::write(controller, "\x68\x01\x02", 3), 3);
  for (int i = 0; i < 100 && received.size() < 3; ++i) io.run_for(10ms);
  EXPECT_EQ(received, "\x68\x01\x02");
  serial->send({0x16, 0x17});
  io.run_for(50ms);
  char back[8] = {};
  EXPECT_EQ(::read(controller, back, sizeof back), 2);
  EXPECT_EQ(std::string(back, 2), "\x16\x17");
  EXPECT_EQ(serial->bytes_in(), 3u);
  EXPECT_EQ(serial->bytes_out(), 2u);
  serial->stop();
  io.run_for(50ms);
  ::close(controller);
}

}  // namespace
}  // namespace halld::link
