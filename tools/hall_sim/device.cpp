#include "device.hpp"

#include <algorithm>

namespace halld::tools {

std::vector<std::uint8_t> DeviceOutbox::add(
    const std::function<std::vector<std::uint8_t>(std::uint32_t sequence)>& encode) {
  auto bytes = encode(last_sequence_ + 1);
  if (bytes.empty()) return bytes;
  ++last_sequence_;
  unacked_.push_back({last_sequence_, bytes, std::chrono::steady_clock::now()});
  ++events_made_;
  return bytes;
}

void DeviceOutbox::acknowledged(std::uint32_t sequence) {
  // An ack names one frame (docs/protocols/framing.md); a resent frame may be acknowledged
  // twice, and the second ack finds nothing.
  auto it = std::find_if(unacked_.begin(), unacked_.end(),
                         [&](const Pending& p) { return p.sequence == sequence; });
  if (it == unacked_.end()) return;
  latencies_ms_.push_back(
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - it->sent)
          .count());
  unacked_.erase(it);
  ++acks_;
}

std::vector<std::uint8_t> DeviceOutbox::resend_all() {
  std::vector<std::uint8_t> out;
  const auto now = std::chrono::steady_clock::now();
  for (auto& p : unacked_) {
    out.insert(out.end(), p.frame.begin(), p.frame.end());
    p.sent = now;
  }
  return out;
}

std::optional<std::vector<std::uint8_t>> DeviceOutbox::next_unsent() {
  auto it = std::find_if(unacked_.begin(), unacked_.end(),
                         [&](const Pending& p) { return p.sequence > last_sent_sequence_; });
  if (it == unacked_.end()) return std::nullopt;
  last_sent_sequence_ = it->sequence;
  it->sent = std::chrono::steady_clock::now();
  return it->frame;
}

void DeviceOutbox::rewind_if_older_than(std::chrono::steady_clock::duration patience) {
  if (unacked_.empty() || unacked_.front().sequence > last_sent_sequence_) return;
  if (std::chrono::steady_clock::now() - unacked_.front().sent > patience)
    last_sent_sequence_ = unacked_.front().sequence - 1;
}

}  // namespace halld::tools
