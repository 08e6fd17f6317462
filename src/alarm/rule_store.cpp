#include "halld/alarm/rule_store.hpp"

#include <fmt/format.h>

#include "halld/records/event_json.hpp"
#include "halld/records/json_fields.hpp"
#include "sql_values.hpp"

namespace halld::alarm {

namespace {

using nlohmann::json;
using records::take;

constexpr const char* rule_columns =
    "id, name, kind, indicator, direction, warning, critical, clear_at, hold_s, clear_hold_s, "
    "severity, part, "
    "city_code, hall_code, business, terminal_type, schedule, enabled";

Rule rule_of(const pqxx::row& row) {
  Rule r;
  r.id = row[0].as<int>();
  r.name = row[1].as<std::string>();
  r.kind = parse_rule_kind(row[2].as<std::string>()).value_or(RuleKind::limit);
  if (auto indicator = optional_of<std::string>(row[3]))
    r.indicator = parse_indicator(*indicator).value_or(r.indicator);
  r.limit.direction = row[4].as<std::string>() == "below" ? Direction::below : Direction::above;
  r.limit.warning = optional_of<double>(row[5]);
  r.limit.critical = optional_of<double>(row[6]);
  r.limit.clear = optional_of<double>(row[7]);
  r.limit.hold = std::chrono::seconds(row[8].as<int>());
  r.limit.clear_hold = std::chrono::seconds(row[9].as<int>());
  r.severity = row[10].as<int>() == 2 ? Severity::critical : Severity::warning;
  if (auto part = optional_of<std::string>(row[11])) r.part = records::parse_part(*part);
  r.scope = {row[12].as<std::string>(), row[13].as<std::string>(), row[14].as<std::string>(),
             row[15].as<std::string>()};
  r.schedule = row[16].as<std::string>() == "always" ? Schedule::always : Schedule::opening_hours;
  r.enabled = row[17].as<bool>();
  return r;
}

std::optional<std::string> indicator_of(const Rule& r) {
  if (r.kind != RuleKind::limit) return std::nullopt;
  return std::string(to_string(r.indicator));
}
std::optional<std::string> part_of(const Rule& r) {
  if (!r.part) return std::nullopt;
  return std::string(records::part_name(*r.part));
}

std::optional<std::string> take_seconds(const json& body, const char* name,
                                        std::chrono::seconds& out) {
  std::int64_t seconds = out.count();
  if (auto problem = take(body, name, seconds)) return problem;
  if (seconds < 0 || seconds > 7 * 86400)
    return fmt::format("'{}' must be 0 to 604800 seconds", name);
  out = std::chrono::seconds(seconds);
  return std::nullopt;
}

std::optional<std::string> take_optional_number(const json& body, const char* name,
                                                std::optional<double>& out) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_number()) return fmt::format("'{}' must be a number", name);
  out = it->get<double>();
  return std::nullopt;
}

}  // namespace

std::vector<Rule> load_rules(pqxx::transaction_base& tx) {
  std::vector<Rule> rules;
  for (const auto& row :
       tx.exec(fmt::format("SELECT {} FROM alarm_rule ORDER BY id", rule_columns))) {
    rules.push_back(rule_of(row));
  }
  return rules;
}

std::optional<Rule> load_rule(pqxx::transaction_base& tx, int id) {
  auto rows =
      tx.exec_params(fmt::format("SELECT {} FROM alarm_rule WHERE id = $1", rule_columns), id);
  if (rows.empty()) return std::nullopt;
  return rule_of(rows[0]);
}

