#include <fmt/format.h>

#include "halld/api/routes.hpp"
#include "halld/proto/commands.hpp"
#include "halld/proto/modbus/device_model.hpp"
#include "halld/store/command_store.hpp"
#include "query_reader.hpp"
#include "route_helpers.hpp"

namespace halld::api {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

constexpr std::chrono::minutes default_offset{8 * 60};

Response outcome_response(const emergency::Outcome& outcome, http::status status) {
  using Kind = emergency::Outcome::Kind;
  switch (outcome.kind) {
    case Kind::done:
      return json_response(status, outcome.record.dump());
    case Kind::not_found:
      return error_response(http::status::not_found, "not_found", outcome.message);
    case Kind::conflict:
      return error_response(http::status::conflict, "conflict", outcome.message);
    case Kind::invalid:
      return error_response(http::status::unprocessable_entity, "invalid", outcome.message);
  }
  return error_response(http::status::internal_server_error, "internal_error", "unknown outcome");
}

// A body's text fields, each checked for type and length; the refusal names the first wrong.
std::variant<std::map<std::string, std::string>, Response> read_texts(
    const RequestContext& context,
    std::initializer_list<std::pair<const char*, std::size_t>> fields) {
  auto parsed = json_body(context.request);
  if (auto* refusal = std::get_if<Response>(&parsed)) return std::move(*refusal);
  const auto& body = std::get<json>(parsed);
  if (!body.is_object())
    return error_response(http::status::bad_request, "bad_body", "the body must be a JSON object");
  std::map<std::string, std::string> out;
  for (const auto& [name, max] : fields) {
    auto text = text_field(body, name, max);
    if (!text)
      return error_response(http::status::bad_request, "bad_body",
                            fmt::format("'{}' is text of at most {} bytes", name, max));
    out[name] = std::move(*text);
  }
  return out;
}

// POST on an emergency ({id}) that the manager carries out.
void add_emergency_action(
    Router& router, std::string pattern,
    std::function<asio::awaitable<Response>(RequestContext&, std::int64_t id)> act) {
  router.add(http::verb::post, std::move(pattern),
             [act](RequestContext& context) -> asio::awaitable<Response> {
               auto id = id_param(context);
               if (!id)
                 co_return error_response(http::status::not_found, "not_found",
                                          "no such emergency");
               auto acting = act(context, *id);
               co_return co_await std::move(acting);
             });
}

// The record of emergencies as a table (seed 000 §4.4.1: time, content, nature, handler,
// result, plan), with the indicators before and after.
ordered_json emergency_rows(const json& items) {
  ordered_json rows = ordered_json::array();
  const auto text = [](const json& v) {
    return v.is_string() ? v.get<std::string>() : std::string();
  };
  const auto figure = [](const json& indicators, const char* name) {
    return indicators.is_object() && indicators.contains(name) ? indicators[name] : json();
  };
  for (const auto& e : items) {
    rows.push_back(ordered_json{
        {"编号", e["id"]},
        {"营业厅", text(e["hall_name"])},
        {"事件类型", text(e["event_type_name"])},
        {"预案", text(e["plan_name"])},
        {"预案版本", e["plan_version"]},
        {"状态", text(e["state"])},
        {"性质", text(e["nature"])},
        {"内容", text(e["content"])},
        {"建议时间", text(e["suggested_at"])},
        {"启动时间", text(e["started_at"])},
        {"启动人", text(e["started_by"])},
        {"结束时间", text(e["closed_at"])},
        {"处置人", text(e["closed_by"])},
        {"处置结果", text(e["outcome"])},
        {"结果说明", text(e["result"])},
        {"启动前排队人数", figure(e["before"], "queue_length")},
        {"评估时排队人数", figure(e["after"], "queue_length")},
        {"启动前预计等候(分钟)", figure(e["before"], "predicted_wait_min")},
        {"评估时预计等候(分钟)", figure(e["after"], "predicted_wait_min")},
        {"有效",
         e["effective"].is_boolean() ? json(e["effective"].get<bool>() ? "是" : "否") : json("")}});
  }
  return rows;
}

bool one_of(const std::string& value, std::initializer_list<std::string_view> allowed) {
  return std::find(allowed.begin(), allowed.end(), value) != allowed.end();
}

void add_plan_routes(Router& router, store::Database& database, emergency::Manager& manager) {
  add_read(router, database, "/api/v1/emergency-plans",
           [](const RequestContext& context) -> Prepared {
             QueryReader query(context, {"city", "hall"});
             const auto city = query.text("city", 32), hall = query.text("hall", 32);
             if (query.problem()) return bad_query(*query.problem());
             return {[city, hall](pqxx::connection& c) {
               store::ReadTransaction tx(c);
               json items = json::array();
               // A city sees the province's plans and its own; a hall those that can run in it.
               for (const auto& plan : emergency::load_plans(tx)) {
                 if ((city.empty() || plan.city_code.empty() || plan.city_code == city) &&
                     (hall.empty() || plan.hall_code.empty() || plan.hall_code == hall))
                   items.push_back(emergency::to_json(plan));
               }
               json types = json::array();
               for (const auto& t : emergency::known_event_types)
                 types.push_back({{"code", t.code}, {"name", t.name}});
               return json{{"items", items}, {"event_types", types}}.dump();
             }};
           });
  add_read(router, database, "/api/v1/emergency-plan-statistics",
           [](const RequestContext& context) -> Prepared {
             QueryReader query(context, {"city", "hall"});
             const auto city = query.text("city", 32), hall = query.text("hall", 32);
             if (query.problem()) return bad_query(*query.problem());
             return {[city, hall](pqxx::connection& c) {
               store::ReadTransaction tx(c);
               return json{{"items", emergency::plan_statistics(tx, city, hall)}}.dump();
             }};
           });
  add_object_writes<emergency::Plan>(
      router, database, "/api/v1/emergency-plans", "plan", emergency::plan_from_json,
      emergency::insert_plan, emergency::update_plan, [&manager] { return manager.reload(); },
      [](emergency::Plan& plan, const RequestContext& context) {
        plan.updated_by = actor_of(context);
      });
}

void add_emergency_record_routes(Router& router, store::Database& database,
                                 emergency::Manager& manager) {
  router.add(http::verb::get, "/api/v1/emergencies",
             [&database](RequestContext& context) -> asio::awaitable<Response> {
               QueryReader query(context, {"state", "city", "hall", "event_type", "from", "to",
                                           "limit", "offset", "format"});
               emergency::EmergencyFilter f;
               f.state = query.text("state", 12);
               if (!f.state.empty() &&
                   !one_of(f.state, {"open", "suggested", "active", "closed", "dismissed"}))
                 query.fail("'state' must be open, suggested, active, closed or dismissed");
               f.city_code = query.text("city", 32);
               f.hall_code = query.text("hall", 32);
               f.event_type = query.text("event_type", 40);
               f.limit = query.integer("limit", 100, 1, 1000);
               f.offset = query.integer("offset", 0, 0, 10'000'000);
               const auto now =
                   std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
               const records::Instant to{now + std::chrono::seconds(1), default_offset};
               const records::Instant from{to.at - std::chrono::days(365), default_offset};
               if (context.query.contains("from") || context.query.contains("to")) {
                 if (auto range = query.range(from, to, default_offset)) {
                   f.from_epoch = range->first.at.time_since_epoch().count();
                   f.until_epoch = range->second.at.time_since_epoch().count();
                 }
               }
               const auto table = query.table_format();
               if (query.problem()) co_return bad_query(*query.problem());
               auto listing = database.run([f, table](pqxx::connection& c) {
                 store::ReadTransaction tx(c);
                 auto list = emergency::list_emergencies(tx, f);
                 if (table == TableFormat::json)
                   return json_response(http::status::ok, list.dump());
                 return table_response({}, emergency_rows(list["items"]), table, "emergencies");
               });
               co_return co_await std::move(listing);
             });
  add_read(router, database, "/api/v1/emergencies/{id}",
           [](const RequestContext& context) -> Prepared {
             auto id = id_param(context);
             if (!id) return refuse(http::status::not_found, "not_found", "no such emergency");
             return {[id = *id](pqxx::connection& c) {
               store::ReadTransaction tx(c);
               auto record = emergency::emergency_record(tx, id);
               return record.is_null() ? std::string() : record.dump();
             }};
           });
  router.add(http::verb::post, "/api/v1/halls/{code}/emergencies",
             [&manager](RequestContext& context) -> asio::awaitable<Response> {
               auto parsed = json_body(context.request);
               if (auto* refusal = std::get_if<Response>(&parsed)) co_return std::move(*refusal);
               const auto& body = std::get<json>(parsed);
               auto plan = body.is_object() ? body.find("plan") : body.end();
               auto content = body.is_object() ? text_field(body, "content", 1000) : std::nullopt;
               if (plan == body.end() || !plan->is_number_integer() || !content)
                 co_return error_response(http::status::bad_request, "bad_body",
                                          "'plan' is a plan id; 'content' is text");
               auto activating = manager.activate(plan->get<int>(), context.path_params.at("code"),
                                                  std::move(*content), actor_of(context));
               auto outcome = co_await std::move(activating);
               co_return outcome_response(outcome, http::status::created);
             });
  add_emergency_action(
      router, "/api/v1/emergencies/{id}/start",
      [&manager](RequestContext& context, std::int64_t id) -> asio::awaitable<Response> {
        auto starting = manager.start_emergency(id, actor_of(context));
        auto outcome = co_await std::move(starting);
        co_return outcome_response(outcome, http::status::ok);
      });
  router.add(http::verb::post, "/api/v1/emergencies/{id}/steps/{position}",
             [&manager](RequestContext& context) -> asio::awaitable<Response> {
               auto id = id_param(context);
               const auto& text = context.path_params.at("position");
               int position = 0;
               auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), position);
               if (!id || ec != std::errc() || end != text.data() + text.size() || position < 1 ||
                   position > 30)
                 co_return error_response(http::status::not_found, "not_found", "no such step");
               auto read = read_texts(context, {{"state", 10}, {"result", 1000}});
               if (auto* refusal = std::get_if<Response>(&read)) co_return std::move(*refusal);
               auto fields = std::get<0>(std::move(read));
               if (!one_of(fields["state"], {"done", "failed", "skipped"}))
                 co_return error_response(http::status::bad_request, "bad_body",
                                          "'state' must be done, failed or skipped");
               auto finishing = manager.finish_step(*id, position, fields["state"],
                                                    fields["result"], actor_of(context));
               auto outcome = co_await std::move(finishing);
               co_return outcome_response(outcome, http::status::ok);
             });
  const auto closing_route = [&manager](bool dismiss) {
    return [&manager, dismiss](RequestContext& context,
                               std::int64_t id) -> asio::awaitable<Response> {
      auto read = read_texts(
          context, {{"outcome", 12}, {"result", 2000}, {"nature", 10}, {"content", 1000}});
      if (auto* refusal = std::get_if<Response>(&read)) co_return std::move(*refusal);
      auto f = std::get<0>(std::move(read));
      if (!dismiss && !one_of(f["outcome"], {"resolved", "partly", "unresolved"}))
        co_return error_response(http::status::bad_request, "bad_body",
                                 "'outcome' must be resolved, partly or unresolved");
      if (f["result"].empty())
        co_return error_response(http::status::bad_request, "bad_body",
                                 dismiss ? "say why in 'result'" : "record the 'result'");
      if (!f["nature"].empty() && !one_of(f["nature"], {"general", "major", "severe"}))
        co_return error_response(http::status::bad_request, "bad_body",
                                 "'nature' must be general, major or severe");
      auto closing = manager.close(
          id, {dismiss, f["outcome"], f["result"], f["nature"], f["content"]}, actor_of(context));
      auto outcome = co_await std::move(closing);
      co_return outcome_response(outcome, http::status::ok);
    };
  };
  add_emergency_action(router, "/api/v1/emergencies/{id}/close", closing_route(false));
  add_emergency_action(router, "/api/v1/emergencies/{id}/dismiss", closing_route(true));
}

