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

Session::Session(Decoder decoder, std::string site, SessionLimits limits)
    : decoder_(std::move(decoder)), site_(std::move(site)), limits_(limits) {}

std::vector<Session::Action> Session::on_bytes(std::span<const std::uint8_t> bytes,
                                               records::Timestamp now) {
  std::vector<Action> actions;
  if (closed_) return actions;
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
  std::size_t consumed = 0;
  while (!closed_ && consumed < buffer_.size()) {
    auto result = decode_frame(std::span(buffer_).subspan(consumed));
    if (std::holds_alternative<NeedMore>(result)) break;
    if (const auto* rejected = std::get_if<Rejected>(&result)) {
      count(static_cast<SessionError>(rejected->error), std::nullopt,
            std::span(buffer_).subspan(consumed, rejected->skip), actions);
      consumed += rejected->skip;
      continue;
    }
    auto& decoded = std::get<Decoded>(result);
    const auto frame_bytes = std::span(buffer_).subspan(consumed, decoded.size);
    consumed += decoded.size;
    ++frames_;
    handle(decoded.frame, frame_bytes, now, actions);
  }
  buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(consumed));
  return actions;
}

void Session::handle(const Frame& frame, std::span<const std::uint8_t> bytes,
                     records::Timestamp now, std::vector<Action>& actions) {
  auto uplink = decoder_(frame);
  if (const auto* error = std::get_if<MessageError>(&uplink)) {
    count(static_cast<SessionError>(static_cast<std::uint8_t>(SessionError::unknown_function) +
                                    static_cast<std::uint8_t>(*error)),
          frame.source, bytes, actions);
    return;
  }
  if (const auto* login = std::get_if<Login>(&uplink)) {
    if (login->site != site_) {
      count(SessionError::wrong_site, frame.source, bytes, actions);
      actions.push_back(
          Send{encode_frame(encode_login_ack(frame.source, LoginOutcome::unknown_site, now))});
      close(fmt::format("login for site '{}', this channel serves '{}'", login->site, site_),
            actions);
      return;
    }
    if (login->version < protocol_version || login->version > login_with_epoch) {
      actions.push_back(Send{
          encode_frame(encode_login_ack(frame.source, LoginOutcome::unsupported_version, now))});
      close(fmt::format("protocol version {} is not supported", login->version), actions);
      return;
    }
    logged_in_ = true;
    actions.push_back(
        Send{encode_frame(encode_login_ack(frame.source, LoginOutcome::accepted, now))});
    actions.push_back(LoggedIn{frame.source, *login});
    return;
  }
  if (!logged_in_) {
    // Not acknowledged, so the device sends it again once it has logged in.
    count(SessionError::before_login, frame.source, bytes, actions);
    return;
  }
  if (std::holds_alternative<Heartbeat>(uplink)) {
    actions.push_back(Send{encode_frame(encode_heartbeat_ack(frame.source, now))});
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
  return {Send{encode_frame(encode_data_ack(source, sequence))}};
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
