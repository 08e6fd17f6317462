// Modbus device models: read from their text, refused with the line of the fault, planned into
// requests, their answers read into quantities and their writes checked against the points' bounds.
#include "halld/proto/modbus/device_model.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "halld/proto/described/description.hpp"

namespace halld::proto::modbus {
namespace {

using ::testing::HasSubstr;

const std::string meter = R"(protocol: test_meter
family: modbus
version: 3
title: 测试电表
points:
  - {name: voltage, title: 电压, quantity: other, unit: V, table: input_register, address: 0, scale: 0.1}
  - {name: power, title: 功率, quantity: power, unit: kW, table: input_register, address: 2, type: f32}
  - {name: energy, quantity: energy, unit: kWh, table: input_register, address: 4, type: u32, order: low_first, scale: 0.01}
  - {name: far, quantity: other, table: input_register, address: 200, type: s16}
  - {name: relay, quantity: on_off, table: coil, address: 5, writable: true}
  - {name: limit, quantity: set_point, table: holding_register, address: 10, type: s32, writable: true, min: -100, max: 100000}
)";

std::string failure_of(const std::string& text) {
  try {
    load_device_model(text);
  } catch (const described::DescriptionError& e) {
    return e.what();
  }
  return "";
}

TEST(DeviceModel, ReadsPointsAndPlansOneRequestPerNeighbourhood) {
  EXPECT_TRUE(is_device_model(meter));
  EXPECT_FALSE(is_device_model("protocol: x\nfamily: queue_eval\n"));
  EXPECT_FALSE(is_device_model("{{{ not yaml"));
  const auto model = load_device_model(meter);
  EXPECT_EQ(model.name, "test_meter");
  EXPECT_EQ(model.version, 3u);
  EXPECT_EQ(model.points.size(), 6u);
  EXPECT_EQ(model.checksum.size(), 64u);
  ASSERT_NE(model.point("energy"), nullptr);
  EXPECT_EQ(model.point("energy")->decoding.order, WordOrder::low_first);
  EXPECT_EQ(model.point("voltage")->title, "电压");
  EXPECT_EQ(model.point("far")->title, "far");  // the name when no title is given
  EXPECT_EQ(model.point("nothing"), nullptr);
  // Coils first, then holding, then input registers: 0–5 together, 200 on its own.
  ASSERT_EQ(model.blocks.size(), 4u);
  EXPECT_EQ(model.blocks[0].table, Table::coil);
  EXPECT_EQ(model.blocks[1].table, Table::holding_register);
  EXPECT_EQ(model.blocks[1].count, 2);  // an s32
  EXPECT_EQ(model.blocks[2].start, 0);
  EXPECT_EQ(model.blocks[2].count, 6);
  EXPECT_EQ(model.blocks[2].points.size(), 3u);
  EXPECT_EQ(model.blocks[3].start, 200);
  const auto request = read_request(model.blocks[2], 7);
  EXPECT_EQ(request.unit, 7);
  EXPECT_EQ(request.function, Function::read_input_registers);
  EXPECT_EQ(request.count, 6);
}

TEST(DeviceModel, ABlockNeverExceedsWhatOneRequestMayRead) {
  std::string text = "protocol: wide\nfamily: modbus\npoints:\n";
  for (int i = 0; i < 70; ++i)
    text += "  - {name: p" + std::to_string(i) +
            ", quantity: other, table: holding_register, address: " + std::to_string(i * 2) +
            ", type: u32}\n";
  const auto model = load_device_model(text);
  ASSERT_EQ(model.blocks.size(), 2u);
  EXPECT_LE(model.blocks[0].count, 125);
  EXPECT_EQ(model.blocks[0].count + model.blocks[1].count, 140);
}

TEST(DeviceModel, AnswersBecomeQuantities) {
  const auto model = load_device_model(meter);
  Answer answer;
  // 230.5 V; 1.5 kW as a float (0x3FC0 0000); 123456.78 kWh = 12345678 = 0x00BC614E, low word
  // first.
  answer.registers = {2305, 0, 0x3FC0, 0x0000, 0x614E, 0x00BC};
  const auto readings = block_readings(model, model.blocks[2], answer);
  ASSERT_EQ(readings.size(), 3u);
  EXPECT_DOUBLE_EQ(readings[0].value, 230.5);
  EXPECT_DOUBLE_EQ(readings[1].value, 1.5);
  EXPECT_DOUBLE_EQ(readings[2].value, 123456.78);
  Answer bits;
  bits.bits = {true};
  const auto relay = block_readings(model, model.blocks[0], bits);
  ASSERT_EQ(relay.size(), 1u);
  EXPECT_EQ(relay[0].value, 1.0);
  // A short answer leaves out what it does not hold; a float that is not a number too.
  Answer short_answer;
  short_answer.registers = {2305, 0, 0x7FC0, 0};
  const auto partial = block_readings(model, model.blocks[2], short_answer);
  ASSERT_EQ(partial.size(), 1u);
  EXPECT_EQ(model.points[partial[0].point].name, "voltage");
}

TEST(DeviceModel, WritesAreCheckedAgainstThePoint) {
  const auto model = load_device_model(meter);
  const auto on = write_request(*model.point("relay"), 3, 1);
  EXPECT_EQ(on.function, Function::write_single_coil);
  EXPECT_EQ(on.address, 5);
  EXPECT_EQ(on.values, std::vector<std::uint16_t>{1});
  const auto limit = write_request(*model.point("limit"), 3, -2);
  EXPECT_EQ(limit.function, Function::write_multiple_registers);
  EXPECT_EQ(limit.values, (std::vector<std::uint16_t>{0xFFFF, 0xFFFE}));
  EXPECT_THROW(write_request(*model.point("relay"), 3, 2), std::invalid_argument);
  EXPECT_THROW(write_request(*model.point("limit"), 3, 100001), std::invalid_argument);
  EXPECT_THROW(write_request(*model.point("limit"), 3, std::nan("")), std::invalid_argument);
  try {
    write_request(*model.point("voltage"), 3, 1);
    ADD_FAILURE();
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("不可写"));
  }
}

