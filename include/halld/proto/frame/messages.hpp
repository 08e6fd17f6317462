// proto/frame/messages: the session messages every halld hall protocol shares (login,
// heartbeat, acknowledgements, command results) and the generic event codec that each
// protocol instantiates with its own function codes and field lists.
// Pure: frames in, messages out, and back.
#pragma once

#include <optional>
#include <stdexcept>
#include <utility>
#include <variant>

#include "halld/proto/frame/frame.hpp"
#include "halld/proto/frame/payload.hpp"

namespace halld::proto {

// Function codes shared by all protocols; each protocol uses 0x10–0x3F for its data frames and
// 0xC0–0xEF for its commands.
namespace function {
inline constexpr std::uint8_t login = 0x01;
inline constexpr std::uint8_t heartbeat = 0x02;
inline constexpr std::uint8_t command_result = 0x0E;
inline constexpr std::uint8_t data_ack = 0x80;
inline constexpr std::uint8_t login_ack = 0x81;
inline constexpr std::uint8_t heartbeat_ack = 0x82;
inline constexpr std::uint8_t poll = 0x83;  // RS-485 bus master to one device
}  // namespace function

// Login versions: 1 names site, device and version; 2 adds the sequence epoch, a number the
// device changes whenever its sequence counter starts afresh (docs/protocols/framing.md).
inline constexpr std::uint16_t login_with_epoch = 2;
struct Login {
  std::string site;       // hall code (queue system) or server id (terminal management)
  std::string device_id;  // the device or server that speaks
  std::uint16_t version = protocol_version;
  std::uint32_t epoch = 0;  // version 2 only
  bool operator==(const Login&) const = default;
};
struct Heartbeat {
  bool operator==(const Heartbeat&) const = default;
};
enum class CommandOutcome : std::uint8_t { done = 0, refused = 1, unsupported = 2, failed = 3 };
std::string_view to_string(CommandOutcome outcome);  // "done", "refused", "unsupported", "failed"
struct CommandResult {
  std::uint32_t command = 0;  // the SEQ of the command frame
  CommandOutcome outcome = CommandOutcome::done;
  std::string detail;
  bool operator==(const CommandResult&) const = default;
};
enum class LoginOutcome : std::uint8_t { accepted = 0, unknown_site = 1, unsupported_version = 2 };

// Why a well-framed frame still could not be understood.
enum class MessageError : std::uint8_t { unknown_function, malformed_payload, wrong_direction };
std::string_view to_string(MessageError error);

// An uplink frame as understood by a protocol.
using Uplink = std::variant<Login, Heartbeat, CommandResult, records::Event, MessageError>;

Frame encode_login(std::uint32_t source, const Login& login);
Frame encode_heartbeat(std::uint32_t source);
Frame encode_command_result(std::uint32_t source, const CommandResult& result);
Frame encode_data_ack(std::uint32_t source, std::uint32_t sequence);
Frame encode_login_ack(std::uint32_t source, LoginOutcome outcome, records::Timestamp server_time);
Frame encode_heartbeat_ack(std::uint32_t source, records::Timestamp server_time);
// On a multi-drop bus, the master's turn for the device at `address`: it answers with one uplink
// frame (its login, its oldest unacknowledged data frame, a command result, or a heartbeat).
Frame encode_poll(std::uint32_t address);

// Decodes the shared session messages; nullopt when the function is not one of them.
std::optional<Uplink> decode_session_message(const Frame& frame);

struct LoginAck {
  LoginOutcome outcome = LoginOutcome::accepted;
  records::Timestamp server_time{};
};
// Downlink replies, as a device (or a simulator) reads them.
std::optional<LoginAck> decode_login_ack(const Frame& frame);
std::optional<records::Timestamp> decode_heartbeat_ack(const Frame& frame);
bool is_poll(const Frame& frame);

// The events of one protocol. `Protocol` provides
//   template <class T> static constexpr std::uint8_t function_of();  // 0: not in this protocol
//   template <class V, class T> static void fields(V& visitor, T& event);
template <class Protocol>
class EventCodec {
 public:
  static Frame encode(std::uint32_t source, std::uint32_t sequence, const records::Event& event) {
    return std::visit(
        [&](const auto& body) -> Frame {
          using T = std::decay_t<decltype(body)>;
          constexpr std::uint8_t code = Protocol::template function_of<T>();
          if constexpr (code == 0) {
            throw std::invalid_argument("this event does not belong to the protocol");
          } else {
            FieldWriter writer;
            writer.time(event.at);
            Protocol::fields(writer, body);
            return Frame{Direction::uplink, source, sequence, code, writer.take()};
          }
        },
        event.body);
  }

  // The event in a data frame; nullopt when the function is none of this protocol's events.
  static std::optional<Uplink> decode(const Frame& frame) {
    return decode_as(frame, std::make_index_sequence<std::variant_size_v<records::EventBody>>());
  }

 private:
  template <std::size_t... I>
  static std::optional<Uplink> decode_as(const Frame& frame, std::index_sequence<I...>) {
    std::optional<Uplink> out;
    ((out = out ? out : try_as<std::variant_alternative_t<I, records::EventBody>>(frame)), ...);
    return out;
  }

  template <class T>
  static std::optional<Uplink> try_as(const Frame& frame) {
    constexpr std::uint8_t code = Protocol::template function_of<T>();
    if (code == 0 || frame.function != code) return std::nullopt;
    FieldReader reader(frame.payload);
    records::Event event;
    reader.time(event.at);
    T body;
    Protocol::fields(reader, body);
    if (!reader.complete()) return Uplink{MessageError::malformed_payload};
    event.body = std::move(body);
    return Uplink{std::move(event)};
  }
};

// Downlink commands of one protocol: `Command` is a variant of command structs for which the
// protocol gives function codes and field lists. The frame's SEQ carries the command id that
// the device's CommandResult names.
template <class Protocol, class Command>
Frame encode_command(std::uint32_t source, std::uint32_t command_id, const Command& command) {
  return std::visit(
      [&](const auto& c) {
        constexpr std::uint8_t code = Protocol::template function_of<std::decay_t<decltype(c)>>();
        static_assert(code != 0, "every command needs a function code");
        FieldWriter writer;
        Protocol::fields(writer, c);
        return Frame{Direction::downlink, source, command_id, code, writer.take()};
      },
      command);
}

template <class Protocol, class Command, std::size_t... I>
std::optional<Command> decode_command_as(const Frame& frame, std::index_sequence<I...>) {
  std::optional<Command> out;
  auto try_as = [&]<class T>(T candidate) {
    if (out || frame.function != Protocol::template function_of<T>()) return;
    FieldReader reader(frame.payload);
    Protocol::fields(reader, candidate);
    if (reader.complete()) out = std::move(candidate);
  };
  (try_as(std::variant_alternative_t<I, Command>{}), ...);
  return out;
}

// The command in a downlink frame, as a device reads it; nullopt when it is none or malformed.
template <class Protocol, class Command>
std::optional<Command> decode_command(const Frame& frame) {
  if (frame.direction != Direction::downlink) return std::nullopt;
  return decode_command_as<Protocol, Command>(
      frame, std::make_index_sequence<std::variant_size_v<Command>>());
}

// The whole uplink decoding of a protocol: session messages, then its events.
template <class Protocol>
Uplink decode_uplink(const Frame& frame) {
  if (frame.direction != Direction::uplink) return MessageError::wrong_direction;
  if (auto session = decode_session_message(frame)) return *session;
  if (auto event = EventCodec<Protocol>::decode(frame)) return *event;
  return MessageError::unknown_function;
}

}  // namespace halld::proto
