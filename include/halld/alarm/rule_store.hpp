// alarm/rule_store: the alarm rules and maintenance windows (sql/0010_alarms.sql) as halld reads
// and writes them, and the JSON form they take in the API. Owns: that SQL (parameterised, each
// function one transaction of the caller's) and the validation of rules arriving as JSON.
// Must not touch: the lifecycle (alarm/engine decides transitions), HTTP.
#pragma once

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <string>
#include <variant>
#include <vector>

#include "halld/alarm/rules.hpp"

namespace halld::alarm {

std::vector<Rule> load_rules(pqxx::transaction_base& tx);
std::optional<Rule> load_rule(pqxx::transaction_base& tx, int id);
int insert_rule(pqxx::transaction_base& tx, const Rule& rule);
bool update_rule(pqxx::transaction_base& tx, const Rule& rule);
bool delete_rule(pqxx::transaction_base& tx, int id);
nlohmann::json to_json(const Rule& rule);
// A rule from the API's JSON (id ignored), checked; or why it cannot be one.
std::variant<Rule, std::string> rule_from_json(const nlohmann::json& body);

// Windows not yet over at `now`.
std::vector<MaintenanceWindow> load_maintenance(pqxx::transaction_base& tx, Timestamp now);

struct StoredWindow {
  int id = 0;
  MaintenanceWindow window;
  std::string reason;
  std::string created_by;
};
nlohmann::json to_json(const StoredWindow& window);
std::vector<StoredWindow> list_maintenance(pqxx::transaction_base& tx, Timestamp now);
int insert_maintenance(pqxx::transaction_base& tx, const StoredWindow& window);
bool delete_maintenance(pqxx::transaction_base& tx, int id);

}  // namespace halld::alarm
