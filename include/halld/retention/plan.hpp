// retention/plan: what housekeeping removes, decided from what exists and the clock alone, so
// that every rule is tested on a simulated calendar. The big tables (hall_event, kpi_rollup,
// facility_reading) lose whole monthly partitions; the small ones lose rows past their age.
// Owns: the retention rules. Must not touch: the database (retention/housekeeper does).
#pragma once

#include <chrono>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "halld/core/config.hpp"
#include "halld/records/events.hpp"

namespace halld::retention {

using records::Timestamp;

// A monthly partition as halld names them: <parent>_<YYYY>m<MM>, the UTC month it holds.
struct Partition {
  std::string parent;
  std::string name;
  Timestamp from, to;
  double estimated_rows = 0;
};
// The partition of that name, when it is one of halld's monthly partitions of `parent`.
std::optional<Partition> monthly_partition(std::string_view parent, std::string_view name);

// The first instant of the UTC month `months` before the month of `now`.
Timestamp months_back(Timestamp now, int months);

enum class Verdict { keep, drop, hold };
struct PartitionPlan {
  Partition partition;
  Verdict verdict = Verdict::keep;
  std::string reason;  // for the log and the dry run
};

// What the partitions' fates are on `now`. A raw-event month is held (not dropped though old
// enough) while any hall-day in it, or a day beside it, waits to be recomputed
// (`stale_days`): its rollups are not final yet. A month loaded back from its archive is held
// for a week after `loaded_at` so that it can be recomputed.
struct PartitionFacts {
  std::set<std::chrono::sys_days> stale_days;
  std::vector<std::pair<std::string, Timestamp>> loaded;  // partition, when loaded back
};
std::vector<PartitionPlan> plan_partitions(std::span<const Partition> partitions,
                                           const PartitionFacts& facts, Timestamp now,
                                           const RetentionConfig& retention);

// The small tables, whose rows past their age are deleted in batches.
struct RowRule {
  std::string table;
  std::size_t days;
  std::string condition;  // SQL over the table's row, $1 the cutoff: what may go
};
std::vector<RowRule> row_rules(const RetentionConfig& retention);

}  // namespace halld::retention
