#include "bus_devices.hpp"

#include "halld/proto/queue_eval/queue_eval.hpp"

namespace halld::tools {

BusDevices::BusDevices(BusDevicesOptions options) : options_(std::move(options)) {
  for (auto address : options_.addresses) {
    // One keypad sees the customers of one window.
    QueueModelOptions model{.seed = options_.seed * 1000 + address,
                            .windows = 1,
                            .arrivals_per_hour = 12,
                            .hours = {},
                            .start = options_.start};
    keypads_.emplace(address, std::make_unique<Keypad>(address, model));
  }
}

std::vector<std::uint8_t> BusDevices::on_bytes(std::span<const std::uint8_t> bytes) {
  received_.insert(received_.end(), bytes.begin(), bytes.end());
  std::vector<std::uint8_t> out;
  for (const auto& frame : proto::take_frames(received_)) {
    auto keypad = keypads_.find(frame.source);
    if (keypad == keypads_.end()) continue;  // another device's business
    auto& k = *keypad->second;
    if (proto::is_poll(frame)) {
      ++polls_;
      auto reply = answer(k);
      out.insert(out.end(), reply.begin(), reply.end());
    } else if (frame.function == proto::function::data_ack) {
      k.outbox.acknowledged(frame.sequence);
    } else if (auto ack = proto::decode_login_ack(frame);
               ack && ack->outcome == proto::LoginOutcome::accepted) {
      k.logged_in = true;
    }
  }
  return out;
}

std::vector<std::uint8_t> BusDevices::answer(Keypad& k) {
  const auto address = k.outbox.source();
  if (!k.logged_in) {
    return proto::encode_frame(
        proto::encode_login(address, {options_.site, "keypad-" + std::to_string(address), 1}));
  }
  // One frame outstanding, as a polled slave keeps it: until the master acknowledges it, every
  // poll gets it again (the master may have missed the answer or timed it out). A keypad that
  // sent its next frame meanwhile would deliver its numbers out of order, and halld would take
  // the older one, arriving later, for a resend.
  k.outbox.rewind_if_older_than(std::chrono::steady_clock::duration::zero());
  if (auto frame = k.outbox.next_unsent()) return *frame;
  if (options_.events_per_device == 0 || k.outbox.events_made() < options_.events_per_device) {
    k.outbox.add<proto::EventCodec<proto::queue_eval::Protocol>>(next_evaluation(k));
    return *k.outbox.next_unsent();
  }
  return proto::encode_frame(proto::encode_heartbeat(address));
}

records::Event BusDevices::next_evaluation(Keypad& k) {
  for (;;) {
    auto event = k.model.next();
    if (auto* evaluation = std::get_if<records::EvaluationGiven>(&event.body)) {
      evaluation->window = static_cast<std::uint16_t>(k.outbox.source());
      return event;
    }
  }
}

bool BusDevices::all_made() const {
  if (options_.events_per_device == 0) return false;
  for (const auto& [address, k] : keypads_) {
    if (k->outbox.events_made() < options_.events_per_device) return false;
  }
  return true;
}

std::uint64_t BusDevices::events_made() const {
  std::uint64_t n = 0;
  for (const auto& [address, k] : keypads_) n += k->outbox.events_made();
  return n;
}

std::uint64_t BusDevices::acks() const {
  std::uint64_t n = 0;
  for (const auto& [address, k] : keypads_) n += k->outbox.acks();
  return n;
}

std::size_t BusDevices::unacked() const {
  std::size_t n = 0;
  for (const auto& [address, k] : keypads_) n += k->outbox.unacked();
  return n;
}

}  // namespace halld::tools
