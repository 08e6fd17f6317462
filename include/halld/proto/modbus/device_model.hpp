// proto/modbus/device_model: a model of facility device as data — the register map a vendor's
// manual gives (docs/protocols/modbus.md, "Device models"): each point's table, address, type,
// word order, scale, unit and what quantity it is, and which points may be written and within
// what bounds. Owns: reading a model (YAML or JSON, refused with the line of the fault), the
// blocks of registers or bits read together, and turning a block's answer into readings and a
// write into a request. Pure. Must not touch: the conversation (facility/poller does that).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "halld/proto/modbus/modbus.hpp"
#include "halld/records/archive.hpp"

namespace halld::proto::modbus {

using Quantity = records::FacilityQuantity;

enum class Table : std::uint8_t { coil, discrete_input, holding_register, input_register };
std::string_view to_string(Table table);

struct ModelPoint {
  std::string name;   // a-z0-9_, unique in the model
  std::string title;  // as a person reads it (zh-CN)
  Quantity quantity = Quantity::other;
  std::string unit;
  Table table = Table::input_register;
  std::uint16_t address = 0;
  Point decoding;  // registers only; register_offset is filled in per block
  bool writable = false;
  std::optional<double> min, max;  // writes outside are refused
};

// A read request covering several points, and where each lies in its answer.
struct Block {
  Table table = Table::input_register;
  std::uint16_t start = 0;
  std::uint16_t count = 0;
  std::vector<std::size_t> points;  // indexes into the model's points
};

struct DeviceModel {
  std::string name;
  std::uint32_t version = 1;
  std::string title;
  std::string checksum;  // SHA-256 of the text
  std::vector<ModelPoint> points;
  std::vector<Block> blocks;

  const ModelPoint* point(std::string_view name) const;
};

// Whether the text declares `family: modbus` (a device model rather than a hall protocol); a text
// that is not YAML is not one.
bool is_device_model(std::string_view text);
// Throws proto::described::DescriptionError naming the line of the fault.
DeviceModel load_device_model(std::string_view text);

// The request that reads a block from the device at `unit`.
Request read_request(const Block& block, std::uint8_t unit);
struct PointReading {
  std::size_t point = 0;  // index into the model's points
  double value = 0;
};
// The readings of a block's points in its answer (a point whose value is not a number is left out).
std::vector<PointReading> block_readings(const DeviceModel& model, const Block& block,
                                         const Answer& answer);
// The request that writes `value` to a writable point. Throws std::invalid_argument (in zh-CN,
// for the person who asked) when the point cannot be written or the value is out of its bounds.
Request write_request(const ModelPoint& point, std::uint8_t unit, double value);

}  // namespace halld::proto::modbus
