// Modbus frames as the specification's and the Modbus literature's worked examples write them
// (e.g. "11 03 00 6B 00 03 76 87"), and answers that are not the answer to the request refused.
#include "halld/proto/modbus/modbus.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "halld/proto/frame/frame.hpp"

namespace halld::proto::modbus {
namespace {

std::vector<std::uint8_t> bytes(std::string_view hex) {
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 3)
    out.push_back(static_cast<std::uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  return out;
}

TEST(Modbus, RequestsAreFramedAsTheSpecificationsExamples) {
  EXPECT_EQ(rtu_frame({0x11, Function::read_holding_registers, 0x6B, 3, {}}),
            bytes("11 03 00 6B 00 03 76 87"));
  EXPECT_EQ(rtu_frame({0x11, Function::read_coils, 0x13, 0x25, {}}),
            bytes("11 01 00 13 00 25 0E 84"));
  EXPECT_EQ(rtu_frame({0x01, Function::write_single_register, 1, 1, {3}}),
            bytes("01 06 00 01 00 03 98 0B"));
  EXPECT_EQ(rtu_frame({0x0A, Function::write_single_coil, 0xAC, 1, {1}}),
            bytes("0A 05 00 AC FF 00 4D 60"));
  EXPECT_EQ(rtu_frame({0x11, Function::write_multiple_registers, 1, 2, {0x000A, 0x0102}}),
            bytes("11 10 00 01 00 02 04 00 0A 01 02 C6 F0"));
  EXPECT_EQ(tcp_frame(0x1501, {0xFF, Function::read_input_registers, 8, 2, {}}),
            bytes("15 01 00 00 00 06 FF 04 00 08 00 02"));
}

TEST(Modbus, RequestsTheProtocolCannotCarryAreRefused) {
  EXPECT_THROW(encode_pdu({1, Function::read_holding_registers, 0, 0, {}}), std::invalid_argument);
  EXPECT_THROW(encode_pdu({1, Function::read_holding_registers, 0, 126, {}}),
               std::invalid_argument);
  EXPECT_THROW(encode_pdu({1, Function::read_coils, 0, 2001, {}}), std::invalid_argument);
  EXPECT_THROW(encode_pdu({1, Function::read_input_registers, 65530, 10, {}}),
               std::invalid_argument);
  EXPECT_THROW(encode_pdu({1, Function::write_single_coil, 0, 1, {2}}), std::invalid_argument);
  EXPECT_THROW(
      encode_pdu({1, Function::write_multiple_registers, 0, 1, std::vector<std::uint16_t>(124)}),
      std::invalid_argument);
  EXPECT_THROW(encode_pdu({1, static_cast<Function>(7), 0, 1, {}}), std::invalid_argument);
  EXPECT_THROW(rtu_frame({0, Function::read_coils, 0, 1, {}}), std::invalid_argument)
      << "broadcasts get no answer: halld never polls address 0";
}

TEST(Modbus, AnswersAreReadAgainstTheirRequest) {
  const Request registers{0x11, Function::read_holding_registers, 0x6B, 3, {}};
  auto answer = read_rtu_answer(bytes("11 03 06 AE 41 56 52 43 40 49 AD"), registers);
  ASSERT_TRUE(std::holds_alternative<Answer>(answer));
  EXPECT_EQ(std::get<Answer>(answer).registers,
            (std::vector<std::uint16_t>{0xAE41, 0x5652, 0x4340}));
  EXPECT_EQ(std::get<Answer>(answer).size, 11u);

  const Request coils{0x11, Function::read_coils, 0x13, 0x25, {}};
  answer = read_rtu_answer(bytes("11 01 05 CD 6B B2 0E 1B 45 E6"), coils);
  ASSERT_TRUE(std::holds_alternative<Answer>(answer));
  const auto& bits = std::get<Answer>(answer).bits;
  ASSERT_EQ(bits.size(), 37u);
  EXPECT_EQ(std::vector<bool>(bits.begin(), bits.begin() + 8),
            (std::vector<bool>{1, 0, 1, 1, 0, 0, 1, 1}))
      << "0xCD, the lowest coil first";

  answer = read_rtu_answer(bytes("11 83 02 C1 34"), registers);
  ASSERT_TRUE(std::holds_alternative<Answer>(answer));
  EXPECT_EQ(std::get<Answer>(answer).exception, 2);
  EXPECT_EQ(exception_text(2), "illegal data address");

  const Request write{0x11, Function::write_multiple_registers, 1, 2, {0x000A, 0x0102}};
  EXPECT_TRUE(
      std::holds_alternative<Answer>(read_rtu_answer(bytes("11 10 00 01 00 02 12 98"), write)));

  const Request input{0xFF, Function::read_input_registers, 8, 2, {}};
  answer = read_tcp_answer(bytes("15 01 00 00 00 07 FF 04 04 00 2A FF FE"), 0x1501, input);
  ASSERT_TRUE(std::holds_alternative<Answer>(answer));
  EXPECT_EQ(std::get<Answer>(answer).registers, (std::vector<std::uint16_t>{42, 0xFFFE}));
}

TEST(Modbus, WhatIsNotTheAnswerIsRefusedOrWaitedFor) {
  const Request registers{0x11, Function::read_holding_registers, 0x6B, 3, {}};
  const auto good = bytes("11 03 06 AE 41 56 52 43 40 49 AD");
  for (std::size_t n = 0; n < good.size(); ++n) {
    EXPECT_TRUE(
        std::holds_alternative<NeedMore>(read_rtu_answer(std::span(good).first(n), registers)))
        << n << " bytes";
  }
  auto refused = [&](const std::vector<std::uint8_t>& b, const Request& r) {
    auto reading = read_rtu_answer(b, r);
    return std::holds_alternative<Refused>(reading) ? std::get<Refused>(reading).reason : "";
  };
  auto damaged = good;
  damaged[4] ^= 1;
  EXPECT_EQ(refused(damaged, registers), "bad CRC");
  EXPECT_THAT(refused(bytes("12 03 06"), registers), ::testing::HasSubstr("unit 18 answered"));
  EXPECT_THAT(refused(bytes("11 04 06"), registers), ::testing::HasSubstr("function 4 answered"));
  EXPECT_THAT(refused(bytes("11 03 FF"), registers), ::testing::HasSubstr("255 data bytes"));
  const Request write{0x01, Function::write_single_register, 1, 1, {3}};
  auto other_value = rtu_frame({0x01, Function::write_single_register, 1, 1, {4}});
  EXPECT_EQ(refused(other_value, write), "the write's echo differs from the request");

  const Request input{0xFF, Function::read_input_registers, 8, 2, {}};
  const auto late = bytes("15 00 00 00 00 07 FF 04 04 00 2A FF FE");
  auto reading = read_tcp_answer(late, 0x1501, input);
  ASSERT_TRUE(std::holds_alternative<Refused>(reading));
  EXPECT_EQ(std::get<Refused>(reading).skip, late.size()) << "only the stale frame goes";
  reading = read_tcp_answer(bytes("15 01 00 01 00 07 FF 04"), 0x1501, input);
  ASSERT_TRUE(std::holds_alternative<Refused>(reading));
  EXPECT_THAT(std::get<Refused>(reading).reason, ::testing::HasSubstr("protocol 1"));
  EXPECT_TRUE(std::holds_alternative<NeedMore>(
      read_tcp_answer(bytes("15 01 00 00 00 07 FF 04 04"), 0x1501, input)));
}

TEST(ModbusPoints, RegistersBecomeQuantitiesByTypeWordOrderAndScale) {
  // A temperature of 23.5 °C in tenths, signed; −4.2 °C below zero.
  const std::vector<std::uint16_t> block = {235,    0xFFD6, 0x0001, 0x86A0, 0x86A0,
                                            0x0001, 0x41BC, 0x0000, 0x7FC0, 0x0000};
  EXPECT_EQ(decode_point(block, {PointType::s16, 0, WordOrder::high_first, 0.1, 0}), 23.5);
  EXPECT_DOUBLE_EQ(*decode_point(block, {PointType::s16, 1, WordOrder::high_first, 0.1, 0}), -4.2);
  EXPECT_EQ(decode_point(block, {PointType::u16, 1, WordOrder::high_first, 1, 0}), 65494);
  // 100000 Wh as two registers, in either word order (meters differ).
  EXPECT_EQ(decode_point(block, {PointType::u32, 2, WordOrder::high_first, 0.001, 0}), 100.0);
  EXPECT_EQ(decode_point(block, {PointType::u32, 4, WordOrder::low_first, 0.001, 0}), 100.0);
  EXPECT_EQ(decode_point(block, {PointType::f32, 6, WordOrder::high_first, 1, 0}), 23.5);
  EXPECT_EQ(decode_point(block, {PointType::f32, 8, WordOrder::high_first, 1, 0}), std::nullopt)
      << "a NaN is no reading";
  EXPECT_EQ(decode_point(block, {PointType::u32, 9, WordOrder::high_first, 1, 0}), std::nullopt)
      << "the block ends before the point's second register";
  EXPECT_EQ(decode_point(block, {PointType::s16, 0, WordOrder::high_first, 0.1, -20}), 3.5);
}

TEST(ModbusPoints, AQuantityToWriteBecomesItsRegistersOrIsRefused) {
  const Point set_point{PointType::s16, 0, WordOrder::high_first, 0.1, 0};
  EXPECT_EQ(encode_point(26.0, set_point), (std::vector<std::uint16_t>{260}));
  EXPECT_EQ(encode_point(-4.2, set_point), (std::vector<std::uint16_t>{0xFFD6}));
  EXPECT_THROW(encode_point(4000.0, set_point), std::invalid_argument);
  EXPECT_THROW(encode_point(std::nan(""), set_point), std::invalid_argument);
  const Point energy{PointType::u32, 0, WordOrder::low_first, 0.001, 0};
  EXPECT_EQ(encode_point(100.0, energy), (std::vector<std::uint16_t>{0x86A0, 0x0001}));
  EXPECT_THROW(encode_point(-1.0, energy), std::invalid_argument);
  const Point level{PointType::f32, 0, WordOrder::high_first, 1, 0};
  EXPECT_EQ(encode_point(23.5, level), (std::vector<std::uint16_t>{0x41BC, 0x0000}));
  for (const auto& point : {set_point, energy, level}) {
    const auto registers = encode_point(21.5, point);
    EXPECT_NEAR(*decode_point(registers, point), 21.5, 1e-9) << "each the other's inverse";
  }
}

}  // namespace
}  // namespace halld::proto::modbus
