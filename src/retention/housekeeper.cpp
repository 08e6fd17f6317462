#include "halld/retention/housekeeper.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>
#include <zlib.h>

#include <map>
#include <pqxx/tablewriter>

#include "halld/records/event_json.hpp"

namespace halld::retention {
namespace {

constexpr const char* archive_magic = "# halld-archive 1";
constexpr long long delete_batch = 5000;
constexpr const char* partitioned_tables[] = {"hall_event", "kpi_rollup", "facility_reading"};

std::vector<Partition> monthly_partitions(pqxx::transaction_base& tx) {
  std::vector<Partition> found;
  for (const auto& row :
       tx.exec("SELECT p.relname, c.relname, greatest(c.reltuples, 0) FROM pg_inherits i JOIN "
               "pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent WHERE "
               "p.relname IN ('hall_event', 'kpi_rollup', 'facility_reading') AND p.relnamespace = "
               "c.relnamespace AND pg_table_is_visible(c.oid) ORDER BY 2")) {
    if (auto p = monthly_partition(row[0].c_str(), row[1].c_str())) {
      p->estimated_rows = row[2].as<double>();
      found.push_back(std::move(*p));
    }
  }
  return found;
}

PartitionFacts partition_facts(pqxx::transaction_base& tx) {
  PartitionFacts facts;
  for (const auto& row : tx.exec("SELECT DISTINCT day - date '1970-01-01' FROM kpi_stale_day"))
    facts.stale_days.insert(std::chrono::sys_days(std::chrono::days(row[0].as<int>())));
  for (const auto& row : tx.exec(
           "SELECT DISTINCT ON (relation) relation, extract(epoch FROM at)::bigint, action FROM "
           "retention_log WHERE action IN ('loaded', 'dropped') ORDER BY relation, id DESC")) {
    if (std::string_view(row[2].c_str()) == "loaded")
      facts.loaded.emplace_back(row[0].c_str(),
                                Timestamp(std::chrono::seconds(row[1].as<long long>())));
  }
  return facts;
}

std::vector<std::string> columns_of(pqxx::transaction_base& tx, const std::string& table) {
  std::vector<std::string> columns;
  for (const auto& row : tx.exec_params(
           "SELECT attname FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT "
           "attisdropped ORDER BY attnum",
           table))
    columns.push_back(row[0].c_str());
  return columns;
}

// Writes to `path` whole or not at all: a .partial file, flushed to disk, then renamed.
class GzipFile {
 public:
  explicit GzipFile(std::filesystem::path path) : path_(std::move(path)) {
    partial_ = path_;
    partial_ += ".partial";
    fd_ = ::open(partial_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd_ < 0) throw std::runtime_error(fmt::format("{}: cannot create", partial_.string()));
    file_ = gzdopen(::dup(fd_), "wb6");
    if (!file_) throw std::runtime_error(fmt::format("{}: cannot compress", partial_.string()));
  }
  ~GzipFile() {
    if (file_) gzclose(file_);
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) std::filesystem::remove(partial_);
  }
  void line(std::string_view text) {
    write(text);
    write("\n");
  }
  long long commit() {
    const int closed = gzclose(file_);
    file_ = nullptr;
    if (closed != Z_OK || ::fsync(fd_) != 0)
      throw std::runtime_error(fmt::format("{}: cannot write", partial_.string()));
    const auto bytes = static_cast<long long>(std::filesystem::file_size(partial_));
    std::filesystem::rename(partial_, path_);
    committed_ = true;
    const int dir = ::open(path_.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
      ::fsync(dir);
      ::close(dir);
    }
    return bytes;
  }

