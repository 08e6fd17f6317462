// Both hall protocols against their documented vectors (tests/data/protocols/*.json): every
// vector decodes to the documented form and encodes back to the same bytes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "halld/proto/commands.hpp"
#include "halld/proto/queue_eval/queue_eval.hpp"
#include "halld/proto/terminal/terminal.hpp"
#include "halld/records/event_json.hpp"
#include "process.hpp"

namespace halld::proto {
namespace {

using nlohmann::json;

json vectors(const char* name) {
  return json::parse(
      testing::read_text(std::string(HALLD_SOURCE_DIR "/tests/data/protocols/") + name));
}

Frame frame_of(const json& vector) {
  auto bytes = from_hex(vector["hex"].get<std::string>());
  auto result = decode_frame(bytes);
  EXPECT_TRUE(std::holds_alternative<Decoded>(result)) << vector["name"];
  auto decoded = std::get<Decoded>(result);
  EXPECT_EQ(decoded.size, bytes.size());
  EXPECT_EQ(decoded.frame.source, vector["source"].get<std::uint32_t>());
  EXPECT_EQ(decoded.frame.sequence, vector["sequence"].get<std::uint32_t>());
  EXPECT_EQ(decoded.frame.function, vector["function"].get<std::uint8_t>());
  return decoded.frame;
}

// Re-encodes what was decoded; the bytes must be the vector's.
template <class Protocol, class Command>
std::string reencode(const Frame& frame, const Uplink* uplink,
                     const std::optional<Command>* command) {
  if (command && *command)
    return to_hex(
        encode_frame(proto::encode_command<Protocol>(frame.source, frame.sequence, **command)));
  if (!uplink) return to_hex(encode_frame(frame));
  return std::visit(
      [&](const auto& m) -> std::string {
        using M = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<M, records::Event>)
          return to_hex(
              encode_frame(EventCodec<Protocol>::encode(frame.source, frame.sequence, m)));
        else if constexpr (std::is_same_v<M, Login>)
          return to_hex(encode_frame(encode_login(frame.source, m)));
        else if constexpr (std::is_same_v<M, Heartbeat>)
          return to_hex(encode_frame(encode_heartbeat(frame.source)));
        else if constexpr (std::is_same_v<M, CommandResult>)
          return to_hex(encode_frame(encode_command_result(frame.source, m)));
        else
          return "error";
      },
      *uplink);
}

template <class Protocol, class Command>
void check_vectors(const char* file) {
  for (const auto& vector : vectors(file)) {
    SCOPED_TRACE(vector["name"].get<std::string>());
    Frame frame = frame_of(vector);
    const auto& decoded = vector["decoded"];
    std::string again;
    if (decoded.contains("event")) {
      auto uplink = decode_uplink<Protocol>(frame);
      ASSERT_TRUE(std::holds_alternative<records::Event>(uplink));
      EXPECT_EQ(records::to_json(std::get<records::Event>(uplink)), decoded["event"]);
      again = reencode<Protocol, Command>(frame, &uplink, nullptr);
    } else if (decoded.contains("command")) {
      auto command = proto::decode_command<Protocol, Command>(frame);
      ASSERT_TRUE(command.has_value());
      again = reencode<Protocol, Command>(frame, nullptr, &command);
    } else if (frame.direction == Direction::uplink) {
      auto uplink = decode_uplink<Protocol>(frame);
      ASSERT_FALSE(std::holds_alternative<MessageError>(uplink));
      again = reencode<Protocol, Command>(frame, &uplink, nullptr);
    } else {
      again = to_hex(encode_frame(frame));
    }
    EXPECT_EQ(again, vector["hex"].get<std::string>());
  }
}

TEST(QueueEval, DocumentedVectors) {
  check_vectors<queue_eval::Protocol, queue_eval::Command>("queue_eval.json");
}
TEST(Terminal, DocumentedVectors) {
  check_vectors<terminal::Protocol, terminal::Command>("terminal.json");
}

TEST(QueueEval, SessionMessagesCarryTheirFields) {
  auto v = vectors("queue_eval.json");
  auto login = std::get<Login>(decode_uplink<queue_eval::Protocol>(frame_of(v[0])));
  EXPECT_EQ(login.site, "4101001");
  EXPECT_EQ(login.device_id, "QS-01");
  auto ack = decode_login_ack(frame_of(v[2]));
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->outcome, LoginOutcome::accepted);
  EXPECT_EQ(records::iso8601(ack->server_time), "2026-11-23T09:15:00Z");
  EXPECT_EQ(records::iso8601(*decode_heartbeat_ack(frame_of(v[3]))), "2026-11-23T09:15:00Z");
  auto command = std::get<queue_eval::ShowMessage>(
      *decode_command<queue_eval::Protocol, queue_eval::Command>(frame_of(v[18])));
  EXPECT_EQ(command.text, "请到5号窗口办理");
  EXPECT_EQ(command.seconds, 300);
}

