#include "halld/proto/modbus/device_model.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <stdexcept>

#include "../yaml_reading.hpp"
#include "halld/proto/described/description.hpp"

namespace halld::proto::modbus {
namespace {

using yaml::fail;
using yaml::text_of;

constexpr std::size_t max_points = 256;
constexpr std::size_t max_block_registers = 125;
constexpr std::size_t max_block_bits = 2000;
// Registers between two points that are still read in one request rather than two: reading a
// few unused registers costs less than another turn on the bus.
constexpr std::size_t max_gap = 16;

constexpr std::pair<Table, std::string_view> tables[] = {
    {Table::coil, "coil"},
    {Table::discrete_input, "discrete_input"},
    {Table::holding_register, "holding_register"},
    {Table::input_register, "input_register"}};
constexpr std::pair<PointType, std::string_view> types[] = {{PointType::u16, "u16"},
                                                            {PointType::s16, "s16"},
                                                            {PointType::u32, "u32"},
                                                            {PointType::s32, "s32"},
                                                            {PointType::f32, "f32"}};

template <class Enum, std::size_t N>
Enum choice_of(const YAML::Node& node, std::string_view what,
               const std::pair<Enum, std::string_view> (&names)[N]) {
  const auto text = text_of(node, what);
  std::string listed;
  for (const auto& [value, name] : names) {
    if (name == text) return value;
    listed += listed.empty() ? "" : ", ";
    listed += name;
  }
  fail(node, fmt::format("'{}' must be one of {}", what, listed));
}

bool is_bit(Table table) {
  return table == Table::coil || table == Table::discrete_input;
}
std::size_t width_of(const ModelPoint& p) {
  return is_bit(p.table) ? 1 : registers_of(p.decoding.type);
}

ModelPoint read_point(const YAML::Node& node) {
  yaml::only_keys(node,
                  {"name", "title", "quantity", "unit", "table", "address", "type", "order",
                   "scale", "offset", "writable", "min", "max"},
                  "a point");
  ModelPoint p;
  if (!node["name"]) fail(node, "a point needs a 'name'");
  p.name = text_of(node["name"], "name");
  if (p.name.empty() || p.name.size() > 40 ||
      p.name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos)
    fail(node["name"], "a point's 'name' must be 1–40 of a–z, 0–9 and _");
  p.title = node["title"] ? text_of(node["title"], "title") : p.name;
  if (p.title.size() > 100) fail(node["title"], "'title' is at most 100 bytes");
  if (!node["quantity"]) fail(node, "a point needs a 'quantity'");
  const auto quantity = records::parse_enum<Quantity>(text_of(node["quantity"], "quantity"));
  if (!quantity)
    fail(node["quantity"],
         fmt::format("'quantity' must be one of {}", records::enum_names_listed<Quantity>()));
  p.quantity = *quantity;
  p.unit = node["unit"] ? text_of(node["unit"], "unit") : "";
  if (p.unit.size() > 20) fail(node["unit"], "'unit' is at most 20 bytes");
  if (!node["table"]) fail(node, "a point needs a 'table'");
  p.table = choice_of(node["table"], "table", tables);
  if (!node["address"]) fail(node, "a point needs an 'address' (0-based, as on the wire)");
  p.address = static_cast<std::uint16_t>(yaml::size_of(node["address"], "address", 0, 65535));
  const bool bit = is_bit(p.table);
  for (const auto* key : {"type", "order", "scale", "offset"}) {
    if (bit && node[key]) fail(node[key], fmt::format("'{}' applies to registers, not bits", key));
  }
  if (!bit) {
    if (node["type"]) p.decoding.type = choice_of(node["type"], "type", types);
    if (node["order"]) {
      const auto order = text_of(node["order"], "order");
      if (order == "low_first")
        p.decoding.order = WordOrder::low_first;
      else if (order != "high_first")
        fail(node["order"], "'order' (of a 32-bit value's words) must be high_first or low_first");
      if (registers_of(p.decoding.type) == 1)
        fail(node["order"], "'order' applies to 32-bit types only");
    }
    if (node["scale"]) p.decoding.scale = yaml::number_of(node["scale"], "scale");
    if (p.decoding.scale == 0) fail(node["scale"], "'scale' must not be 0");
    if (node["offset"]) p.decoding.offset = yaml::number_of(node["offset"], "offset");
  }
  if (std::size_t(p.address) + width_of(p) > 65536)
    fail(node["address"], "the point runs past address 65535");
  if (node["writable"]) p.writable = yaml::flag_of(node["writable"], "writable");
  if (p.writable && (p.table == Table::discrete_input || p.table == Table::input_register))
    fail(node["writable"], "only coils and holding registers can be written");
  for (auto [key, target] : {std::pair{"min", &p.min}, std::pair{"max", &p.max}}) {
    if (!node[key]) continue;
    if (!p.writable)
      fail(node[key], fmt::format("'{}' bounds writes: the point is not writable", key));
    *target = yaml::number_of(node[key], key);
  }
  if (p.min && p.max && *p.min > *p.max) fail(node["min"], "'min' is above 'max'");
  return p;
}

// Points of one table side by side, read together while the block stays within what one
// request may read and the unused registers between them are few.
std::vector<Block> plan_blocks(const std::vector<ModelPoint>& points) {
  std::vector<std::size_t> order(points.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return std::pair(points[a].table, points[a].address) <
           std::pair(points[b].table, points[b].address);
  });
  std::vector<Block> blocks;
  for (auto index : order) {
    const auto& p = points[index];
    const auto end = std::size_t(p.address) + width_of(p);
    const auto limit = is_bit(p.table) ? max_block_bits : max_block_registers;
    if (!blocks.empty()) {
      auto& last = blocks.back();
      const auto last_end = std::size_t(last.start) + last.count;
      if (last.table == p.table && p.address <= last_end + max_gap && end - last.start <= limit) {
        last.count = static_cast<std::uint16_t>(std::max(last_end, end) - last.start);
        last.points.push_back(index);
        continue;
      }
    }
    blocks.push_back({p.table, p.address, static_cast<std::uint16_t>(width_of(p)), {index}});
  }
  return blocks;
}

}  // namespace