constexpr std::string_view objects_named =
    "'object' is window, screen, queue, terminal or facility";

// A write to a facility device (an air conditioner's set point, lights on or off): checked against
// the device's model before it is queued for the hall's Modbus channel, at the device's unit.
PreparedWrite prepare_facility_write(const RequestContext& context, json command) {
  if (command.value("kind", json()) != "facility_write")
    return refuse(http::status::unprocessable_entity, "invalid", "a facility takes facility_write");
  const auto device = text_field(command, "device", 64);
  const auto point = text_field(command, "point", 40);
  if (!device || device->empty() || !point || point->empty() || !command.contains("value") ||
      !command["value"].is_number())
    return refuse(http::status::unprocessable_entity, "invalid",
                  "facility_write needs 'device', 'point' and a numeric 'value'");
  for (const auto& [key, value] : command.items()) {
    if (key != "kind" && key != "device" && key != "point" && key != "value")
      return refuse(http::status::unprocessable_entity, "invalid",
                    fmt::format("facility_write has no field '{}'", key));
  }
  const auto value = command["value"].get<double>();
  return {[code = context.path_params.at("code"), device = *device, point = *point, value, command,
           actor = actor_of(context)](pqxx::work& tx) {
            auto hall = emergency::hall_by_code(tx, code);
            if (!hall) return std::string();
            auto found = store::facility_command_target(tx, hall->id, device);
            if (auto* why = std::get_if<std::string>(&found)) throw Conflict(*why);
            const auto& target = std::get<store::FacilityTarget>(found);
            const auto model = proto::modbus::load_device_model(target.model_text);
            const auto* modelled = model.point(point);
            if (!modelled) throw Conflict(fmt::format("设备型号中没有测点 {}", point));
            try {
              (void)proto::modbus::write_request(
                  *modelled, static_cast<std::uint8_t>(target.target.address), value);
            } catch (const std::invalid_argument& e) {
              throw Conflict(e.what());
            }
            const auto id =
                store::queue_command(tx, target.target, command, actor, std::chrono::minutes(5));
            return json{{"id", id},
                        {"hall", code},
                        {"channel", target.target.channel_code},
                        {"command", command},
                        {"state", "queued"}}
                .dump();
          },
          http::status::accepted};
}

