#include <fmt/format.h>

#include <charconv>
#include <limits>

#include "halld/alarm/alarm_store.hpp"
#include "halld/alarm/rule_store.hpp"
#include "halld/api/routes.hpp"
#include "halld/notify/contact_store.hpp"
#include "halld/notify/sms_store.hpp"
#include "query_reader.hpp"
#include "route_helpers.hpp"
#include "ws_feed.hpp"

namespace halld::api {
namespace {

using nlohmann::json;
using records::Instant;
using records::Timestamp;

constexpr std::chrono::minutes default_offset{8 * 60};
constexpr std::size_t max_queued_events =
    10'000;  // per WebSocket client; a client further behind is dropped

// A configuration list as JSON items.
template <class T>
json items_of(const std::vector<T>& objects) {
  json items = json::array();
  for (const auto& object : objects) items.push_back(to_json(object));  // the object's own
  return items;
}

// The filter parameters shared by the alarm list, statistics and reliability; the range
// defaults to the last `days` days.
alarm::AlarmFilter read_filter(QueryReader& query, Timestamp now, int days) {
  alarm::AlarmFilter f;
  f.severity = query.text("severity", 10);
  if (!f.severity.empty() && f.severity != "warning" && f.severity != "critical") {
    query.fail("'severity' must be warning or critical");
  }
  f.city_code = query.text("city", 32);
  f.hall_code = query.text("hall", 32);
  f.kind = query.text("kind", 20);
  if (!f.kind.empty() && !alarm::parse_rule_kind(f.kind)) {
    query.fail(
        "'kind' must be limit, terminal_fault, part_fault, door_open, comm_loss or clock_skew");
  }
  const Instant to{now + std::chrono::seconds(1), default_offset};
  const Instant from{to.at - std::chrono::days(days), default_offset};
  if (auto range = query.range(from, to, default_offset)) {
    f.from = range->first.at;
    f.until = range->second.at;
  }
  return f;
}

bool matches(const alarm::Alarm& a, const alarm::AlarmFilter& f) {
  return (f.severity.empty() ||
          (f.severity == "critical") == (a.severity == alarm::Severity::critical)) &&
         (f.city_code.empty() || f.city_code == a.city_code) &&
         (f.hall_code.empty() || f.hall_code == a.hall_code) &&
         (f.kind.empty() || f.kind == alarm::to_string(a.kind));
}

// GET /api/v1/alarms: the standing alarms from memory (the alarm window), or the record.
Prepared list_alarms(const RequestContext& context, alarm::Engine& engine) {
  QueryReader query(context,
                    {"state", "severity", "city", "hall", "kind", "from", "to", "limit", "offset"});
  auto state = query.text("state", 20);
  if (state.empty()) state = "standing";
  auto filter = read_filter(
      query, std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()), 30);
  filter.limit = query.integer("limit", 100, 1, 1000);
  filter.offset = query.integer("offset", 0, 0, 10'000'000);
  if (state != "standing" && state != "all") {
    if (!alarm::parse_alarm_state(state))
      query.fail("'state' must be standing, all, raised, acknowledged, cleared or closed");
    filter.states = {state};
  }
  if (query.problem()) return bad_query(*query.problem());
  if (state == "standing") {
    const bool ranged = context.query.contains("from") || context.query.contains("to");
    json items = json::array();
    std::size_t total = 0;
    auto standing = engine.standing();
    for (auto it = standing.rbegin(); it != standing.rend();
         ++it) {  // newest first, as the record lists
      if (!matches(*it, filter) ||
          (ranged && (it->raised_at < filter.from || it->raised_at >= filter.until)))
        continue;
      if (total >= static_cast<std::size_t>(filter.offset) &&
          items.size() < static_cast<std::size_t>(filter.limit)) {
        items.push_back(alarm::to_json(*it));
      }
      ++total;
    }
    const auto body = json{
        {"total", total},
        {"limit", filter.limit},
        {"offset", filter.offset},
        {"items", items}}.dump();
    return {[body](pqxx::connection&) { return body; }};
  }
  return {[filter](pqxx::connection& c) {
    store::ReadTransaction tx(c);
    return alarm::list_alarms(tx, filter).dump();
  }};
}

// The operator's words from an acknowledge or clear body.
std::variant<alarm::Action, Response> read_action(const RequestContext& context,
                                                  alarm::Action::Kind kind) {
  auto id = id_param(context);
  if (!id) return error_response(http::status::not_found, "not_found", "no such alarm");
  auto parsed = json_body(context.request);
  if (auto* refusal = std::get_if<Response>(&parsed)) return std::move(*refusal);
  const auto& body = std::get<json>(parsed);
  alarm::Action action{kind, *id, "", ""};
  const char* note_name = kind == alarm::Action::Kind::clear ? "reason" : "note";
  const auto text = [&](const char* name) -> std::optional<std::string> {
    auto it = body.find(name);
    if (it == body.end()) return std::string();
    if (!it->is_string()) return std::nullopt;
    return it->get<std::string>();
  };
  auto note = text(note_name);
  if (!note)
    return error_response(http::status::bad_request, "bad_body",
                          fmt::format("'{}' is text", note_name));
  if (note->size() > 1000)
    return error_response(http::status::bad_request, "bad_body", "at most 1000 bytes of words");
  if (kind == alarm::Action::Kind::clear && note->empty()) {
    return error_response(http::status::bad_request, "bad_body",
                          "clearing by hand needs a 'reason'");
  }
  // Who acts is who signed in, never what the body claims.
  action.actor = actor_of(context);
  action.note = std::move(*note);
  return action;
}

Response action_response(const alarm::ActionResult& result) {
  switch (result.outcome) {
    case alarm::ActionResult::Outcome::done:
      // 202: done in the live alarm list, to be recorded when the database takes it again.
      return json_response(result.stored ? http::status::ok : http::status::accepted,
                           alarm::to_json(*result.alarm).dump());
    case alarm::ActionResult::Outcome::not_found:
      return error_response(http::status::not_found, "not_found", result.message);
    case alarm::ActionResult::Outcome::conflict:
      return error_response(http::status::conflict, "conflict", result.message);
  }
  return error_response(http::status::internal_server_error, "internal_error", "unknown outcome");
}

void add_action(Router& router, alarm::Engine& engine, std::string pattern,
                alarm::Action::Kind kind) {
  router.add(http::verb::post, std::move(pattern),
             [&engine, kind](RequestContext& context) -> asio::awaitable<Response> {
               auto read = read_action(context, kind);
               if (auto* refusal = std::get_if<Response>(&read)) co_return std::move(*refusal);
               auto acting = engine.act(std::get<alarm::Action>(std::move(read)));
               alarm::ActionResult result = co_await std::move(acting);
               co_return action_response(result);
             });
}

std::string snapshot_message(const std::vector<alarm::Alarm>& standing,
                             const alarm::AlarmFilter& filter) {
  json items = json::array();
  for (const auto& a : standing) {
    if (matches(a, filter)) items.push_back(alarm::to_json(a));
  }
  return json{{"type", "snapshot"}, {"alarms", items}}.dump();
}

asio::awaitable<void> stream_alarms(alarm::Engine& engine, WebSocket& websocket,
                                    RequestContext& context) {
  alarm::AlarmFilter filter;
  {
    QueryReader query(context, {"city", "hall", "severity"});
    filter.city_code = query.text("city", 32);
    filter.hall_code = query.text("hall", 32);
    filter.severity = query.text("severity", 10);
  }
  // The standing alarms first, then every event, in order.
  auto feed = std::make_shared<Feed>(websocket.get_executor(), max_queued_events);
  auto [subscription, standing] = engine.subscribe([feed, filter](const alarm::AlarmEvent& event) {
    if (matches(event.alarm, filter))
      Feed::post(feed, std::make_shared<const std::string>(alarm::to_json(event).dump()));
  });
  auto pumping = Feed::pump(websocket, feed, snapshot_message(standing, filter));
  co_await std::move(pumping);
  engine.unsubscribe(subscription);
}

}  // namespace

