#include "halld/proto/modbus/modbus.hpp"

#include <fmt/format.h>

#include <bit>
#include <cmath>
#include <stdexcept>
#include <utility>

#include "halld/proto/frame/frame.hpp"

namespace halld::proto::modbus {
namespace {

constexpr std::uint8_t exception_flag = 0x80;
constexpr std::size_t max_read_registers = 125;
constexpr std::size_t max_read_bits = 2000;
constexpr std::size_t max_write_registers = 123;
constexpr std::size_t mbap_size = 7;          // transaction, protocol, length, unit
constexpr std::size_t max_tcp_length = 254;   // the unit and a PDU of at most 253 bytes
constexpr std::size_t write_answer_size = 8;  // RTU: unit, function, 4 bytes echoed, CRC

bool reads_bits(Function f) {
  return f == Function::read_coils || f == Function::read_discrete_inputs;
}
bool reads_registers(Function f) {
  return f == Function::read_holding_registers || f == Function::read_input_registers;
}

void put16(std::vector<std::uint8_t>& out, std::uint16_t value) {
  out.push_back(static_cast<std::uint8_t>(value >> 8));
  out.push_back(static_cast<std::uint8_t>(value));
}
std::uint16_t get16(std::span<const std::uint8_t> bytes, std::size_t at) {
  return static_cast<std::uint16_t>(bytes[at] << 8 | bytes[at + 1]);
}

// The data bytes a read answer carries.
std::size_t read_bytes(const Request& request) {
  return reads_bits(request.function) ? (request.count + 7u) / 8u : 2u * request.count;
}

// The answer PDU (function code first) checked against the request.
std::variant<Refused, Answer> answer_of(std::span<const std::uint8_t> pdu, const Request& request,
                                        std::size_t frame_size) {
  auto refuse = [&](std::string reason) { return Refused{frame_size, std::move(reason)}; };
  const auto asked = static_cast<std::uint8_t>(request.function);
  if (pdu.empty()) return refuse("an empty answer");
  Answer answer{frame_size, std::nullopt, {}, {}};
  if (pdu[0] == (asked | exception_flag)) {
    if (pdu.size() != 2) return refuse("an exception answer of the wrong length");
    answer.exception = pdu[1];
    return answer;
  }
  if (pdu[0] != asked)
    return refuse(fmt::format("function {} answered to a request of function {}", pdu[0], asked));
  if (reads_bits(request.function) || reads_registers(request.function)) {
    if (pdu.size() < 2 || pdu[1] != read_bytes(request) || pdu.size() != 2u + pdu[1]) {
      return refuse(fmt::format("{} data bytes where {} were asked for",
                                pdu.size() < 2 ? 0 : pdu[1], read_bytes(request)));
    }
    if (reads_registers(request.function)) {
      for (std::size_t i = 0; i < request.count; ++i)
        answer.registers.push_back(get16(pdu, 2 + 2 * i));
    } else {
      for (std::size_t i = 0; i < request.count; ++i)
        answer.bits.push_back((pdu[2 + i / 8] >> (i % 8)) & 1u);
    }
    return answer;
  }
  // A write's answer echoes the address and the value (or, for many registers, the count).
  const auto request_pdu = encode_pdu(request);
  if (pdu.size() != 5 || !std::equal(pdu.begin(), pdu.end(), request_pdu.begin()))
    return refuse("the write's echo differs from the request");
  return answer;
}

}  // namespace

std::string_view to_string(Function function) {
  static constexpr std::pair<Function, std::string_view> names[] = {
      {Function::read_coils, "read_coils"},
      {Function::read_discrete_inputs, "read_discrete_inputs"},
      {Function::read_holding_registers, "read_holding_registers"},
      {Function::read_input_registers, "read_input_registers"},
      {Function::write_single_coil, "write_single_coil"},
      {Function::write_single_register, "write_single_register"},
      {Function::write_multiple_registers, "write_multiple_registers"}};
  for (const auto& [named, name] : names)
    if (named == function) return name;
  return "unknown";
}

std::string exception_text(std::uint8_t code) {
  static constexpr std::pair<std::uint8_t, std::string_view> texts[] = {
      {1, "illegal function"},
      {2, "illegal data address"},
      {3, "illegal data value"},
      {4, "server device failure"},
      {5, "acknowledge (processing a long request)"},
      {6, "server device busy"},
      {8, "memory parity error"},
      {10, "gateway path unavailable"},
      {11, "gateway target device failed to respond"}};
  for (const auto& [known, text] : texts)
    if (known == code) return std::string(text);
  return fmt::format("exception {}", code);
}

std::vector<std::uint8_t> encode_pdu(const Request& r) {
  std::vector<std::uint8_t> pdu{static_cast<std::uint8_t>(r.function)};
  put16(pdu, r.address);
  auto check_range = [&](std::size_t count, std::size_t most, const char* what) {
    if (count == 0 || count > most)
      throw std::invalid_argument(
          fmt::format("{} {} {}: 1 to {} at a time", to_string(r.function), count, what, most));
    if (r.address + count > 65536)
      throw std::invalid_argument(
          fmt::format("{} from {}: past the last address 65535", to_string(r.function), r.address));
  };
  switch (r.function) {
    case Function::read_coils:
    case Function::read_discrete_inputs:
      check_range(r.count, max_read_bits, "bits");
      put16(pdu, r.count);
      break;
    case Function::read_holding_registers:
    case Function::read_input_registers:
      check_range(r.count, max_read_registers, "registers");
      put16(pdu, r.count);
      break;
    case Function::write_single_coil:
      if (r.values.size() != 1 || r.values[0] > 1)
        throw std::invalid_argument("write_single_coil writes one value, 0 or 1");
      put16(pdu, r.values[0] ? 0xFF00 : 0x0000);
      break;
    case Function::write_single_register:
      if (r.values.size() != 1)
        throw std::invalid_argument("write_single_register writes one value");
      put16(pdu, r.values[0]);
      break;
    case Function::write_multiple_registers:
      check_range(r.values.size(), max_write_registers, "registers");
      put16(pdu, static_cast<std::uint16_t>(r.values.size()));
      pdu.push_back(static_cast<std::uint8_t>(2 * r.values.size()));
      for (auto value : r.values) put16(pdu, value);
      break;
    default:
      throw std::invalid_argument(
          fmt::format("function {} is not one halld uses", static_cast<int>(r.function)));
  }
  return pdu;
}

std::vector<std::uint8_t> rtu_frame(const Request& request) {
  if (request.unit == 0 || request.unit > 247)
    throw std::invalid_argument("an RTU unit address is 1 to 247");
  std::vector<std::uint8_t> frame{request.unit};
  const auto pdu = encode_pdu(request);
  frame.insert(frame.end(), pdu.begin(), pdu.end());
  const auto crc = crc16_modbus(frame);
  frame.push_back(static_cast<std::uint8_t>(crc));  // the CRC goes low byte first
  frame.push_back(static_cast<std::uint8_t>(crc >> 8));
  return frame;
}

std::vector<std::uint8_t> tcp_frame(std::uint16_t transaction, const Request& request) {
  const auto pdu = encode_pdu(request);
  std::vector<std::uint8_t> frame;
  put16(frame, transaction);
  put16(frame, 0);  // the Modbus protocol
  put16(frame, static_cast<std::uint16_t>(1 + pdu.size()));
  frame.push_back(request.unit);
  frame.insert(frame.end(), pdu.begin(), pdu.end());
  return frame;
}

std::size_t rtu_answer_size(std::span<const std::uint8_t> received, const Request& request) {
  if (received.size() < 2) return 0;
  if (received[1] & exception_flag) return 5;
  if (reads_bits(request.function) || reads_registers(request.function))
    return received.size() < 3 ? 0 : 3u + received[2] + 2u;
  return write_answer_size;
}

Reading read_rtu_answer(std::span<const std::uint8_t> bytes, const Request& request) {
  if (bytes.empty()) return NeedMore{};
  // Nothing on a bus tells where an answer from another unit ends: drop all that was read.
  if (bytes[0] != request.unit)
    return Refused{bytes.size(),
                   fmt::format("unit {} answered, {} was asked", bytes[0], request.unit)};
  const bool read = reads_bits(request.function) || reads_registers(request.function);
  if (read && bytes.size() >= 3 && bytes[1] == static_cast<std::uint8_t>(request.function) &&
      bytes[2] != read_bytes(request)) {
    // A wrong byte count would have the master wait for bytes that never come.
    return Refused{bytes.size(), fmt::format("{} data bytes where {} were asked for", bytes[2],
                                             read_bytes(request))};
  }
  if (bytes.size() >= 2 && bytes[1] != static_cast<std::uint8_t>(request.function) &&
      bytes[1] != (static_cast<std::uint8_t>(request.function) | exception_flag)) {
    return Refused{bytes.size(), fmt::format("function {} answered to a request of function {}",
                                             bytes[1], static_cast<int>(request.function))};
  }
  const auto size = rtu_answer_size(bytes, request);
  if (size == 0 || bytes.size() < size) return NeedMore{};
  const auto frame = bytes.first(size);
  const std::uint16_t crc = static_cast<std::uint16_t>(frame[size - 2] | frame[size - 1] << 8);
  if (crc16_modbus(frame.first(size - 2)) != crc) return Refused{bytes.size(), "bad CRC"};
  auto answer = answer_of(frame.subspan(1, size - 3), request, size);
  if (auto* refused = std::get_if<Refused>(&answer)) return std::move(*refused);
  return std::get<Answer>(std::move(answer));
}

Reading read_tcp_answer(std::span<const std::uint8_t> bytes, std::uint16_t transaction,
                        const Request& request) {
  if (bytes.size() < mbap_size) return NeedMore{};
  const auto protocol = get16(bytes, 2);
  const auto length = get16(bytes, 4);
  if (protocol != 0 || length < 2 || length > max_tcp_length) {
    // The stream is not Modbus (or is out of step): nothing after this can be trusted.
    return Refused{bytes.size(),
                   fmt::format("an MBAP header with protocol {} and length {}", protocol, length)};
  }
  const std::size_t size = 6u + length;
  if (bytes.size() < size) return NeedMore{};
  if (get16(bytes, 0) != transaction) {
    // A late answer to an earlier request that timed out: this frame goes, the stream stays.
    return Refused{
        size, fmt::format("transaction {} answered, {} is awaited", get16(bytes, 0), transaction)};
  }
  if (bytes[6] != request.unit)
    return Refused{size, fmt::format("unit {} answered, {} was asked", bytes[6], request.unit)};
  auto answer = answer_of(bytes.subspan(mbap_size, size - mbap_size), request, size);
  if (auto* refused = std::get_if<Refused>(&answer)) return std::move(*refused);
  return std::get<Answer>(std::move(answer));
}

std::size_t registers_of(PointType type) {
  return type == PointType::u16 || type == PointType::s16 ? 1 : 2;
}

std::optional<double> decode_point(std::span<const std::uint16_t> block, const Point& point) {
  const auto size = registers_of(point.type);
  if (point.register_offset + size > block.size()) return std::nullopt;
  const auto first = block[point.register_offset];
  std::uint32_t word = first;
  if (size == 2) {
    const auto second = block[point.register_offset + 1u];
    word = point.order == WordOrder::high_first ? (std::uint32_t{first} << 16 | second)
                                                : (std::uint32_t{second} << 16 | first);
  }
  double raw = 0;
  switch (point.type) {
    case PointType::u16:
    case PointType::u32:
      raw = word;
      break;
    case PointType::s16:
      raw = static_cast<std::int16_t>(first);
      break;
    case PointType::s32:
      raw = static_cast<std::int32_t>(word);
      break;
    case PointType::f32:
      raw = std::bit_cast<float>(word);
      if (!std::isfinite(raw)) return std::nullopt;
      break;
  }
  return raw * point.scale + point.offset;
}

std::vector<std::uint16_t> encode_point(double quantity, const Point& point) {
  if (!std::isfinite(quantity) || point.scale == 0)
    throw std::invalid_argument("a value to write must be a finite number");
  const double raw = (quantity - point.offset) / point.scale;
  std::uint32_t word = 0;
  auto integer = [&](double low, double high) {
    const double rounded = std::round(raw);
    if (rounded < low || rounded > high) {
      throw std::invalid_argument(fmt::format("{} is outside what the register holds ({} to {})",
                                              quantity, low * point.scale + point.offset,
                                              high * point.scale + point.offset));
    }
    return static_cast<std::int64_t>(rounded);
  };
  switch (point.type) {
    case PointType::u16:
      return {static_cast<std::uint16_t>(integer(0, 65535))};
    case PointType::s16:
      return {static_cast<std::uint16_t>(static_cast<std::int16_t>(integer(-32768, 32767)))};
    case PointType::u32:
      word = static_cast<std::uint32_t>(integer(0, 4294967295.0));
      break;
    case PointType::s32:
      word = static_cast<std::uint32_t>(
          static_cast<std::int32_t>(integer(-2147483648.0, 2147483647.0)));
      break;
    case PointType::f32:
      word = std::bit_cast<std::uint32_t>(static_cast<float>(raw));
      break;
  }
  const auto high = static_cast<std::uint16_t>(word >> 16), low = static_cast<std::uint16_t>(word);
  return point.order == WordOrder::high_first ? std::vector<std::uint16_t>{high, low}
                                              : std::vector<std::uint16_t>{low, high};
}

}  // namespace halld::proto::modbus