// Commands to a hall's systems from the browser and the intranet API: by object, never by
// device address.
void add_command_routes(Router& router, store::Database& database) {
  add_read(router, database, "/api/v1/halls/{code}/commands",
           [](const RequestContext& context) -> Prepared {
             QueryReader query(context, {"limit"});
             const int limit = query.integer("limit", 50, 1, 500);
             if (query.problem()) return bad_query(*query.problem());
             return {[code = context.path_params.at("code"), limit](pqxx::connection& c) {
               store::ReadTransaction tx(c);
               auto hall = emergency::hall_by_code(tx, code);
               if (!hall) return std::string();
               return json{
                   {"items", store::hall_commands(tx, hall->id, static_cast<std::size_t>(limit))}}
                   .dump();
             }};
           });
  add_write(
      router, database, http::verb::post, "/api/v1/halls/{code}/commands",
      [](const RequestContext& context) -> PreparedWrite {
        auto parsed = json_body(context.request);
        if (auto* refusal = std::get_if<Response>(&parsed)) return std::move(*refusal);
        auto command = std::get<json>(std::move(parsed));
        if (!command.is_object() || !command.contains("object") || !command["object"].is_string())
          return refuse(http::status::bad_request, "bad_body", objects_named);
        const auto object = command["object"].get<std::string>();
        command.erase("object");
        if (object == "facility") return prepare_facility_write(context, std::move(command));
        const auto kind = command.value("kind", json()).is_string()
                              ? command["kind"].get<std::string>()
                              : std::string();
        // Which system of the hall takes the command, and which kinds each object has.
        static const std::map<std::string,
                              std::pair<records::ChannelProtocol, std::vector<std::string>>>
            objects{
                {"window", {records::ChannelProtocol::queue_eval, {"open_window", "close_window"}}},
                {"screen",
                 {records::ChannelProtocol::queue_eval, {"show_message", "clear_message"}}},
                {"queue", {records::ChannelProtocol::queue_eval, {"set_queue_parameter"}}},
                {"terminal",
                 {records::ChannelProtocol::terminal,
                  {"publish_notice", "set_in_service", "reboot"}}}};
        auto it = objects.find(object);
        if (it == objects.end())
          return refuse(http::status::bad_request, "bad_body", objects_named);
        const auto& [protocol, kinds] = it->second;
        if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end())
          return refuse(http::status::unprocessable_entity, "invalid",
                        fmt::format("a {} takes {}", object, fmt::join(kinds, ", ")));
        try {
          (void)proto::encode_command_json(protocol, 1, 1, command);  // checks every field
        } catch (const std::invalid_argument& e) {
          return refuse(http::status::unprocessable_entity, "invalid", e.what());
        }
        return {[code = context.path_params.at("code"), protocol, command,
                 actor = actor_of(context)](pqxx::work& tx) {
                  auto hall = emergency::hall_by_code(tx, code);
                  if (!hall) return std::string();
                  auto target = store::hall_command_target(tx, hall->id, protocol);
                  if (auto* why = std::get_if<std::string>(&target)) throw Conflict(*why);
                  const auto& t = std::get<store::CommandTarget>(target);
                  const auto id =
                      store::queue_command(tx, t, command, actor, std::chrono::minutes(5));
                  return json{{"id", id},
                              {"hall", code},
                              {"channel", t.channel_code},
                              {"command", command},
                              {"state", "queued"}}
                      .dump();
                },
                http::status::accepted};
      });
}

