#include "halld/store/database.hpp"

#include <spdlog/spdlog.h>

#include <chrono>

namespace halld::store {

Database::Database(std::string conninfo, std::size_t threads, std::vector<Statement> statements,
                   MetricsRegistry& metrics)
    : conninfo_(std::move(conninfo)),
      statements_(std::move(statements)),
      jobs_(metrics.counter("halld_db_jobs_total", "Database jobs run by the pool.")),
      failures_(
          metrics.counter("halld_db_job_failures_total", "Database jobs that ended in an error.")),
      reconnects_(metrics.counter("halld_db_connects_total", "Connections opened by the pool.")),
      busy_(metrics.gauge("halld_db_pool_busy", "Pool connections running a job now.")),
      job_seconds_(metrics.histogram("halld_db_job_duration_seconds", "Time a database job took.",
                                     {0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5})) {
  metrics.gauge_callback("halld_db_pool_size", "Connections (worker threads) in the pool.",
                         [n = threads] { return static_cast<double>(n); });
  metrics.gauge_callback("halld_db_queue_depth", "Database jobs waiting for a connection.",
                         [this] { return static_cast<double>(queued()); });
  for (std::size_t i = 0; i < threads; ++i) workers_.emplace_back([this] { worker_loop(); });
}

Database::~Database() {
  stop();
}

void Database::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& worker : workers_) {
    if (worker.joinable()) worker.join();
  }
}

std::size_t Database::queued() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

void Database::enqueue(Task task) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) throw std::logic_error("database pool is stopped");
    queue_.push_back(std::move(task));
  }
  wake_.notify_one();
}

pqxx::connection& Database::connection(std::optional<pqxx::connection>& slot) {
  if (!slot) {
    slot.emplace(conninfo_);
    for (const auto& statement : statements_) slot->prepare(statement.name, statement.sql);
    reconnects_.inc();
  }
  return *slot;
}

void Database::worker_loop() {
  std::optional<pqxx::connection> slot;
  for (;;) {
    Task task;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) break;  // stopping, and everything queued is done
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    busy_.add(1);
    auto started = std::chrono::steady_clock::now();
    if (!task(slot)) failures_.inc();
    jobs_.inc();
    busy_.add(-1);
    job_seconds_.observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  }
  if (slot) slot->disconnect();
}

}  // namespace halld::store
