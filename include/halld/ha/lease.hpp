// ha/lease: which of several halld nodes on one database is the active one — a lease row renewed
// on the database's clock, as Zabbix's HA nodes do. A standby takes the lease once it has not
// been renewed for the failover delay; the active renews it several times per delay on a thread
// and connection of its own (never queued behind the pool's work) and ends its process as soon
// as it cannot be sure it still holds it (half the delay without a renewal, or the lease found
// taken), so that two nodes never act at once.
// Owns: ha_lease, ha_node. Must not touch: anything an active node does (app decides that).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <string>
#include <thread>

namespace halld::ha {

// The exit code of a node that lost its lease (app's exit codes, docs/operations.md).
constexpr int lease_lost_exit = 5;

struct LeaseOptions {
  std::string conninfo;
  std::string node;     // this node's name, unique among the nodes
  std::string address;  // where clients reach it, shown to them while it is active
  std::chrono::milliseconds failover_delay{10'000};
  std::string version;
};

// The lease and the nodes as the database has them (`halld ha status`, the standby's readyz).
nlohmann::json ha_status(pqxx::connection& connection);

class Lease {
 public:
  explicit Lease(LeaseOptions options);
  ~Lease();  // stops the renewing thread; the lease is not given up (see release)
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;

  // Waits as a standby (heartbeats in ha_node) until this node takes the lease: true; or until
  // `stopping()` says so: false. `standby_of` is told who is active meanwhile (name, address).
  bool wait_until_active(const std::function<bool()>& stopping,
                         const std::function<void(const nlohmann::json&)>& standby_of);
  // From now on renews the lease on a thread of its own; a node that loses it ends
  // (lease_lost_exit).
  void keep();
  // A clean stop: the lease is freed so that a standby takes over at once.
  void release();
  long long term() const { return term_; }
  bool active() const { return active_; }

 private:
  void renew_loop();
  std::chrono::milliseconds beat() const;

  LeaseOptions options_;
  std::unique_ptr<pqxx::connection> connection_;
  std::atomic<long long> term_{0};
  std::atomic<bool> active_{false};
  std::atomic<bool> stopping_{false};
  std::atomic<std::chrono::steady_clock::rep> renewed_{0};  // the last renewal, steady clock
  std::thread renewer_;
  std::thread watchdog_;
};

}  // namespace halld::ha
