// halld's Modbus codec against an independent implementation: Debian's python3-pymodbus as a
// TCP device (tools/modbus_peer/pymodbus_server.py) with known coils, inputs and registers, read
// and written with every function halld uses, an exception answer included.
#include "halld/proto/modbus/modbus.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "process.hpp"

namespace halld::testing {
namespace {

using namespace proto::modbus;
using namespace std::chrono_literals;

class ModbusPeerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    peer = std::make_unique<Process>(
        "/usr/bin/python3",
        std::vector<std::string>{HALLD_SOURCE_DIR "/tools/modbus_peer/pymodbus_server.py",
                                 (dir.path() / "port").string()},
        dir.path() / "peer.out");
    ASSERT_TRUE(eventually([&] { return std::filesystem::exists(dir.path() / "port"); }, 20s))
        << peer->output();
    const auto port = static_cast<std::uint16_t>(std::stoi(read_text(dir.path() / "port")));
    ASSERT_TRUE(eventually([&] {
      boost::system::error_code ec;
      socket.close(ec);
      socket.connect({boost::asio::ip::make_address("127.0.0.1"), port}, ec);
      return !ec;
    }));
  }
  void TearDown() override { peer->signal(SIGTERM); }

  // One request and its answer, read the way halld's poller reads them.
  Answer ask(const Request& request) {
    const auto transaction = ++transactions;
    boost::asio::write(socket, boost::asio::buffer(tcp_frame(transaction, request)));
    std::vector<std::uint8_t> received;
    for (;;) {
      auto reading = read_tcp_answer(received, transaction, request);
      if (auto* answer = std::get_if<Answer>(&reading)) {
        EXPECT_EQ(answer->size, received.size());
        return *answer;
      }
      if (auto* refused = std::get_if<Refused>(&reading)) {
        ADD_FAILURE() << "refused: " << refused->reason;
        return {};
      }
      std::uint8_t byte = 0;
      boost::asio::read(socket, boost::asio::buffer(&byte, 1));
      received.push_back(byte);
    }
  }

  TempDir dir;
  std::unique_ptr<Process> peer;
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket socket{io};
  std::uint16_t transactions = 0x1500;
};

TEST_F(ModbusPeerTest, EveryFunctionHalldUsesReadsAndWritesAnIndependentDevice) {
  const auto holding = ask({1, Function::read_holding_registers, 0, 6, {}});
  ASSERT_EQ(holding.registers,
            (std::vector<std::uint16_t>{235, 0xFFD6, 0x0001, 0x86A0, 0x41BC, 0x0000}));
  EXPECT_EQ(decode_point(holding.registers, {PointType::s16, 1, WordOrder::high_first, 0.1, 0}),
            decode_point(std::vector<std::uint16_t>{0xFFD6}, {PointType::s16, 0, {}, 0.1, 0}));
  EXPECT_EQ(decode_point(holding.registers, {PointType::u32, 2, WordOrder::high_first, 1, 0}),
            100000.0);
  EXPECT_EQ(decode_point(holding.registers, {PointType::f32, 4, WordOrder::high_first, 1, 0}),
            23.5);
  EXPECT_EQ(ask({1, Function::read_input_registers, 0, 2, {}}).registers,
            (std::vector<std::uint16_t>{650, 42}));
  EXPECT_EQ(ask({1, Function::read_coils, 0, 10, {}}).bits,
            (std::vector<bool>{1, 0, 1, 1, 0, 0, 1, 0, 1, 0}));
  EXPECT_EQ(ask({1, Function::read_discrete_inputs, 0, 5, {}}).bits,
            (std::vector<bool>{0, 1, 1, 0, 1}));

  // Writes, each read back: a set point of 26.0 °C in tenths, two registers, a coil off.
  const Point set_point{PointType::s16, 0, WordOrder::high_first, 0.1, 0};
  EXPECT_FALSE(
      ask({1, Function::write_single_register, 6, 1, encode_point(26.0, set_point)}).exception);
  EXPECT_FALSE(ask({1, Function::write_multiple_registers, 7, 2, {0x0102, 0x0304}}).exception);
  EXPECT_FALSE(ask({1, Function::write_single_coil, 2, 1, {0}}).exception);
  const auto written = ask({1, Function::read_holding_registers, 6, 3, {}});
  EXPECT_EQ(written.registers, (std::vector<std::uint16_t>{260, 0x0102, 0x0304}));
  EXPECT_EQ(decode_point(written.registers, set_point), 26.0);
  EXPECT_EQ(ask({1, Function::read_coils, 0, 3, {}}).bits, (std::vector<bool>{1, 0, 0}));

  // Past the device's registers: its exception, not a crash or a wait.
  const auto refused = ask({1, Function::read_holding_registers, 99, 2, {}});
  ASSERT_TRUE(refused.exception.has_value());
  EXPECT_EQ(exception_text(*refused.exception), "illegal data address");
}

}  // namespace
}  // namespace halld::testing
