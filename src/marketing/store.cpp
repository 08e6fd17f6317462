#include "halld/marketing/store.hpp"

#include <fmt/format.h>

#include <map>

#include "halld/records/event_json.hpp"
#include "halld/store/sql_text.hpp"

namespace halld::marketing {
namespace {

using nlohmann::json;
using records::iso8601;

std::optional<std::string> time_or_null(const std::optional<records::Timestamp>& t) {
  if (!t) return std::nullopt;
  return iso8601(*t);
}
void store_records(pqxx::work& tx, const wire::Page& page, const ClassThresholds& thresholds,
                   const std::string& now, const std::string& pass) {
  for (const auto& e : page.halls)
    tx.exec_params(
        "INSERT INTO marketing_hall (code, name, city_code, county, address, status, changed_at, "
        "seen_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (code) DO UPDATE SET "
        "name = $2, city_code = $3, county = $4, address = $5, status = $6, changed_at = $7, "
        "seen_at = $8",
        e.code, e.name, e.city_code, e.county, e.address, e.status, iso8601(e.changed_at), pass);
  for (const auto& e : page.clerks)
    tx.exec_params(
        "INSERT INTO marketing_clerk (staff_no, name, hall_code, status, changed_at, seen_at) "
        "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (staff_no) DO UPDATE SET name = $2, "
        "hall_code = $3, status = $4, changed_at = $5, seen_at = $6",
        e.staff_no, e.name, e.hall_code, e.status, iso8601(e.changed_at), pass);
  for (const auto& e : page.business_types)
    tx.exec_params(
        "INSERT INTO marketing_business_type (code, name, channel, changed_at) VALUES ($1, $2, "
        "$3, $4) ON CONFLICT (code) DO UPDATE SET name = $2, channel = $3, changed_at = $4",
        e.code, e.name, e.channel, iso8601(e.changed_at));
  for (const auto& e : page.customers)
    tx.exec_params(
        "INSERT INTO marketing_customer (customer_no, name, dedicated_transformer, contract_kva, "
        "annual_kwh, category, class_code, changed_at, received_at) VALUES ($1, $2, $3, $4, $5, "
        "$6, $7, $8, $9) ON CONFLICT (customer_no) DO UPDATE SET name = $2, "
        "dedicated_transformer = $3, contract_kva = $4, annual_kwh = $5, category = $6, "
        "class_code = $7, changed_at = $8, received_at = $9",
        e.number, e.name, e.dedicated_transformer, e.contract_kva, e.annual_kwh, e.category,
        std::string(class_name(classify(e, thresholds))), iso8601(e.changed_at), now);
  for (const auto& e : page.applications) {
    // A counter application waits to be linked; the rest have no ticket to be linked to. A
    // change of an application already linked keeps its link.
    const char* state = e.channel == "counter" ? "waiting" : "not_counter";
    tx.exec_params(
        "INSERT INTO business_application (application_no, business_code, customer_no, "
        "city_code, hall_code, hall_id, staff_no, accepted_at, finished_at, status, channel, "
        "changed_at, received_at, link_state) VALUES ($1, $2, $3, $4, $5, (SELECT id FROM hall "
        "WHERE code = $5), $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT (application_no) DO "
        "UPDATE SET business_code = $2, customer_no = $3, city_code = $4, hall_code = $5, "
        "hall_id = (SELECT id FROM hall WHERE code = $5), staff_no = $6, accepted_at = $7, "
        "finished_at = $8, status = $9, channel = $10, changed_at = $11, received_at = $12, "
        "link_state = CASE WHEN business_application.link_state = 'linked' AND "
        "business_application.staff_no = $6 AND business_application.hall_code = $5 THEN "
        "'linked' ELSE $13 END",
        e.number, e.business, e.customer, e.city_code, e.hall_code, e.staff_no,
        iso8601(e.accepted_at), time_or_null(e.finished_at), e.status, e.channel,
        iso8601(e.changed_at), now, std::string(state));
  }
  for (const auto& r : page.rejected)
    tx.exec_params(
        "INSERT INTO marketing_rejected (entity, record_key, reason, received_at) VALUES ($1, "
        "$2, $3, $4)",
        std::string(wire::entity_name(page.entity)), r.key, r.reason, now);
}

// ---- the archive ----
std::vector<KnownHall> our_halls(pqxx::work& tx) {
  std::vector<KnownHall> halls;
  for (const auto& row :
       tx.exec("SELECT h.code, h.name, c.code, h.county, h.address, h.status FROM hall h JOIN "
               "city_company c ON c.id = h.city_id"))
    halls.push_back({row[0].c_str(), row[1].c_str(), row[2].c_str(), row[3].c_str(), row[4].c_str(),
                     row[5].c_str()});
  return halls;
}
std::vector<KnownClerk> our_clerks(pqxx::work& tx) {
  std::vector<KnownClerk> clerks;
  for (const auto& row :
       tx.exec("SELECT k.staff_no, k.name, h.code, k.status FROM clerk k JOIN hall h ON h.id = "
               "k.hall_id"))
    clerks.push_back({row[0].c_str(), row[1].c_str(), row[2].c_str(), row[3].c_str()});
  return clerks;
}
std::vector<wire::HallEntry> their_halls(pqxx::work& tx) {
  std::vector<wire::HallEntry> halls;
  for (const auto& row :
       tx.exec("SELECT code, name, city_code, county, address, status FROM marketing_hall"))
    halls.push_back({row[0].c_str(),
                     row[1].c_str(),
                     row[2].c_str(),
                     row[3].c_str(),
                     row[4].c_str(),
                     row[5].c_str(),
                     {}});
  return halls;
}
std::vector<wire::ClerkEntry> their_clerks(pqxx::work& tx) {
  std::vector<wire::ClerkEntry> clerks;
  for (const auto& row : tx.exec("SELECT staff_no, name, hall_code, status FROM marketing_clerk"))
    clerks.push_back({row[0].c_str(), row[1].c_str(), row[2].c_str(), row[3].c_str(), {}});
  return clerks;
}

json to_json(const std::optional<KnownHall>& h) {
  if (!h) return nullptr;
  return {{"code", h->code},     {"name", h->name},       {"city", h->city_code},
          {"county", h->county}, {"address", h->address}, {"status", h->status}};
}
json to_json(const std::optional<KnownClerk>& c) {
  if (!c) return nullptr;
  return {
      {"staff_no", c->staff_no}, {"name", c->name}, {"hall", c->hall_code}, {"status", c->status}};
}

// The marketing system's "retired" and "inactive" clerks are halld's inactive ones.
std::string our_clerk_status(const std::string& status) {
  return status == "active" ? "active" : "inactive";
}

// Applies a new or changed record; "" when done, else why not (the record waits for the
// archive to hold what it refers to).
std::string apply(pqxx::work& tx, const ArchiveChange& change) {
  if (change.kind == "hall") {
    const auto& h = *change.hall_after;
    if (tx.exec_params("SELECT 1 FROM city_company WHERE code = $1", h.city_code).empty())
      return fmt::format("城市公司 {} 不在档案中", h.city_code);
    if (change.change == "new") {
      // Placed at its city's other halls until someone places it (the map needs a point), level
      // C, open on weekdays 08:30–17:30 until its hours are imported.
      tx.exec_params(
          "INSERT INTO hall (code, name, city_id, county, address, latitude, longitude, level, "
          "status) SELECT $1, $2, c.id, $4, $5, coalesce(avg(h.latitude), 0), "
          "coalesce(avg(h.longitude), 0), 'C', $6 FROM city_company c LEFT JOIN hall h ON "
          "h.city_id = c.id WHERE c.code = $3 GROUP BY c.id",
          h.code, h.name, h.city_code, h.county, h.address, h.status);
      tx.exec_params(
          "INSERT INTO hall_opening_hours (hall_id, weekday, opens, closes) SELECT id, d, "
          "'08:30', '17:30' FROM hall, generate_series(1, 5) d WHERE code = $1",
          h.code);
    } else {
      tx.exec_params(
          "UPDATE hall SET name = $2, city_id = (SELECT id FROM city_company WHERE code = $3), "
          "county = $4, address = $5, status = $6 WHERE code = $1",
          h.code, h.name, h.city_code, h.county, h.address, h.status);
    }
    return {};
  }
  const auto& c = *change.clerk_after;
  if (tx.exec_params("SELECT 1 FROM hall WHERE code = $1", c.hall_code).empty())
    return fmt::format("营业厅 {} 不在档案中", c.hall_code);
  if (change.change == "new") {
    tx.exec_params(
        "INSERT INTO clerk (staff_no, name, hall_id, status) SELECT $1, $2, id, $4 FROM hall "
        "WHERE code = $3",
        c.staff_no, c.name, c.hall_code, our_clerk_status(c.status));
  } else {
    tx.exec_params(
        "UPDATE clerk SET name = $2, hall_id = (SELECT id FROM hall WHERE code = $3), status = "
        "$4 WHERE staff_no = $1",
        c.staff_no, c.name, c.hall_code, our_clerk_status(c.status));
  }
  return {};
}

// False when the change is pending already (a retirement found again by a later pass).
bool record_change(pqxx::work& tx, const ArchiveChange& change, const std::string& state,
                   const std::string& detail, const std::string& now) {
  const bool hall = change.kind == "hall";
  const auto before = hall ? to_json(change.hall_before) : to_json(change.clerk_before);
  const auto after = hall ? to_json(change.hall_after) : to_json(change.clerk_after);
  const auto& latest = after.is_null() ? before : after;
  const std::string hall_code = hall ? change.code : latest.value("hall", "");
  return tx.exec_params(
               "INSERT INTO marketing_archive_change (kind, code, city_code, hall_code, change, "
               "before, "
               "after, state, detail, found_at) VALUES ($1, $2, coalesce((SELECT c.code FROM hall "
               "h JOIN "
               "city_company c ON c.id = h.city_id WHERE h.code = $3), $4), $3, $5, $6::jsonb, "
               "$7::jsonb, "
               "$8, $9, $10) ON CONFLICT (kind, code) WHERE state = 'pending' DO NOTHING",
               change.kind, change.code, hall_code, latest.value("city", ""), change.change,
               before.is_null() ? std::optional<std::string>() : before.dump(),
               after.is_null() ? std::optional<std::string>() : after.dump(), state, detail, now)
             .affected_rows() == 1;
}

// A change refused before for the same reason and record is not reported again at every pass.
bool refused_already(pqxx::work& tx, const ArchiveChange& change, const std::string& detail) {
  const auto after =
      change.kind == "hall" ? to_json(change.hall_after) : to_json(change.clerk_after);
  return !tx.exec_params(
                "SELECT 1 FROM marketing_archive_change WHERE kind = $1 AND code = $2 AND state "
                "= 'refused' AND detail = $3 AND after = $4::jsonb",
                change.kind, change.code, detail, after.dump())
              .empty();
}

// ---- linking ----
std::vector<TicketService> services_of(pqxx::work& tx, int hall_id, const std::string& from,
                                       const std::string& until) {
  std::vector<TicketService> services;
  std::map<std::string, std::size_t> open;  // ticket → its service still running
  for (const auto& row : tx.exec_params(
           "SELECT kind, ticket, coalesce(staff_no, ''), " + store::iso_utc("occurred_at") +
               " FROM hall_event WHERE hall_id = $1 AND kind IN (4, 5) AND occurred_at >= $2 "
               "AND occurred_at < $3 ORDER BY occurred_at, sequence",
           hall_id, from, until)) {
    const auto at = records::parse_instant(row[3].c_str(), {});
    if (!at || row[1].is_null()) continue;
    const std::string ticket = row[1].c_str();
    if (row[0].as<int>() == 4) {
      open[ticket] = services.size();
      services.push_back({ticket, row[2].c_str(), at->at, at->at});
    } else if (auto it = open.find(ticket); it != open.end()) {
      services[it->second].finished = at->at;
      open.erase(it);
    }
  }
  std::erase_if(services, [](const TicketService& s) { return s.finished == s.started; });
  return services;
}

std::string where_span(const char* alias) {
  return fmt::format(
      "{0}.accepted_at >= $1 AND {0}.accepted_at < $2 AND ($3 = '' OR {0}.hall_code = $3) AND "
      "($4 = '' OR {0}.city_code = $4)",
      alias);
}

}  // namespace

wire::Watermark feed_position(pqxx::transaction_base& tx, wire::Entity entity) {
  const auto rows = tx.exec_params(
      "SELECT " + store::iso_utc("changed_at") + ", last_key FROM marketing_feed WHERE entity = $1",
      std::string(wire::entity_name(entity)));
  if (rows.empty() || rows[0][0].is_null()) return {};
  return {records::parse_instant(rows[0][0].c_str(), {})->at, rows[0][1].c_str()};
}

void store_page(pqxx::work& tx, const wire::Page& page, const ClassThresholds& thresholds,
                records::Timestamp now, records::Timestamp pass_started) {
  const auto now_text = iso8601(now);
  store_records(tx, page, thresholds, now_text, iso8601(pass_started));
  const auto entity = std::string(wire::entity_name(page.entity));
  tx.exec_params(
      "INSERT INTO marketing_feed (entity, changed_at, last_key, records, rejected, synced_at) "
      "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (entity) DO UPDATE SET changed_at = "
      "coalesce($2, marketing_feed.changed_at), last_key = CASE WHEN $2 IS NULL THEN "
      "marketing_feed.last_key ELSE $3 END, records = marketing_feed.records + $4, rejected = "
      "marketing_feed.rejected + $5, synced_at = $6",
      entity, page.last ? time_or_null(page.last->changed_at) : std::nullopt,
      page.last ? page.last->key : std::string(),
      static_cast<long long>(page.size() - page.rejected.size()),
      static_cast<long long>(page.rejected.size()), now_text);
}

std::vector<json> finish_archive_pass(pqxx::work& tx, wire::Entity entity,
                                      records::Timestamp pass_started, records::Timestamp now) {
  const auto now_text = iso8601(now);
  const bool halls = entity == wire::Entity::halls;
  tx.exec_params(fmt::format("DELETE FROM {} WHERE seen_at < $1",
                             halls ? "marketing_hall" : "marketing_clerk"),
                 iso8601(pass_started));
  // A whole pass restarts the feed: a list is compared whole, never in part.
  tx.exec_params("UPDATE marketing_feed SET changed_at = NULL, last_key = '' WHERE entity = $1",
                 std::string(wire::entity_name(entity)));
  const auto changes = halls ? diff_halls(our_halls(tx), their_halls(tx))
                             : diff_clerks(our_clerks(tx), their_clerks(tx));
  std::vector<json> found;
  for (const auto& change : changes) {
    std::string state = "pending", detail;
    if (change.change != "retired") {
      detail = apply(tx, change);
      if (!detail.empty() && refused_already(tx, change, detail)) continue;
      state = detail.empty() ? "applied" : "refused";
    }
    if (!record_change(tx, change, state, detail, now_text)) continue;
    found.push_back({{"kind", change.kind},
                     {"code", change.code},
                     {"change", change.change},
                     {"state", state},
                     {"detail", detail}});
  }
  return found;
}

LinkCounts link_waiting(pqxx::work& tx, records::Timestamp now, const LinkRound& round) {
  LinkCounts counts;
  const auto settled = iso8601(now - round.settle);
  const auto given_up = iso8601(now - round.give_up);
  const auto now_text = iso8601(now);
  struct Waiting {
    std::string number;
    Handled handled;
    bool overdue;
  };
  std::map<int, std::vector<Waiting>> by_hall;
  for (const auto& row : tx.exec_params(
           "SELECT hall_id, application_no, staff_no, " + store::iso_utc("accepted_at") + ", " +
               store::iso_utc("coalesce(finished_at, accepted_at)") +
               ", accepted_at < $2 FROM business_application WHERE link_state = 'waiting' AND "
               "accepted_at < $1 AND hall_id IS NOT NULL ORDER BY accepted_at LIMIT $3",
           settled, given_up, static_cast<long long>(round.max_applications))) {
    const auto accepted = records::parse_instant(row[3].c_str(), {})->at;
    auto finished = records::parse_instant(row[4].c_str(), {})->at;
    // An application finished much later (a connection built over weeks) was handled at its
    // acceptance; only that moment can meet a ticket.
    if (finished - accepted > std::chrono::hours(2)) finished = accepted;
    by_hall[row[0].as<int>()].push_back(
        {row[1].c_str(), {row[2].c_str(), accepted, finished}, row[5].as<bool>()});
  }
  for (const auto& [hall_id, waiting] : by_hall) {
    auto from = waiting.front().handled.accepted, until = waiting.front().handled.finished;
    std::vector<Handled> handled;
    for (const auto& w : waiting) {
      from = std::min(from, w.handled.accepted);
      until = std::max(until, w.handled.finished);
      handled.push_back(w.handled);
    }
    const auto services = services_of(tx, hall_id, iso8601(from - std::chrono::hours(8)),
                                      iso8601(until + std::chrono::hours(8)));
    const auto linked = link_applications(handled, services, round.options);
    for (std::size_t i = 0; i < waiting.size(); ++i) {
      if (linked[i].service) {
        const auto& s = services[*linked[i].service];
        tx.exec_params(
            "UPDATE business_application SET link_state = 'linked', ticket = $2, "
            "ticket_started_at = $3, ticket_finished_at = $4, handling_s = $5, linked_at = $6 "
            "WHERE application_no = $1",
            waiting[i].number, s.ticket, iso8601(s.started), iso8601(s.finished),
            linked[i].handling_s, now_text);
        ++counts.linked;
      } else if (waiting[i].overdue) {
        tx.exec_params(
            "UPDATE business_application SET link_state = 'unmatched', linked_at = $2 WHERE "
            "application_no = $1",
            waiting[i].number, now_text);
        ++counts.unmatched;
      } else {
        ++counts.still_waiting;
      }
    }
  }
  return counts;
}

std::optional<json> decide_change(pqxx::work& tx, long long id, bool approve,
                                  const std::string& actor, records::Timestamp now) {
  const auto rows = tx.exec_params(
      "SELECT kind, code, hall_code FROM marketing_archive_change WHERE id = $1 AND state = "
      "'pending' FOR UPDATE",
      id);
  if (rows.empty()) return std::nullopt;
  const std::string kind = rows[0][0].c_str(), code = rows[0][1].c_str(),
                    hall_code = rows[0][2].c_str();
  std::string state = "rejected", detail;
  if (approve) {
    // Referred to by events: kept, closed. Otherwise deleted, unless other records refer to it
    // (then too it is kept and closed).
    const bool referenced =
        kind == "hall" ? !tx.exec_params(
                                "SELECT 1 FROM hall_event WHERE hall_id = (SELECT id FROM hall "
                                "WHERE code = $1) LIMIT 1",
                                code)
                              .empty()
                       : !tx.exec_params(
                                "SELECT 1 FROM hall_event WHERE hall_id = (SELECT id FROM hall "
                                "WHERE code = $2) AND staff_no = $1 LIMIT 1",
                                code, hall_code)
                              .empty();
    bool deleted = false;
    if (!referenced) {
      pqxx::subtransaction attempt(tx, "delete_archive_record");
      try {
        attempt.exec_params(kind == "hall" ? "DELETE FROM hall WHERE code = $1"
                                           : "DELETE FROM clerk WHERE staff_no = $1",
                            code);
        attempt.commit();
        deleted = true;
      } catch (const pqxx::foreign_key_violation&) {
        attempt.abort();
      }
    }
    if (deleted) {
      state = "deleted";
    } else {
      tx.exec_params(kind == "hall" ? "UPDATE hall SET status = 'closed' WHERE code = $1"
                                    : "UPDATE clerk SET status = 'inactive' WHERE staff_no = $1",
                     code);
      state = "deactivated";
      detail = referenced ? "有事件记录引用，已停用而未删除" : "有其他档案引用，已停用而未删除";
    }
  }
  const auto updated = tx.exec_params(
      "UPDATE marketing_archive_change SET state = $2, detail = $3, decided_at = $4, decided_by "
      "= $5 WHERE id = $1 RETURNING json_build_object('id', id, 'kind', kind, 'code', code, "
      "'change', change, 'state', state, 'detail', detail)::text",
      id, state, detail, iso8601(now), actor);
  return json::parse(updated[0][0].c_str());
}

json feeds_json(pqxx::transaction_base& tx) {
  json feeds = json::array();
  for (const auto& row : tx.exec("SELECT entity, " + store::iso_utc("changed_at") +
                                 ", last_key, records, rejected, " + store::iso_utc("synced_at") +
                                 " FROM marketing_feed ORDER BY entity")) {
    feeds.push_back({{"entity", row[0].c_str()},
                     {"changed_at", row[1].is_null() ? json() : json(row[1].c_str())},
                     {"last_key", row[2].c_str()},
                     {"records", row[3].as<long long>()},
                     {"rejected", row[4].as<long long>()},
                     {"synced_at", row[5].is_null() ? json() : json(row[5].c_str())}});
  }
  json rejected = json::array();
  for (const auto& row :
       tx.exec("SELECT entity, record_key, reason, " + store::iso_utc("received_at") +
               " FROM marketing_rejected ORDER BY id DESC LIMIT 20"))
    rejected.push_back({{"entity", row[0].c_str()},
                        {"key", row[1].c_str()},
                        {"reason", row[2].c_str()},
                        {"received_at", row[3].c_str()}});
  json comm = json::array();
  for (const auto& row : tx.exec("SELECT " + store::iso_utc("at") +
                                 ", state, detail FROM marketing_comm_event ORDER BY at DESC "
                                 "LIMIT 20"))
    comm.push_back({{"at", row[0].c_str()}, {"state", row[1].c_str()}, {"detail", row[2].c_str()}});
  return {{"feeds", feeds}, {"rejected", rejected}, {"comm_events", comm}};
}

json summary_json(pqxx::transaction_base& tx, const Span& span) {
  const auto from = iso8601(span.from), until = iso8601(span.until);
  auto run = [&](const std::string& sql) {
    return tx.exec_params(sql, from, until, span.hall_code, span.city_code);
  };
  const auto where = where_span("a");
  json summary;
  json channels = json::object();
  for (const auto& row : run("SELECT channel, count(*) FROM business_application a WHERE " + where +
                             " GROUP BY channel"))
    channels[row[0].c_str()] = row[1].as<long long>();
  summary["channels"] = channels;
  json days = json::array();
  for (const auto& row :
       run("SELECT to_char(a.accepted_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD') AS day, "
           "count(*) FILTER (WHERE channel = 'counter'), count(*) FILTER (WHERE channel = "
           "'self_service'), count(*) FILTER (WHERE channel = 'online'), count(*) FILTER (WHERE "
           "channel = 'mobile') FROM business_application a WHERE " +
           where + " GROUP BY day ORDER BY day"))
    days.push_back({{"day", row[0].c_str()},
                    {"counter", row[1].as<long long>()},
                    {"self_service", row[2].as<long long>()},
                    {"online", row[3].as<long long>()},
                    {"mobile", row[4].as<long long>()}});
  summary["days"] = days;
  json classes = json::array();
  for (const auto& row :
       run("SELECT coalesce(c.class_code, 'unknown'), count(*), count(DISTINCT a.customer_no), "
           "max(k.weight)::float8 FROM business_application a LEFT JOIN marketing_customer c ON "
           "c.customer_no = a.customer_no LEFT JOIN customer_class k ON k.code = c.class_code "
           "WHERE " +
           where + " GROUP BY 1 ORDER BY 1"))
    classes.push_back({{"class", row[0].c_str()},
                       {"applications", row[1].as<long long>()},
                       {"customers", row[2].as<long long>()},
                       {"weight", row[3].is_null() ? json() : json(row[3].as<double>())}});
  summary["classes"] = classes;
  const auto links =
      run("SELECT count(*) FILTER (WHERE link_state = 'linked'), count(*) FILTER (WHERE "
          "link_state = 'unmatched'), count(*) FILTER (WHERE link_state = 'waiting'), count(*) "
          "FILTER (WHERE link_state = 'not_counter'), count(DISTINCT (a.hall_id, a.ticket, "
          "a.ticket_started_at)) FILTER (WHERE link_state = 'linked') FROM business_application "
          "a WHERE " +
          where + "")[0];
  // Tickets served in the span (at the halls in scope) that no application was linked to:
  // consultations, and work the marketing system never saw.
  const auto served = run("SELECT count(*) FROM hall_event e JOIN hall h ON h.id = e.hall_id JOIN "
                          "city_company c ON "
                          "c.id = h.city_id WHERE e.kind = 5 AND e.occurred_at >= $1 AND "
                          "e.occurred_at < $2 AND ($3 "
                          "= '' OR h.code = $3) AND ($4 = '' OR c.code = $4)")[0][0]
                          .as<long long>();
  summary["linking"] = {
      {"linked", links[0].as<long long>()},
      {"unmatched", links[1].as<long long>()},
      {"waiting", links[2].as<long long>()},
      {"not_counter", links[3].as<long long>()},
      {"tickets_served", served},
      {"tickets_linked", links[4].as<long long>()},
      {"tickets_without_application", std::max<long long>(0, served - links[4].as<long long>())}};
  json handling = json::array();
  for (const auto& row :
       run("SELECT a.business_code, coalesce(b.name, a.business_code), count(*), "
           "avg(a.handling_s) / 60, b.target_handling_min FROM business_application a LEFT JOIN "
           "business_type b ON b.code = a.business_code WHERE " +
           where +
           " AND a.link_state = 'linked' "
           "GROUP BY a.business_code, b.name, b.target_handling_min ORDER BY count(*) DESC"))
    handling.push_back({{"business", row[0].c_str()},
                        {"name", row[1].c_str()},
                        {"applications", row[2].as<long long>()},
                        {"mean_handling_min", std::round(row[3].as<double>() * 10) / 10},
                        {"target_min", row[4].is_null() ? json() : json(row[4].as<int>())}});
  summary["handling"] = handling;
  // Clerk assessment: applications handled at the counter, weighted by the customer's class.
  json clerks = json::array();
  for (const auto& row :
       run("SELECT a.staff_no, coalesce(k.name, ''), a.hall_code, count(*), "
           "sum(coalesce(w.weight, 1))::float8, count(*) FILTER (WHERE c.class_code = "
           "'premium') FROM business_application a LEFT JOIN marketing_customer c ON "
           "c.customer_no = a.customer_no LEFT JOIN customer_class w ON w.code = c.class_code "
           "LEFT JOIN clerk k ON k.staff_no = a.staff_no WHERE " +
           where +
           " AND a.channel = 'counter' GROUP "
           "BY a.staff_no, k.name, a.hall_code ORDER BY 5 DESC LIMIT 50"))
    clerks.push_back({{"staff_no", row[0].c_str()},
                      {"name", row[1].c_str()},
                      {"hall", row[2].c_str()},
                      {"applications", row[3].as<long long>()},
                      {"weighted", std::round(row[4].as<double>() * 10) / 10},
                      {"premium", row[5].as<long long>()}});
  summary["clerks"] = clerks;
  summary["from"] = from;
  summary["to"] = until;
  return summary;
}

json applications_json(pqxx::transaction_base& tx, const Span& span, const std::string& link_state,
                       int limit, int offset) {
  const auto where = where_span("a") + " AND ($5 = '' OR a.link_state = $5)";
  const auto rows = tx.exec_params(
      "SELECT json_build_object('application_no', a.application_no, 'business', "
      "a.business_code, 'business_name', b.name, 'customer_no', a.customer_no, 'customer_name', "
      "c.name, 'class', c.class_code, 'city', a.city_code, 'hall', a.hall_code, 'hall_name', "
      "h.name, 'staff_no', a.staff_no, 'clerk_name', k.name, 'accepted_at', " +
          store::iso_utc("a.accepted_at") + ", 'finished_at', " + store::iso_utc("a.finished_at") +
          ", 'status', a.status, 'channel', a.channel, 'link_state', a.link_state, 'ticket', "
          "a.ticket, 'ticket_started_at', " +
          store::iso_utc("a.ticket_started_at") +
          ", 'handling_min', round((a.handling_s / 60)::numeric, 1))::text, count(*) OVER () "
          "FROM business_application a LEFT JOIN business_type b ON b.code = a.business_code "
          "LEFT JOIN marketing_customer c ON c.customer_no = a.customer_no LEFT JOIN hall h ON "
          "h.id = a.hall_id LEFT JOIN clerk k ON k.staff_no = a.staff_no WHERE " +
          where +
          " ORDER BY a.accepted_at DESC, "
          "a.application_no LIMIT $6 OFFSET $7",
      iso8601(span.from), iso8601(span.until), span.hall_code, span.city_code, link_state, limit,
      offset);
  json items = json::array();
  for (const auto& row : rows) items.push_back(json::parse(row[0].c_str()));
  return {{"items", items}, {"total", rows.empty() ? 0 : rows[0][1].as<long long>()}};
}

json archive_changes_json(pqxx::transaction_base& tx, const std::string& state,
                          const std::string& city_code, const std::string& hall_code, int limit,
                          int offset) {
  const auto rows = tx.exec_params(
      "SELECT json_build_object('id', id, 'kind', kind, 'code', code, 'city', city_code, "
      "'hall', hall_code, 'change', change, 'before', before, 'after', after, 'state', state, "
      "'detail', detail, 'found_at', " +
          store::iso_utc("found_at") + ", 'decided_at', " + store::iso_utc("decided_at") +
          ", 'decided_by', decided_by)::text, count(*) OVER () FROM marketing_archive_change "
          "WHERE ($1 = '' OR state = $1) AND ($2 = '' OR city_code = $2) AND ($3 = '' OR "
          "hall_code = $3) ORDER BY id DESC LIMIT $4 OFFSET $5",
      state, city_code, hall_code, limit, offset);
  json items = json::array();
  for (const auto& row : rows) items.push_back(json::parse(row[0].c_str()));
  return {{"items", items}, {"total", rows.empty() ? 0 : rows[0][1].as<long long>()}};
}

std::optional<std::pair<std::string, std::string>> change_place(pqxx::transaction_base& tx,
                                                                long long id) {
  const auto rows =
      tx.exec_params("SELECT city_code, hall_code FROM marketing_archive_change WHERE id = $1", id);
  if (rows.empty()) return std::nullopt;
  return std::pair{std::string(rows[0][0].c_str()), std::string(rows[0][1].c_str())};
}

}  // namespace halld::marketing
