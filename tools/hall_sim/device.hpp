// The device side of delivery, as a hall's queue server does it: number data frames per
// source, keep each until acknowledged, resend everything unacknowledged after a reconnect.
// Pure; it also counts what it sent so tests can prove exactly-once. A streaming device sends
// each frame as it is made (add); a polled one sends one per turn (next_unsent).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <vector>

#include "halld/proto/frame/frame.hpp"
#include "halld/records/events.hpp"

namespace halld::tools {

class DeviceOutbox {
 public:
  explicit DeviceOutbox(std::uint32_t source) : source_(source) {}

  // A new event: its frame, to send now (and again after a reconnect until acknowledged).
  template <class Codec>
  std::vector<std::uint8_t> add(const records::Event& event) {
    return add([&](std::uint32_t sequence) {
      return proto::encode_frame(Codec::encode(source_, sequence, event));
    });
  }
  // The frame `encode` writes for the next sequence number; an empty one (an event the
  // protocol does not carry) takes no number and is not sent.
  std::vector<std::uint8_t> add(
      const std::function<std::vector<std::uint8_t>(std::uint32_t sequence)>& encode);
  void acknowledged(std::uint32_t sequence);
  // On a polled bus, one frame per turn: the oldest not sent since the last rewind.
  std::optional<std::vector<std::uint8_t>> next_unsent();
  // Sends everything unacknowledged again, oldest first, when the oldest waited `patience`.
  void rewind_if_older_than(std::chrono::steady_clock::duration patience);
  // Every unacknowledged frame, oldest first, as one buffer; their latency clocks restart.
  std::vector<std::uint8_t> resend_all();
  // Send-to-ack times of acknowledged frames, in milliseconds (sent last, acknowledged first).
  const std::vector<double>& ack_latencies_ms() const { return latencies_ms_; }

  std::uint32_t source() const { return source_; }
  std::size_t unacked() const { return unacked_.size(); }
  std::uint64_t events_made() const { return events_made_; }
  std::uint64_t acks() const { return acks_; }

 private:
  struct Pending {
    std::uint32_t sequence;
    std::vector<std::uint8_t> frame;
    std::chrono::steady_clock::time_point sent;
  };
  std::uint32_t source_;
  std::uint32_t last_sequence_ = 0;
  std::uint32_t last_sent_sequence_ = 0;  // next_unsent()'s cursor
  std::deque<Pending> unacked_;
  std::uint64_t events_made_ = 0;
  std::uint64_t acks_ = 0;
  std::vector<double> latencies_ms_;
};

}  // namespace halld::tools
