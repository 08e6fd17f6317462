#include "halld/proto/frame/session.hpp"

#include <fmt/format.h>

namespace halld::proto {

std::string_view to_string(SessionError error) {
  static constexpr std::string_view names[] = {
      "garbage",      "bad_length",       "bad_version",       "bad_crc",
      "bad_end",      "unknown_function", "malformed_payload", "wrong_direction",
      "before_login", "wrong_site",       "zero_sequence"};
  return names[static_cast<std::size_t>(error)];
}

namespace {

class FrameCodec final : public SessionCodec {
 public:
  FrameCodec(UplinkDecoder decoder, CommandEncoder encoder)
      : decoder_(std::move(decoder)), encoder_(std::move(encoder)) {}

  Reading read(std::span<const std::uint8_t> bytes, records::Timestamp) const override {
    auto result = decode_frame(bytes);
    if (std::holds_alternative<NeedMore>(result)) return std::monostate{};
    if (const auto* rejected = std::get_if<Rejected>(&result))
      return Refusal{static_cast<SessionError>(rejected->error), rejected->skip, std::nullopt};
    const auto& decoded = std::get<Decoded>(result);
    return Frame{decoded.size, decoded.frame.source, decoded.frame.sequence,
                 decoder_(decoded.frame)};
  }
  std::vector<std::uint8_t> login_ack(std::uint32_t source, LoginOutcome outcome,
                                      records::Timestamp now) const override {
    return encode_frame(encode_login_ack(source, outcome, now));
  }
  std::vector<std::uint8_t> heartbeat_ack(std::uint32_t source,
                                          records::Timestamp now) const override {
    return encode_frame(encode_heartbeat_ack(source, now));
  }
  std::vector<std::uint8_t> data_ack(std::uint32_t source, std::uint32_t sequence) const override {
    return encode_frame(encode_data_ack(source, sequence));
  }
  std::vector<std::uint8_t> command(std::uint32_t source, std::uint32_t command_id,
                                    const nlohmann::json& command) const override {
    if (!encoder_) throw std::invalid_argument("this protocol carries no commands");
    return encoder_(source, command_id, command);
  }
  bool login_required() const override { return true; }
  bool accepts_login_version(std::uint16_t version) const override {
    return version >= protocol_version && version <= login_with_epoch;
  }

 private:
  UplinkDecoder decoder_;
  CommandEncoder encoder_;
};

}  // namespace

std::shared_ptr<const SessionCodec> frame_codec(UplinkDecoder decoder, CommandEncoder encoder) {
  return std::make_shared<FrameCodec>(std::move(decoder), std::move(encoder));
}

Session::Session(std::shared_ptr<const SessionCodec> codec, std::string site, SessionLimits limits)
    : codec_(std::move(codec)),
      site_(std::move(site)),
      limits_(limits),
      logged_in_(!codec_->login_required()) {}

std::vector<Session::Action> Session::on_bytes(std::span<const std::uint8_t> bytes,
                                               records::Timestamp now) {
  std::vector<Action> actions;
  if (closed_) return actions;
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
  std::size_t consumed = 0;
  while (!closed_ && consumed < buffer_.size()) {
    auto reading = codec_->read(std::span(buffer_).subspan(consumed), now);
    if (std::holds_alternative<std::monostate>(reading)) break;
    if (const auto* refused = std::get_if<SessionCodec::Refusal>(&reading)) {
      count(refused->error, refused->source, std::span(buffer_).subspan(consumed, refused->skip),
            actions);
      consumed += refused->skip;
      continue;
    }
    auto& frame = std::get<SessionCodec::Frame>(reading);
    const auto frame_bytes = std::span(buffer_).subspan(consumed, frame.size);
    consumed += frame.size;
    ++frames_;
    handle(frame, frame_bytes, now, actions);
  }
  buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(consumed));
  return actions;
}

void Session::handle(SessionCodec::Frame& frame, std::span<const std::uint8_t> bytes,
                     records::Timestamp now, std::vector<Action>& actions) {
  auto& uplink = frame.uplink;
  if (const auto* error = std::get_if<MessageError>(&uplink)) {
    count(static_cast<SessionError>(static_cast<std::uint8_t>(SessionError::unknown_function) +
                                    static_cast<std::uint8_t>(*error)),
          frame.source, bytes, actions);
    return;
  }
  if (const auto* login = std::get_if<Login>(&uplink)) {
    if (login->site != site_) {
      count(SessionError::wrong_site, frame.source, bytes, actions);
      actions.push_back(Send{codec_->login_ack(frame.source, LoginOutcome::unknown_site, now)});
      close(fmt::format("login for site '{}', this channel serves '{}'", login->site, site_),
            actions);
      return;
    }
    if (!codec_->accepts_login_version(login->version)) {
      actions.push_back(
          Send{codec_->login_ack(frame.source, LoginOutcome::unsupported_version, now)});
      close(fmt::format("protocol version {} is not supported", login->version), actions);
      return;
    }
    logged_in_ = true;
    actions.push_back(Send{codec_->login_ack(frame.source, LoginOutcome::accepted, now)});
    actions.push_back(LoggedIn{frame.source, *login});
    return;
  }
  if (!logged_in_) {
    // Not acknowledged, so the device sends it again once it has logged in.
    count(SessionError::before_login, frame.source, bytes, actions);
    return;
  }
  if (std::holds_alternative<Heartbeat>(uplink)) {
    actions.push_back(Send{codec_->heartbeat_ack(frame.source, now)});
  } else if (auto* result = std::get_if<CommandResult>(&uplink)) {
    actions.push_back(Answered{frame.source, std::move(*result)});
  } else if (frame.sequence == 0) {
    // 0 numbers session frames only; a data frame with it cannot be told from a resend.
    count(SessionError::zero_sequence, frame.source, bytes, actions);
  } else {
    actions.push_back(
        Deliver{frame.source, frame.sequence, std::move(std::get<records::Event>(uplink))});
  }
}

std::vector<Session::Action> Session::on_durable(std::uint32_t source,
                                                 std::uint32_t sequence) const {
  if (closed_) return {};
  return {Send{codec_->data_ack(source, sequence)}};
}

void Session::count(SessionError error, std::optional<std::uint32_t> source,
                    std::span<const std::uint8_t> bytes, std::vector<Action>& actions) {
  ++errors_[static_cast<std::size_t>(error)];
  const auto head = bytes.first(std::min(bytes.size(), refused_head_bytes));
  actions.push_back(Refused{error, source, {head.begin(), head.end()}});
  if (++total_errors_ > limits_.error_budget && !closed_) {
    close(fmt::format("error budget of {} exceeded (last: {})", limits_.error_budget,
                      to_string(error)),
          actions);
  }
}

void Session::close(std::string reason, std::vector<Action>& actions) {
  closed_ = true;
  actions.push_back(Close{std::move(reason)});
}

}  // namespace halld::proto