int insert_rule(pqxx::transaction_base& tx, const Rule& r) {
  return tx
      .exec_params1(
          "INSERT INTO alarm_rule (name, kind, indicator, direction, warning, critical, clear_at, "
          "hold_s, clear_hold_s, "
          "severity, part, city_code, hall_code, business, terminal_type, schedule, enabled) "
          "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) "
          "RETURNING id",
          r.name, std::string(to_string(r.kind)), indicator_of(r),
          r.limit.direction == Direction::below ? "below" : "above", r.limit.warning,
          r.limit.critical, r.limit.clear, static_cast<int>(r.limit.hold.count()),
          static_cast<int>(r.limit.clear_hold.count()), static_cast<int>(r.severity), part_of(r),
          r.scope.city_code, r.scope.hall_code, r.scope.business, r.scope.terminal_type,
          r.schedule == Schedule::always ? "always" : "opening_hours", r.enabled)[0]
      .as<int>();
}

bool update_rule(pqxx::transaction_base& tx, const Rule& r) {
  return tx.exec_params(
               "UPDATE alarm_rule SET name = $2, kind = $3, indicator = $4, direction = $5, "
               "warning = $6, critical = $7, "
               "clear_at = $8, hold_s = $9, clear_hold_s = $10, severity = $11, part = $12, "
               "city_code = $13, "
               "hall_code = $14, business = $15, terminal_type = $16, schedule = $17, enabled = "
               "$18, updated_at = now() "
               "WHERE id = $1",
               r.id, r.name, std::string(to_string(r.kind)), indicator_of(r),
               r.limit.direction == Direction::below ? "below" : "above", r.limit.warning,
               r.limit.critical, r.limit.clear, static_cast<int>(r.limit.hold.count()),
               static_cast<int>(r.limit.clear_hold.count()), static_cast<int>(r.severity),
               part_of(r), r.scope.city_code, r.scope.hall_code, r.scope.business,
               r.scope.terminal_type, r.schedule == Schedule::always ? "always" : "opening_hours",
               r.enabled)
             .affected_rows() == 1;
}

bool delete_rule(pqxx::transaction_base& tx, int id) {
  return tx.exec_params("DELETE FROM alarm_rule WHERE id = $1", id).affected_rows() == 1;
}

json to_json(const Rule& r) {
  json j{{"id", r.id},
         {"name", r.name},
         {"kind", to_string(r.kind)},
         {"direction", r.limit.direction == Direction::below ? "below" : "above"},
         {"warning", r.limit.warning ? json(*r.limit.warning) : json(nullptr)},
         {"critical", r.limit.critical ? json(*r.limit.critical) : json(nullptr)},
         {"clear", r.limit.clear ? json(*r.limit.clear) : json(nullptr)},
         {"hold_s", r.limit.hold.count()},
         {"clear_hold_s", r.limit.clear_hold.count()},
         {"severity", r.severity == Severity::critical ? "critical" : "warning"},
         {"city", r.scope.city_code},
         {"hall", r.scope.hall_code},
         {"business", r.scope.business},
         {"terminal_type", r.scope.terminal_type},
         {"schedule", r.schedule == Schedule::always ? "always" : "opening_hours"},
         {"enabled", r.enabled}};
  j["indicator"] = r.kind == RuleKind::limit ? json(to_string(r.indicator)) : json(nullptr);
  j["part"] = r.part ? json(records::part_name(*r.part)) : json(nullptr);
  return j;
}