void add_alarm_routes(Router& router, store::Database& database, alarm::Engine& engine,
                      std::function<asio::awaitable<void>()> contacts_changed) {
  router.add_websocket("/api/v1/alarms/stream",
                       [&engine](WebSocket& websocket, RequestContext& context) {
                         return stream_alarms(engine, websocket, context);
                       });
  add_read(router, database, "/api/v1/alarms",
           [&engine](const RequestContext& context) { return list_alarms(context, engine); });
  add_read(router, database, "/api/v1/alarms/{id}", [](const RequestContext& context) -> Prepared {
    auto id = id_param(context);
    if (!id) return refuse(http::status::not_found, "not_found", "no such alarm");
    return {[id = *id](pqxx::connection& c) {
      store::ReadTransaction tx(c);
      auto history = alarm::alarm_history(tx, id);
      return history.is_null() ? std::string() : history.dump();
    }};
  });
  add_action(router, engine, "/api/v1/alarms/{id}/acknowledge", alarm::Action::Kind::acknowledge);
  add_action(router, engine, "/api/v1/alarms/{id}/clear", alarm::Action::Kind::clear);

  add_read(
      router, database, "/api/v1/alarm-statistics", [](const RequestContext& context) -> Prepared {
        QueryReader query(context, {"group", "severity", "city", "hall", "kind", "from", "to"});
        auto group = query.text("group", 10);
        if (group.empty()) group = "kind";
        if (group != "kind" && group != "rule" && group != "hall" && group != "city" &&
            group != "severity" && group != "day") {
          query.fail("'group' must be kind, rule, hall, city, severity or day");
        }
        auto filter = read_filter(
            query, std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()), 30);
        if (query.problem()) return bad_query(*query.problem());
        return {[filter, group](pqxx::connection& c) {
          store::ReadTransaction tx(c);
          return alarm::alarm_statistics(tx, filter, group).dump();
        }};
      });
  add_read(router, database, "/api/v1/terminal-reliability",
           [](const RequestContext& context) -> Prepared {
             QueryReader query(context, {"city", "hall", "from", "to"});
             auto filter = read_filter(
                 query, std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()),
                 90);
             if (query.problem()) return bad_query(*query.problem());
             return {[filter](pqxx::connection& c) {
               store::ReadTransaction tx(c);
               return alarm::terminal_reliability(tx, filter).dump();
             }};
           });

  auto reload = [&engine]() { return engine.reload(); };
  add_list(router, database, "/api/v1/alarm-rules",
           [](pqxx::transaction_base& tx) { return items_of(alarm::load_rules(tx)); });
  add_object_read(router, database, "/api/v1/alarm-rules/{id}", "rule",
                  [](pqxx::transaction_base& tx, int id) {
                    auto rule = alarm::load_rule(tx, id);
                    return rule ? alarm::to_json(*rule).dump() : std::string();
                  });
  add_object_writes<alarm::Rule>(router, database, "/api/v1/alarm-rules", "rule",
                                 alarm::rule_from_json, alarm::insert_rule, alarm::update_rule,
                                 reload);

  // DELETE of a rule, contact or window: one statement by id.
  const auto add_delete = [&router, &database](std::string pattern,
                                               bool (*remove)(pqxx::transaction_base&, int),
                                               std::function<asio::awaitable<void>()> after) {
    add_write(
        router, database, http::verb::delete_, std::move(pattern),
        [remove](const RequestContext& context) -> PreparedWrite {
          auto id = id_param(context);
          if (!id) return refuse(http::status::not_found, "not_found", "no such object");
          return {[remove, id = static_cast<int>(*id)](pqxx::work& tx) {
            if (!remove(tx, id)) return std::string();
            return json{{"deleted", id}}.dump();
          }};
        },
        std::move(after));
  };
  add_delete("/api/v1/alarm-rules/{id}", alarm::delete_rule, reload);

  add_list(router, database, "/api/v1/contacts",
           [](pqxx::transaction_base& tx) { return items_of(notify::load_contacts(tx)); });
  add_object_writes<notify::Contact>(router, database, "/api/v1/contacts", "contact",
                                     notify::contact_from_json, notify::insert_contact,
                                     notify::update_contact, contacts_changed);
  add_delete("/api/v1/contacts/{id}", notify::delete_contact, contacts_changed);

  add_list(router, database, "/api/v1/maintenance-windows", [](pqxx::transaction_base& tx) {
    return items_of(alarm::list_maintenance(
        tx, std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now())));
  });
  add_write(
      router, database, http::verb::post, "/api/v1/maintenance-windows",
      [](const RequestContext& context) -> PreparedWrite {
        auto read = read_object<alarm::StoredWindow>(
            context, [](const json& body) -> std::variant<alarm::StoredWindow, std::string> {
              alarm::StoredWindow w;
              const auto text = [&](const char* name) {
                auto it = body.find(name);
                return it != body.end() && it->is_string() ? it->get<std::string>() : std::string();
              };
              w.window.target = text("target");
              w.reason = text("reason");
              if (w.window.target.empty() || w.window.target.size() > 64)
                return "'target' names a hall, terminal or channel code";
              if (w.reason.size() > 1000) return "'reason' is at most 1000 bytes";
              auto from = records::parse_instant(text("from"), default_offset);
              auto until = records::parse_instant(text("until"), default_offset);
              if (!from || !until) return "'from' and 'until' are ISO-8601 times with offset";
              if (until->at <= from->at) return "'until' must be after 'from'";
              w.window.from = from->at;
              w.window.until = until->at;
              return w;
            });
        if (auto* refusal = std::get_if<Response>(&read)) return std::move(*refusal);
        auto window = std::get<alarm::StoredWindow>(std::move(read));
        window.created_by = actor_of(context);
        return {[w = std::move(window)](pqxx::work& tx) mutable {
                  w.id = alarm::insert_maintenance(tx, w);
                  return alarm::to_json(w).dump();
                },
                http::status::created};
      },
      reload);
  add_delete("/api/v1/maintenance-windows/{id}", alarm::delete_maintenance, reload);

  add_read(router, database, "/api/v1/sms", [](const RequestContext& context) -> Prepared {
    QueryReader query(context, {"state", "phone", "alarm", "limit", "offset"});
    notify::TextFilter filter;
    if (auto state = query.text("state", 10); !state.empty()) {
      if (state != "queued" && state != "sent" && state != "delivered" && state != "failed") {
        query.fail("'state' must be queued, sent, delivered or failed");
      }
      filter.state = state;
    }
    if (auto phone = query.text("phone", 21); !phone.empty()) filter.phone = phone;
    if (int alarm_id = query.integer("alarm", 0, 1, std::numeric_limits<int>::max()); alarm_id > 0)
      filter.alarm_id = alarm_id;
    filter.limit = static_cast<std::size_t>(query.integer("limit", 100, 1, 1000));
    filter.offset = static_cast<std::size_t>(query.integer("offset", 0, 0, 10'000'000));
    if (query.problem()) return bad_query(*query.problem());
    return {[filter](pqxx::connection& c) {
      store::ReadTransaction tx(c);
      return notify::list_texts(tx, filter).dump();
    }};
  });
  // Kannel's delivery reports: a GET on the dlr-url each text carried, which quotes the text's
  // token, so nobody else can mark a text delivered.
  add_read(router, database, "/api/v1/sms/dlr", [](const RequestContext& context) -> Prepared {
    QueryReader query(context, {"id", "token", "status"});
    const int id = query.integer("id", 0, 1, std::numeric_limits<int>::max());
    const auto token = query.text("token", 64);
    const int status = query.integer("status", 0, 1, 16);
    if (!query.problem() && (id == 0 || token.empty() || status == 0))
      query.fail("'id', 'token' and 'status' are required");
    if (!query.problem() && status != 1 && status != 2 && status != 4 && status != 8 &&
        status != 16) {
      query.fail("'status' must be a Kannel report type: 1, 2, 4, 8 or 16");
    }
    if (query.problem()) return bad_query(*query.problem());
    return {[id, token, status](pqxx::connection& c) {
      pqxx::work tx(c);
      if (notify::record_report(tx, id, token, status) != notify::ReportResult::recorded)
        return std::string();
      tx.commit();
      return json{{"id", id}, {"status", status}, {"recorded", true}}.dump();
    }};
  });
}

}  // namespace halld::api
