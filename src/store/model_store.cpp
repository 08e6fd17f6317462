#include "halld/store/model_store.hpp"

#include "halld/core/bytes.hpp"

namespace halld::store {

namespace {

std::int64_t micros(WallTime t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}
WallTime wall_time(std::int64_t us) {
  return WallTime(std::chrono::microseconds(us));
}
std::int64_t seconds(records::Timestamp t) {
  return t.time_since_epoch().count();
}

const std::vector<Statement> statements = {
    {"model_snapshot_write",
     "INSERT INTO model_snapshot (single, format, taken_at, replay_from, sources) VALUES (true, "
     "$1, "
     "timestamptz 'epoch' + $2::bigint * interval '1 microsecond', timestamptz 'epoch' + "
     "$3::bigint * interval '1 microsecond', $4) ON CONFLICT (single) DO UPDATE SET format = "
     "EXCLUDED.format, taken_at = EXCLUDED.taken_at, replay_from = EXCLUDED.replay_from, sources = "
     "EXCLUDED.sources"},
    {"model_hall_state_write",
     "INSERT INTO model_hall_state (hall_id, horizon, state) VALUES ($1, to_timestamp($2), $3) ON "
     "CONFLICT (hall_id) DO UPDATE SET horizon = EXCLUDED.horizon, state = EXCLUDED.state"},
    {"model_hall_buckets_clear", "DELETE FROM model_hall_bucket WHERE hall_id = $1"},
    {"model_hall_drop", "DELETE FROM model_hall_state WHERE hall_id = $1"},
    {"model_hall_buckets_prune",
     "DELETE FROM model_hall_bucket WHERE hall_id = $1 AND bucket < to_timestamp($2)"},
    {"model_hall_bucket_write",
     "INSERT INTO model_hall_bucket (hall_id, bucket, tallies) VALUES ($1, to_timestamp($2), $3) "
     "ON CONFLICT (hall_id, bucket) DO UPDATE SET tallies = EXCLUDED.tallies"},
    {"model_sources_received",
     "SELECT id, (extract(epoch FROM last_received_at) * 1000000)::bigint FROM acquisition_source "
     "WHERE last_received_at IS NOT NULL"},
    {"model_snapshot_read",
     "SELECT format, (extract(epoch FROM taken_at) * 1000000)::bigint, (extract(epoch FROM "
     "replay_from) * 1000000)::bigint, sources FROM model_snapshot"},
    {"model_hall_states_read",
     "SELECT hall_id, extract(epoch FROM horizon)::bigint, state FROM model_hall_state"},
    {"model_hall_buckets_read",
     "SELECT b.hall_id, extract(epoch FROM b.bucket)::bigint, b.tallies FROM model_hall_bucket b "
     "JOIN model_hall_state s ON s.hall_id = b.hall_id AND b.bucket >= s.horizon"},
};

std::vector<std::uint8_t> bytes_of(const pqxx::field& field) {
  const pqxx::binarystring b(field);
  return std::vector<std::uint8_t>(b.data(), b.data() + b.size());
}

}  // namespace

std::vector<Statement> model_statements() {
  return statements;
}

void write_model_snapshot(pqxx::transaction_base& tx, const ModelSnapshot& snapshot) {
  ByteWriter sources;
  sources.unsigned_(snapshot.sources.size());
  int last_source = 0;
  for (const auto& [source, received] : snapshot.sources) {
    sources.unsigned_(static_cast<std::uint64_t>(source - last_source));  // ascending ids
    sources.signed_(micros(received));
    last_source = source;
  }
  const auto source_bytes = sources.take();
  tx.exec_prepared("model_snapshot_write", static_cast<std::int64_t>(snapshot.format),
                   micros(snapshot.taken_at), micros(snapshot.replay_from),
                   pqxx::binarystring(source_bytes.data(), source_bytes.size()));
  for (int hall_id : snapshot.dropped) {
    tx.exec_prepared("model_hall_drop", hall_id);
    tx.exec_prepared("model_hall_buckets_clear", hall_id);
  }
  for (const auto& h : snapshot.halls) {
    tx.exec_prepared("model_hall_state_write", h.hall_id, seconds(h.horizon),
                     pqxx::binarystring(h.state.data(), h.state.size()));
    if (h.whole) {
      tx.exec_prepared("model_hall_buckets_clear", h.hall_id);
    } else {
      tx.exec_prepared("model_hall_buckets_prune", h.hall_id, seconds(h.horizon));
    }
    for (const auto& [bucket, tallies] : h.buckets) {
      tx.exec_prepared("model_hall_bucket_write", h.hall_id, seconds(bucket),
                       pqxx::binarystring(tallies.data(), tallies.size()));
    }
  }
}

std::map<int, WallTime> sources_received(pqxx::transaction_base& tx) {
  std::map<int, WallTime> sources;
  for (const auto& row : tx.exec_prepared("model_sources_received"))
    sources[row[0].as<int>()] = wall_time(row[1].as<std::int64_t>());
  return sources;
}

std::optional<ModelSnapshot> load_model_snapshot(pqxx::transaction_base& tx) {
  const auto head = tx.exec_prepared("model_snapshot_read");
  if (head.empty()) return std::nullopt;
  ModelSnapshot snapshot;
  snapshot.format = head[0][0].as<std::uint32_t>();
  snapshot.taken_at = wall_time(head[0][1].as<std::int64_t>());
  snapshot.replay_from = wall_time(head[0][2].as<std::int64_t>());
  const auto source_bytes = bytes_of(head[0][3]);
  ByteReader sources(source_bytes);
  int source = 0;
  for (auto n = sources.count(2); n > 0 && !sources.failed(); --n) {
    source += static_cast<int>(sources.unsigned_());
    snapshot.sources[source] =
        wall_time(sources.signed_within(0, ByteReader::max_epoch_seconds * 1'000'000));
  }
  if (!sources.complete()) throw std::runtime_error("model_snapshot: its sources are damaged");
  std::map<int, SnapshotHall> halls;
  for (const auto& row : tx.exec_prepared("model_hall_states_read")) {
    auto& h = halls[row[0].as<int>()];
    h.hall_id = row[0].as<int>();
    h.horizon = records::Timestamp(std::chrono::seconds(row[1].as<std::int64_t>()));
    h.state = bytes_of(row[2]);
  }
  for (const auto& row : tx.exec_prepared("model_hall_buckets_read")) {
    halls[row[0].as<int>()].buckets.emplace(
        records::Timestamp(std::chrono::seconds(row[1].as<std::int64_t>())), bytes_of(row[2]));
  }
  for (auto& [id, h] : halls) snapshot.halls.push_back(std::move(h));
  return snapshot;
}

}  // namespace halld::store
