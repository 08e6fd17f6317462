// emergency/store: the SQL of plans, emergencies (their steps and timeline), and work orders.
// Every function runs inside the caller's transaction; the JSON it answers is what
// the API sends. Owns: the queries. Must not touch: deciding anything (emergency/manager does).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <variant>
#include <vector>

#include "halld/emergency/plan.hpp"

namespace halld::emergency {

// ---- plans ----
std::vector<Plan> load_plans(pqxx::transaction_base& tx);
std::optional<Plan> load_plan(pqxx::transaction_base& tx, int id);
// Both keep every version in emergency_plan_version; an update raises the version.
int insert_plan(pqxx::transaction_base& tx, const Plan& plan);
bool update_plan(pqxx::transaction_base& tx, Plan& plan);
// Each plan with how often it ran, closed, worked, and its mean duration.
nlohmann::json plan_statistics(pqxx::transaction_base& tx, const std::string& city_code,
                               const std::string& hall_code);

// ---- emergencies ----
struct HallRef {
  int id = 0;
  std::string code;
  std::string name;
  std::string city_code;
};
std::optional<HallRef> hall_by_code(pqxx::transaction_base& tx, const std::string& code);
std::optional<HallRef> hall_by_id(pqxx::transaction_base& tx, int id);

// A suggested emergency with the plan's steps; nullopt when one of the event type is already
// under way in the hall.
std::optional<std::int64_t> insert_emergency(pqxx::transaction_base& tx, const Plan& plan,
                                             int hall_id, std::optional<std::int64_t> alarm_id,
                                             const std::string& content, const std::string& actor);
void log_event(pqxx::transaction_base& tx, std::int64_t emergency_id, const std::string& actor,
               const std::string& kind, const std::string& detail);

// An emergency as the manager works on it, its row locked.
struct Locked {
  std::int64_t id = 0;
  std::string state;
  std::string event_type;
  std::optional<std::int64_t> alarm_id;
  int effect_minutes = 20;
  HallRef hall;
  std::vector<Step> steps;
  std::optional<nlohmann::json> before;
  bool has_after = false;
};
std::optional<Locked> lock_emergency(pqxx::transaction_base& tx, std::int64_t id);

// Times passed in (`now`, seconds since the epoch) are the manager's clock's.
void mark_started(pqxx::transaction_base& tx, std::int64_t id, const std::string& actor,
                  const Indicators& before, std::int64_t now);
struct StepUpdate {
  int position = 0;
  std::string state;  // pending, running, done, failed, skipped
  std::string result;
  std::vector<std::int64_t> command_ids;
  std::string actor;
};
void update_step(pqxx::transaction_base& tx, std::int64_t id, const StepUpdate& update);
// The step's state, or nullopt when the emergency has no such step.
std::optional<std::string> step_state(pqxx::transaction_base& tx, std::int64_t id, int position);
void record_effect(pqxx::transaction_base& tx, std::int64_t id, const Indicators& after,
                   bool effective);
void mark_closed(pqxx::transaction_base& tx, std::int64_t id, const std::string& state,
                 const std::string& actor, const std::string& outcome, const std::string& result,
                 const std::string& nature, const std::string& content);

// Steps carried out by commands still awaiting an answer.
struct RunningStep {
  std::int64_t emergency_id = 0;
  int position = 0;
  std::vector<std::int64_t> command_ids;
};
std::vector<RunningStep> running_steps(pqxx::transaction_base& tx);
// Steps past their time limit and not yet escalated (they are marked escalated).
struct OverdueStep {
  std::int64_t emergency_id = 0;
  int position = 0;
  HallRef hall;
  std::string plan_name;
  std::string description;
};
std::vector<OverdueStep> take_overdue_steps(pqxx::transaction_base& tx, std::int64_t now);
// Active emergencies whose effect is due to be measured.
std::vector<std::int64_t> effect_due(pqxx::transaction_base& tx, std::int64_t now);

struct EmergencyFilter {
  std::string state;  // empty: any; "open": suggested or active
  std::string city_code;
  std::string hall_code;
  std::string event_type;
  std::optional<std::int64_t> from_epoch, until_epoch;  // suggested in [from, until)
  int limit = 100;
  int offset = 0;
};
nlohmann::json list_emergencies(pqxx::transaction_base& tx, const EmergencyFilter& filter);
// The whole record: plan used, steps, timeline, indicators; null when there is none.
nlohmann::json emergency_record(pqxx::transaction_base& tx, std::int64_t id);
std::optional<std::string> hall_of_emergency(pqxx::transaction_base& tx, std::int64_t id);

// ---- decision support (seed 000 §4.4.2) ----
// The dissatisfaction analysis over the evaluations given in [from, until) in a city or hall
// (empty: all): how many were evaluated and how many dissatisfied, broken down by business,
// clerk, wait band (the ticket's wait before its call) and hour of the day (Beijing time), and
// the groups ranked by their excess: dissatisfied evaluations beyond what the overall rate
// would give a group of that size (the top causes).
nlohmann::json dissatisfaction_analysis(pqxx::transaction_base& tx, const std::string& city_code,
                                        const std::string& hall_code, std::int64_t from_epoch,
                                        std::int64_t until_epoch);

// ---- work orders ----
struct WorkOrderRule {
  int id = 0;
  std::string name;
  std::string indicator;  // an alarm indicator (alarm/rules.hpp)
  double threshold = 0;
  int hold_min = 30;
  int answer_within_h = 24;
  std::string city_code;
  std::string hall_code;
  bool enabled = true;
};
std::vector<WorkOrderRule> load_work_order_rules(pqxx::transaction_base& tx);
std::variant<WorkOrderRule, std::string> work_order_rule_from_json(const nlohmann::json& body);
nlohmann::json to_json(const WorkOrderRule& rule);
int insert_work_order_rule(pqxx::transaction_base& tx, const WorkOrderRule& rule);
bool update_work_order_rule(pqxx::transaction_base& tx, const WorkOrderRule& rule);
bool delete_work_order_rule(pqxx::transaction_base& tx, int id);

// A new open work order, or nullopt when the hall has one open for the rule.
std::optional<std::int64_t> open_work_order(pqxx::transaction_base& tx, const WorkOrderRule& rule,
                                            int hall_id, const nlohmann::json& evidence,
                                            std::int64_t now);
// The causes an answer may give, with their zh-CN names.
inline constexpr std::pair<std::string_view, std::string_view> work_order_causes[] = {
    {"staffing", "人员不足"},        {"business_surge", "业务量突增"},
    {"system_fault", "系统故障"},    {"complex_business", "复杂业务集中"},
    {"clerk_skill", "业务技能不足"}, {"other", "其他"},
};
struct WorkOrderFilter {
  std::string state;  // open, answered, closed, overdue; empty: any
  std::string city_code;
  std::string hall_code;
  int limit = 100;
  int offset = 0;
};
nlohmann::json list_work_orders(pqxx::transaction_base& tx, const WorkOrderFilter& filter);
nlohmann::json work_order(pqxx::transaction_base& tx, std::int64_t id);  // null: none
std::optional<std::string> hall_of_work_order(pqxx::transaction_base& tx, std::int64_t id);
// State changes: "" done, else why not (a 409).
std::string answer_work_order(pqxx::transaction_base& tx, std::int64_t id, const std::string& actor,
                              const std::string& cause, const std::string& measures);
std::string close_work_order(pqxx::transaction_base& tx, std::int64_t id, const std::string& actor,
                             bool accepted, const std::string& review);
// Counts by hall, city, cause or month over [from, until), with overdue and mean answer hours.
nlohmann::json work_order_statistics(pqxx::transaction_base& tx, const std::string& group,
                                     const std::string& city_code, const std::string& hall_code,
                                     std::int64_t from_epoch, std::int64_t until_epoch);

}  // namespace halld::emergency