 private:
  void write(std::string_view text) {
    if (!text.empty() &&
        gzwrite(file_, text.data(), static_cast<unsigned>(text.size())) != int(text.size()))
      throw std::runtime_error(fmt::format("{}: cannot write", partial_.string()));
  }
  std::filesystem::path path_, partial_;
  int fd_ = -1;
  gzFile file_ = nullptr;
  bool committed_ = false;
};

// Reads a gzip file line by line (a COPY text line never holds a raw newline).
class GzipLines {
 public:
  explicit GzipLines(const std::filesystem::path& path) : file_(gzopen(path.c_str(), "rb")) {
    if (!file_) throw std::runtime_error(fmt::format("{}: cannot open", path.string()));
  }
  ~GzipLines() { gzclose(file_); }
  bool next(std::string& line) {
    for (;;) {
      if (const auto end = buffer_.find('\n', start_); end != std::string::npos) {
        line.assign(buffer_, start_, end - start_);
        start_ = end + 1;
        return true;
      }
      buffer_.erase(0, start_);
      start_ = 0;
      char chunk[1 << 16];
      const int n = gzread(file_, chunk, sizeof chunk);
      if (n < 0) throw std::runtime_error("the archive is damaged (gzip)");
      if (n == 0) {
        if (!buffer_.empty()) throw std::runtime_error("the archive ends inside a line");
        return false;
      }
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }

 private:
  gzFile file_;
  std::string buffer_;
  std::size_t start_ = 0;
};

std::string header_of(const Partition& p) {
  return fmt::format("{} {} {} {}", archive_magic, p.parent, records::iso8601(p.from),
                     records::iso8601(p.to));
}

Removal archive(pqxx::connection& connection, const Partition& p,
                const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  Removal done{"archived", p.name, "", 0, (dir / (p.name + ".tsv.gz")).string(), 0};
  GzipFile file(done.file);
  store::ReadTransaction tx(connection);
  const auto columns = columns_of(tx, p.name);
  file.line(header_of(p));
  file.line(fmt::format("{}", fmt::join(columns, "\t")));
  pqxx::stream_from stream(tx, p.name, columns);
  for (std::string line; stream.get_raw_line(line);) {
    if (!line.empty() && line.back() == '\n') line.pop_back();
    file.line(line);
    ++done.rows;
  }
  stream.complete();
  tx.commit();
  done.bytes = file.commit();
  return done;
}

void record(pqxx::work& tx, Timestamp now, const Removal& r, const Partition* p) {
  tx.exec_params(
      "INSERT INTO retention_log (at, action, relation, range_from, range_to, rows, file, bytes) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
      records::iso8601(now), r.action, r.relation,
      p ? std::optional(records::iso8601(p->from)) : std::nullopt,
      p ? std::optional(records::iso8601(p->to)) : std::nullopt, r.rows,
      r.file.empty() ? std::nullopt : std::optional(r.file),
      r.file.empty() ? std::nullopt : std::optional(r.bytes));
}

}  // namespace

Report housekeep(pqxx::connection& connection, const RetentionConfig& retention, Timestamp now,
                 bool dry_run) {
  Report report;
  report.dry_run = dry_run;
  std::vector<PartitionPlan> plans;
  {
    store::ReadTransaction tx(connection);
    plans = plan_partitions(monthly_partitions(tx), partition_facts(tx), now, retention);
  }
  for (const auto& plan : plans) {
    const auto& p = plan.partition;
    if (plan.verdict == Verdict::keep) continue;
    if (plan.verdict == Verdict::hold) {
      report.removals.push_back({"held", p.name, plan.reason, 0, "", 0});
      continue;
    }
    Removal dropped{"dropped", p.name, plan.reason, static_cast<long long>(p.estimated_rows),
                    "",        0};
    if (dry_run) {
      report.removals.push_back(std::move(dropped));
      continue;
    }
    std::optional<Removal> archived;
    if (!retention.archive_dir.empty()) {
      archived = archive(connection, p, retention.archive_dir);
      dropped.rows = archived->rows;
    }
    pqxx::work tx(connection);
    if (archived) record(tx, now, *archived, &p);
    tx.exec("DROP TABLE " + tx.quote_name(p.name));
    record(tx, now, dropped, &p);
    tx.commit();
    if (archived) report.removals.push_back(std::move(*archived));
    report.removals.push_back(std::move(dropped));
  }
  for (const auto& rule : row_rules(retention)) {
    const auto cutoff = records::iso8601(now - std::chrono::days(rule.days));
    Removal deleted{
        "deleted", rule.table, fmt::format("older than {} days (before {})", rule.days, cutoff),
        0,         "",         0};
    if (dry_run) {
      store::ReadTransaction tx(connection);
      deleted.rows = tx.exec_params(fmt::format("SELECT count(*) FROM {} WHERE {}", rule.table,
                                                rule.condition),
                                    cutoff)[0][0]
                         .as<long long>();
    } else {
      // Batches, each its own transaction: never one long lock on a table the daemon writes.
      for (;;) {
        pqxx::work tx(connection);
        const auto affected =
            tx.exec_params(fmt::format("DELETE FROM {0} WHERE ctid IN (SELECT ctid FROM {0} WHERE "
                                       "{1} LIMIT {2})",
                                       rule.table, rule.condition, delete_batch),
                           cutoff)
                .affected_rows();
        deleted.rows += static_cast<long long>(affected);
        if (affected < delete_batch) {
          if (deleted.rows > 0) record(tx, now, deleted, nullptr);
          tx.commit();
          break;
        }
        tx.commit();
      }
    }
    if (deleted.rows > 0) report.removals.push_back(std::move(deleted));
  }
  return report;
}

std::string describe(const Report& report) {
  if (report.removals.empty()) return "nothing is due";
  std::string text;
  for (const auto& r : report.removals) {
    const auto verb = !report.dry_run         ? r.action
                      : r.action == "dropped" ? std::string("would drop")
                      : r.action == "deleted" ? std::string("would delete")
                                              : r.action;
    text += fmt::format("{} {}", verb, r.relation);
    if (r.action == "deleted" || r.action == "archived") text += fmt::format(": {} rows", r.rows);
    if (r.action == "dropped") text += fmt::format(" (≈{} rows)", r.rows);
    if (!r.file.empty()) text += fmt::format(" to {} ({} bytes)", r.file, r.bytes);
    if (!r.reason.empty()) text += fmt::format(" — {}", r.reason);
    text += '\n';
  }
  return text;
}

Loaded load_archive(pqxx::connection& connection, const std::filesystem::path& file,
                    Timestamp now) {
  GzipLines lines(file);
  std::string header, column_line;
  if (!lines.next(header) || !header.starts_with(archive_magic))
    throw std::runtime_error(fmt::format("{}: not a halld archive", file.string()));
  std::istringstream fields(header.substr(std::strlen(archive_magic)));
  std::string parent, from_text, to_text;
  fields >> parent >> from_text >> to_text;
  if (std::find(std::begin(partitioned_tables), std::end(partitioned_tables), parent) ==
      std::end(partitioned_tables))
    throw std::runtime_error(
        fmt::format("{}: archive of an unknown table '{}'", file.string(), parent));
  const auto from = records::parse_instant(from_text, {});
  if (!from) throw std::runtime_error(fmt::format("{}: a damaged header", file.string()));
  if (!lines.next(column_line))
    throw std::runtime_error(fmt::format("{}: no column line", file.string()));
  std::vector<std::string> columns;
  for (std::size_t start = 0;;) {
    const auto tab = column_line.find('\t', start);
    columns.push_back(column_line.substr(start, tab - start));
    if (tab == std::string::npos) break;
    start = tab + 1;
  }
  pqxx::work tx(connection);
  const auto known = columns_of(tx, parent);
  for (const auto& c : columns) {
    if (std::find(known.begin(), known.end(), c) == known.end())
      throw std::runtime_error(
          fmt::format("{}: column '{}' is not {}'s", file.string(), c, parent));
  }
  Loaded loaded;
  loaded.partition = tx.exec_params("SELECT halld_month_partition($1, $2::timestamptz)", parent,
                                    records::iso8601(from->at))[0][0]
                         .as<std::string>();
  if (!tx.exec("SELECT 1 FROM " + tx.quote_name(loaded.partition) + " LIMIT 1").empty())
    throw std::runtime_error(fmt::format(
        "{} holds rows already: an archive is loaded into an empty month only", loaded.partition));
  {
    // The archive's lines are COPY's own text: they go back as they are. libpqxx 6.4 writes a
    // raw COPY line only through tablewriter (stream_to keeps it private), deprecated there.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    pqxx::tablewriter writer(tx, parent, columns.begin(), columns.end());
#pragma GCC diagnostic pop
    for (std::string line; lines.next(line); ++loaded.rows) writer.write_raw_line(line);
    writer.complete();
  }
  const auto p = monthly_partition(parent, loaded.partition);
  record(tx, now, {"loaded", loaded.partition, "", loaded.rows, file.string(), 0}, &*p);
  tx.commit();
  return loaded;
}

Housekeeper::Housekeeper(asio::any_io_executor executor, store::Database& database,
                         MetricsRegistry& metrics, RetentionConfig retention, const Clock& clock)
    : strand_(asio::make_strand(executor)),
      database_(database),
      metrics_(metrics),
      retention_(std::move(retention)),
      clock_(clock),
      loops_(strand_, "housekeeping"),
      timer_(strand_, clock),
      runs_(metrics.counter("halld_retention_runs_total", "Housekeeping runs completed.")),
      failures_(metrics.counter("halld_retention_failures_total",
                                "Housekeeping runs that failed (each logged; retried next run).")),
      last_run_(metrics.gauge("halld_retention_last_run_timestamp_seconds",
                              "When the last housekeeping run completed (unix time).")),
      held_(metrics.gauge("halld_retention_held_partitions",
                          "Partitions old enough to go but held (rollups not final, or loaded "
                          "back from an archive).")) {
  for (const auto* table : partitioned_tables)
    metrics.counter("halld_retention_dropped_partitions_total",
                    "Monthly partitions dropped by retention.", {{"table", table}});
  for (const auto& rule : row_rules(retention_))
    metrics.counter("halld_retention_deleted_rows_total",
                    "Rows deleted by retention from the small tables.", {{"table", rule.table}});
}

void Housekeeper::start() {
  loops_.spawn("housekeeping", loop());
}

void Housekeeper::stop(std::function<void()> done) {
  asio::post(strand_, [this, done = std::move(done)]() mutable {
    loops_.stop(std::move(done));
    timer_.cancel();
  });
}

void Housekeeper::update(RetentionConfig retention) {
  asio::post(strand_, [this, retention = std::move(retention)]() mutable {
    retention_ = std::move(retention);
  });
}

asio::awaitable<void> Housekeeper::loop() {
  // The first run waits a minute: a start is busy enough rebuilding the model.
  auto pause = std::min<Clock::Duration>(retention_.interval, std::chrono::minutes(1));
  for (;;) {
    auto waiting = timer_.wait(pause);
    if (!co_await std::move(waiting) || loops_.stopping()) co_return;
    pause = retention_.interval;
    try {
      auto running =
          database_.run([retention = retention_, now = clock_.now_seconds()](pqxx::connection& c) {
            return housekeep(c, retention, now, false);
          });
      const auto report = co_await std::move(running);
      count(report);
      if (!report.removals.empty()) spdlog::info("housekeeping:\n{}", describe(report));
    } catch (const std::exception& e) {
      failures_.inc();
      spdlog::error("housekeeping failed (retried in {} s): {}", retention_.interval.count(),
                    e.what());
    }
  }
}

void Housekeeper::count(const Report& report) {
  runs_.inc();
  last_run_.set(static_cast<double>(clock_.now_seconds().time_since_epoch().count()));
  int held = 0;
  for (const auto& r : report.removals) {
    if (r.action == "held") ++held;
    if (r.action == "dropped") {
      const auto parent = r.relation.substr(0, r.relation.size() - 8);
      metrics_
          .counter("halld_retention_dropped_partitions_total",
                   "Monthly partitions dropped by retention.", {{"table", parent}})
          .inc();
    }
    if (r.action == "deleted") {
      metrics_
          .counter("halld_retention_deleted_rows_total",
                   "Rows deleted by retention from the small tables.", {{"table", r.relation}})
          .inc(static_cast<std::uint64_t>(r.rows));
    }
  }
  held_.set(held);
}

}  // namespace halld::retention
