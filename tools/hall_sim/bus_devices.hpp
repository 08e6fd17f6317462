// The devices on one RS-485 bus as the simulator plays them: the evaluation keypads at a hall's
// windows, each at its own bus address (which is also its SRC). They speak only when polled:
// a keypad answers each poll of its address with exactly one frame — its login until accepted,
// else its oldest unsent data frame (a new evaluation when it has none), else a heartbeat — as
// docs/protocols/framing.md describes. Pure: bytes from the master in, bytes to write out.
#pragma once

#include <map>
#include <memory>

#include "device.hpp"
#include "queue_model.hpp"

namespace halld::tools {

struct BusDevicesOptions {
  std::string site;  // the hall code the keypads log in with
  std::vector<std::uint32_t> addresses;
  std::uint64_t events_per_device = 100;  // 0: without end
  std::uint64_t seed = 1;
  records::Timestamp start{};
};

class BusDevices {
 public:
  explicit BusDevices(BusDevicesOptions options);
  // What the master wrote; returns what the polled keypads answer.
  std::vector<std::uint8_t> on_bytes(std::span<const std::uint8_t> bytes);

  bool all_made() const;
  std::uint64_t events_made() const;
  std::uint64_t acks() const;
  std::size_t unacked() const;
  std::uint64_t polls() const { return polls_; }

 private:
  struct Keypad {
    Keypad(std::uint32_t address, QueueModelOptions model)
        : outbox(address), model(std::move(model)) {}
    DeviceOutbox outbox;
    QueueModel model;
    bool logged_in = false;
  };
  std::vector<std::uint8_t> answer(Keypad& keypad);
  records::Event next_evaluation(Keypad& keypad);

  BusDevicesOptions options_;
  std::map<std::uint32_t, std::unique_ptr<Keypad>> keypads_;
  std::vector<std::uint8_t> received_;
  std::uint64_t polls_ = 0;
};

}  // namespace halld::tools
