// proto/commands: downlink commands as operators, the CLI and the API write them — JSON such as
// {"kind": "open_window", "window": 3} — checked and encoded into the command frame of a
// channel's protocol. Pure. The kinds and their fields are in docs/protocols/commands.md.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

#include "halld/proto/frame/session.hpp"
#include "halld/records/archive.hpp"

namespace halld::proto {

// The command's frame for the device at `address`, its SEQ carrying `command_id`. Throws
// std::invalid_argument naming what is wrong (unknown kind, missing or bad field).
std::vector<std::uint8_t> encode_command_json(records::ChannelProtocol protocol,
                                              std::uint32_t address, std::uint32_t command_id,
                                              const nlohmann::json& command);

// halld's own protocol of the family, as a session speaks it: its uplink decoder and commands.
std::shared_ptr<const SessionCodec> own_protocol_codec(records::ChannelProtocol protocol);

}  // namespace halld::proto
