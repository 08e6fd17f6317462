#include "halld/proto/frame/messages.hpp"

namespace halld::proto {
namespace {

template <class V, class T>
void session_fields(V& v, T& message) {
  using M = std::remove_const_t<T>;
  if constexpr (std::is_same_v<M, Login>) {
    v.text(message.site);
    v.text(message.device_id);
    v.u16(message.version);
    if (message.version >= login_with_epoch) v.u32(message.epoch);
  } else if constexpr (std::is_same_v<M, CommandResult>) {
    v.u32(message.command);
    v.code(message.outcome, CommandOutcome::done, CommandOutcome::failed);
    v.text(message.detail);
  } else if constexpr (std::is_same_v<M, LoginAck>) {
    v.code(message.outcome, LoginOutcome::accepted, LoginOutcome::unsupported_version);
    v.time(message.server_time);
  }
}

template <class T>
Frame encode(Direction direction, std::uint32_t source, std::uint32_t sequence, std::uint8_t code,
             const T& message) {
  FieldWriter writer;
  session_fields(writer, message);
  return Frame{direction, source, sequence, code, writer.take()};
}

template <class T>
std::optional<T> decode(const Frame& frame) {
  T message;
  FieldReader reader(frame.payload);
  session_fields(reader, message);
  if (!reader.complete()) return std::nullopt;
  return message;
}

}  // namespace

std::string_view to_string(MessageError error) {
  switch (error) {
    case MessageError::unknown_function:
      return "unknown_function";
    case MessageError::malformed_payload:
      return "malformed_payload";
    case MessageError::wrong_direction:
      return "wrong_direction";
  }
  return "unknown";
}

Frame encode_login(std::uint32_t source, const Login& login) {
  return encode(Direction::uplink, source, 0, function::login, login);
}

Frame encode_heartbeat(std::uint32_t source) {
  return Frame{Direction::uplink, source, 0, function::heartbeat, {}};
}

Frame encode_command_result(std::uint32_t source, const CommandResult& result) {
  return encode(Direction::uplink, source, 0, function::command_result, result);
}

Frame encode_data_ack(std::uint32_t source, std::uint32_t sequence) {
  return Frame{Direction::downlink, source, sequence, function::data_ack, {}};
}

Frame encode_login_ack(std::uint32_t source, LoginOutcome outcome, records::Timestamp server_time) {
  return encode(Direction::downlink, source, 0, function::login_ack,
                LoginAck{outcome, server_time});
}

Frame encode_heartbeat_ack(std::uint32_t source, records::Timestamp server_time) {
  FieldWriter writer;
  writer.time(server_time);
  return Frame{Direction::downlink, source, 0, function::heartbeat_ack, writer.take()};
}

std::string_view to_string(CommandOutcome outcome) {
  switch (outcome) {
    case CommandOutcome::done:
      return "done";
    case CommandOutcome::refused:
      return "refused";
    case CommandOutcome::unsupported:
      return "unsupported";
    case CommandOutcome::failed:
      return "failed";
  }
  return "failed";
}

Frame encode_poll(std::uint32_t address) {
  return Frame{Direction::downlink, address, 0, function::poll, {}};
}

std::optional<Uplink> decode_session_message(const Frame& frame) {
  switch (frame.function) {
    case function::login:
      if (auto login = decode<Login>(frame)) return Uplink{*login};
      return Uplink{MessageError::malformed_payload};
    case function::heartbeat:
      if (frame.payload.empty()) return Uplink{Heartbeat{}};
      return Uplink{MessageError::malformed_payload};
    case function::command_result:
      if (auto result = decode<CommandResult>(frame)) return Uplink{*result};
      return Uplink{MessageError::malformed_payload};
    default:
      return std::nullopt;
  }
}

std::optional<LoginAck> decode_login_ack(const Frame& frame) {
  if (frame.direction != Direction::downlink || frame.function != function::login_ack)
    return std::nullopt;
  return decode<LoginAck>(frame);
}

std::optional<records::Timestamp> decode_heartbeat_ack(const Frame& frame) {
  if (frame.direction != Direction::downlink || frame.function != function::heartbeat_ack)
    return std::nullopt;
  FieldReader reader(frame.payload);
  records::Timestamp t{};
  reader.time(t);
  if (!reader.complete()) return std::nullopt;
  return t;
}

bool is_poll(const Frame& frame) {
  return frame.direction == Direction::downlink && frame.function == function::poll &&
         frame.payload.empty();
}

}  // namespace halld::proto
