// proto/described/interpreter: reads and writes the frames of a described protocol
// (proto/described/description) as halld's session understands them: logins, heartbeats,
// events, command results up; acknowledgements and commands down. Also the device's side, for
// simulators and test vectors. Owns: the bytes of one frame at a time. Pure: no I/O, no state
// between calls. Must not touch: the conversation (proto/frame/session decides what to answer).
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <variant>

#include "halld/proto/described/description.hpp"
#include "halld/proto/frame/messages.hpp"
#include "halld/proto/frame/session.hpp"

namespace halld::proto::described {

// Why bytes were refused; the order of proto::FrameError then proto::MessageError, so that a
// session counts them alike whatever the protocol.
enum class ReadError : std::uint8_t {
  garbage,
  bad_length,
  bad_version,  // a header field with a value of neither direction
  bad_crc,
  bad_end,
  unknown_function,
  malformed_payload,
  wrong_direction,
};
std::string_view to_string(ReadError error);

struct NeedMore {};
// `size` bytes at the front are refused; a whole frame that could not be understood names its
// source when it had one.
struct Skip {
  ReadError error;
  std::size_t size;
  std::optional<std::uint32_t> source;
};
// An uplink frame understood (Uplink never holds a MessageError here).
struct Received {
  std::size_t size;
  std::uint32_t source = 0;
  std::uint32_t sequence = 0;
  Uplink uplink;
};
using UplinkReading = std::variant<NeedMore, Skip, Received>;

// A downlink frame as a device reads it: what it is and its values by field name.
struct DownlinkFrame {
  std::size_t size;
  Role role;
  std::string command_kind;  // for a command
  std::uint32_t source = 0;
  std::uint32_t sequence = 0;
  nlohmann::json values;  // field name → value (integers, texts, ISO times, names of codes)
};
using DownlinkReading = std::variant<NeedMore, Skip, DownlinkFrame>;

class Interpreter {
 public:
  explicit Interpreter(std::shared_ptr<const Description> description);
  const Description& description() const { return *description_; }

  // halld's side. `received` is the time an event without a time of its own is dated.
  UplinkReading read_uplink(std::span<const std::uint8_t> bytes, records::Timestamp received) const;
  std::vector<std::uint8_t> login_ack(std::uint32_t source, LoginOutcome outcome,
                                      records::Timestamp server_time) const;
  std::vector<std::uint8_t> heartbeat_ack(std::uint32_t source,
                                          records::Timestamp server_time) const;
  std::vector<std::uint8_t> data_ack(std::uint32_t source, std::uint32_t sequence) const;
  // A command (proto/commands JSON) for the device at `source`; throws std::invalid_argument
  // naming what is wrong (no such command in this protocol, a member missing or out of range).
  std::vector<std::uint8_t> command(std::uint32_t source, std::uint32_t command_id,
                                    const nlohmann::json& command) const;

  // A device's side. Throw std::invalid_argument when the protocol has no such message or a
  // value does not fit.
  std::vector<std::uint8_t> login(std::uint32_t source, const Login& login) const;
  std::vector<std::uint8_t> heartbeat(std::uint32_t source) const;
  std::vector<std::uint8_t> event(std::uint32_t source, std::uint32_t sequence,
                                  const records::Event& event) const;
  std::vector<std::uint8_t> command_result(std::uint32_t source, const CommandResult& result) const;
  DownlinkReading read_downlink(std::span<const std::uint8_t> bytes) const;

 private:
  std::shared_ptr<const Description> description_;
};

// halld's session speaking a described protocol.
std::shared_ptr<const SessionCodec> session_codec(std::shared_ptr<const Description> description);

}  // namespace halld::proto::described
