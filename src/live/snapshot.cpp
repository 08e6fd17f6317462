#include "halld/live/snapshot.hpp"

#include <zlib.h>

namespace halld::live {

namespace {

// What a blob may unpack to: far above a hall's busiest day, far below what would hurt.
constexpr std::uint64_t max_unpacked = 64u << 20;

std::vector<std::uint8_t> with_format() {
  ByteWriter out;
  out.unsigned_(snapshot_format);
  return out.take();
}

// The blob's encoded bytes, or nullopt when it is not a whole blob of this format.
std::optional<std::vector<std::uint8_t>> unpack(std::span<const std::uint8_t> packed) {
  ByteReader header(packed);
  const auto size = header.unsigned_();
  if (header.failed() || size > max_unpacked) return std::nullopt;
  const std::size_t skip = header.position();
  std::vector<std::uint8_t> out(static_cast<std::size_t>(size));
  uLongf length = static_cast<uLongf>(size);
  if (uncompress(out.data(), &length, packed.data() + skip,
                 static_cast<uLong>(packed.size() - skip)) != Z_OK ||
      length != size) {
    return std::nullopt;
  }
  ByteReader format(out);
  if (format.unsigned_() != snapshot_format || format.failed()) return std::nullopt;
  out.erase(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(format.position()));
  return out;
}

}  // namespace

std::vector<std::uint8_t> encode_hall_state(const model::HallModel& model,
                                            const RecentFacts& recent, Timestamp horizon,
                                            std::chrono::sys_days day) {
  ByteWriter out;
  out.raw(with_format());
  out.signed_(horizon.time_since_epoch().count());
  out.signed_(day.time_since_epoch().count());
  model.save(out);
  recent.save(out);
  return out.take();
}

std::vector<std::uint8_t> encode_tallies(const kpi::Tallies& tallies) {
  ByteWriter out;
  out.raw(with_format());
  kpi::save_tallies(out, tallies);
  return out.take();
}

std::vector<std::uint8_t> pack(std::span<const std::uint8_t> encoded) {
  ByteWriter header;
  header.unsigned_(encoded.size());
  auto out = header.take();
  const std::size_t skip = out.size();
  uLongf length = compressBound(static_cast<uLong>(encoded.size()));
  out.resize(skip + length);
  if (compress2(out.data() + skip, &length, encoded.data(), static_cast<uLong>(encoded.size()),
                Z_BEST_SPEED) != Z_OK)
    throw std::runtime_error("snapshot: zlib could not compress a blob");
  out.resize(skip + length);
  return out;
}

std::optional<HallState> unpack_hall_state(int hall_id, std::span<const std::uint8_t> packed) {
  const auto bytes = unpack(packed);
  if (!bytes) return std::nullopt;
  ByteReader in(*bytes);
  const auto horizon = Timestamp(std::chrono::seconds(in.epoch_seconds()));
  const auto day = std::chrono::sys_days(
      std::chrono::days(in.signed_within(0, ByteReader::max_epoch_seconds / 86'400)));
  auto model = model::HallModel::load(hall_id, in);
  if (!model) return std::nullopt;
  HallState state{std::move(*model), {}, horizon, day};
  state.recent.load(in);
  if (!in.complete()) return std::nullopt;
  return state;
}

bool unpack_tallies(std::span<const std::uint8_t> packed, kpi::Tallies& into) {
  const auto bytes = unpack(packed);
  if (!bytes) return false;
  ByteReader in(*bytes);
  kpi::Tallies read;
  kpi::load_tallies(in, read);
  if (!in.complete()) return false;
  // A bucket's blob is read into halls' tallies that rarely hold its keys yet: its entries move
  // over whole, and only the keys held already are added up.
  into.merge(read);
  for (auto& [key, tally] : read) into[key] += tally;
  return true;
}

}  // namespace halld::live
