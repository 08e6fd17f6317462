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
    if (EventCodec<Protocol>::encode(frame.source, frame.sequence, *event) != frame) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace halld::proto;
  auto spooled = halld::acq::decode_spool_record(std::span(data, size));
  if (spooled.status == halld::acq::SpoolRecordRead::Status::record &&
      halld::acq::encode_spool_record(spooled.record) != std::vector<std::uint8_t>(data, data + spooled.size)) {
    __builtin_trap();
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
    if (encode_frame(decoded.frame) != std::vector<std::uint8_t>(rest.begin(), rest.begin() + decoded.size)) __builtin_trap();
    check<queue_eval::Protocol>(decoded.frame);
    check<terminal::Protocol>(decoded.frame);
    (void)decode_command<queue_eval::Protocol, queue_eval::Command>(decoded.frame);
    (void)decode_command<terminal::Protocol, terminal::Command>(decoded.frame);
    rest = rest.subspan(decoded.size);
  }
  return 0;
}