TEST(QueueEval, UnderstandableErrors) {
  auto event =
      records::Event{records::Timestamp(std::chrono::seconds(1)), records::TicketRecalled{"A1", 2}};
  Frame frame = EventCodec<queue_eval::Protocol>::encode(1, 1, event);
  EXPECT_TRUE(std::holds_alternative<records::Event>(decode_uplink<queue_eval::Protocol>(frame)));

  Frame truncated = frame;
  truncated.payload.pop_back();
  EXPECT_EQ(std::get<MessageError>(decode_uplink<queue_eval::Protocol>(truncated)),
            MessageError::malformed_payload);
  Frame padded = frame;
  padded.payload.push_back(0);
  EXPECT_EQ(std::get<MessageError>(decode_uplink<queue_eval::Protocol>(padded)),
            MessageError::malformed_payload);
  Frame unknown = frame;
  unknown.function = 0x3F;
  EXPECT_EQ(std::get<MessageError>(decode_uplink<queue_eval::Protocol>(unknown)),
            MessageError::unknown_function);
  Frame downlink = frame;
  downlink.direction = Direction::downlink;
  EXPECT_EQ(std::get<MessageError>(decode_uplink<queue_eval::Protocol>(downlink)),
            MessageError::wrong_direction);
  // A terminal event is not a queue-evaluation frame, and the other way round.
  EXPECT_EQ(std::get<MessageError>(decode_uplink<terminal::Protocol>(frame)),
            MessageError::unknown_function);
  EXPECT_THROW(EventCodec<terminal::Protocol>::encode(1, 1, event), std::invalid_argument);

  Frame bad_enum = EventCodec<queue_eval::Protocol>::encode(
      1, 1, {event.at, records::WindowStatusChanged{3, records::WindowState::open, ""}});
  bad_enum.payload[6] = 9;  // state byte: 9 is no window state
  EXPECT_EQ(std::get<MessageError>(decode_uplink<queue_eval::Protocol>(bad_enum)),
            MessageError::malformed_payload);
}

}  // namespace
}  // namespace halld::proto

namespace halld::proto {
namespace {

TEST(CommandJson, EncodesEachKindLikeItsProtocolAndNamesWhatIsWrong) {
  using records::ChannelProtocol;
  EXPECT_EQ(encode_command_json(ChannelProtocol::queue_eval, 3, 7,
                                {{"kind", "open_window"}, {"window", 2}}),
            encode_frame(encode_command<queue_eval::Protocol>(
                3, 7, queue_eval::Command{queue_eval::OpenWindow{2}})));
  EXPECT_EQ(
      encode_command_json(ChannelProtocol::queue_eval, 1, 8,
                          {{"kind", "show_message"}, {"text", "请稍候"}}),
      encode_frame(encode_command<queue_eval::Protocol>(
          1, 8,
          queue_eval::Command{queue_eval::ShowMessage{queue_eval::Display::all, 60, "请稍候"}})));
  EXPECT_EQ(
      encode_command_json(ChannelProtocol::terminal, 1, 9,
                          {{"kind", "set_in_service"}, {"terminal", "T1"}, {"in_service", false}}),
      encode_frame(encode_command<terminal::Protocol>(
          1, 9,
          terminal::Command{terminal::SetInService{"T1", terminal::ServiceMode::out_of_service}})));
  auto refused = [](ChannelProtocol protocol, const nlohmann::json& command) {
    try {
      encode_command_json(protocol, 1, 1, command);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_EQ(refused(ChannelProtocol::queue_eval, {{"kind", "open_window"}}), "'window' is missing");
  EXPECT_EQ(refused(ChannelProtocol::queue_eval, {{"kind", "open_window"}, {"window", 0}}),
            "'window' must be a whole number from 1 to 999");
  EXPECT_EQ(refused(ChannelProtocol::queue_eval,
                    {{"kind", "show_message"}, {"text", std::string(256, 'x')}}),
            "'text' is longer than 255 bytes");
  EXPECT_EQ(refused(ChannelProtocol::queue_eval,
                    {{"kind", "show_message"}, {"text", "x"}, {"display", "sky"}}),
            "'display' must be one of led_boards, screens, all");
  EXPECT_EQ(refused(ChannelProtocol::queue_eval, {{"kind", "reboot"}}).substr(0, 26),
            "unknown command 'reboot' f");
  EXPECT_EQ(refused(ChannelProtocol::terminal, {{"kind", "set_in_service"}}),
            "'in_service' must be true or false");
  EXPECT_EQ(refused(ChannelProtocol::terminal, nlohmann::json::array()),
            "a command is a JSON object");
}

}  // namespace
}  // namespace halld::proto
