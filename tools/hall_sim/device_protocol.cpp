#include "device_protocol.hpp"

#include "halld/proto/described/interpreter.hpp"
#include "halld/proto/queue_eval/queue_eval.hpp"
#include "halld/proto/terminal/terminal.hpp"

namespace halld::tools {
namespace {

template <class Protocol>
class HalldProtocol final : public DeviceProtocol {
 public:
  bool logs_in() const override { return true; }
  Bytes login(std::uint32_t source, const std::string& site) const override {
    return proto::encode_frame(proto::encode_login(source, {site, "hall_sim", 1}));
  }
  Bytes heartbeat(std::uint32_t source) const override {
    return proto::encode_frame(proto::encode_heartbeat(source));
  }
  Bytes event(std::uint32_t source, std::uint32_t sequence,
              const records::Event& event) const override {
    try {
      return proto::encode_frame(proto::EventCodec<Protocol>::encode(source, sequence, event));
    } catch (const std::invalid_argument&) {
      return {};
    }
  }
  Bytes command_result(std::uint32_t source, const proto::CommandResult& result) const override {
    return proto::encode_frame(proto::encode_command_result(source, result));
  }
  std::vector<Heard> take(Bytes& buffer) const override {
    std::vector<Heard> heard;
    for (auto& frame : proto::take_frames(buffer)) {
      Heard h;
      if (frame.function == proto::function::data_ack) {
        h.kind = Heard::Kind::data_ack;
        h.sequence = frame.sequence;
      } else if (auto ack = proto::decode_login_ack(frame)) {
        h.kind = ack->outcome == proto::LoginOutcome::accepted ? Heard::Kind::login_accepted
                                                               : Heard::Kind::login_refused;
      } else if (frame.direction == proto::Direction::downlink) {
        h.kind = Heard::Kind::command;
        h.sequence = frame.sequence;
        h.frame = std::move(frame);
      }
      heard.push_back(std::move(h));
    }
    return heard;
  }
};

class DescribedProtocol final : public DeviceProtocol {
 public:
  explicit DescribedProtocol(std::shared_ptr<const proto::described::Description> description)
      : interpreter_(std::move(description)) {}

  bool logs_in() const override { return interpreter_.description().login_required; }
  Bytes login(std::uint32_t source, const std::string& site) const override {
    return interpreter_.login(source, {site, "hall_sim", 1, 0});
  }
  Bytes heartbeat(std::uint32_t source) const override { return interpreter_.heartbeat(source); }
  Bytes event(std::uint32_t source, std::uint32_t sequence,
              const records::Event& event) const override {
    try {
      return interpreter_.event(source, sequence, event);
    } catch (const std::invalid_argument&) {
      return {};  // not an event this protocol carries, or a value it cannot hold
    }
  }
  Bytes command_result(std::uint32_t source, const proto::CommandResult& result) const override {
    return interpreter_.command_result(source, result);
  }
  std::vector<Heard> take(Bytes& buffer) const override {
    using namespace proto::described;
    std::vector<Heard> heard;
    std::size_t used = 0;
    while (used < buffer.size()) {
      auto reading = interpreter_.read_downlink(std::span(buffer).subspan(used));
      if (std::holds_alternative<NeedMore>(reading)) break;
      if (const auto* skip = std::get_if<Skip>(&reading)) {
        used += skip->size;
        continue;
      }
      const auto& frame = std::get<DownlinkFrame>(reading);
      used += frame.size;
      Heard h;
      if (frame.role == Role::data_ack) {
        h.kind = Heard::Kind::data_ack;
        // The number acknowledged: in the header, or a field of the ack (text protocols).
        h.sequence = frame.values.contains("sequence") && frame.values["sequence"].is_number()
                         ? frame.values["sequence"].get<std::uint32_t>()
                         : frame.sequence;
      } else if (frame.role == Role::login_ack) {
        h.kind = frame.values.value("outcome", "") == "accepted" ? Heard::Kind::login_accepted
                                                                 : Heard::Kind::login_refused;
      }
      heard.push_back(std::move(h));
    }
    buffer.erase(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(used));
    return heard;
  }

 private:
  proto::described::Interpreter interpreter_;
};

}  // namespace

std::unique_ptr<DeviceProtocol> halld_protocol(bool terminals) {
  if (terminals) return std::make_unique<HalldProtocol<proto::terminal::Protocol>>();
  return std::make_unique<HalldProtocol<proto::queue_eval::Protocol>>();
}

std::unique_ptr<DeviceProtocol> described_protocol(
    std::shared_ptr<const proto::described::Description> description) {
  return std::make_unique<DescribedProtocol>(std::move(description));
}

}  // namespace halld::tools
