// A downlink command as an operator or the API writes it (JSON): checked against both
// protocols' command lists. Whatever is accepted must encode to a frame that decodes again as a
// command of that protocol; whatever is refused must be refused with std::invalid_argument.
#include <cstddef>
#include <cstdint>
#include <stdexcept>

#include "halld/proto/commands.hpp"
#include "halld/proto/queue_eval/queue_eval.hpp"
#include "halld/proto/terminal/terminal.hpp"

namespace {

template <class Protocol, class Command>
void check(halld::records::ChannelProtocol protocol, const nlohmann::json& command) {
  using namespace halld::proto;
  std::vector<std::uint8_t> bytes;
  try {
    bytes = encode_command_json(protocol, 1, 1, command);
  } catch (const std::invalid_argument&) {
    return;
  }
  auto decoded = decode_frame(bytes);
  if (!std::holds_alternative<Decoded>(decoded)) __builtin_trap();
  if (!decode_command<Protocol, Command>(std::get<Decoded>(decoded).frame)) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto command = nlohmann::json::parse(data, data + size, nullptr, false);
  if (command.is_discarded()) return 0;
  check<halld::proto::queue_eval::Protocol, halld::proto::queue_eval::Command>(
      halld::records::ChannelProtocol::queue_eval, command);
  check<halld::proto::terminal::Protocol, halld::proto::terminal::Command>(
      halld::records::ChannelProtocol::terminal, command);
  return 0;
}
