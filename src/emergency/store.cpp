#include "halld/emergency/store.hpp"

#include <fmt/format.h>

#include "halld/alarm/rules.hpp"
#include "halld/records/json_fields.hpp"
#include "halld/store/sql_text.hpp"

namespace halld::emergency {
namespace {

using nlohmann::json;

using store::array_literal;
const auto iso_of = store::iso_utc;

json steps_json(const std::vector<Step>& steps) {
  json out = json::array();
  for (const auto& s : steps) out.push_back(to_json(s));
  return out;
}

std::vector<Step> steps_of(const json& steps) {
  std::vector<Step> out;
  for (const auto& item : steps) {
    auto step = step_from_json(item);
    if (auto* s = std::get_if<Step>(&step)) out.push_back(std::move(*s));
  }
  return out;
}

template <class T>
std::vector<T> numbers(const pqxx::field& field) {
  std::vector<T> out;
  auto parser = field.as_array();
  for (auto [kind, text] = parser.get_next(); kind != pqxx::array_parser::done;
       std::tie(kind, text) = parser.get_next()) {
    if (kind == pqxx::array_parser::string_value) out.push_back(static_cast<T>(std::stoll(text)));
  }
  return out;
}

const char* plan_columns =
    "id, name, event_type, city_code, hall_code, trigger_rules, min_severity, auto_start, "
    "effect_minutes, steps::text, version, enabled, updated_by";

Plan plan_of(const pqxx::row& r) {
  Plan p;
  p.id = r[0].as<int>();
  p.name = r[1].as<std::string>();
  p.event_type = r[2].as<std::string>();
  p.city_code = r[3].as<std::string>();
  p.hall_code = r[4].as<std::string>();
  p.trigger_rules = numbers<int>(r[5]);
  p.min_severity = r[6].as<int>();
  p.auto_start = r[7].as<bool>();
  p.effect_minutes = r[8].as<int>();
  p.steps = steps_of(json::parse(r[9].as<std::string>()));
  p.version = r[10].as<int>();
  p.enabled = r[11].as<bool>();
  p.updated_by = r[12].as<std::string>();
  return p;
}

void keep_version(pqxx::transaction_base& tx, const Plan& plan) {
  tx.exec_params(
      "INSERT INTO emergency_plan_version (plan_id, version, plan, created_by) "
      "VALUES ($1, $2, $3::jsonb, $4)",
      plan.id, plan.version, to_json(plan).dump(), plan.updated_by);
}

HallRef hall_of(const pqxx::row& r, int first) {
  return {r[first].as<int>(), r[first + 1].as<std::string>(), r[first + 2].as<std::string>(),
          r[first + 3].as<std::string>()};
}
constexpr const char* hall_select =
    "SELECT h.id, h.code, h.name, c.code FROM hall h JOIN city_company c ON c.id = h.city_id ";

template <class... Args>
json query_json(pqxx::transaction_base& tx, const std::string& sql, const Args&... args) {
  auto rows = tx.exec_params(sql, args...);  // none: the object named does not exist
  return rows.empty() || rows[0][0].is_null() ? json() : json::parse(rows[0][0].c_str());
}

}  // namespace

std::vector<Plan> load_plans(pqxx::transaction_base& tx) {
  std::vector<Plan> out;
  for (const auto& r :
       tx.exec(fmt::format("SELECT {} FROM emergency_plan ORDER BY id", plan_columns)))
    out.push_back(plan_of(r));
  return out;
}

std::optional<Plan> load_plan(pqxx::transaction_base& tx, int id) {
  auto rows =
      tx.exec_params(fmt::format("SELECT {} FROM emergency_plan WHERE id = $1", plan_columns), id);
  if (rows.empty()) return std::nullopt;
  return plan_of(rows[0]);
}

int insert_plan(pqxx::transaction_base& tx, const Plan& plan) {
  Plan stored = plan;
  stored.version = 1;
  stored.id =
      tx.exec_params1(
            "INSERT INTO emergency_plan (name, event_type, city_code, hall_code, "
            "trigger_rules, min_severity, auto_start, effect_minutes, steps, enabled, "
            "updated_by) VALUES ($1, $2, $3, $4, $5::integer[], $6, $7, $8, $9::jsonb, "
            "$10, $11) RETURNING id",
            plan.name, plan.event_type, plan.city_code, plan.hall_code,
            array_literal(plan.trigger_rules), plan.min_severity, plan.auto_start,
            plan.effect_minutes, steps_json(plan.steps).dump(), plan.enabled, plan.updated_by)[0]
          .as<int>();
  keep_version(tx, stored);
  return stored.id;
}

bool update_plan(pqxx::transaction_base& tx, Plan& plan) {
  auto rows = tx.exec_params(
      "UPDATE emergency_plan SET name = $2, event_type = $3, city_code = $4, hall_code = $5, "
      "trigger_rules = $6::integer[], min_severity = $7, auto_start = $8, effect_minutes = $9, "
      "steps = $10::jsonb, enabled = $11, updated_by = $12, updated_at = now(), "
      "version = version + 1 WHERE id = $1 RETURNING version",
      plan.id, plan.name, plan.event_type, plan.city_code, plan.hall_code,
      array_literal(plan.trigger_rules), plan.min_severity, plan.auto_start, plan.effect_minutes,
      steps_json(plan.steps).dump(), plan.enabled, plan.updated_by);
  if (rows.empty()) return false;
  plan.version = rows[0][0].as<int>();
  keep_version(tx, plan);
  return true;
}

json plan_statistics(pqxx::transaction_base& tx, const std::string& city_code,
                     const std::string& hall_code) {
  return query_json(
      tx,
      "SELECT coalesce(json_agg(x ORDER BY x.id), '[]') FROM ("
      "  SELECT p.id, p.name, p.event_type, p.version, "
      "    count(e.id) FILTER (WHERE e.started_at IS NOT NULL) AS runs, "
      "    count(e.id) FILTER (WHERE e.state = 'suggested') AS suggested_now, "
      "    count(e.id) FILTER (WHERE e.state = 'dismissed') AS dismissed, "
      "    count(e.id) FILTER (WHERE e.effective IS NOT NULL) AS judged, "
      "    count(e.id) FILTER (WHERE e.effective) AS effective, "
      "    round(avg(extract(epoch FROM e.closed_at - e.started_at) / 60) "
      "      FILTER (WHERE e.state = 'closed' AND e.started_at IS NOT NULL)::numeric, 1) "
      "      AS mean_minutes "
      "  FROM emergency_plan p LEFT JOIN (emergency e JOIN hall h ON h.id = e.hall_id "
      "    JOIN city_company c ON c.id = h.city_id) ON e.plan_id = p.id "
      "    AND ($1 = '' OR c.code = $1) AND ($2 = '' OR h.code = $2) "
      "  GROUP BY p.id) x",
      city_code, hall_code);
}

std::optional<HallRef> hall_by_code(pqxx::transaction_base& tx, const std::string& code) {
  auto rows = tx.exec_params(std::string(hall_select) + "WHERE h.code = $1", code);
  if (rows.empty()) return std::nullopt;
  return hall_of(rows[0], 0);
}
std::optional<HallRef> hall_by_id(pqxx::transaction_base& tx, int id) {
  auto rows = tx.exec_params(std::string(hall_select) + "WHERE h.id = $1", id);
  if (rows.empty()) return std::nullopt;
  return hall_of(rows[0], 0);
}

std::optional<std::int64_t> insert_emergency(pqxx::transaction_base& tx, const Plan& plan,
                                             int hall_id, std::optional<std::int64_t> alarm_id,
                                             const std::string& content, const std::string& actor) {
  auto rows = tx.exec_params(
      "INSERT INTO emergency (plan_id, plan_version, plan, hall_id, event_type, alarm_id, state, "
      "content) VALUES ($1, $2, $3::jsonb, $4, $5, $6, 'suggested', $7) "
      "ON CONFLICT (hall_id, event_type) WHERE state IN ('suggested', 'active') DO NOTHING "
      "RETURNING id",
      plan.id, plan.version, to_json(plan).dump(), hall_id, plan.event_type, alarm_id, content);
  if (rows.empty()) return std::nullopt;
  const auto id = rows[0][0].as<std::int64_t>();
  int position = 0;
  for (const auto& step : plan.steps) {
    json params = to_json(step);
    tx.exec_params(
        "INSERT INTO emergency_step (emergency_id, position, action, params, role, "
        "time_limit_s, executes) VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7)",
        id, ++position, std::string(to_string(step.action)), params.dump(), step.role,
        static_cast<int>(std::chrono::seconds(step.time_limit).count()), step.executes);
  }
  log_event(tx, id, actor, "suggest",
            fmt::format("建议启动《{}》（第 {} 版）：{}", plan.name, plan.version, content));
  return id;
}

void log_event(pqxx::transaction_base& tx, std::int64_t emergency_id, const std::string& actor,
               const std::string& kind, const std::string& detail) {
  tx.exec_params(
      "INSERT INTO emergency_log (emergency_id, actor, kind, detail) VALUES ($1, $2, $3, $4)",
      emergency_id, actor, kind, detail);
}

std::optional<Locked> lock_emergency(pqxx::transaction_base& tx, std::int64_t id) {
  auto rows = tx.exec_params(
      "SELECT e.id, e.state, e.event_type, e.alarm_id, (e.plan->>'effect_minutes')::int, "
      "  e.before::text, e.after IS NOT NULL, h.id, h.code, h.name, c.code "
      "FROM emergency e JOIN hall h ON h.id = e.hall_id JOIN city_company c ON c.id = h.city_id "
      "WHERE e.id = $1 FOR UPDATE OF e",
      id);
  if (rows.empty()) return std::nullopt;
  const auto& r = rows[0];
  Locked e;
  e.id = r[0].as<std::int64_t>();
  e.state = r[1].as<std::string>();
  e.event_type = r[2].as<std::string>();
  if (!r[3].is_null()) e.alarm_id = r[3].as<std::int64_t>();
  e.effect_minutes = r[4].is_null() ? 20 : r[4].as<int>();
  if (!r[5].is_null()) e.before = json::parse(r[5].as<std::string>());
  e.has_after = r[6].as<bool>();
  e.hall = hall_of(r, 7);
  for (const auto& s : tx.exec_params(
           "SELECT params::text FROM emergency_step WHERE emergency_id = $1 ORDER BY position",
           id)) {
    auto step = step_from_json(json::parse(s[0].as<std::string>()));
    if (auto* parsed = std::get_if<Step>(&step)) e.steps.push_back(std::move(*parsed));
  }
  return e;
}

void mark_started(pqxx::transaction_base& tx, std::int64_t id, const std::string& actor,
                  const Indicators& before, std::int64_t now) {
  tx.exec_params(
      "UPDATE emergency SET state = 'active', started_at = to_timestamp($4), started_by = $2, "
      "before = $3::jsonb WHERE id = $1",
      id, actor, to_json(before).dump(), now);
  tx.exec_params(
      "UPDATE emergency_step SET due_at = to_timestamp($2) + time_limit_s * interval '1 second' "
      "WHERE emergency_id = $1",
      id, now);
}

void update_step(pqxx::transaction_base& tx, std::int64_t id, const StepUpdate& u) {
  const bool ended = u.state == "done" || u.state == "failed" || u.state == "skipped";
  tx.exec_params(
      "UPDATE emergency_step SET state = $3, result = $4, "
      "command_ids = command_ids || $5::bigint[], "
      "done_at = CASE WHEN $6 THEN now() ELSE done_at END, "
      "done_by = CASE WHEN $6 THEN $7 ELSE done_by END "
      "WHERE emergency_id = $1 AND position = $2",
      id, u.position, u.state, u.result, array_literal(u.command_ids), ended, u.actor);
}

std::optional<std::string> step_state(pqxx::transaction_base& tx, std::int64_t id, int position) {
  auto rows = tx.exec_params(
      "SELECT state FROM emergency_step WHERE emergency_id = $1 AND position = $2", id, position);
  if (rows.empty()) return std::nullopt;
  return rows[0][0].as<std::string>();
}

void record_effect(pqxx::transaction_base& tx, std::int64_t id, const Indicators& after,
                   bool effective) {
  tx.exec_params("UPDATE emergency SET after = $2::jsonb, effective = $3 WHERE id = $1", id,
                 to_json(after).dump(), effective);
}

void mark_closed(pqxx::transaction_base& tx, std::int64_t id, const std::string& state,
                 const std::string& actor, const std::string& outcome, const std::string& result,
                 const std::string& nature, const std::string& content) {
  tx.exec_params(
      "UPDATE emergency SET state = $2, closed_at = now(), closed_by = $3, outcome = $4, "
      "result = $5, nature = CASE WHEN $6 = '' THEN nature ELSE $6 END, "
      "content = CASE WHEN $7 = '' THEN content ELSE $7 END WHERE id = $1",
      id, state, actor, outcome, result, nature, content);
  tx.exec_params(
      "UPDATE emergency_step SET state = 'skipped', done_at = now(), done_by = $2, "
      "result = '未完成即结束' WHERE emergency_id = $1 AND state IN ('pending', 'running')",
      id, actor);
}

std::vector<RunningStep> running_steps(pqxx::transaction_base& tx) {
  std::vector<RunningStep> out;
  for (const auto& r :
       tx.exec("SELECT s.emergency_id, s.position, s.command_ids FROM emergency_step s "
               "JOIN emergency e ON e.id = s.emergency_id "
               "WHERE s.state = 'running' AND e.state = 'active' ORDER BY s.emergency_id, "
               "s.position")) {
    out.push_back({r[0].as<std::int64_t>(), r[1].as<int>(), numbers<std::int64_t>(r[2])});
  }
  return out;
}

std::vector<OverdueStep> take_overdue_steps(pqxx::transaction_base& tx, std::int64_t now) {
  std::vector<OverdueStep> out;
  for (const auto& r : tx.exec_params(
           "UPDATE emergency_step s SET escalated_at = to_timestamp($1) FROM emergency e, hall h, "
           "city_company c WHERE e.id = s.emergency_id AND h.id = e.hall_id AND c.id = h.city_id "
           "AND e.state = 'active' AND s.state IN ('pending', 'running') "
           "AND s.due_at < to_timestamp($1) AND s.escalated_at IS NULL "
           "RETURNING s.emergency_id, s.position, h.id, h.code, h.name, c.code, e.plan->>'name', "
           "s.params->>'description'",
           now)) {
    out.push_back({r[0].as<std::int64_t>(), r[1].as<int>(), hall_of(r, 2), r[6].as<std::string>(""),
                   r[7].as<std::string>("")});
  }
  return out;
}

std::vector<std::int64_t> effect_due(pqxx::transaction_base& tx, std::int64_t now) {
  std::vector<std::int64_t> out;
  for (const auto& r : tx.exec_params(
           "SELECT id FROM emergency WHERE state = 'active' AND after IS NULL AND started_at + "
           "coalesce((plan->>'effect_minutes')::int, 20) * interval '1 minute' <= to_timestamp($1) "
           "ORDER BY id",
           now))
    out.push_back(r[0].as<std::int64_t>());
  return out;
}

json list_emergencies(pqxx::transaction_base& tx, const EmergencyFilter& f) {
  const std::string where =
      "WHERE ($1 = '' OR ($1 = 'open' AND e.state IN ('suggested', 'active')) OR e.state = $1) "
      "AND ($2 = '' OR c.code = $2) AND ($3 = '' OR h.code = $3) AND ($4 = '' OR e.event_type = "
      "$4) AND ($5::bigint IS NULL OR e.suggested_at >= to_timestamp($5)) "
      "AND ($6::bigint IS NULL OR e.suggested_at < to_timestamp($6)) ";
  auto items = query_json(
      tx,
      fmt::format(
          "SELECT coalesce(json_agg(x ORDER BY x.id DESC), '[]') FROM ("
          "  SELECT e.id, e.plan_id, e.plan->>'name' AS plan_name, e.plan_version, "
          "    e.event_type, e.state, e.nature, e.content, e.alarm_id, e.outcome, e.result, "
          "    e.effective, "
          "    h.code AS hall, h.name AS hall_name, c.code AS city, "
          "    {} AS suggested_at, {} AS started_at, {} AS closed_at, e.started_by, "
          "    e.closed_by, e.before, e.after, "
          "    (SELECT count(*) FROM emergency_step s WHERE s.emergency_id = e.id) AS steps, "
          "    (SELECT count(*) FROM emergency_step s WHERE s.emergency_id = e.id AND s.state IN "
          "      ('done', 'skipped', 'failed')) AS steps_ended, "
          "    (SELECT count(*) FROM emergency_step s WHERE s.emergency_id = e.id AND s.state IN "
          "      ('pending', 'running') AND s.due_at < now()) AS steps_overdue "
          "  FROM emergency e JOIN hall h ON h.id = e.hall_id "
          "  JOIN city_company c ON c.id = h.city_id {} "
          "  ORDER BY e.id DESC LIMIT $7 OFFSET $8) x",
          iso_of("e.suggested_at"), iso_of("e.started_at"), iso_of("e.closed_at"), where),
      f.state, f.city_code, f.hall_code, f.event_type, f.from_epoch, f.until_epoch, f.limit,
      f.offset);
  auto total =
      tx.exec_params1(
            "SELECT count(*) FROM emergency e JOIN hall h ON h.id = e.hall_id "
            "JOIN city_company c ON c.id = h.city_id " +
                where,
            f.state, f.city_code, f.hall_code, f.event_type, f.from_epoch, f.until_epoch)[0]
          .as<std::int64_t>();
  for (auto& item : items)
    item["event_type_name"] = event_type_name(item["event_type"].get<std::string>());
  return {{"total", total}, {"limit", f.limit}, {"offset", f.offset}, {"items", items}};
}

json emergency_record(pqxx::transaction_base& tx, std::int64_t id) {
  auto record = query_json(
      tx,
      fmt::format(
          "SELECT row_to_json(x) FROM ("
          "  SELECT e.id, e.plan_id, e.plan_version, e.plan, e.event_type, e.state, e.nature, "
          "    e.content, e.alarm_id, e.outcome, e.result, e.effective, e.before, e.after, "
          "    h.code AS hall, h.name AS hall_name, c.code AS city, c.name AS city_name, "
          "    {} AS suggested_at, {} AS started_at, {} AS closed_at, e.started_by, e.closed_by, "
          "    (SELECT coalesce(json_agg(json_build_object('position', s.position, 'action', "
          "      s.action, 'params', s.params, 'role', s.role, 'time_limit_s', s.time_limit_s, "
          "      'executes', s.executes, 'state', s.state, 'due_at', {}, 'done_at', {}, "
          "      'done_by', s.done_by, 'result', s.result, 'command_ids', s.command_ids, "
          "      'overdue', s.state IN ('pending', 'running') AND s.due_at < now(), "
          "      'escalated_at', {}) ORDER BY s.position), '[]') "
          "      FROM emergency_step s WHERE s.emergency_id = e.id) AS steps, "
          "    (SELECT coalesce(json_agg(json_build_object('at', {}, 'actor', l.actor, 'kind', "
          "      l.kind, 'detail', l.detail) ORDER BY l.id), '[]') FROM emergency_log l "
          "      WHERE l.emergency_id = e.id) AS timeline "
          "  FROM emergency e JOIN hall h ON h.id = e.hall_id "
          "  JOIN city_company c ON c.id = h.city_id WHERE e.id = $1) x",
          iso_of("e.suggested_at"), iso_of("e.started_at"), iso_of("e.closed_at"),
          iso_of("s.due_at"), iso_of("s.done_at"), iso_of("s.escalated_at"), iso_of("l.at")),
      id);
  if (!record.is_null())
    record["event_type_name"] = event_type_name(record["event_type"].get<std::string>());
  return record;
}

std::optional<std::string> hall_of_emergency(pqxx::transaction_base& tx, std::int64_t id) {
  auto rows = tx.exec_params(
      "SELECT h.code FROM emergency e JOIN hall h ON h.id = e.hall_id WHERE e.id = $1", id);
  if (rows.empty()) return std::nullopt;
  return rows[0][0].as<std::string>();
}

// ---- decision support ----

json dissatisfaction_analysis(pqxx::transaction_base& tx, const std::string& city_code,
                              const std::string& hall_code, std::int64_t from_epoch,
                              std::int64_t until_epoch) {
  // Each evaluation with the ticket it is about: the latest issue of that ticket in the hall
  // within the day before, and its first call after the issue.
  return query_json(
      tx,
      "WITH facts AS ("
      "  SELECT coalesce(i.business, '') AS business, coalesce(e.staff_no, '') AS clerk, "
      "    CASE WHEN k.called_at IS NULL OR i.issued_at IS NULL THEN 'unknown' "
      "      WHEN k.called_at - i.issued_at < interval '10 minutes' THEN '0-10' "
      "      WHEN k.called_at - i.issued_at < interval '20 minutes' THEN '10-20' "
      "      WHEN k.called_at - i.issued_at < interval '30 minutes' THEN '20-30' "
      "      WHEN k.called_at - i.issued_at < interval '60 minutes' THEN '30-60' ELSE '60+' END "
      "      AS wait_band, "
      "    to_char(e.occurred_at AT TIME ZONE 'Asia/Shanghai', 'HH24') AS hour, "
      "    e.evaluation = 4 AS dissatisfied "
      "  FROM hall_event e JOIN hall h ON h.id = e.hall_id "
      "  JOIN city_company c ON c.id = h.city_id "
      "  LEFT JOIN LATERAL (SELECT x.business, x.occurred_at AS issued_at FROM hall_event x "
      "    WHERE x.hall_id = e.hall_id AND x.kind = 0 AND x.ticket = e.ticket "
      "    AND x.occurred_at <= e.occurred_at AND x.occurred_at > e.occurred_at - interval '1 day' "
      "    ORDER BY x.occurred_at DESC LIMIT 1) i ON true "
      "  LEFT JOIN LATERAL (SELECT y.occurred_at AS called_at FROM hall_event y "
      "    WHERE y.hall_id = e.hall_id AND y.kind = 1 AND y.ticket = e.ticket "
      "    AND y.occurred_at >= i.issued_at AND y.occurred_at <= e.occurred_at "
      "    ORDER BY y.occurred_at LIMIT 1) k ON true "
      "  WHERE e.kind = 7 AND e.evaluation BETWEEN 1 AND 4 AND e.device_at IS NULL "
      "    AND e.occurred_at >= to_timestamp($3) AND e.occurred_at < to_timestamp($4) "
      "    AND ($1 = '' OR c.code = $1) AND ($2 = '' OR h.code = $2)), "
      "overall AS (SELECT count(*) AS evaluated, count(*) FILTER (WHERE dissatisfied) AS "
      "  dissatisfied FROM facts), "
      "groups AS ("
      "  SELECT 'business' AS dimension, business AS key, count(*) AS evaluated, "
      "    count(*) FILTER (WHERE dissatisfied) AS dissatisfied FROM facts GROUP BY business "
      "  UNION ALL SELECT 'clerk', clerk, count(*), count(*) FILTER (WHERE dissatisfied) "
      "    FROM facts GROUP BY clerk "
      "  UNION ALL SELECT 'wait_band', wait_band, count(*), count(*) FILTER (WHERE dissatisfied) "
      "    FROM facts GROUP BY wait_band "
      "  UNION ALL SELECT 'hour', hour, count(*), count(*) FILTER (WHERE dissatisfied) "
      "    FROM facts GROUP BY hour), "
      "rated AS (SELECT g.*, round(g.dissatisfied::numeric / g.evaluated, 4) AS rate, "
      "  round(g.dissatisfied - g.evaluated * o.dissatisfied::numeric / nullif(o.evaluated, 0), "
      "  2) AS excess FROM groups g, overall o) "
      "SELECT json_build_object('evaluated', o.evaluated, 'dissatisfied', o.dissatisfied, "
      "  'rate', round(o.dissatisfied::numeric / nullif(o.evaluated, 0), 4), "
      "  'groups', (SELECT coalesce(json_agg(r ORDER BY r.dimension, r.key), '[]') FROM rated r), "
      "  'top', (SELECT coalesce(json_agg(t ORDER BY t.excess DESC, t.dimension, t.key), '[]') "
      "    FROM (SELECT * FROM rated WHERE excess > 0 ORDER BY excess DESC, dimension, key "
      "    LIMIT 10) t)) FROM overall o",
      city_code, hall_code, from_epoch, until_epoch);
}

// ---- work orders ----

std::vector<WorkOrderRule> load_work_order_rules(pqxx::transaction_base& tx) {
  std::vector<WorkOrderRule> out;
  for (const auto& r :
       tx.exec("SELECT id, name, indicator, threshold, hold_min, answer_within_h, city_code, "
               "hall_code, enabled FROM work_order_rule ORDER BY id")) {
    out.push_back({r[0].as<int>(), r[1].as<std::string>(), r[2].as<std::string>(),
                   r[3].as<double>(), r[4].as<int>(), r[5].as<int>(), r[6].as<std::string>(),
                   r[7].as<std::string>(), r[8].as<bool>()});
  }
  return out;
}

std::variant<WorkOrderRule, std::string> work_order_rule_from_json(const json& body) {
  using records::take;
  if (!body.is_object()) return std::string("the body must be a JSON object");
  WorkOrderRule r;
  for (auto problem :
       {take(body, "name", r.name), take(body, "indicator", r.indicator),
        take(body, "threshold", r.threshold), take(body, "hold_min", r.hold_min),
        take(body, "answer_within_h", r.answer_within_h), take(body, "city", r.city_code),
        take(body, "hall", r.hall_code), take(body, "enabled", r.enabled)}) {
    if (problem) return *problem;
  }
  if (r.name.empty() || r.name.size() > 200) return std::string("'name' is 1 to 200 bytes");
  if (r.hold_min < 1 || r.hold_min > 1440) return std::string("'hold_min' is 1 to 1440");
  if (r.answer_within_h < 1 || r.answer_within_h > 720)
    return std::string("'answer_within_h' is 1 to 720");
  if (!std::isfinite(r.threshold)) return std::string("'threshold' is a number");
  if (!alarm::parse_indicator(r.indicator))
    return fmt::format("unknown indicator '{}'", r.indicator);
  if (r.city_code.size() > 32 || r.hall_code.size() > 32)
    return std::string("'city' and 'hall' are codes");
  return r;
}

json to_json(const WorkOrderRule& r) {
  return {{"id", r.id},
          {"name", r.name},
          {"indicator", r.indicator},
          {"threshold", r.threshold},
          {"hold_min", r.hold_min},
          {"answer_within_h", r.answer_within_h},
          {"city", r.city_code},
          {"hall", r.hall_code},
          {"enabled", r.enabled}};
}

int insert_work_order_rule(pqxx::transaction_base& tx, const WorkOrderRule& r) {
  return tx
      .exec_params1(
          "INSERT INTO work_order_rule (name, indicator, threshold, hold_min, answer_within_h, "
          "city_code, hall_code, enabled) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
          r.name, r.indicator, r.threshold, r.hold_min, r.answer_within_h, r.city_code, r.hall_code,
          r.enabled)[0]
      .as<int>();
}

bool update_work_order_rule(pqxx::transaction_base& tx, const WorkOrderRule& r) {
  return tx.exec_params(
               "UPDATE work_order_rule SET name = $2, indicator = $3, threshold = $4, "
               "hold_min = $5, answer_within_h = $6, city_code = $7, hall_code = $8, "
               "enabled = $9 WHERE id = $1",
               r.id, r.name, r.indicator, r.threshold, r.hold_min, r.answer_within_h, r.city_code,
               r.hall_code, r.enabled)
             .affected_rows() == 1;
}

bool delete_work_order_rule(pqxx::transaction_base& tx, int id) {
  return tx.exec_params("DELETE FROM work_order_rule WHERE id = $1", id).affected_rows() == 1;
}

std::optional<std::int64_t> open_work_order(pqxx::transaction_base& tx, const WorkOrderRule& rule,
                                            int hall_id, const json& evidence, std::int64_t now) {
  auto rows = tx.exec_params(
      "INSERT INTO work_order (rule_id, rule_name, hall_id, indicator, threshold, state, "
      "opened_at, due_at, evidence) VALUES ($1, $2, $3, $4, $5, 'open', to_timestamp($8), "
      "to_timestamp($8) + $6 * interval '1 hour', $7::jsonb) "
      "ON CONFLICT (rule_id, hall_id) WHERE state = 'open' DO NOTHING RETURNING id",
      rule.id, rule.name, hall_id, rule.indicator, rule.threshold, rule.answer_within_h,
      evidence.dump(), now);
  if (rows.empty()) return std::nullopt;
  return rows[0][0].as<std::int64_t>();
}

namespace {
std::string work_order_select() {
  return fmt::format(
      "SELECT w.id, w.rule_id, w.rule_name, w.indicator, w.threshold, w.state, w.evidence, "
      "  w.cause, w.measures, w.answered_by, w.closed_by, w.review, "
      "  w.state = 'open' AND w.due_at < now() AS overdue, "
      "  h.code AS hall, h.name AS hall_name, c.code AS city, "
      "  {} AS opened_at, {} AS due_at, {} AS answered_at, {} AS closed_at "
      "FROM work_order w JOIN hall h ON h.id = w.hall_id JOIN city_company c ON c.id = h.city_id ",
      iso_of("w.opened_at"), iso_of("w.due_at"), iso_of("w.answered_at"), iso_of("w.closed_at"));
}
}  // namespace

json list_work_orders(pqxx::transaction_base& tx, const WorkOrderFilter& f) {
  const std::string where =
      "WHERE ($1 = '' OR w.state = $1 OR ($1 = 'overdue' AND w.state = 'open' AND w.due_at < "
      "now())) AND ($2 = '' OR c.code = $2) AND ($3 = '' OR h.code = $3) ";
  auto items =
      query_json(tx,
                 "SELECT coalesce(json_agg(x ORDER BY x.id DESC), '[]') FROM (" +
                     work_order_select() + where + "ORDER BY w.id DESC LIMIT $4 OFFSET $5) x",
                 f.state, f.city_code, f.hall_code, f.limit, f.offset);
  auto total = tx.exec_params1(
                     "SELECT count(*) FROM work_order w JOIN hall h ON h.id = w.hall_id "
                     "JOIN city_company c ON c.id = h.city_id " +
                         where,
                     f.state, f.city_code, f.hall_code)[0]
                   .as<std::int64_t>();
  return {{"total", total}, {"limit", f.limit}, {"offset", f.offset}, {"items", items}};
}

json work_order(pqxx::transaction_base& tx, std::int64_t id) {
  return query_json(tx, "SELECT row_to_json(x) FROM (" + work_order_select() + "WHERE w.id = $1) x",
                    id);
}

std::optional<std::string> hall_of_work_order(pqxx::transaction_base& tx, std::int64_t id) {
  auto rows = tx.exec_params(
      "SELECT h.code FROM work_order w JOIN hall h ON h.id = w.hall_id WHERE w.id = $1", id);
  if (rows.empty()) return std::nullopt;
  return rows[0][0].as<std::string>();
}

std::string answer_work_order(pqxx::transaction_base& tx, std::int64_t id, const std::string& actor,
                              const std::string& cause, const std::string& measures) {
  auto rows = tx.exec_params(
      "UPDATE work_order SET state = 'answered', cause = $3, measures = $4, answered_at = now(), "
      "answered_by = $2 WHERE id = $1 AND state = 'open' RETURNING id",
      id, actor, cause, measures);
  return rows.empty() ? "the work order is not open" : "";
}

std::string close_work_order(pqxx::transaction_base& tx, std::int64_t id, const std::string& actor,
                             bool accepted, const std::string& review) {
  // Sent back, it is open again for a better answer, with the reviewer's words.
  auto rows = tx.exec_params(
      "UPDATE work_order SET state = CASE WHEN $3 THEN 'closed' ELSE 'open' END, "
      "closed_at = CASE WHEN $3 THEN now() END, closed_by = CASE WHEN $3 THEN $2 END, "
      "review = $4 WHERE id = $1 AND state = 'answered' RETURNING id",
      id, actor, accepted, review);
  return rows.empty() ? "the work order has no answer to review" : "";
}

json work_order_statistics(pqxx::transaction_base& tx, const std::string& group,
                           const std::string& city_code, const std::string& hall_code,
                           std::int64_t from_epoch, std::int64_t until_epoch) {
  std::string key = group == "hall"    ? "h.code"
                    : group == "city"  ? "c.code"
                    : group == "cause" ? "coalesce(w.cause, 'unanswered')"
                                       : "to_char(w.opened_at AT TIME ZONE 'Asia/Shanghai', "
                                         "'YYYY-MM')";
  std::string name = group == "hall" ? "min(h.name)" : group == "city" ? "min(c.name)" : key;
  return query_json(
      tx,
      fmt::format(
          "SELECT json_build_object('group', $5::text, 'items', coalesce(json_agg(x ORDER BY "
          "x.orders DESC, x.key), '[]')) FROM ("
          "  SELECT {0} AS key, {1} AS name, count(*) AS orders, "
          "    count(*) FILTER (WHERE w.state = 'open') AS open, "
          "    count(*) FILTER (WHERE w.state = 'open' AND w.due_at < now() OR "
          "      w.answered_at > w.due_at) AS overdue, "
          "    round(avg(extract(epoch FROM w.answered_at - w.opened_at) / 3600)::numeric, 1) "
          "      AS mean_answer_hours "
          "  FROM work_order w JOIN hall h ON h.id = w.hall_id "
          "  JOIN city_company c ON c.id = h.city_id "
          "  WHERE ($1 = '' OR c.code = $1) AND ($2 = '' OR h.code = $2) "
          "    AND w.opened_at >= to_timestamp($3) AND w.opened_at < to_timestamp($4) "
          "  GROUP BY {0}) x",
          key, name),
      city_code, hall_code, from_epoch, until_epoch, group);
}

}  // namespace halld::emergency
