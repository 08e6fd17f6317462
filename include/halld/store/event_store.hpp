// store/event_store: the hall event log in PostgreSQL (sql/0003_event_log.sql). Owns: source
// registration, the batched COPY of events, duplicate suppression by (source, sequence) and
// the monthly partitions. Runs inside Database jobs only; knows nothing of links or sessions.
#pragma once

#include <chrono>
#include <optional>
#include <pqxx/pqxx>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "halld/records/events.hpp"
#include "halld/store/database.hpp"
#include "halld/store/ingest_record.hpp"

namespace halld::store {

std::vector<Statement> event_statements();

struct SourceRegistration {
  int source_id = 0;
  std::uint32_t last_sequence = 0;  // the highest sequence already stored
};

// The source of `address` on `channel`, created on first sight.
SourceRegistration register_source(pqxx::connection& connection, const std::string& channel,
                                   std::uint32_t address, std::optional<int> hall_id);

// A source whose numbering started afresh within a batch (store::arrive said restart).
struct SequenceRestart {
  int source_id = 0;
  std::uint32_t from = 0;  // the highest sequence stored before
  std::uint32_t to = 0;    // the first of the new numbering
  std::optional<std::uint32_t> old_epoch, new_epoch;
};

struct BatchOutcome {
  std::size_t stored = 0;
  std::size_t duplicates = 0;  // resends (store::arrive) of events stored before
  std::vector<SequenceRestart> restarts;
};

// Months for which a partition is known to exist, so that a batch asks the database only for
// new months. One per writer; the database stays the authority.
class PartitionCache {
 public:
  bool known(std::int64_t month) const { return months_.contains(month); }
  void add(std::int64_t month) { months_.insert(month); }

 private:
  std::set<std::int64_t> months_;
};

// Stores a batch in one transaction: locks the batch's sources, drops resends (store::arrive),
// creates any missing monthly partition, COPYs the rest and advances each source's mark. All or
// nothing: on an exception nothing of the batch is stored.
BatchOutcome write_events(pqxx::connection& connection, std::span<const IngestRecord> batch,
                          PartitionCache& partitions);

// Reading the log back, for the real-time model and KPI recomputation. Settlements are left
// out (till totals: records, not state). Events come in the order (occurred_at, source,
// sequence): each source's own order, sources interleaved by time.
// Both read inside the caller's transaction, so that several reads can share one snapshot.
std::vector<records::Event> read_hall_events(pqxx::transaction_base& tx, int hall_id,
                                             records::Timestamp from, records::Timestamp until);
// Why [from, until) cannot be read back whole: its month's events were dropped by retention
// (and not loaded back from their archive); nullopt when they are all there.
std::optional<std::string> events_removed(pqxx::transaction_base& tx, records::Timestamp from,
                                          records::Timestamp until);
// The last reported state of each window, terminal and terminal part of the hall in the
// `lookback` before `at`, oldest first: what a model starting at `at` must know.
std::vector<records::Event> read_states_before(pqxx::transaction_base& tx, int hall_id,
                                               records::Timestamp at, std::chrono::days lookback);

// An event of a hall as the log holds it, with where it came from.
struct LoggedEvent {
  int hall_id = 0;
  int source_id = 0;
  std::chrono::system_clock::time_point received_at{};
  records::Event event;
};
// The events of halls received at or after `from`, in the order they were received (each
// source's in its own order); settlements and events outside the clock bounds are left out, as
// the model leaves them out.
std::vector<LoggedEvent> read_events_received_since(pqxx::transaction_base& tx,
                                                    std::chrono::system_clock::time_point from);

}  // namespace halld::store
