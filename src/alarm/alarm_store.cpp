#include "halld/alarm/alarm_store.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "halld/records/event_json.hpp"
#include "sql_values.hpp"

namespace halld::alarm {

namespace {

using nlohmann::json;

// The columns of an alarm as alarm_of() reads them (tables: alarm a, hall h, city_company c).
constexpr const char* alarm_columns =
    "a.id, coalesce(a.rule_id, 0), a.rule_name, a.kind, a.indicator, a.hall_id, h.code, h.name, "
    "c.code, a.object, "
    "a.severity, a.state, extract(epoch FROM a.raised_at)::bigint, a.raised_value, a.threshold, "
    "a.last_value, "
    "extract(epoch FROM a.acknowledged_at)::bigint, coalesce(a.acknowledged_by, ''), "
    "coalesce(a.acknowledge_note, ''), "
    "extract(epoch FROM a.cleared_at)::bigint, coalesce(a.cleared_by, ''), "
    "coalesce(a.clear_reason, ''), "
    "extract(epoch FROM a.closed_at)::bigint";
constexpr int alarm_column_count = 23;

Alarm alarm_of(const pqxx::row& row) {
  Alarm a;
  a.id = row[0].as<std::int64_t>();
  a.rule_id = row[1].as<int>();
  a.rule_name = row[2].as<std::string>();
  a.kind = parse_rule_kind(row[3].as<std::string>()).value_or(RuleKind::limit);
  if (auto indicator = optional_of<std::string>(row[4])) a.indicator = parse_indicator(*indicator);
  a.hall_id = row[5].as<int>();
  a.hall_code = row[6].as<std::string>();
  a.hall_name = row[7].as<std::string>();
  a.city_code = row[8].as<std::string>();
  a.object = row[9].as<std::string>();
  a.severity = row[10].as<int>() == 2 ? Severity::critical : Severity::warning;
  a.state = parse_alarm_state(row[11].as<std::string>()).value_or(AlarmState::raised);
  a.raised_at = from_epoch(row[12].as<std::int64_t>());
  a.raised_value = row[13].as<double>();
  a.threshold = optional_of<double>(row[14]);
  a.last_value = row[15].as<double>();
  if (auto at = optional_of<std::int64_t>(row[16])) a.acknowledged_at = from_epoch(*at);
  a.acknowledged_by = row[17].as<std::string>();
  a.acknowledge_note = row[18].as<std::string>();
  if (auto at = optional_of<std::int64_t>(row[19])) a.cleared_at = from_epoch(*at);
  a.cleared_by = row[20].as<std::string>();
  a.clear_reason = row[21].as<std::string>();
  if (auto at = optional_of<std::int64_t>(row[22])) a.closed_at = from_epoch(*at);
  return a;
}

}  // namespace

std::vector<Alarm> load_standing(pqxx::transaction_base& tx) {
  std::vector<Alarm> alarms;
  for (const auto& row : tx.exec(fmt::format(
           "SELECT {} FROM alarm a JOIN hall h ON h.id = a.hall_id "
           "JOIN city_company c ON c.id = h.city_id WHERE a.state <> 'closed' ORDER BY a.id",
           alarm_columns))) {
    alarms.push_back(alarm_of(row));
  }
  return alarms;
}

std::optional<std::string> hall_of_alarm(pqxx::transaction_base& tx, std::int64_t alarm_id) {
  auto rows = tx.exec_params(
      "SELECT h.code FROM alarm a JOIN hall h ON h.id = a.hall_id WHERE a.id = $1", alarm_id);
  if (rows.empty()) return std::nullopt;
  return rows[0][0].as<std::string>();
}

std::int64_t max_alarm_id(pqxx::transaction_base& tx) {
  return tx.exec1("SELECT coalesce(max(id), 0) FROM alarm")[0].as<std::int64_t>();
}

void write_transition(pqxx::transaction_base& tx, const Alarm& a, Change change, Timestamp at,
                      std::optional<double> value, const std::string& actor,
                      const std::string& note) {
  const auto opt_epoch = [](const std::optional<Timestamp>& t) {
    return t ? std::optional<std::int64_t>(epoch(*t)) : std::nullopt;
  };
  const auto opt_text = [](const std::string& s) {
    return s.empty() ? std::nullopt : std::optional<std::string>(s);
  };
  tx.exec_params(
      "INSERT INTO alarm (id, rule_id, rule_name, kind, indicator, hall_id, object, severity, "
      "state, raised_at, "
      "raised_value, threshold, last_value, acknowledged_at, acknowledged_by, acknowledge_note, "
      "cleared_at, cleared_by, "
      "clear_reason, closed_at) VALUES ($1, (SELECT id FROM alarm_rule WHERE id = $2), $3, $4, $5, "
      "$6, $7, $8, $9, "
      "to_timestamp($10), $11, $12, $13, to_timestamp($14), $15, $16, to_timestamp($17), $18, $19, "
      "to_timestamp($20)) "
      "ON CONFLICT (id) DO UPDATE SET severity = EXCLUDED.severity, state = EXCLUDED.state, "
      "last_value = EXCLUDED.last_value, acknowledged_at = EXCLUDED.acknowledged_at, "
      "acknowledged_by = EXCLUDED.acknowledged_by, acknowledge_note = EXCLUDED.acknowledge_note, "
      "cleared_at = EXCLUDED.cleared_at, cleared_by = EXCLUDED.cleared_by, clear_reason = "
      "EXCLUDED.clear_reason, "
      "closed_at = EXCLUDED.closed_at",
      a.id, a.rule_id, a.rule_name, std::string(to_string(a.kind)),
      a.indicator ? std::optional<std::string>(to_string(*a.indicator)) : std::nullopt, a.hall_id,
      a.object, static_cast<int>(a.severity), std::string(to_string(a.state)), epoch(a.raised_at),
      a.raised_value, a.threshold, a.last_value, opt_epoch(a.acknowledged_at),
      opt_text(a.acknowledged_by), opt_text(a.acknowledge_note), opt_epoch(a.cleared_at),
      opt_text(a.cleared_by), opt_text(a.clear_reason), opt_epoch(a.closed_at));
  tx.exec_params(
      "INSERT INTO alarm_transition (alarm_id, at, kind, severity, value, actor, note) "
      "VALUES ($1, to_timestamp($2), $3, $4, $5, $6, $7)",
      a.id, epoch(at), std::string(to_string(change)), static_cast<int>(a.severity), value, actor,
      note);
}

namespace {

// The filter's conditions over `alarm a JOIN hall h JOIN city_company c`, as parameters $1–$7.
constexpr const char* filter_condition =
    "($1::text[] = '{}' OR a.state = ANY($1::text[])) AND ($2 = '' OR a.severity = CASE $2 WHEN "
    "'critical' THEN 2 "
    "ELSE 1 END) AND ($3 = '' OR c.code = $3) AND ($4 = '' OR h.code = $4) AND ($5 = '' OR a.kind "
    "= $5) "
    "AND a.raised_at >= to_timestamp($6) AND a.raised_at < to_timestamp($7)";
constexpr const char* filter_tables =
    "alarm a JOIN hall h ON h.id = a.hall_id JOIN city_company c ON c.id = h.city_id";

std::string array_literal(const std::vector<std::string>& words) {  // words are validated names
  return fmt::format("{{{}}}", fmt::join(words, ","));
}

double minutes_or_zero(const pqxx::field& f) {
  return f.is_null() ? 0.0 : f.as<double>();
}

nlohmann::json nullable_number(const pqxx::field& f) {
  return f.is_null() ? nlohmann::json(nullptr) : nlohmann::json(f.as<double>());
}

}  // namespace

nlohmann::json list_alarms(pqxx::transaction_base& tx, const AlarmFilter& f) {
  const auto rows = tx.exec_params(fmt::format("SELECT {}, "
                                               "count(*) OVER () FROM {} WHERE {} ORDER BY "
                                               "a.raised_at DESC, a.id DESC LIMIT $8 OFFSET $9",
                                               alarm_columns, filter_tables, filter_condition),
                                   array_literal(f.states), f.severity, f.city_code, f.hall_code,
                                   f.kind, epoch(f.from), epoch(f.until), f.limit, f.offset);
  nlohmann::json items = nlohmann::json::array();
  std::int64_t total = 0;
  for (const auto& row : rows) {
    total = row[alarm_column_count].as<std::int64_t>();
    items.push_back(to_json(alarm_of(row)));
  }
  return {{"total", total}, {"limit", f.limit}, {"offset", f.offset}, {"items", items}};
}

nlohmann::json alarm_history(pqxx::transaction_base& tx, std::int64_t id) {
  // floor, not the cast's rounding: a raise at .6 s belongs to its own second.
  const auto found = tx.exec_params(
      "SELECT floor(extract(epoch FROM raised_at))::bigint FROM alarm WHERE id = $1", id);
  if (found.empty()) return nullptr;
  AlarmFilter same_second;  // the list's query, narrowed to the alarm's raising second
  same_second.from = from_epoch(found[0][0].as<std::int64_t>());
  same_second.until = same_second.from + std::chrono::seconds(1);
  same_second.limit = 100'000;
  nlohmann::json alarm;
  auto listed = list_alarms(tx, same_second);
  for (auto& item : listed["items"]) {
    if (item["id"] == id) alarm = std::move(item);
  }
  nlohmann::json transitions = nlohmann::json::array();
  for (const auto& row :
       tx.exec_params("SELECT extract(epoch FROM at)::bigint, kind, severity, value, actor, note "
                      "FROM alarm_transition WHERE alarm_id = $1 ORDER BY id",
                      id)) {
    transitions.push_back({{"at", records::iso8601(from_epoch(row[0].as<std::int64_t>()))},
                           {"change", row[1].as<std::string>()},
                           {"severity", row[2].as<int>() == 2 ? "critical" : "warning"},
                           {"value", nullable_number(row[3])},
                           {"actor", row[4].as<std::string>()},
                           {"note", row[5].as<std::string>()}});
  }
  alarm["transitions"] = transitions;
  return alarm;
}

nlohmann::json alarm_statistics(pqxx::transaction_base& tx, const AlarmFilter& f,
                                std::string_view group) {
  std::string key;
  if (group == "kind")
    key = "a.kind";
  else if (group == "rule")
    key = "a.rule_name";
  else if (group == "hall")
    key = "h.code";
  else if (group == "city")
    key = "c.code";
  else if (group == "severity")
    key = "CASE a.severity WHEN 2 THEN 'critical' ELSE 'warning' END";
  else
    key = "to_char(a.raised_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD')";  // day
  const auto rows = tx.exec_params(
      fmt::format(
          "SELECT {0}, count(*), count(*) FILTER (WHERE a.severity = 2), "
          "count(*) FILTER (WHERE a.state IN ('raised', 'acknowledged')), "
          "avg(extract(epoch FROM a.acknowledged_at - a.raised_at) / 60), "
          "avg(extract(epoch FROM a.cleared_at - a.raised_at) / 60), count(a.acknowledged_at) "
          "FROM {1} WHERE {2} GROUP BY 1 ORDER BY 2 DESC, 1",
          key, filter_tables, filter_condition),
      array_literal(f.states), f.severity, f.city_code, f.hall_code, f.kind, epoch(f.from),
      epoch(f.until));
  nlohmann::json items = nlohmann::json::array();
  for (const auto& row : rows) {
    items.push_back({{"key", row[0].as<std::string>()},
                     {"alarms", row[1].as<std::int64_t>()},
                     {"critical", row[2].as<std::int64_t>()},
                     {"open", row[3].as<std::int64_t>()},
                     {"acknowledged", row[6].as<std::int64_t>()},
                     {"mean_minutes_to_acknowledge", nullable_number(row[4])},
                     {"mean_minutes_to_clear", nullable_number(row[5])}});
  }
  return {{"group", group},
          {"from", records::iso8601(f.from)},
          {"to", records::iso8601(f.until)},
          {"items", items}};
}

nlohmann::json terminal_reliability(pqxx::transaction_base& tx, const AlarmFilter& f) {
  const double range_minutes = std::chrono::duration<double>(f.until - f.from).count() / 60.0;
  // Downtime counts within the range; a fault still open counts until the range's end.
  const auto query = [&](const char* key, const char* kind) {
    return tx.exec_params(
        fmt::format(
            "SELECT {0}, count(*), sum(extract(epoch FROM least(coalesce(a.cleared_at, "
            "to_timestamp($7)), "
            "to_timestamp($7)) - a.raised_at) / 60), avg(extract(epoch FROM a.cleared_at - "
            "a.raised_at) / 60), "
            "min(h.code) FROM {1} WHERE {2} AND a.kind = '{3}' GROUP BY 1 ORDER BY 2 DESC, 1",
            key, filter_tables, filter_condition, kind),
        array_literal(f.states), f.severity, f.city_code, f.hall_code, "", epoch(f.from),
        epoch(f.until));
  };
  const auto items = [&](const pqxx::result& rows, const char* name, bool with_hall) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& row : rows) {
      const auto failures = row[1].as<std::int64_t>();
      const double down = minutes_or_zero(row[2]);
      nlohmann::json item{
          {name, row[0].as<std::string>()},
          {"failures", failures},
          {"downtime_min", down},
          {"mttr_min", nullable_number(row[3])},
          {"mtbf_hours", (range_minutes - down) / 60.0 / static_cast<double>(failures)}};
      if (with_hall) item["hall"] = row[4].as<std::string>();
      out.push_back(std::move(item));
    }
    return out;
  };
  return {{"from", records::iso8601(f.from)},
          {"to", records::iso8601(f.until)},
          {"terminals", items(query("a.object", "terminal_fault"), "terminal", true)},
          {"components",
           items(query("split_part(a.object, '/', 2)", "part_fault"), "component", false)}};
}

}  // namespace halld::alarm
