// proto/frame/session: the halld side of one link's conversation with a hall device, for any
// hall protocol. Sans-I/O: it takes received bytes, the time and durability notices, and answers
// with actions (bytes to send, events to deliver, a reason to close); the acquisition layer
// does the I/O. Owns: login, heartbeat answers, the receive buffer, error counting and the
// error budget. It never acknowledges a data frame by itself: on_durable() does, once the
// event is safe, so that nothing is acknowledged before it is durable.
#pragma once

#include <array>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "halld/proto/frame/messages.hpp"

namespace halld::proto {

enum class SessionError : std::uint8_t {
  garbage,
  bad_length,
  bad_version,
  bad_crc,
  bad_end,  // framing (FrameError order)
  unknown_function,
  malformed_payload,
  wrong_direction,  // messages (MessageError order)
  before_login,     // data or commands before a login
  wrong_site,       // login for another hall or server
  zero_sequence,    // a data frame numbered 0
};
inline constexpr std::size_t session_error_kinds = 11;
std::string_view to_string(SessionError error);

struct SessionLimits {
  std::size_t error_budget = 100;  // errors tolerated on one connection before closing it
};

// What a session needs of its protocol: the uplink frames read off a byte stream, and its
// answers written. halld's frame envelope (frame_codec) and a described protocol
// (proto/described) each give one; the session cannot tell them apart.
class SessionCodec {
 public:
  struct Frame {  // a whole frame understood (or a MessageError)
    std::size_t size;
    std::uint32_t source;
    std::uint32_t sequence;
    Uplink uplink;
  };
  struct Refusal {  // `skip` bytes refused
    SessionError error;
    std::size_t skip;
    std::optional<std::uint32_t> source;
  };
  using Reading = std::variant<std::monostate, Refusal, Frame>;  // monostate: need more bytes

  virtual ~SessionCodec() = default;
  virtual Reading read(std::span<const std::uint8_t> bytes, records::Timestamp now) const = 0;
  virtual std::vector<std::uint8_t> login_ack(std::uint32_t source, LoginOutcome outcome,
                                              records::Timestamp now) const = 0;
  virtual std::vector<std::uint8_t> heartbeat_ack(std::uint32_t source,
                                                  records::Timestamp now) const = 0;
  virtual std::vector<std::uint8_t> data_ack(std::uint32_t source,
                                             std::uint32_t sequence) const = 0;
  // A command (proto/commands JSON) for the device at `source`, its sequence `command_id`.
  // Throws std::invalid_argument naming what is wrong (the protocol has no such command, or a
  // member is missing or out of range).
  virtual std::vector<std::uint8_t> command(std::uint32_t source, std::uint32_t command_id,
                                            const nlohmann::json& command) const = 0;
  // False: a device's data counts without a login (protocols that have none).
  virtual bool login_required() const = 0;
  virtual bool accepts_login_version(std::uint16_t version) const = 0;
};

// halld's frame envelope (framing.md) with one protocol's uplink decoder and command encoder
// (none: the protocol carries no commands).
using UplinkDecoder = std::function<Uplink(const Frame&)>;
using CommandEncoder = std::function<std::vector<std::uint8_t>(
    std::uint32_t source, std::uint32_t command_id, const nlohmann::json& command)>;
std::shared_ptr<const SessionCodec> frame_codec(UplinkDecoder decoder,
                                                CommandEncoder encoder = nullptr);

class Session {
 public:
  struct Send {
    std::vector<std::uint8_t> bytes;
  };
  struct Deliver {  // a data frame's event, not yet acknowledged
    std::uint32_t source;
    std::uint32_t sequence;
    records::Event event;
  };
  struct Answered {  // the device's answer to a command
    std::uint32_t source;
    CommandResult result;
  };
  struct LoggedIn {
    std::uint32_t source;  // the login frame's SRC
    Login login;
  };
  // Bytes or a frame refused and counted: what an operator needs to find the device.
  struct Refused {
    SessionError error;
    std::optional<std::uint32_t> source;  // the frame's SRC, when it was a whole frame
    std::vector<std::uint8_t> head;       // the first bytes refused (at most refused_head_bytes)
  };
  struct Close {
    std::string reason;
  };
  using Action = std::variant<Send, Deliver, Answered, LoggedIn, Refused, Close>;
  static constexpr std::size_t refused_head_bytes = 24;

  // `site` is what the device must name in its login (the hall code or server id the channel
  // is configured for).
  Session(std::shared_ptr<const SessionCodec> codec, std::string site, SessionLimits limits = {});

  std::vector<Action> on_bytes(std::span<const std::uint8_t> bytes, records::Timestamp now);
  // The event of (source, sequence) is durable: acknowledge it.
  std::vector<Action> on_durable(std::uint32_t source, std::uint32_t sequence) const;

  bool logged_in() const { return logged_in_; }
  bool closed() const { return closed_; }
  const std::array<std::uint64_t, session_error_kinds>& errors() const { return errors_; }
  std::uint64_t frames_received() const { return frames_; }
  std::size_t buffered() const { return buffer_.size(); }

 private:
  void handle(SessionCodec::Frame& frame, std::span<const std::uint8_t> bytes,
              records::Timestamp now, std::vector<Action>& actions);
  void count(SessionError error, std::optional<std::uint32_t> source,
             std::span<const std::uint8_t> bytes, std::vector<Action>& actions);
  void close(std::string reason, std::vector<Action>& actions);

  std::shared_ptr<const SessionCodec> codec_;
  std::string site_;
  SessionLimits limits_;
  std::vector<std::uint8_t> buffer_;
  std::array<std::uint64_t, session_error_kinds> errors_{};
  std::uint64_t total_errors_ = 0;
  std::uint64_t frames_ = 0;
  bool logged_in_ = false;
  bool closed_ = false;
};

}  // namespace halld::proto
