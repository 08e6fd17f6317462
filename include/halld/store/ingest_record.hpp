// store/ingest_record: one event on its way into the event log, as ingest hands it over, and
// the rule that tells a new event from a resend (docs/protocols/framing.md, "Sequence numbers").
// A plain header of its own so that code without a database (the spool codec, its fuzzer, the
// real-time model) can use both.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <set>
#include <span>

#include "halld/records/events.hpp"

namespace halld::store {

struct IngestRecord {
  int source_id = 0;
  std::uint32_t sequence = 0;
  int hall_id = 0;  // 0: not known yet (a terminal missing from the archives)
  records::Event event;
  std::chrono::system_clock::time_point received_at;
  // The sequence epoch the device declared in its login (version 2); nullopt: none declared.
  std::optional<std::uint32_t> epoch;
  // The device's time (event.at) lies outside the bounds the channel allows around halld's
  // clock: stored under the reception time, with the device's time beside it, and kept out of
  // every KPI.
  bool clock_skewed = false;
};

// How far below a source's highest stored sequence a frame may be and still be a resend: the
// most frames a device may have sent and not had acknowledged. Further below, the device has
// restarted its counter.
inline constexpr std::uint32_t resend_window = 10'000;

// Where a source's numbering stands: its epoch (when it declares one) and the highest
// sequence stored in it, 0 before the first.
struct SequenceMark {
  std::optional<std::uint32_t> epoch;
  std::uint32_t last = 0;
  bool operator==(const SequenceMark&) const = default;
};

enum class Arrival : std::uint8_t {
  fresh,    // after the mark (wrapping at 2³²): stored
  resend,   // at or just below the mark: already stored, acknowledged again
  restart,  // a new epoch, or far below the mark: the device counts afresh; stored
};

// Judges a data frame's sequence against the mark and moves the mark past it when it is new.
// Sequence numbers are serial (RFC 1982): a frame up to 2³¹−1 ahead of the mark is new, so
// the counter wraps from 4294967295 to 1 without a restart.
inline Arrival arrive(SequenceMark& mark, std::optional<std::uint32_t> epoch,
                      std::uint32_t sequence) {
  if (epoch && mark.epoch && *epoch != *mark.epoch) {
    mark = {epoch, sequence};
    return Arrival::restart;
  }
  if (epoch) mark.epoch = epoch;
  const std::uint32_t ahead = sequence - mark.last;
  if (mark.last == 0 || (ahead != 0 && ahead < 0x8000'0000u)) {
    mark.last = sequence;
    return Arrival::fresh;
  }
  if (mark.last - sequence <= resend_window) return Arrival::resend;
  mark.last = sequence;
  return Arrival::restart;
}

// Thread-safe: the earliest reception time among batches of records on their way somewhere (in
// ingest's queue, posted to the model's strand) — from where a snapshot of the model must read
// the log again to find what it does not hold.
class ReceptionsInFlight {
 public:
  using Time = std::chrono::system_clock::time_point;
  // Notes a batch (not empty); returns what forget() takes once it has arrived.
  Time note(std::span<const IngestRecord> batch) {
    const auto earliest =
        std::min_element(batch.begin(), batch.end(), [](const auto& a, const auto& b) {
          return a.received_at < b.received_at;
        })->received_at;
    std::lock_guard lock(mutex_);
    times_.insert(earliest);
    return earliest;
  }
  void forget(Time noted) {
    std::lock_guard lock(mutex_);
    times_.erase(times_.find(noted));
  }
  std::optional<Time> earliest() const {
    std::lock_guard lock(mutex_);
    if (times_.empty()) return std::nullopt;
    return *times_.begin();
  }

 private:
  mutable std::mutex mutex_;
  std::multiset<Time> times_;
};

}  // namespace halld::store
