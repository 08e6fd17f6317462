// A Modbus master reading hostile answers: the first 7 bytes pick the request (unit, function,
// address, count), the rest is what came back, read as RTU and as TCP. Whatever is refused is
// skipped by at least one byte and at most what was there; an answer never claims more bytes
// than there were, and carries exactly the registers or bits asked for, whose points (any
// integer type, either word order) read back through the writer unchanged.
#include <cstddef>
#include <cstdint>
#include <stdexcept>

#include "halld/proto/modbus/modbus.hpp"

namespace {

using namespace halld::proto::modbus;

void check(const Reading& reading, std::size_t available, const Request& request) {
  if (const auto* refused = std::get_if<Refused>(&reading)) {
    if (refused->skip == 0 || refused->skip > available || refused->reason.empty())
      __builtin_trap();
  } else if (const auto* answer = std::get_if<Answer>(&reading)) {
    if (answer->size == 0 || answer->size > available) __builtin_trap();
    if (answer->exception) return;
    const bool registers = request.function == Function::read_holding_registers ||
                           request.function == Function::read_input_registers;
    const bool bits = request.function == Function::read_coils ||
                      request.function == Function::read_discrete_inputs;
    if (answer->registers.size() != (registers ? request.count : 0u)) __builtin_trap();
    if (answer->bits.size() != (bits ? request.count : 0u)) __builtin_trap();
    // Every point a register map could place in the block reads back through its writer.
    for (auto type : {PointType::u16, PointType::s16, PointType::u32, PointType::s32}) {
      for (std::uint16_t at = 0; at < answer->registers.size(); ++at) {
        const Point point{type, at, at % 2 ? WordOrder::low_first : WordOrder::high_first, 1, 0};
        const auto value = decode_point(answer->registers, point);
        if (!value) continue;
        const auto again = encode_point(*value, point);
        if (decode_point(again, {type, 0, point.order, 1, 0}) != value) __builtin_trap();
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 7) return 0;
  static constexpr Function functions[] = {Function::read_coils,
                                           Function::read_discrete_inputs,
                                           Function::read_holding_registers,
                                           Function::read_input_registers,
                                           Function::write_single_coil,
                                           Function::write_single_register,
                                           Function::write_multiple_registers};
  Request request;
  request.unit = static_cast<std::uint8_t>(1 + data[0] % 247);
  request.function = functions[data[1] % 7];
  request.address = static_cast<std::uint16_t>(data[2] << 8 | data[3]);
  request.count = static_cast<std::uint16_t>(1 + (data[4] << 8 | data[5]) % 200);
  if (request.function == Function::write_single_coil)
    request.values = {static_cast<std::uint16_t>(data[6] & 1u)};
  if (request.function == Function::write_single_register) request.values = {data[6]};
  if (request.function == Function::write_multiple_registers)
    request.values.assign(1 + data[6] % 123, data[6]);
  try {
    (void)rtu_frame(request);
    (void)tcp_frame(1, request);
  } catch (const std::invalid_argument&) {
    return 0;  // a request the protocol cannot carry is never sent
  }
  const std::span<const std::uint8_t> answer(data + 7, size - 7);
  check(read_rtu_answer(answer, request), answer.size(), request);
  const auto transaction = static_cast<std::uint16_t>(data[2] << 8 | data[0]);
  check(read_tcp_answer(answer, transaction, request), answer.size(), request);
  return 0;
}
