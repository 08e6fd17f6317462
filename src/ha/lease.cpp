#include "halld/ha/lease.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdlib>

namespace halld::ha {
namespace {

using Clock = std::chrono::steady_clock;

// The process ends here rather than act beside another active node.
[[noreturn]] void fence(const std::string& why) {
  spdlog::critical("ha: {}; stopping at once so that only one node acts (exit {})", why,
                   lease_lost_exit);
  spdlog::default_logger()->flush();
  std::_Exit(lease_lost_exit);
}

}  // namespace

nlohmann::json ha_status(pqxx::connection& connection) {
  pqxx::read_transaction tx(connection);
  nlohmann::json status;
  const auto lease = tx.exec1(
      "SELECT holder, term, extract(epoch FROM clock_timestamp() - renewed_at) FROM ha_lease");
  status["holder"] = lease[0].is_null() ? nlohmann::json() : nlohmann::json(lease[0].c_str());
  status["term"] = lease[1].as<long long>();
  status["renewed_s_ago"] =
      lease[2].is_null() ? nlohmann::json() : nlohmann::json(lease[2].as<double>());
  status["nodes"] = nlohmann::json::array();
  for (const auto& row :
       tx.exec("SELECT name, address, state, pid, version, started_at::text, extract(epoch FROM "
               "clock_timestamp() - heartbeat_at) FROM ha_node ORDER BY name")) {
    status["nodes"].push_back({{"name", row[0].c_str()},
                               {"address", row[1].c_str()},
                               {"state", row[2].c_str()},
                               {"pid", row[3].as<int>()},
                               {"version", row[4].c_str()},
                               {"started_at", row[5].c_str()},
                               {"heartbeat_s_ago", row[6].as<double>()}});
    if (status["holder"] == row[0].c_str()) status["active_address"] = row[1].c_str();
  }
  tx.commit();
  return status;
}

Lease::Lease(LeaseOptions options) : options_(std::move(options)) {}

Lease::~Lease() {
  stopping_ = true;
  if (watchdog_.joinable()) watchdog_.join();
  if (renewer_.joinable()) renewer_.join();
}

std::chrono::milliseconds Lease::beat() const {
  return std::max(std::chrono::milliseconds(100), options_.failover_delay / 5);
}

bool Lease::wait_until_active(const std::function<bool()>& stopping,
                              const std::function<void(const nlohmann::json&)>& standby_of) {
  std::string last_holder = "-";
  while (!stopping()) {
    try {
      if (!connection_) connection_ = std::make_unique<pqxx::connection>(options_.conninfo);
      pqxx::work tx(*connection_);
      tx.exec_params(
          "INSERT INTO ha_node (name, address, state, pid, version, started_at, heartbeat_at) "
          "VALUES ($1, $2, 'standby', $3, $4, clock_timestamp(), clock_timestamp()) ON CONFLICT "
          "(name) DO UPDATE SET address = $2, state = 'standby', pid = $3, version = $4, "
          "heartbeat_at = clock_timestamp(), started_at = CASE WHEN ha_node.pid = $3 THEN "
          "ha_node.started_at ELSE clock_timestamp() END",
          options_.node, options_.address, static_cast<int>(::getpid()), options_.version);
      // Free, ours from before a crash, or not renewed for the failover delay: taken.
      const auto taken = tx.exec_params(
          "UPDATE ha_lease SET holder = $1, term = term + 1, renewed_at = clock_timestamp() WHERE "
          "holder IS NULL OR holder = $1 OR renewed_at < clock_timestamp() - $2 * interval '1 "
          "millisecond' RETURNING term",
          options_.node, static_cast<long long>(options_.failover_delay.count()));
      if (!taken.empty()) {
        term_ = taken[0][0].as<long long>();
        tx.exec_params("UPDATE ha_node SET state = 'active' WHERE name = $1", options_.node);
        tx.commit();
        active_ = true;
        spdlog::info("ha: node {} is active (term {})", options_.node, term_.load());
        return true;
      }
      const auto holder = tx.exec(
          "SELECT l.holder, coalesce(n.address, '') FROM ha_lease l LEFT JOIN ha_node n ON "
          "n.name = l.holder");
      tx.commit();
      const std::string name = holder[0][0].is_null() ? "" : holder[0][0].c_str();
      if (name != last_holder) {
        spdlog::info("ha: node {} is standby; the active node is {} ({})", options_.node, name,
                     holder[0][1].c_str());
        last_holder = name;
      }
      standby_of({{"node", name}, {"address", holder[0][1].c_str()}});
    } catch (const std::exception& e) {
      connection_.reset();
      spdlog::warn("ha: node {} cannot reach the database as standby: {}", options_.node, e.what());
    }
    const auto until = Clock::now() + beat();
    while (!stopping() && Clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

void Lease::keep() {
  renewed_ = Clock::now().time_since_epoch().count();
  renewer_ = std::thread([this] { renew_loop(); });
  // Apart from the renewals, which may hang in a connection attempt or behind a lock: a standby
  // takes over once the lease is a whole delay old, so this node is gone by half of it.
  watchdog_ = std::thread([this] {
    while (!stopping_) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      const auto since = Clock::now() - Clock::time_point(Clock::duration(renewed_.load()));
      if (!stopping_ && since >= options_.failover_delay / 2)
        fence(fmt::format("the lease was not renewed for {} ms",
                          std::chrono::duration_cast<std::chrono::milliseconds>(since).count()));
    }
  });
}

void Lease::renew_loop() {
  while (!stopping_) {
    std::this_thread::sleep_for(beat());
    if (stopping_) break;
    try {
      if (!connection_) connection_ = std::make_unique<pqxx::connection>(options_.conninfo);
      pqxx::work tx(*connection_);
      const auto kept = tx.exec_params(
          "UPDATE ha_lease SET renewed_at = clock_timestamp() WHERE holder = $1 AND term = $2",
          options_.node, term_.load());
      if (kept.affected_rows() == 0) fence("the lease was taken by another node");
      tx.exec_params(
          "UPDATE ha_node SET heartbeat_at = clock_timestamp(), state = 'active' WHERE name = $1",
          options_.node);
      tx.commit();
      renewed_ = Clock::now().time_since_epoch().count();
    } catch (const pqxx::broken_connection& e) {
      connection_.reset();
      spdlog::warn("ha: the lease could not be renewed: {}", e.what());
    } catch (const pqxx::sql_error& e) {
      spdlog::warn("ha: the lease could not be renewed: {}", e.what());
    }
  }
}

void Lease::release() {
  stopping_ = true;
  if (watchdog_.joinable()) watchdog_.join();
  if (renewer_.joinable()) renewer_.join();
  if (!active_) return;
  try {
    if (!connection_) connection_ = std::make_unique<pqxx::connection>(options_.conninfo);
    pqxx::work tx(*connection_);
    tx.exec_params("UPDATE ha_lease SET holder = NULL WHERE holder = $1 AND term = $2",
                   options_.node, term_.load());
    tx.exec_params(
        "UPDATE ha_node SET state = 'stopped', heartbeat_at = clock_timestamp() WHERE "
        "name = $1",
        options_.node);
    tx.commit();
    active_ = false;
    spdlog::info("ha: node {} gave up the lease", options_.node);
  } catch (const std::exception& e) {
    spdlog::warn("ha: the lease could not be given up (a standby takes over after the delay): {}",
                 e.what());
  }
}

}  // namespace halld::ha
