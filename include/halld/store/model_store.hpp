// store/model_store: the real-time model's snapshots in PostgreSQL (sql/0023_model_snapshot.sql)
// and the events a snapshot does not hold. Owns: the snapshot row (when, from which reception
// time the log must be read again, and each source's last event in it), each hall's state blob
// and its buckets' tally blobs, replaced as the engine writes them (the events after a snapshot:
// store/event_store). The blobs are opaque here
// (live/snapshot reads them). Runs inside Database jobs only.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <pqxx/pqxx>
#include <vector>

#include "halld/records/events.hpp"
#include "halld/store/database.hpp"

namespace halld::store {

std::vector<Statement> model_statements();

using WallTime = std::chrono::system_clock::time_point;

struct SnapshotHall {
  int hall_id = 0;
  records::Timestamp horizon{};  // its buckets before this are no longer part of it
  std::vector<std::uint8_t> state;
  bool whole = false;  // the buckets below are all it has (its earlier ones go)
  std::map<records::Timestamp, std::vector<std::uint8_t>> buckets;
};

struct ModelSnapshot {
  std::uint32_t format = 0;
  WallTime taken_at{};
  // Every event the snapshot does not hold was received at or after this.
  WallTime replay_from{};
  // Per source, when its last event the snapshot holds was received: each source's events are
  // received in the order the engine applies them, so later ones are exactly those not held.
  std::map<int, WallTime> sources;
  std::vector<SnapshotHall> halls;  // written: those changed since the last snapshot
  std::vector<int> dropped;         // halls no longer in it (a start loads them from the log)
};

// Replaces the snapshot row and the halls' rows given, inside the caller's transaction.
void write_model_snapshot(pqxx::transaction_base& tx, const ModelSnapshot& snapshot);

// When each source's latest stored event was received (acquisition_source.last_received_at).
std::map<int, WallTime> sources_received(pqxx::transaction_base& tx);

// The stored snapshot with every hall's state and buckets; nullopt when there is none.
std::optional<ModelSnapshot> load_model_snapshot(pqxx::transaction_base& tx);

}  // namespace halld::store