TEST(DeviceModel, FaultsAreRefusedWithTheirLine) {
  const auto with = [](const std::string& points) {
    return "protocol: bad\nfamily: modbus\npoints:\n" + points;
  };
  EXPECT_THAT(failure_of("protocol: bad\nfamily: modbus\n"), HasSubstr("'points' must list"));
  EXPECT_THAT(failure_of("protocol: modbus\nfamily: modbus\npoints: []\n"),
              HasSubstr("halld's own protocol"));
  EXPECT_THAT(failure_of("protocol: Bad\nfamily: modbus\n"), HasSubstr("a–z"));
  EXPECT_THAT(failure_of(with("  - {name: a, quantity: heat, table: coil, address: 0}\n")),
              HasSubstr("line 4: 'quantity' must be one of temperature"));
  EXPECT_THAT(
      failure_of(with("  - {name: a, quantity: other, table: coil, address: 0, type: u16}\n")),
      HasSubstr("applies to registers, not bits"));
  EXPECT_THAT(
      failure_of(with(
          "  - {name: a, quantity: other, table: input_register, address: 0, writable: true}\n")),
      HasSubstr("only coils and holding registers"));
  EXPECT_THAT(failure_of(with("  - {name: a, quantity: other, table: holding_register, address: 0, "
                              "type: u32}\n  - {name: b, quantity: other, table: holding_register, "
                              "address: 1}\n")),
              HasSubstr("line 5: point 'b' overlaps point 'a'"));
  EXPECT_THAT(failure_of(with("  - {name: a, quantity: other, table: coil, address: 0}\n"
                              "  - {name: a, quantity: other, table: coil, address: 1}\n")),
              HasSubstr("named twice"));
  EXPECT_THAT(failure_of(with("  - {name: a, quantity: other, table: holding_register, address: "
                              "65535, type: u32}\n")),
              HasSubstr("past address 65535"));
  EXPECT_THAT(failure_of(with("  - {name: a, quantity: other, table: holding_register, address: 0, "
                              "scale: 0}\n")),
              HasSubstr("'scale' must not be 0"));
  EXPECT_THAT(failure_of(with("  - {name: a, quantity: other, table: holding_register, address: 0, "
                              "min: 1}\n")),
              HasSubstr("not writable"));
  EXPECT_THAT(
      failure_of(with("  - {name: a, quantity: other, table: coil, address: 0, colour: red}\n")),
      HasSubstr("has no key 'colour'"));
  EXPECT_THAT(failure_of("protocol: bad\nfamily: modbus\npoints: [\n"), HasSubstr("line"));
}

TEST(DeviceModel, TheRepositorysModelsLoad) {
  int models = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(HALLD_SOURCE_DIR "/config/protocols")) {
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    if (!is_device_model(text.str())) continue;
    EXPECT_NO_THROW(load_device_model(text.str())) << entry.path();
    ++models;
  }
  EXPECT_GE(models, 5);
}

}  // namespace
}  // namespace halld::proto::modbus
