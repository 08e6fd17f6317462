// proto/modbus: the Modbus application protocol as a master (halld) speaks it to a hall's
// facility devices — environment sensors, meters, air conditioning, lighting, people counters —
// in its two framings: RTU on an RS-485 bus (unit, PDU, CRC-16/MODBUS) and TCP (the MBAP header).
// Function codes 1, 2, 3, 4 (reads), 5, 6, 16 (writes), and exception answers. Owns: the bytes of
// one request and of its answer, checked against the request. Pure: no I/O, no timers (the
// poller owns the conversation). The frames byte by byte: docs/protocols/modbus.md.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace halld::proto::modbus {

enum class Function : std::uint8_t {
  read_coils = 1,
  read_discrete_inputs = 2,
  read_holding_registers = 3,
  read_input_registers = 4,
  write_single_coil = 5,
  write_single_register = 6,
  write_multiple_registers = 16,
};
std::string_view to_string(Function function);

// The standard exception codes; a device may answer others, which are kept as numbers.
std::string exception_text(std::uint8_t code);

struct Request {
  std::uint8_t unit = 1;  // the device's address (RTU: 1–247; TCP: the unit identifier)
  Function function = Function::read_holding_registers;
  std::uint16_t address = 0;  // the first coil or register, 0-based as on the wire
  std::uint16_t count = 1;    // reads and write_multiple_registers
  // Writes: the registers to write (write_single_register, write_multiple_registers), or one
  // value 0 / 1 for write_single_coil.
  std::vector<std::uint16_t> values;
};

// The PDU (function code and data). Throws std::invalid_argument for a request the protocol
// cannot carry (a count of 0, more than 125 registers or 2000 bits read, more than 123
// registers written, an address range past 65535, a coil value other than 0 or 1).
std::vector<std::uint8_t> encode_pdu(const Request& request);
std::vector<std::uint8_t> rtu_frame(const Request& request);
std::vector<std::uint8_t> tcp_frame(std::uint16_t transaction, const Request& request);

struct Answer {
  std::size_t size = 0;                   // bytes of the frame
  std::optional<std::uint8_t> exception;  // the device refused the request with this code
  std::vector<std::uint16_t> registers;   // function 3, 4
  std::vector<bool> bits;                 // function 1, 2 (exactly `count`)
};
struct NeedMore {};
// Bytes that are not the answer to the request: `skip` bytes go (the whole buffer when nothing
// in it can be trusted), and `reason` says why for the log and a counter.
struct Refused {
  std::size_t skip;
  std::string reason;
};
using Reading = std::variant<NeedMore, Refused, Answer>;

// The answer to `request` at the front of `bytes` (RTU: from the request's unit, CRC checked;
// a write's echo must match the request).
Reading read_rtu_answer(std::span<const std::uint8_t> bytes, const Request& request);
// The same over TCP: the MBAP header's transaction, protocol 0, length and unit must match.
Reading read_tcp_answer(std::span<const std::uint8_t> bytes, std::uint16_t transaction,
                        const Request& request);

// What a Modbus RTU answer to `request` looks like as far as the bus is concerned: how many bytes
// the answer has once `received` holds its start (0: not known yet). For a link that must find
// the end of an answer in a byte stream without a length field.
std::size_t rtu_answer_size(std::span<const std::uint8_t> received, const Request& request);

// A value in a device's register map: where it is in a block of registers read together, how
// its registers are read (type, word order) and turned into a quantity (× scale + offset).
enum class PointType : std::uint8_t { u16, s16, u32, s32, f32 };
enum class WordOrder : std::uint8_t { high_first, low_first };  // of 32-bit values
struct Point {
  PointType type = PointType::u16;
  std::uint16_t register_offset = 0;  // from the first register of the block
  WordOrder order = WordOrder::high_first;
  double scale = 1.0;
  double offset = 0.0;
};
std::size_t registers_of(PointType type);
// The quantity, or nullopt when the block does not hold the point or a float is not finite.
std::optional<double> decode_point(std::span<const std::uint16_t> block, const Point& point);
// The registers that write `quantity` (the inverse of decode_point, rounded to the type). Throws
// std::invalid_argument when it does not fit the type.
std::vector<std::uint16_t> encode_point(double quantity, const Point& point);

}  // namespace halld::proto::modbus
