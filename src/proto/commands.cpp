#include "halld/proto/commands.hpp"

#include <fmt/format.h>

#include <limits>
#include <stdexcept>

#include "halld/proto/frame/payload.hpp"
#include "halld/proto/queue_eval/queue_eval.hpp"
#include "halld/proto/terminal/terminal.hpp"

namespace halld::proto {
namespace {

using nlohmann::json;

// Field readers that say which field is wrong and why.
class Fields {
 public:
  explicit Fields(const json& command) : command_(command) {}

  template <class Int>
  Int integer(const char* name, Int min, Int max,
              std::optional<Int> fallback = std::nullopt) const {
    if (!command_.contains(name)) {
      if (fallback) return *fallback;
      throw std::invalid_argument(fmt::format("'{}' is missing", name));
    }
    const auto& v = command_[name];
    if (!v.is_number_integer() || v.get<std::int64_t>() < static_cast<std::int64_t>(min) ||
        v.get<std::int64_t>() > static_cast<std::int64_t>(max)) {
      throw std::invalid_argument(
          fmt::format("'{}' must be a whole number from {} to {}", name, min, max));
    }
    return static_cast<Int>(v.get<std::int64_t>());
  }
  std::string text(const char* name, std::size_t max_bytes, bool required) const {
    if (!command_.contains(name)) {
      if (required) throw std::invalid_argument(fmt::format("'{}' is missing", name));
      return {};
    }
    if (!command_[name].is_string())
      throw std::invalid_argument(fmt::format("'{}' must be text", name));
    auto value = command_[name].get<std::string>();
    if (value.size() > max_bytes)
      throw std::invalid_argument(fmt::format("'{}' is longer than {} bytes", name, max_bytes));
    if (required && value.empty()) throw std::invalid_argument(fmt::format("'{}' is empty", name));
    return value;
  }
  template <class Enum>
  Enum choice(const char* name, std::initializer_list<std::pair<const char*, Enum>> choices,
              std::optional<Enum> fallback = std::nullopt) const {
    if (!command_.contains(name) && fallback) return *fallback;
    const auto value = text(name, 64, true);
    std::string names;
    for (const auto& [choice_name, e] : choices) {
      if (value == choice_name) return e;
      names += names.empty() ? choice_name : std::string(", ") + choice_name;
    }
    throw std::invalid_argument(fmt::format("'{}' must be one of {}", name, names));
  }
  bool flag(const char* name) const {
    if (!command_.contains(name) || !command_[name].is_boolean()) {
      throw std::invalid_argument(fmt::format("'{}' must be true or false", name));
    }
    return command_[name].get<bool>();
  }

 private:
  const json& command_;
};

constexpr std::size_t max_message_bytes = max_text_bytes;  // 255 bytes of UTF-8: about 85 汉字

queue_eval::Command queue_command(const std::string& kind, const Fields& f) {
  using namespace queue_eval;
  if (kind == "open_window") return OpenWindow{f.integer<std::uint16_t>("window", 1, 999)};
  if (kind == "close_window") return CloseWindow{f.integer<std::uint16_t>("window", 1, 999)};
  const auto display = [&f] {
    return f.choice<Display>(
        "display",
        {{"led_boards", Display::led_boards}, {"screens", Display::screens}, {"all", Display::all}},
        Display::all);
  };
  if (kind == "show_message") {
    return ShowMessage{display(), f.integer<std::uint16_t>("seconds", 0, 65535, 60),
                       f.text("text", max_message_bytes, true)};
  }
  // The wire's empty text clears what the boards show (a notice withdrawn).
  if (kind == "clear_message") {
    return ShowMessage{display(), 0, ""};
  }
  if (kind == "set_queue_parameter") {
    return SetQueueParameter{
        f.text("business", 32, false),
        f.choice<QueueParameter>("parameter",
                                 {{"max_waiting", QueueParameter::max_waiting},
                                  {"call_repeat_s", QueueParameter::call_repeat_s},
                                  {"no_show_after_calls", QueueParameter::no_show_after_calls}}),
        f.integer<std::uint32_t>("value", 0, std::numeric_limits<std::uint32_t>::max())};
  }
  throw std::invalid_argument(
      fmt::format("unknown command '{}' for a queue-evaluation channel (open_window, close_window, "
                  "show_message, clear_message, set_queue_parameter)",
                  kind));
}

terminal::Command terminal_command(const std::string& kind, const Fields& f) {
  using namespace terminal;
  if (kind == "publish_notice") {
    return PublishNotice{f.text("terminal", 32, false),
                         f.integer<std::uint16_t>("seconds", 0, 65535, 0),
                         f.text("text", max_message_bytes, true)};
  }
  if (kind == "set_in_service") {
    return SetInService{f.text("terminal", 32, false), f.flag("in_service")
                                                           ? ServiceMode::in_service
                                                           : ServiceMode::out_of_service};
  }
  if (kind == "reboot") return Reboot{f.text("terminal", 32, false)};
  throw std::invalid_argument(
      fmt::format("unknown command '{}' for a terminal-management channel (publish_notice, "
                  "set_in_service, reboot)",
                  kind));
}

}  // namespace

std::vector<std::uint8_t> encode_command_json(records::ChannelProtocol protocol,
                                              std::uint32_t address, std::uint32_t command_id,
                                              const nlohmann::json& command) {
  if (!command.is_object()) throw std::invalid_argument("a command is a JSON object");
  if (!command.contains("kind") || !command["kind"].is_string())
    throw std::invalid_argument("'kind' is missing");
  const auto kind = command["kind"].get<std::string>();
  Fields fields(command);
  switch (protocol) {
    case records::ChannelProtocol::queue_eval:
      return encode_frame(
          encode_command<queue_eval::Protocol>(address, command_id, queue_command(kind, fields)));
    case records::ChannelProtocol::terminal:
      return encode_frame(
          encode_command<terminal::Protocol>(address, command_id, terminal_command(kind, fields)));
    case records::ChannelProtocol::modbus:
      throw std::invalid_argument("a Modbus channel takes facility writes (facility/poller)");
  }
  throw std::invalid_argument("unknown protocol");
}

std::shared_ptr<const SessionCodec> own_protocol_codec(records::ChannelProtocol protocol) {
  auto commands = [protocol](std::uint32_t address, std::uint32_t command_id,
                             const nlohmann::json& command) {
    return encode_command_json(protocol, address, command_id, command);
  };
  return protocol == records::ChannelProtocol::terminal
             ? frame_codec(decode_uplink<terminal::Protocol>, commands)
             : frame_codec(decode_uplink<queue_eval::Protocol>, commands);
}

}  // namespace halld::proto