std::string_view to_string(Table table) {
  for (const auto& [value, name] : tables) {
    if (value == table) return name;
  }
  return "?";
}

const ModelPoint* DeviceModel::point(std::string_view wanted) const {
  for (const auto& p : points) {
    if (p.name == wanted) return &p;
  }
  return nullptr;
}

bool is_device_model(std::string_view text) {
  try {
    const auto root = YAML::Load(std::string(text));
    return root.IsMap() && root["family"] && root["family"].IsScalar() &&
           root["family"].Scalar() == "modbus";
  } catch (const YAML::Exception&) {
    return false;
  }
}

DeviceModel load_device_model(std::string_view text) {
  DeviceModel model;
  yaml::read_document(text, "protocol, family: modbus, points", [&](const YAML::Node& root) {
    yaml::only_keys(root, {"protocol", "family", "version", "title", "points"}, "a device model");
    if (!root["protocol"]) fail(root, "'protocol' (the model's name) is missing");
    model.name = text_of(root["protocol"], "protocol");
    if (model.name.empty() || model.name.size() > 40 ||
        model.name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos)
      fail(root["protocol"], "'protocol' must be 1–40 of a–z, 0–9 and _");
    if (model.name == "queue_eval" || model.name == "terminal" || model.name == "modbus")
      fail(root["protocol"], fmt::format("'{}' is the name of halld's own protocol", model.name));
    if (!root["family"] || text_of(root["family"], "family") != "modbus")
      fail(root, "a device model has 'family: modbus'");
    if (root["version"])
      model.version =
          static_cast<std::uint32_t>(yaml::size_of(root["version"], "version", 1, 1000000));
    if (root["title"]) model.title = text_of(root["title"], "title");
    const auto& points = root["points"];
    if (!points || !points.IsSequence() || points.size() == 0 || points.size() > max_points)
      fail(points ? points : root, fmt::format("'points' must list 1 to {} points", max_points));
    std::set<std::string> names;
    for (const auto& node : points) {
      auto point = read_point(node);
      if (!names.insert(point.name).second)
        fail(node["name"], fmt::format("point '{}' is named twice", point.name));
      for (const auto& other : model.points) {
        const bool overlaps = other.table == point.table &&
                              point.address < other.address + width_of(other) &&
                              other.address < point.address + width_of(point);
        if (overlaps)
          fail(node["address"], fmt::format("point '{}' overlaps point '{}' in the {} table",
                                            point.name, other.name, to_string(point.table)));
      }
      model.points.push_back(std::move(point));
    }
  });
  model.blocks = plan_blocks(model.points);
  model.checksum = yaml::sha256_hex(text);
  return model;
}

Request read_request(const Block& block, std::uint8_t unit) {
  constexpr Function functions[] = {Function::read_coils, Function::read_discrete_inputs,
                                    Function::read_holding_registers,
                                    Function::read_input_registers};
  return {unit, functions[static_cast<std::size_t>(block.table)], block.start, block.count, {}};
}

std::vector<PointReading> block_readings(const DeviceModel& model, const Block& block,
                                         const Answer& answer) {
  std::vector<PointReading> readings;
  for (auto index : block.points) {
    const auto& p = model.points[index];
    const std::size_t at = p.address - block.start;
    if (is_bit(p.table)) {
      if (at < answer.bits.size()) readings.push_back({index, answer.bits[at] ? 1.0 : 0.0});
      continue;
    }
    auto decoding = p.decoding;
    decoding.register_offset = static_cast<std::uint16_t>(at);
    const auto value = decode_point(answer.registers, decoding);
    if (!value || !std::isfinite(*value)) continue;  // a scale can carry a number past a double
    // A scale such as 0.1 leaves binary noise (25.700000000000003): kept to a millionth.
    readings.push_back({index, std::abs(*value) < 1e9 ? std::round(*value * 1e6) / 1e6 : *value});
  }
  return readings;
}

Request write_request(const ModelPoint& point, std::uint8_t unit, double value) {
  if (!point.writable) throw std::invalid_argument(fmt::format("{}不可写", point.title));
  if (!std::isfinite(value)) throw std::invalid_argument("写入值必须是数字");
  if ((point.min && value < *point.min) || (point.max && value > *point.max)) {
    throw std::invalid_argument(fmt::format("{}的写入值须在 {} 至 {} 之间", point.title,
                                            point.min ? fmt::format("{:g}", *point.min) : "—",
                                            point.max ? fmt::format("{:g}", *point.max) : "—"));
  }
  if (point.table == Table::coil) {
    if (value != 0 && value != 1)
      throw std::invalid_argument(fmt::format("{}只能写 0 或 1", point.title));
    return {
        unit, Function::write_single_coil, point.address, 1, {static_cast<std::uint16_t>(value)}};
  }
  try {
    auto registers = encode_point(value, point.decoding);
    if (registers.size() == 1)
      return {unit, Function::write_single_register, point.address, 1, std::move(registers)};
    const auto count = static_cast<std::uint16_t>(registers.size());
    return {unit, Function::write_multiple_registers, point.address, count, std::move(registers)};
  } catch (const std::invalid_argument&) {
    throw std::invalid_argument(fmt::format("{}的寄存器放不下 {:g}", point.title, value));
  }
}

}  // namespace halld::proto::modbus
