// tools/hall_sim/device_protocol: the device's side of what a simulated hall system speaks —
// halld's own protocols (docs/protocols/framing.md) or a described one (proto/described, a
// vendor's): its login, heartbeats, event frames and command answers, and what it hears back.
// Pure.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "halld/proto/described/description.hpp"
#include "halld/proto/frame/messages.hpp"

namespace halld::tools {

using Bytes = std::vector<std::uint8_t>;

// A frame from halld, as the device understands it.
struct Heard {
  enum class Kind : std::uint8_t { data_ack, login_accepted, login_refused, command, other };
  Kind kind = Kind::other;
  std::uint32_t sequence = 0;         // data_ack: the frame acknowledged
  std::optional<proto::Frame> frame;  // a command in halld's own protocols, as it came
};

class DeviceProtocol {
 public:
  virtual ~DeviceProtocol() = default;
  virtual bool logs_in() const = 0;
  virtual Bytes login(std::uint32_t source, const std::string& site) const = 0;
  virtual Bytes heartbeat(std::uint32_t source) const = 0;
  // The event's frame; empty when the protocol does not carry such events.
  virtual Bytes event(std::uint32_t source, std::uint32_t sequence,
                      const records::Event& event) const = 0;
  virtual Bytes command_result(std::uint32_t source, const proto::CommandResult& result) const = 0;
  // Takes the whole frames at the front of `buffer` (and any garbage before them).
  virtual std::vector<Heard> take(Bytes& buffer) const = 0;
};

// halld's queue-evaluation protocol, or with `terminals` its terminal-management protocol.
std::unique_ptr<DeviceProtocol> halld_protocol(bool terminals);
std::unique_ptr<DeviceProtocol> described_protocol(
    std::shared_ptr<const proto::described::Description> description);

}  // namespace halld::tools
