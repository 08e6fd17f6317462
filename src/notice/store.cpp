#include "halld/notice/store.hpp"

#include <fmt/format.h>

#include <map>
#include <set>

#include "halld/store/command_store.hpp"
#include "halld/store/sql_text.hpp"

namespace halld::notice {
namespace {

using nlohmann::json;
using store::iso_utc;

std::int64_t epoch(Timestamp at) {
  return at.time_since_epoch().count();
}
Timestamp at_epoch(const pqxx::field& field) {
  return Timestamp(std::chrono::seconds(field.as<std::int64_t>()));
}

// What the boards show of one notice (the command's fields besides the kind).
struct Wording {
  std::string text;
  std::string display;
  Timestamp valid_until{};
};

// The current notices reaching each hall, for the choice, and their wording.
void load_candidates(pqxx::transaction_base& tx, Timestamp now, const std::string& halls,
                     std::map<int, std::vector<Candidate>>& candidates,
                     std::map<std::int64_t, Wording>& wordings) {
  for (const auto& row : tx.exec_params(
           "SELECT h.id, n.id, n.priority, extract(epoch FROM n.valid_from)::bigint, "
           "  extract(epoch FROM n.valid_until)::bigint, n.text, n.display "
           "FROM hall_notice n JOIN hall h ON h.status = 'open' AND (n.level = 'province' "
           "  OR h.city_id = n.city_id OR h.id = n.hall_id) "
           "WHERE n.withdrawn_at IS NULL AND n.valid_from <= to_timestamp($1) "
           "  AND n.valid_until > to_timestamp($1) "
           "  AND ($2::integer[] = '{}' OR h.id = ANY($2::integer[]))",
           epoch(now), halls)) {
    Candidate c{row[1].as<std::int64_t>(), static_cast<Priority>(row[2].as<int>()),
                at_epoch(row[3]), at_epoch(row[4]), false};
    candidates[row[0].as<int>()].push_back(c);
    wordings.try_emplace(
        c.id, Wording{row[5].as<std::string>(), row[6].as<std::string>(), c.valid_until});
  }
}

std::map<int, Shown> load_shown(pqxx::transaction_base& tx, const std::string& halls) {
  std::map<int, Shown> shown;
  for (const auto& row :
       tx.exec_params("SELECT d.hall_id, d.notice_id, extract(epoch FROM d.sent_at)::bigint, "
                      "  extract(epoch FROM d.shown_until)::bigint, coalesce(k.state, ''), "
                      "  d.command_id IS NULL "
                      "FROM hall_notice_display d LEFT JOIN hall_command k ON k.id = d.command_id "
                      "WHERE d.notice_id IS NOT NULL "
                      "  AND ($1::integer[] = '{}' OR d.hall_id = ANY($1::integer[]))",
                      halls)) {
    Shown s;
    s.notice_id = row[1].as<std::int64_t>();
    s.sent_at = at_epoch(row[2]);
    if (!row[3].is_null()) s.shown_until = at_epoch(row[3]);
    s.command_state = row[4].as<std::string>();
    s.undeliverable = row[5].as<bool>();
    shown.emplace(row[0].as<int>(), s);
  }
  return shown;
}

void record_display(pqxx::transaction_base& tx, int hall_id, std::optional<std::int64_t> notice_id,
                    std::optional<std::int64_t> command_id, Timestamp now,
                    std::optional<Timestamp> shown_until, const std::string& detail) {
  tx.exec_params(
      "INSERT INTO hall_notice_display (hall_id, notice_id, command_id, sent_at, shown_until, "
      "detail) VALUES ($1, $2, $3, to_timestamp($4), to_timestamp($5), $6) "
      "ON CONFLICT (hall_id) DO UPDATE SET notice_id = EXCLUDED.notice_id, command_id = "
      "EXCLUDED.command_id, sent_at = EXCLUDED.sent_at, shown_until = EXCLUDED.shown_until, "
      "detail = EXCLUDED.detail",
      hall_id, notice_id, command_id, epoch(now),
      shown_until ? std::optional(epoch(*shown_until)) : std::nullopt, detail);
}

void record_delivery(pqxx::transaction_base& tx, const Delivery& d, Timestamp now) {
  static constexpr std::string_view actions[] = {"", "show", "refresh", "clear"};
  const auto action =
      d.command_id ? std::string(actions[static_cast<int>(d.step)]) : std::string("undeliverable");
  tx.exec_params(
      "INSERT INTO hall_notice_delivery (notice_id, hall_id, action, command_id, at, detail) "
      "VALUES ($1, $2, $3, $4, to_timestamp($5), $6)",
      d.notice_id, d.hall_id, action, d.command_id, epoch(now), d.detail);
}

// The state a notice is in at `now`, as SQL over hall_notice n.
std::string state_sql(const std::string& now) {
  return fmt::format(
      "CASE WHEN n.withdrawn_at IS NOT NULL THEN 'withdrawn' "
      "WHEN n.valid_until <= to_timestamp({0}) THEN 'expired' "
      "WHEN n.valid_from > to_timestamp({0}) THEN 'scheduled' ELSE 'current' END",
      now);
}

// The notices that reach the filter's hall or city (every notice when both are empty).
constexpr const char* reaches_filter =
    "(($1 = '' AND $2 = '') OR n.level = 'province' "
    " OR n.city_id = (SELECT id FROM city_company WHERE code = $1) "
    " OR n.city_id = (SELECT city_id FROM hall WHERE code = $2) "
    " OR n.hall_id = (SELECT id FROM hall WHERE code = $2) "
    " OR ($2 = '' AND n.hall_id IN (SELECT h.id FROM hall h JOIN city_company c "
    "     ON c.id = h.city_id WHERE c.code = $1)))";

json notice_json(const pqxx::row& r) {
  const auto text = [](const pqxx::field& f) {
    return f.is_null() ? json(nullptr) : json(f.as<std::string>());
  };
  return json{
      {"id", r[0].as<std::int64_t>()},
      {"level", r[1].as<std::string>()},
      {"code", text(r[2])},
      {"reach_name", r[3].as<std::string>()},
      {"text", r[4].as<std::string>()},
      {"priority", to_string(static_cast<Priority>(r[5].as<int>()))},
      {"display", r[6].as<std::string>()},
      {"valid_from", r[7].as<std::string>()},
      {"valid_until", r[8].as<std::string>()},
      {"state", r[9].as<std::string>()},
      {"published_by", r[10].as<std::string>()},
      {"published_at", r[11].as<std::string>()},
      {"withdrawn_by", text(r[12])},
      {"withdrawn_at", text(r[13])},
      {"withdraw_reason", r[14].as<std::string>()},
      {"emergency_id", r[15].is_null() ? json(nullptr) : json(r[15].as<std::int64_t>())},
      {"halls",
       {{"reached", r[16].as<int>()},
        {"showing", r[17].as<int>()},
        {"pending", r[18].as<int>()},
        {"failed", r[19].as<int>()}}},
  };
}

// The columns notice_json reads, over hall_notice n; `now` names the parameter holding now.
std::string notice_select(const std::string& now) {
  return fmt::format(
      "SELECT n.id, n.level, coalesce(hh.code, cc.code), "
      "  coalesce(hh.name, cc.name, '全省'), n.text, n.priority, n.display, {}, {}, {}, "
      "  n.published_by, {}, n.withdrawn_by, {}, n.withdraw_reason, n.emergency_id, "
      "  (SELECT count(*) FROM hall h WHERE h.status = 'open' AND (n.level = 'province' "
      "     OR h.city_id = n.city_id OR h.id = n.hall_id))::int, "
      "  count(*) FILTER (WHERE shown.hall_id IS NOT NULL AND k.state = 'done')::int, "
      "  count(*) FILTER (WHERE shown.hall_id IS NOT NULL AND k.state IN ('queued', 'sent'))::int, "
      "  count(*) FILTER (WHERE d.id IS NOT NULL AND (d.command_id IS NULL "
      "     OR k.state IN ('expired', 'failed', 'refused', 'unsupported')))::int "
      "FROM hall_notice n "
      "LEFT JOIN hall hh ON hh.id = n.hall_id "
      "LEFT JOIN city_company cc ON cc.id = n.city_id "
      // each hall's latest delivery of the notice says where it stands there
      "LEFT JOIN LATERAL (SELECT DISTINCT ON (hall_id) id, hall_id, command_id FROM "
      "  hall_notice_delivery "
      "  WHERE notice_id = n.id AND action <> 'clear' ORDER BY hall_id, id DESC) d ON true "
      "LEFT JOIN hall_command k ON k.id = d.command_id "
      // showing (or being sent) only where the boards still have it
      "LEFT JOIN hall_notice_display shown ON shown.hall_id = d.hall_id AND shown.notice_id = "
      "n.id ",
      iso_utc("n.valid_from"), iso_utc("n.valid_until"), state_sql(now), iso_utc("n.published_at"),
      iso_utc("n.withdrawn_at"));
}
constexpr const char* notice_group = " GROUP BY n.id, hh.code, cc.code, hh.name, cc.name ";

}  // namespace

std::int64_t publish(pqxx::transaction_base& tx, const Draft& draft, const Reach& reach,
                     const std::string& actor, Timestamp now,
                     std::optional<std::int64_t> emergency_id) {
  std::optional<int> city_id, hall_id;
  if (reach.level != Level::province) {
    auto row =
        tx.exec_params(reach.level == Level::city ? "SELECT id FROM city_company WHERE code = $1"
                                                  : "SELECT id FROM hall WHERE code = $1",
                       reach.code);
    if (row.empty())
      throw std::invalid_argument(fmt::format("no {} '{}'", to_string(reach.level), reach.code));
    (reach.level == Level::city ? city_id : hall_id) = row[0][0].as<int>();
  }
  return tx
      .exec_params1(
          "INSERT INTO hall_notice (level, city_id, hall_id, text, priority, display, valid_from, "
          "valid_until, emergency_id, published_by, published_at) VALUES ($1, $2, $3, $4, $5, $6, "
          "to_timestamp($7), to_timestamp($8), $9, $10, to_timestamp($11)) RETURNING id",
          std::string(to_string(reach.level)), city_id, hall_id, draft.text,
          static_cast<int>(draft.priority), std::string(to_string(draft.display)),
          epoch(draft.valid_from), epoch(draft.valid_until), emergency_id, actor, epoch(now))[0]
      .as<std::int64_t>();
}

std::vector<Delivery> sync_boards(pqxx::transaction_base& tx, Timestamp now,
                                  const std::vector<int>& halls, const SyncOptions& options) {
  tx.exec("SELECT pg_advisory_xact_lock(hashtext('halld.notice.sync_boards'))");
  const auto hall_list = store::array_literal(halls);
  std::map<int, std::vector<Candidate>> candidates;
  std::map<std::int64_t, Wording> wordings;
  load_candidates(tx, now, hall_list, candidates, wordings);
  const auto shown = load_shown(tx, hall_list);
  std::set<int> considered;
  for (const auto& [hall, list] : candidates) considered.insert(hall);
  for (const auto& [hall, s] : shown) considered.insert(hall);

  std::vector<Delivery> deliveries;
  for (int hall : considered) {
    const auto c = candidates.find(hall);
    const auto wanted = c == candidates.end() ? std::nullopt : shown_notice(c->second, now);
    const auto s = shown.find(hall);
    const Shown& was = s == shown.end() ? Shown{} : s->second;
    const auto until = wanted ? wordings.at(*wanted).valid_until : now;
    const auto step = next_step(wanted, until, was, now, options.timing);
    if (step == Step::none) continue;
    if (step == Step::clear && was.undeliverable) {  // the boards never had it
      record_display(tx, hall, std::nullopt, std::nullopt, now, std::nullopt, "");
      continue;
    }

    Delivery d{hall, wanted ? *wanted : *was.notice_id, step, std::nullopt, ""};
    json command{{"kind", step == Step::clear ? "clear_message" : "show_message"}};
    std::optional<Timestamp> shown_until;
    if (step == Step::clear) {
      command["display"] = "all";
    } else {
      const auto& wording = wordings.at(*wanted);
      const auto seconds = display_seconds(now, wording.valid_until);
      command["display"] = wording.display;
      command["seconds"] = seconds;
      command["text"] = wording.text;
      shown_until = now + std::chrono::seconds(seconds);
    }
    auto target = store::hall_command_target(tx, hall, records::ChannelProtocol::queue_eval);
    if (auto* why = std::get_if<std::string>(&target)) {
      d.detail = *why;
    } else {
      d.command_id =
          store::queue_command(tx, std::get<store::CommandTarget>(target), command,
                               fmt::format("notice:{}", d.notice_id), options.command_expiry);
    }
    record_display(tx, hall, wanted, d.command_id, now, d.command_id ? shown_until : std::nullopt,
                   d.detail);
    // A hall that still has nowhere to send the notice is recorded once, not at every retry.
    const bool repeated_failure = !d.command_id && was.undeliverable && was.notice_id == wanted;
    if (!repeated_failure) record_delivery(tx, d, now);
    deliveries.push_back(std::move(d));
  }
  return deliveries;
}

std::vector<int> halls_reached(pqxx::transaction_base& tx, std::int64_t id) {
  std::vector<int> halls;
  for (const auto& row : tx.exec_params(
           "SELECT h.id FROM hall_notice n JOIN hall h ON h.status = 'open' AND "
           "(n.level = 'province' OR h.city_id = n.city_id OR h.id = n.hall_id) WHERE n.id = $1 "
           "ORDER BY h.id",
           id))
    halls.push_back(row[0].as<int>());
  return halls;
}

std::string withdraw(pqxx::transaction_base& tx, std::int64_t id, const std::string& actor,
                     const std::string& reason, Timestamp now) {
  auto rows = tx.exec_params(
      "SELECT withdrawn_at IS NOT NULL, valid_until <= to_timestamp($2) FROM hall_notice "
      "WHERE id = $1 FOR UPDATE",
      id, epoch(now));
  if (rows.empty()) return "not_found";
  if (rows[0][0].as<bool>()) return "公告已撤回";
  if (rows[0][1].as<bool>()) return "公告已过期";
  tx.exec_params(
      "UPDATE hall_notice SET withdrawn_by = $2, withdrawn_at = to_timestamp($3), "
      "withdraw_reason = $4 WHERE id = $1",
      id, actor, epoch(now), reason);
  return {};
}

std::vector<std::int64_t> withdraw_for_emergency(pqxx::transaction_base& tx,
                                                 std::int64_t emergency_id,
                                                 const std::string& actor, Timestamp now) {
  std::vector<std::int64_t> ids;
  for (const auto& row : tx.exec_params(
           "UPDATE hall_notice SET withdrawn_by = $2, withdrawn_at = to_timestamp($3), "
           "withdraw_reason = '应急事件已结束' WHERE emergency_id = $1 AND withdrawn_at IS NULL "
           "AND valid_until > to_timestamp($3) RETURNING id",
           emergency_id, actor, epoch(now)))
    ids.push_back(row[0].as<std::int64_t>());
  return ids;
}

json list_notices(pqxx::transaction_base& tx, const Filter& f, Timestamp now) {
  const auto where =
      fmt::format(" WHERE {} AND ($4 = '' OR {} = $4) ", reaches_filter, state_sql("$3"));
  json items = json::array();
  for (const auto& row :
       tx.exec_params(notice_select("$3") + where + notice_group +
                          " ORDER BY n.id DESC LIMIT $5 "
                          "OFFSET $6",
                      f.city_code, f.hall_code, epoch(now), f.state, f.limit, f.offset))
    items.push_back(notice_json(row));
  const auto total = tx.exec_params1("SELECT count(*) FROM hall_notice n" + where, f.city_code,
                                     f.hall_code, epoch(now), f.state)[0]
                         .as<std::int64_t>();
  return json{{"items", items}, {"total", total}};
}

bool reaches(pqxx::transaction_base& tx, std::int64_t id, const Filter& f) {
  return !tx.exec_params(
                fmt::format("SELECT 1 FROM hall_notice n WHERE n.id = $3 AND {}", reaches_filter),
                f.city_code, f.hall_code, id)
              .empty();
}

json notice_record(pqxx::transaction_base& tx, std::int64_t id, const Filter& f, Timestamp now) {
  auto rows =
      tx.exec_params(notice_select("$1") + " WHERE n.id = $2 " + notice_group, epoch(now), id);
  if (rows.empty()) return nullptr;
  auto record = notice_json(rows[0]);
  json deliveries = json::array();
  for (const auto& row : tx.exec_params(
           fmt::format(
               "SELECT h.code, h.name, d.action, d.command_id, coalesce(k.state, ''), "
               "  coalesce(nullif(d.detail, ''), k.detail, ''), {} "
               "FROM hall_notice_delivery d JOIN hall h ON h.id = d.hall_id "
               "JOIN city_company c ON c.id = h.city_id "
               "LEFT JOIN hall_command k ON k.id = d.command_id "
               "WHERE d.notice_id = $1 AND ($2 = '' OR c.code = $2) AND ($3 = '' OR h.code = $3) "
               "ORDER BY d.id DESC LIMIT 2000",
               iso_utc("d.at")),
           id, f.city_code, f.hall_code))
    deliveries.push_back(
        {{"hall", row[0].as<std::string>()},
         {"hall_name", row[1].as<std::string>()},
         {"action", row[2].as<std::string>()},
         {"command_id", row[3].is_null() ? json(nullptr) : json(row[3].as<std::int64_t>())},
         {"command_state", row[4].as<std::string>()},
         {"detail", row[5].as<std::string>()},
         {"at", row[6].as<std::string>()}});
  record["deliveries"] = std::move(deliveries);
  return record;
}

std::optional<Reach> reach_of_notice(pqxx::transaction_base& tx, std::int64_t id) {
  auto rows = tx.exec_params(
      "SELECT n.level, coalesce(h.code, c.code, '') FROM hall_notice n "
      "LEFT JOIN hall h ON h.id = n.hall_id LEFT JOIN city_company c ON c.id = n.city_id "
      "WHERE n.id = $1",
      id);
  if (rows.empty()) return std::nullopt;
  const auto level = rows[0][0].as<std::string>();
  return Reach{level == "hall"   ? Level::hall
               : level == "city" ? Level::city
                                 : Level::province,
               rows[0][1].as<std::string>()};
}

}  // namespace halld::notice
