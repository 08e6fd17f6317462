// A byte stream as a link delivers it: split into frames, resynchronised after damage, each
// frame decoded by both hall protocols, and the same bytes read as spool records. Whatever
// decodes must re-encode to the same bytes.
#include <cstddef>
#include <cstdint>
#include <span>

#include "halld/acq/spool.hpp"
#include "halld/proto/queue_eval/queue_eval.hpp"
#include "halld/proto/terminal/terminal.hpp"

namespace {

template <class Protocol>
void check(const halld::proto::Frame& frame) {
  using namespace halld::proto;
  auto uplink = decode_uplink<Protocol>(frame);
  if (auto* event = std::get_if<halld::records::Event>(&uplink)) {
    if (EventCodec<Protocol>::encode(frame.source, frame.sequence, *event) != frame)
      __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace halld::proto;
  // A spool record is written back byte for byte; one of the former layout (no epoch and flags,
  // the hall's top bit clear) is written in the current one, and reads back as the same record.
  auto spooled = halld::acq::decode_spool_record(std::span(data, size));
  if (spooled.status == halld::acq::SpoolRecordRead::Status::record) {
    const auto written = halld::acq::encode_spool_record(spooled.record);
    const bool former_layout = size > 16 && (data[16] & 0x80) == 0;  // the hall id's last byte
    if (!former_layout && written != std::vector<std::uint8_t>(data, data + spooled.size))
      __builtin_trap();
    const auto again = halld::acq::decode_spool_record(written);
    const auto& a = again.record;
    const auto& b = spooled.record;
    if (again.status != halld::acq::SpoolRecordRead::Status::record || a.source_id != b.source_id ||
        a.sequence != b.sequence || a.hall_id != b.hall_id || !(a.event == b.event) ||
        a.received_at != b.received_at || a.epoch != b.epoch || a.clock_skewed != b.clock_skewed) {
      __builtin_trap();
    }
  }
  std::span<const std::uint8_t> rest(data, size);
  if (answer_size(rest) > size) __builtin_trap();
  while (!rest.empty()) {
    auto result = decode_frame(rest);
    if (std::holds_alternative<NeedMore>(result)) break;
    if (auto* rejected = std::get_if<Rejected>(&result)) {
      if (rejected->skip == 0 || rejected->skip > rest.size()) __builtin_trap();
      rest = rest.subspan(rejected->skip);
      continue;
    }
    const auto& decoded = std::get<Decoded>(result);
    if (encode_frame(decoded.frame) !=
        std::vector<std::uint8_t>(rest.begin(), rest.begin() + decoded.size))
      __builtin_trap();
    check<queue_eval::Protocol>(decoded.frame);
    check<terminal::Protocol>(decoded.frame);
    (void)decode_command<queue_eval::Protocol, queue_eval::Command>(decoded.frame);
    (void)decode_command<terminal::Protocol, terminal::Command>(decoded.frame);
    rest = rest.subspan(decoded.size);
  }
  return 0;
}