void add_work_order_routes(Router& router, store::Database& database, emergency::Manager& manager) {
  add_read(router, database, "/api/v1/work-orders", [](const RequestContext& context) -> Prepared {
    QueryReader query(context, {"state", "city", "hall", "limit", "offset"});
    emergency::WorkOrderFilter f;
    f.state = query.text("state", 10);
    if (!f.state.empty() && !one_of(f.state, {"open", "answered", "closed", "overdue"}))
      query.fail("'state' must be open, answered, closed or overdue");
    f.city_code = query.text("city", 32);
    f.hall_code = query.text("hall", 32);
    f.limit = query.integer("limit", 100, 1, 1000);
    f.offset = query.integer("offset", 0, 0, 10'000'000);
    if (query.problem()) return bad_query(*query.problem());
    return {[f](pqxx::connection& c) {
      store::ReadTransaction tx(c);
      return emergency::list_work_orders(tx, f).dump();
    }};
  });
  add_read(router, database, "/api/v1/work-orders/{id}",
           [](const RequestContext& context) -> Prepared {
             auto id = id_param(context);
             if (!id) return refuse(http::status::not_found, "not_found", "no such work order");
             return {[id = *id](pqxx::connection& c) {
               store::ReadTransaction tx(c);
               auto order = emergency::work_order(tx, id);
               return order.is_null() ? std::string() : order.dump();
             }};
           });
  add_write(router, database, http::verb::post, "/api/v1/work-orders/{id}/answer",
            [](const RequestContext& context) -> PreparedWrite {
              auto id = id_param(context);
              if (!id) return refuse(http::status::not_found, "not_found", "no such work order");
              auto read = read_texts(context, {{"cause", 20}, {"measures", 2000}});
              if (auto* refusal = std::get_if<Response>(&read)) return std::move(*refusal);
              auto f = std::get<0>(std::move(read));
              const bool known_cause = std::any_of(
                  std::begin(emergency::work_order_causes), std::end(emergency::work_order_causes),
                  [&](const auto& c) { return c.first == f["cause"]; });
              if (!known_cause)
                return refuse(http::status::bad_request, "bad_body",
                              "'cause' must be staffing, business_surge, system_fault, "
                              "complex_business, clerk_skill or other");
              if (f["measures"].size() < 4)
                return refuse(http::status::bad_request, "bad_body",
                              "describe the corrective 'measures'");
              return {[id = *id, f, actor = actor_of(context)](pqxx::work& tx) {
                if (emergency::work_order(tx, id).is_null()) return std::string();
                auto why =
                    emergency::answer_work_order(tx, id, actor, f.at("cause"), f.at("measures"));
                if (!why.empty()) throw Conflict(why);
                return emergency::work_order(tx, id).dump();
              }};
            });
  add_write(router, database, http::verb::post, "/api/v1/work-orders/{id}/review",
            [](const RequestContext& context) -> PreparedWrite {
              auto id = id_param(context);
              if (!id) return refuse(http::status::not_found, "not_found", "no such work order");
              // The hall answers; its city or the province judges the answer.
              if (context.principal && context.principal->scope.level == auth::ScopeLevel::hall)
                return refuse(http::status::forbidden, "forbidden",
                              "a hall's answer is reviewed by its city or the province");
              auto read = read_texts(context, {{"verdict", 10}, {"review", 1000}});
              if (auto* refusal = std::get_if<Response>(&read)) return std::move(*refusal);
              auto f = std::get<0>(std::move(read));
              if (!one_of(f["verdict"], {"accept", "return"}))
                return refuse(http::status::bad_request, "bad_body",
                              "'verdict' must be accept or return");
              return {[id = *id, f, actor = actor_of(context)](pqxx::work& tx) {
                if (emergency::work_order(tx, id).is_null()) return std::string();
                auto why = emergency::close_work_order(tx, id, actor, f.at("verdict") == "accept",
                                                       f.at("review"));
                if (!why.empty()) throw Conflict(why);
                return emergency::work_order(tx, id).dump();
              }};
            });
  add_read(router, database, "/api/v1/work-order-statistics",
           [](const RequestContext& context) -> Prepared {
             QueryReader query(context, {"group", "city", "hall", "from", "to"});
             auto group = query.text("group", 10);
             if (group.empty()) group = "hall";
             if (!one_of(group, {"hall", "city", "cause", "month"}))
               query.fail("'group' must be hall, city, cause or month");
             const auto city = query.text("city", 32), hall = query.text("hall", 32);
             const auto now =
                 std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
             records::Instant to{now + std::chrono::seconds(1), default_offset};
             records::Instant from{to.at - std::chrono::days(90), default_offset};
             if (auto range = query.range(from, to, default_offset)) std::tie(from, to) = *range;
             if (query.problem()) return bad_query(*query.problem());
             return {[=](pqxx::connection& c) {
               store::ReadTransaction tx(c);
               return emergency::work_order_statistics(tx, group, city, hall,
                                                       from.at.time_since_epoch().count(),
                                                       to.at.time_since_epoch().count())
                   .dump();
             }};
           });
  add_list(router, database, "/api/v1/work-order-rules", [](pqxx::transaction_base& tx) {
    json items = json::array();
    for (const auto& rule : emergency::load_work_order_rules(tx))
      items.push_back(emergency::to_json(rule));
    return items;
  });
  add_object_writes<emergency::WorkOrderRule>(
      router, database, "/api/v1/work-order-rules", "rule", emergency::work_order_rule_from_json,
      emergency::insert_work_order_rule, emergency::update_work_order_rule,
      [&manager] { return manager.reload(); });
}

