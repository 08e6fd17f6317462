// retention/housekeeper: the housekeeping job — what retention/plan says may go is removed:
// old monthly partitions of the big tables dropped whole (archived first to gzip files when an
// archive directory is configured), rows of the small tables past their age deleted in batches.
// Every removal is logged, counted in metrics and recorded in retention_log; a dry run says
// what would go and changes nothing. An archived partition can be loaded back.
// Owns: retention_log, the archive files. Must not touch: what the other writers write
// (a partition is only ever dropped whole, never edited).
#pragma once

#include <filesystem>
#include <pqxx/pqxx>

#include "halld/core/clock.hpp"
#include "halld/core/config.hpp"
#include "halld/core/metrics.hpp"
#include "halld/core/service.hpp"
#include "halld/retention/plan.hpp"
#include "halld/store/database.hpp"

namespace halld::retention {

// One thing housekeeping did or, in a dry run, would do.
struct Removal {
  std::string action;    // "dropped", "held", "deleted", "archived"
  std::string relation;  // the partition or the table
  std::string reason;
  long long rows = 0;  // exact for deletions and archives, estimated for a bare drop
  std::string file;    // the archive written
  long long bytes = 0;
};
struct Report {
  std::vector<Removal> removals;
  bool dry_run = false;
};

// One housekeeping run on `now` (the caller's clock). Throws on a database or file error; what
// was done before it stays done and recorded.
Report housekeep(pqxx::connection& connection, const RetentionConfig& retention, Timestamp now,
                 bool dry_run);
std::string describe(const Report& report);  // one line per removal, for the log and the CLI

// Loads an archive written by housekeeping back into its (re-made) partition, which must be
// missing or empty; returns the partition's name and the rows loaded. Throws
// std::runtime_error with the reason when the file is not one of halld's archives.
struct Loaded {
  std::string partition;
  long long rows = 0;
};
Loaded load_archive(pqxx::connection& connection, const std::filesystem::path& file, Timestamp now);

class Housekeeper final : public Service {
 public:
  Housekeeper(asio::any_io_executor executor, store::Database& database, MetricsRegistry& metrics,
              RetentionConfig retention, const Clock& clock);
  std::string_view name() const override { return "housekeeping"; }
  void start() override;
  void stop(std::function<void()> done) override;
  // A reloaded configuration's retention, used from the next run. Thread-safe.
  void update(RetentionConfig retention);

 private:
  asio::awaitable<void> loop();
  void count(const Report& report);

  asio::strand<asio::any_io_executor> strand_;
  store::Database& database_;
  MetricsRegistry& metrics_;
  RetentionConfig retention_;
  const Clock& clock_;
  Loops loops_;
  Timer timer_;
  Counter& runs_;
  Counter& failures_;
  Gauge& last_run_;
  Gauge& held_;
};

}  // namespace halld::retention
