// notice/store: notices in PostgreSQL (sql/0016_notices.sql) and the one place that keeps the
// halls' boards in step with them. Every function runs inside the caller's transaction.
// Owns: hall_notice, hall_notice_display, hall_notice_delivery, and the show_message /
// clear_message commands queued for notices (through store/command_store).
// Must not touch: what else a hall's queue system is told; who may publish (api/guard).
#pragma once

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "halld/notice/notice.hpp"

namespace halld::notice {

// A notice published (its reach's code must exist: std::invalid_argument otherwise); its id.
std::int64_t publish(pqxx::transaction_base& tx, const Draft& draft, const Reach& reach,
                     const std::string& actor, Timestamp now,
                     std::optional<std::int64_t> emergency_id = std::nullopt);

// One command (or failure to send one) for a hall's boards.
struct Delivery {
  int hall_id = 0;
  std::int64_t notice_id = 0;
  Step step = Step::none;
  std::optional<std::int64_t> command_id;
  std::string detail;  // why it could not be sent
};

struct SyncOptions {
  Timing timing;
  std::chrono::seconds command_expiry{std::chrono::minutes(5)};
};

// Brings the boards of `halls` (every hall a notice reaches or that shows one, when empty) in
// step with their notices at `now`. One at a time across halld: it takes a transaction-level
// advisory lock, so the ticker and an operator's publication never send twice.
std::vector<Delivery> sync_boards(pqxx::transaction_base& tx, Timestamp now,
                                  const std::vector<int>& halls, const SyncOptions& options);

// The halls a notice reaches (open halls only).
std::vector<int> halls_reached(pqxx::transaction_base& tx, std::int64_t id);

// Withdrawn by hand; empty, or why not (no such notice: "not_found"; already over).
std::string withdraw(pqxx::transaction_base& tx, std::int64_t id, const std::string& actor,
                     const std::string& reason, Timestamp now);
// The current notices an emergency published, withdrawn as it closes; their ids.
std::vector<std::int64_t> withdraw_for_emergency(pqxx::transaction_base& tx,
                                                 std::int64_t emergency_id,
                                                 const std::string& actor, Timestamp now);

struct Filter {
  std::string city_code;  // the notices that reach this city's halls (and the province's)
  std::string hall_code;  // … this hall (and its city's, and the province's)
  std::string state;      // scheduled, current, expired, withdrawn; empty: all
  int limit = 100;
  int offset = 0;
};
// {"items": [...], "total"}: newest first, each with its reach, state and delivery counts.
nlohmann::json list_notices(pqxx::transaction_base& tx, const Filter& filter, Timestamp now);
// Whether the notice reaches the filter's city or hall (any notice when both are empty).
bool reaches(pqxx::transaction_base& tx, std::int64_t id, const Filter& filter);
// One notice with its deliveries to the halls of the filter's city or hall (all when empty);
// null when there is no such notice.
nlohmann::json notice_record(pqxx::transaction_base& tx, std::int64_t id, const Filter& filter,
                             Timestamp now);
// Where a notice goes, for the guard; nullopt when there is no such notice.
std::optional<Reach> reach_of_notice(pqxx::transaction_base& tx, std::int64_t id);

}  // namespace halld::notice
