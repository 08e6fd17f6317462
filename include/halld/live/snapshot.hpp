// live/snapshot: the bytes of the real-time model's snapshots (docs/architecture.md, "Fast
// start"), so that a start restores each hall from its last snapshot and the events after it
// instead of replaying two days of the log. A hall's state — its model, its last hour of queue
// facts, the local day it is in and the horizon its tallies are whole from — is one blob; the
// tallies of one 15-minute bucket are another, so that a snapshot writes only what changed. Both
// are zlib-compressed and start with the format, and a blob of another format, damaged or cut
// reads as nothing (the hall is then rebuilt from the log). Pure: the engine takes and restores
// snapshots, store/model_store keeps them.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "halld/kpi/tally.hpp"
#include "halld/live/prediction.hpp"
#include "halld/model/hall_model.hpp"

namespace halld::live {

// Rises whenever what a blob holds, or how, changes: a snapshot of another format is not used.
inline constexpr std::uint32_t snapshot_format = 1;

struct HallState {
  model::HallModel model;
  RecentFacts recent;
  Timestamp horizon{};          // the hall's tallies are whole from here on
  std::chrono::sys_days day{};  // the local day the model is in
};

// Uncompressed: the engine encodes on its strand, and pack() compresses outside it.
std::vector<std::uint8_t> encode_hall_state(const model::HallModel& model,
                                            const RecentFacts& recent, Timestamp horizon,
                                            std::chrono::sys_days day);
std::vector<std::uint8_t> encode_tallies(const kpi::Tallies& tallies);
std::vector<std::uint8_t> pack(std::span<const std::uint8_t> encoded);

std::optional<HallState> unpack_hall_state(int hall_id, std::span<const std::uint8_t> packed);
// Adds the tallies of the blob to `into`; false (and nothing added) when it is not one whole.
bool unpack_tallies(std::span<const std::uint8_t> packed, kpi::Tallies& into);

}  // namespace halld::live
