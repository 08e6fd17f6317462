// The live model's snapshot blobs read back at a start (live/snapshot, core/bytes): a damaged
// database row must never crash a start or bring in a hall that is not the one written. The first
// byte picks the blob (bit 0: a hall's state or a bucket's tallies) and whether the rest is the
// stored (compressed) blob itself or what is inside it (bit 1: packed here first, so that the
// varint decoders see hostile bytes and not only zlib's refusals). Whatever reads as a whole blob
// writes out again as a blob that reads back to the same hall (tallies: to the same bytes);
// tallies that do not read add nothing.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "halld/live/snapshot.hpp"

namespace {

using namespace halld;

std::vector<std::uint8_t> written_again(const live::HallState& state) {
  return live::encode_hall_state(state.model, state.recent, state.horizon, state.day);
}

void hall_state(std::span<const std::uint8_t> packed) {
  constexpr int hall_id = 7;
  const auto state = live::unpack_hall_state(hall_id, packed);
  if (!state) return;
  // Tickets are written in their hash map's order, so the bytes may differ; what they hold may not.
  const auto once = written_again(*state);
  const auto again = live::unpack_hall_state(hall_id, live::pack(once));
  if (!again || again->model.snapshot() != state->model.snapshot() ||
      again->horizon != state->horizon || again->day != state->day ||
      written_again(*again).size() != once.size())
    __builtin_trap();
}

void tallies(std::span<const std::uint8_t> packed) {
  kpi::Tallies read;
  if (!live::unpack_tallies(packed, read)) {
    if (!read.empty()) __builtin_trap();
    return;
  }
  const auto once = live::encode_tallies(read);
  kpi::Tallies again;
  if (!live::unpack_tallies(live::pack(once), again) || live::encode_tallies(again) != once)
    __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::span<const std::uint8_t> rest(data + 1, size - 1);
  const bool inside = (data[0] & 2u) != 0;
  const auto packed =
      inside ? live::pack(rest) : std::vector<std::uint8_t>(rest.begin(), rest.end());
  if (data[0] & 1u) {
    tallies(packed);
  } else {
    hall_state(packed);
  }
  return 0;
}
