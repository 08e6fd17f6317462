// The acquisition channels and the protocol registry under /api/v1 (docs/protocols/adapters.md,
// "Changing protocols and channels while halld runs").
#include <fmt/format.h>

#include <string_view>

#include "halld/acq/protocols.hpp"
#include "halld/api/routes.hpp"
#include "halld/proto/described/vectors.hpp"
#include "halld/store/archive_store.hpp"
#include "halld/store/protocol_store.hpp"
#include "route_helpers.hpp"

namespace halld::api {
namespace {

using nlohmann::json;

bool is_protocol_name(std::string_view text) {
  return !text.empty() && text.size() <= 40 &&
         text.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") == std::string_view::npos;
}

bool is_channel_code(std::string_view text) {
  return !text.empty() && text.size() <= 64 &&
         text.find_first_not_of(
             "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") ==
             std::string_view::npos;
}

// PUT /api/v1/protocols/{name}: {"text": the description, "vectors": optional test vectors it
// must pass}. Read and checked here, on the I/O thread, before anything is written.
PreparedWrite prepare_protocol(const RequestContext& context) {
  const auto& name = context.path_params.at("name");
  if (!is_protocol_name(name))
    return refuse(http::status::not_found, "not_found", "no such protocol");
  auto parsed = json_body(context.request);
  if (auto* refusal = std::get_if<Response>(&parsed)) return std::move(*refusal);
  const auto& body = std::get<json>(parsed);
  for (const auto& [key, value] : body.items()) {
    if (key != "text" && key != "vectors")
      return refuse(
          http::status::unprocessable_entity, "invalid",
          fmt::format("unknown field '{}' (expected text and, optionally, vectors)", key));
  }
  auto text = text_field(body, "text", acq::max_description_bytes);
  if (!text || text->empty()) {
    return refuse(http::status::unprocessable_entity, "invalid",
                  fmt::format("'text' must be the description, at most {} bytes",
                              acq::max_description_bytes));
  }
  store::ProtocolEntry entry;
  try {
    entry = acq::checked_entry(std::move(*text), "api");
  } catch (const proto::described::DescriptionError& e) {
    return error_response(http::status::unprocessable_entity, "invalid_description", e.what(),
                          {{"line", e.line}});
  }
  if (entry.name != name) {
    return refuse(http::status::unprocessable_entity, "invalid",
                  fmt::format("the description is named '{}', not '{}'", entry.name, name));
  }
  if (body.contains("vectors")) {
    const proto::described::Interpreter interpreter(
        std::make_shared<const proto::described::Description>(
            proto::described::load_description(entry.text)));
    std::vector<std::string> disagreements;
    try {
      disagreements = proto::described::check_vectors(interpreter, body["vectors"]);
    } catch (const std::invalid_argument& e) {
      return refuse(http::status::unprocessable_entity, "invalid",
                    fmt::format("'vectors': {}", e.what()));
    }
    if (!disagreements.empty()) {
      return error_response(
          http::status::unprocessable_entity, "vectors_failed",
          fmt::format("the description fails {} of its vectors; nothing was stored",
                      disagreements.size()),
          {{"disagreements", disagreements}});
    }
  }
  return {[entry = std::move(entry), who = actor_of(context)](pqxx::work& tx) {
    const auto outcome = store::save_protocol(tx, entry, who);
    switch (outcome) {
      case store::SaveOutcome::owned_by_file:
        throw Conflict(
            fmt::format("'{}' comes from a description file; change the file and send halld SIGHUP",
                        entry.name));
      case store::SaveOutcome::owned_by_api:  // an API caller never meets this one
      case store::SaveOutcome::family_changed:
        throw Conflict(fmt::format(
            "channels speak '{}' as a {} protocol; a description of another family needs a "
            "name of its own",
            entry.name, entry.family));
      default:
        break;
    }
    auto stored = json::parse(store::protocol_json(tx, entry.name));
    stored["outcome"] = outcome == store::SaveOutcome::created   ? "created"
                        : outcome == store::SaveOutcome::changed ? "changed"
                                                                 : "unchanged";
    return stored.dump();
  }};
}

PreparedWrite prepare_protocol_retirement(const RequestContext& context) {
  const auto& name = context.path_params.at("name");
  if (!is_protocol_name(name))
    return refuse(http::status::not_found, "not_found", "no such protocol");
  return {[name, who = actor_of(context)](pqxx::work& tx) -> std::string {
    const auto retirement = store::retire_protocol(tx, name, "api", who);
    switch (retirement.outcome) {
      case store::RetireOutcome::not_found:
        return "";
      case store::RetireOutcome::in_use:
        throw Conflict(fmt::format("channels {} still speak '{}'; give them another protocol first",
                                   fmt::join(retirement.channels, ", "), name));
      case store::RetireOutcome::owned_by_file:
        throw Conflict(fmt::format(
            "'{}' comes from a description file; remove the file and send halld SIGHUP", name));
      case store::RetireOutcome::retired:
        break;
    }
    return store::protocol_json(tx, name);
  }};
}

PreparedWrite prepare_channel_retirement(const RequestContext& context) {
  const auto& code = context.path_params.at("code");
  if (!is_channel_code(code))
    return refuse(http::status::not_found, "not_found", "no such channel");
  return {[code](pqxx::work& tx) { return store::disable_channel(tx, code); }};
}

}  // namespace

void add_acquisition_routes(Router& router, store::Database& database, AcquisitionHooks hooks) {
  router.add(http::verb::get, "/api/v1/channels",
             [statuses = hooks.statuses](RequestContext& context) -> asio::awaitable<Response> {
               QueryReader query(context, {"up"});
               const auto up = query.text("up", 5);
               if (!up.empty() && up != "true" && up != "false")
                 query.fail("'up' must be true or false");
               if (query.problem()) co_return bad_query(*query.problem());
               json items = json::array();
               for (auto& status : statuses()) {
                 if (up.empty() || status["up"].get<bool>() == (up == "true"))
                   items.push_back(std::move(status));
               }
               co_return json_response(http::status::ok,
                                       json{{"total", items.size()}, {"items", items}}.dump());
             });

  auto apply = [apply_channels = hooks.apply_channels]() -> asio::awaitable<void> {
    auto applying = apply_channels();
    co_await std::move(applying);
  };

  // A channel in the archives' form (docs/archives.md), checked by the same rules as an import.
  router.add(http::verb::put, "/api/v1/channels/{code}",
             [&database, apply_channels = hooks.apply_channels](
                 RequestContext& context) -> asio::awaitable<Response> {
               const auto code = context.path_params.at("code");
               if (!is_channel_code(code))
                 co_return error_response(http::status::not_found, "not_found", "no such channel");
               auto parsed = json_body(context.request);
               if (auto* refusal = std::get_if<Response>(&parsed)) co_return std::move(*refusal);
               auto channel = std::get<json>(std::move(parsed));
               if (channel.contains("code") && channel["code"] != code) {
                 co_return error_response(http::status::unprocessable_entity, "invalid",
                                          "the channel's 'code' differs from the one in the path");
               }
               channel["code"] = code;
               auto importing = database.run(
                   [document = json{{"format", "halld-archives-v1"},
                                    {"channels", json::array({channel})}}](pqxx::connection& c) {
                     return store::import_archives(
                         c,
                         [&document](const archive::KnownCodes& known) {
                           return archive::read_document(document, known);
                         },
                         store::ImportMode::commit);
                   });
               auto outcome = co_await std::move(importing);
               if (!outcome.applied) co_return import_response(outcome, store::ImportMode::commit);
               auto applying = apply_channels();
               auto changes = co_await std::move(applying);
               co_return json_response(
                   http::status::ok, json{{"code", code}, {"applied", std::move(changes)}}.dump());
             });
  add_write(router, database, http::verb::delete_, "/api/v1/channels/{code}",
            prepare_channel_retirement, apply);
  router.add(http::verb::post, "/api/v1/channels/{code}/test",
             [test = hooks.test_channel](RequestContext& context) -> asio::awaitable<Response> {
               const auto code = context.path_params.at("code");
               if (!is_channel_code(code))
                 co_return error_response(http::status::not_found, "not_found", "no such channel");
               auto testing = test(code);
               auto result = co_await std::move(testing);
               if (result.is_null()) {
                 co_return error_response(http::status::not_found, "not_found",
                                          "no channel of that code is running");
               }
               co_return json_response(http::status::ok, result.dump());
             });

  add_read(router, database, "/api/v1/protocols", [](const RequestContext& context) -> Prepared {
    QueryReader query(context, {});
    if (query.problem()) return bad_query(*query.problem());
    return store::list_protocols_json;
  });
  add_read(router, database, "/api/v1/protocols/{name}",
           [](const RequestContext& context) -> Prepared {
             QueryReader query(context, {});
             if (query.problem()) return bad_query(*query.problem());
             const auto& name = context.path_params.at("name");
             if (!is_protocol_name(name))
               return refuse(http::status::not_found, "not_found", "no such protocol");
             return [name](pqxx::connection& c) {
               store::ReadTransaction tx(c);
               return store::protocol_json(tx, name);
             };
           });
  add_write(router, database, http::verb::put, "/api/v1/protocols/{name}", prepare_protocol, apply);
  add_write(router, database, http::verb::delete_, "/api/v1/protocols/{name}",
            prepare_protocol_retirement, apply);
}

}  // namespace halld::api
