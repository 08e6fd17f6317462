#include "halld/proto/described/vectors.hpp"

#include <fmt/format.h>

#include "halld/proto/frame/frame.hpp"
#include "halld/records/event_json.hpp"

namespace halld::proto::described {
namespace {

using nlohmann::json;

records::Timestamp time_of(const json& text) {
  auto instant =
      text.is_string() ? records::parse_instant(text.get<std::string>(), {}) : std::nullopt;
  if (!instant) throw std::invalid_argument("a vector's server_time is an ISO 8601 instant");
  return instant->at;
}

// What the vector says was sent down, written by the interpreter.
std::vector<std::uint8_t> written_down(const Interpreter& interpreter, const json& vector,
                                       std::uint32_t source) {
  if (vector.contains("data_ack"))
    return interpreter.data_ack(source, vector.at("data_ack").get<std::uint32_t>());
  if (vector.contains("login_ack"))
    return interpreter.login_ack(source, LoginOutcome::accepted, time_of(vector.at("login_ack")));
  if (vector.contains("heartbeat_ack"))
    return interpreter.heartbeat_ack(source, time_of(vector.at("heartbeat_ack")));
  if (vector.contains("command"))
    return interpreter.command(source, vector.value("sequence", 0u), vector.at("command"));
  throw std::invalid_argument(
      "a downlink vector names data_ack, login_ack, heartbeat_ack or command");
}

// The uplink message the vector says the bytes carry, as the interpreter writes it.
std::vector<std::uint8_t> written_up(const Interpreter& interpreter, const json& vector,
                                     std::uint32_t source, std::string& expected) {
  if (vector.contains("event")) {
    expected = vector.at("event").dump();
    return {};
  }
  if (vector.contains("login")) {
    const auto& l = vector.at("login");
    Login login{l.value("site", ""), l.value("device_id", ""),
                static_cast<std::uint16_t>(l.value("version", 0)), l.value("epoch", 0u)};
    expected = fmt::format("login {} {}", login.site, login.device_id);
    return interpreter.login(source, login);
  }
  if (vector.value("heartbeat", false)) {
    expected = "heartbeat";
    return interpreter.heartbeat(source);
  }
  throw std::invalid_argument("an uplink vector names event, login or heartbeat");
}

std::string meaning(const Uplink& uplink) {
  if (const auto* event = std::get_if<records::Event>(&uplink))
    return records::to_json(*event).dump();
  if (const auto* login = std::get_if<Login>(&uplink))
    return fmt::format("login {} {}", login->site, login->device_id);
  if (std::holds_alternative<Heartbeat>(uplink)) return "heartbeat";
  if (const auto* result = std::get_if<CommandResult>(&uplink))
    return fmt::format("command result {} {}", result->command, to_string(result->outcome));
  return "?";
}

}  // namespace

std::vector<std::string> check_vectors(const Interpreter& interpreter, const json& vectors) {
  if (!vectors.is_array()) throw std::invalid_argument("vectors are a JSON list");
  std::vector<std::string> failures;
  for (const auto& vector : vectors) {
    if (!vector.is_object() || !vector.contains("hex") || !vector.contains("direction"))
      throw std::invalid_argument("each vector has 'name', 'direction', 'hex'");
    const auto name = vector.value("name", "(unnamed)");
    const auto hex = vector.at("hex").get<std::string>();
    const auto bytes = from_hex(hex);
    const auto source = vector.value("source", 1u);
    const auto sequence = vector.value("sequence", 0u);
    auto fail = [&](const std::string& what) {
      failures.push_back(fmt::format("{}: {}", name, what));
    };
    try {
      if (vector.at("direction") == "downlink") {
        const auto written = to_hex(written_down(interpreter, vector, source));
        if (written != hex) fail(fmt::format("written as {}, the vector says {}", written, hex));
        auto reading = interpreter.read_downlink(bytes);
        if (auto* skip = std::get_if<Skip>(&reading))
          fail(fmt::format("read back as {}", to_string(skip->error)));
        continue;
      }
      std::string expected;
      auto written = written_up(interpreter, vector, source, expected);
      auto reading = interpreter.read_uplink(bytes, records::Timestamp{});
      if (auto* skip = std::get_if<Skip>(&reading)) {
        fail(fmt::format("refused as {}", to_string(skip->error)));
        continue;
      }
      if (std::holds_alternative<NeedMore>(reading)) {
        fail("the frame is not whole");
        continue;
      }
      const auto& received = std::get<Received>(reading);
      if (received.size != bytes.size())
        fail(fmt::format("a frame of {} bytes, the vector has {}", received.size, bytes.size()));
      if (received.source != source)
        fail(fmt::format("source {}, the vector says {}", received.source, source));
      if (received.sequence != sequence)
        fail(fmt::format("sequence {}, the vector says {}", received.sequence, sequence));
      const auto read = meaning(received.uplink);
      if (read != expected) fail(fmt::format("read as {}, the vector says {}", read, expected));
      if (const auto* event = std::get_if<records::Event>(&received.uplink))
        written = interpreter.event(source, sequence, *event);
      if (to_hex(written) != hex)
        fail(fmt::format("written back as {}, the vector says {}", to_hex(written), hex));
    } catch (const std::invalid_argument& e) {
      fail(e.what());
    }
  }
  return failures;
}

}  // namespace halld::proto::described