// The dissatisfaction analysis beside the plans' record (seed 000 §4.4.2), as JSON or a table.
void add_decision_routes(Router& router, store::Database& database) {
  router.add(
      http::verb::get, "/api/v1/dissatisfaction",
      [&database](RequestContext& context) -> asio::awaitable<Response> {
        QueryReader query(context, {"city", "hall", "from", "to", "format"});
        const auto city = query.text("city", 32), hall = query.text("hall", 32);
        const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
        records::Instant to{now + std::chrono::seconds(1), default_offset};
        records::Instant from{to.at - std::chrono::days(30), default_offset};
        if (auto range = query.range(from, to, default_offset)) std::tie(from, to) = *range;
        const auto table = query.table_format();
        if (query.problem()) co_return bad_query(*query.problem());
        auto analysing = database.run([=](pqxx::connection& c) {
          store::ReadTransaction tx(c);
          auto analysis = emergency::dissatisfaction_analysis(
              tx, city, hall, from.at.time_since_epoch().count(), to.at.time_since_epoch().count());
          if (table == TableFormat::json) return json_response(http::status::ok, analysis.dump());
          ordered_json rows = ordered_json::array();
          for (const auto& g : analysis["groups"])
            rows.push_back(ordered_json{{"维度", g["dimension"]},
                                        {"分组", g["key"]},
                                        {"评价数", g["evaluated"]},
                                        {"不满意数", g["dissatisfied"]},
                                        {"不满意率", g["rate"]},
                                        {"超出预期", g["excess"]}});
          return table_response({}, rows, table, "dissatisfaction");
        });
        co_return co_await std::move(analysing);
      });
}

}  // namespace

void add_emergency_routes(Router& router, store::Database& database, emergency::Manager& manager) {
  add_plan_routes(router, database, manager);
  add_emergency_record_routes(router, database, manager);
  add_command_routes(router, database);
  add_work_order_routes(router, database, manager);
  add_decision_routes(router, database);
}

}  // namespace halld::api