std::variant<Rule, std::string> rule_from_json(const json& body) {
  if (!body.is_object()) return std::string("the body must be a JSON object");
  Rule r;
  std::string kind, indicator, direction = "above", severity = "critical",
                               schedule = "opening_hours", part;
  for (auto problem :
       {take(body, "name", r.name), take(body, "kind", kind), take(body, "indicator", indicator),
        take(body, "direction", direction), take(body, "severity", severity),
        take(body, "schedule", schedule), take(body, "part", part),
        take(body, "enabled", r.enabled), take(body, "city", r.scope.city_code),
        take(body, "hall", r.scope.hall_code), take(body, "business", r.scope.business),
        take(body, "terminal_type", r.scope.terminal_type),
        take_seconds(body, "hold_s", r.limit.hold),
        take_seconds(body, "clear_hold_s", r.limit.clear_hold),
        take_optional_number(body, "warning", r.limit.warning),
        take_optional_number(body, "critical", r.limit.critical),
        take_optional_number(body, "clear", r.limit.clear)}) {
    if (problem) return *problem;
  }
  auto parsed_kind = parse_rule_kind(kind);
  if (!parsed_kind) {
    return std::string(
        "'kind' must be limit, terminal_fault, part_fault, door_open, comm_loss or clock_skew");
  }
  r.kind = *parsed_kind;
  if (r.kind == RuleKind::limit) {
    auto parsed = parse_indicator(indicator);
    if (!parsed) return fmt::format("unknown indicator '{}'", indicator);
    r.indicator = *parsed;
  } else if (!indicator.empty()) {
    return std::string("only limit rules have an indicator");
  }
  if (direction != "above" && direction != "below")
    return std::string("'direction' must be above or below");
  r.limit.direction = direction == "below" ? Direction::below : Direction::above;
  if (severity != "warning" && severity != "critical")
    return std::string("'severity' must be warning or critical");
  r.severity = severity == "critical" ? Severity::critical : Severity::warning;
  if (schedule != "opening_hours" && schedule != "always")
    return std::string("'schedule' must be opening_hours or always");
  r.schedule = schedule == "always" ? Schedule::always : Schedule::opening_hours;
  if (!part.empty()) {
    r.part = records::parse_part(part);
    if (!r.part) return fmt::format("unknown component '{}'", part);
  }
  for (const auto* code : {&r.scope.city_code, &r.scope.hall_code, &r.scope.business}) {
    if (code->size() > 64) return std::string("codes are at most 64 bytes");
  }
  if (auto problem = check(r)) return *problem;
  return r;
}

std::vector<MaintenanceWindow> load_maintenance(pqxx::transaction_base& tx, Timestamp now) {
  std::vector<MaintenanceWindow> windows;
  for (const auto& row :
       tx.exec_params("SELECT target, extract(epoch FROM starts_at)::bigint, "
                      "extract(epoch FROM ends_at)::bigint FROM maintenance_window "
                      "WHERE ends_at > to_timestamp($1)",
                      epoch(now))) {
    windows.push_back({row[0].as<std::string>(), from_epoch(row[1].as<std::int64_t>()),
                       from_epoch(row[2].as<std::int64_t>())});
  }
  return windows;
}

nlohmann::json to_json(const StoredWindow& w) {
  return {{"id", w.id},
          {"target", w.window.target},
          {"from", records::iso8601(w.window.from)},
          {"until", records::iso8601(w.window.until)},
          {"reason", w.reason},
          {"created_by", w.created_by}};
}

std::vector<StoredWindow> list_maintenance(pqxx::transaction_base& tx, Timestamp now) {
  std::vector<StoredWindow> out;
  for (const auto& row : tx.exec_params(
           "SELECT id, target, extract(epoch FROM starts_at)::bigint, "
           "extract(epoch FROM ends_at)::bigint, reason, created_by "
           "FROM maintenance_window WHERE ends_at > to_timestamp($1) ORDER BY starts_at, id",
           epoch(now))) {
    out.push_back({row[0].as<int>(),
                   {row[1].as<std::string>(), from_epoch(row[2].as<std::int64_t>()),
                    from_epoch(row[3].as<std::int64_t>())},
                   row[4].as<std::string>(),
                   row[5].as<std::string>()});
  }
  return out;
}

int insert_maintenance(pqxx::transaction_base& tx, const StoredWindow& w) {
  return tx
      .exec_params1(
          "INSERT INTO maintenance_window (target, starts_at, ends_at, reason, created_by) "
          "VALUES ($1, to_timestamp($2), to_timestamp($3), $4, $5) RETURNING id",
          w.window.target, epoch(w.window.from), epoch(w.window.until), w.reason, w.created_by)[0]
      .as<int>();
}

bool delete_maintenance(pqxx::transaction_base& tx, int id) {
  return tx.exec_params("DELETE FROM maintenance_window WHERE id = $1", id).affected_rows() == 1;
}

}  // namespace halld::alarm
