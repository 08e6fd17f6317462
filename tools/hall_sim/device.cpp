#include "device.hpp"

#include <algorithm>

namespace halld::tools {

void DeviceOutbox::acknowledged(std::uint32_t sequence) {
  // An ack names one frame (docs/protocols/framing.md); a resent frame may be acknowledged
  // twice, and the second ack finds nothing.
  auto it = std::find_if(unacked_.begin(), unacked_.end(), [&](const Pending& p) { return p.sequence == sequence; });
  if (it == unacked_.end()) return;
  latencies_ms_.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - it->sent).count());
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

}  // namespace halld::tools
