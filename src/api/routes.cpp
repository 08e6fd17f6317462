#include "halld/api/routes.hpp"

#include <fmt/format.h>

#include <charconv>
#include <nlohmann/json.hpp>

#include "halld/api/body.hpp"
#include "halld/records/archive.hpp"
#include "halld/store/archive_store.hpp"
#include "halld/store/migrations.hpp"
#include "query_reader.hpp"
#include "route_helpers.hpp"

namespace halld::openapi_files {
std::span<const EmbeddedFile> files();
}  // namespace halld::openapi_files

namespace halld::api {
namespace {

// A read-only GET endpoint answered by one query: `prepare` validates the query string (through
// the reader) and returns the job to run.
// Note on the coroutine: every awaited value goes into a named local first. GCC 12 destroys
// some temporaries of a co_await full-expression twice, so none are left there.
void add_json_query(Router& router, store::Database& database, std::string pattern,
                    std::vector<std::string_view> parameters,
                    std::function<TextJob(QueryReader&, const RequestContext&)> prepare) {
  router.add(http::verb::get, std::move(pattern),
             [&database, parameters = std::move(parameters),
              prepare = std::move(prepare)](RequestContext& context) -> asio::awaitable<Response> {
               QueryReader query(context, parameters);
               TextJob job = prepare(query, context);
               if (query.problem()) co_return bad_query(*query.problem());
               auto pending = database.run(std::move(job));
               std::string body = co_await std::move(pending);
               if (body.empty())
                 co_return error_response(http::status::not_found, "not_found", "no such object");
               co_return json_response(http::status::ok, std::move(body));
             });
}

}  // namespace

std::string_view openapi_document() {
  for (const auto& file : openapi_files::files()) {
    if (file.name == "openapi.json") return file.content;
  }
  return {};
}

void add_system_routes(Router& router, store::Database& database, MetricsRegistry& metrics,
                       StandbyState standby) {
  router.add(http::verb::get, "/healthz", [](RequestContext&) -> asio::awaitable<Response> {
    co_return json_response(http::status::ok, R"({"status":"ok"})");
  });

  router.add(
      http::verb::get, "/readyz",
      [&database, standby](RequestContext&) -> asio::awaitable<Response> {
        if (standby) {
          if (auto state = standby())
            co_return json_response(http::status::service_unavailable, state->dump());
        }
        nlohmann::json body;
        try {
          auto pending = database.run([](pqxx::connection& c) {
            return store::inspect_schema(c, store::known_migrations());
          });
          auto state = co_await std::move(pending);
          body = {{"schema_version", state.current}, {"schema_expected", state.latest_known}};
          bool ready = state.current == state.latest_known;
          body["status"] = ready ? "ready" : "schema_mismatch";
          co_return json_response(ready ? http::status::ok : http::status::service_unavailable,
                                  body.dump());
        } catch (const std::exception& e) {
          body = {{"status", "database_unreachable"}, {"detail", e.what()}};
        }
        co_return json_response(http::status::service_unavailable, body.dump());
      });

  router.add(http::verb::get, "/metrics", [&metrics](RequestContext&) -> asio::awaitable<Response> {
    co_return text_response(http::status::ok, metrics.render(),
                            "text/plain; version=0.0.4; charset=utf-8");
  });

  router.add(http::verb::get, "/api/v1/openapi.json",
             [](RequestContext&) -> asio::awaitable<Response> {
               co_return json_response(http::status::ok, std::string(openapi_document()));
             });
}

void add_archive_routes(Router& router, store::Database& database,
                        std::function<void()> archives_changed) {
  router.add(
      http::verb::post, "/api/v1/archives/import",
      [&database, archives_changed = std::move(archives_changed)](
          RequestContext& context) -> asio::awaitable<Response> {
        QueryReader query(context, {"dry_run"});
        const auto dry_run = query.text("dry_run", 5);
        if (!dry_run.empty() && dry_run != "true" && dry_run != "false")
          query.fail("'dry_run' must be true or false");
        if (query.problem()) co_return bad_query(*query.problem());
        if (!to_std(context.request[http::field::content_type]).starts_with("application/json")) {
          co_return error_response(http::status::unsupported_media_type, "unsupported_media_type",
                                   "send the archives as application/json (docs/archives.md)");
        }
        // The same edge as every JSON body: nesting, UTF-8 and U+0000 refused before any work.
        if (auto checked = parse_body_json(context.request.body());
            auto* problem = std::get_if<BodyProblem>(&checked)) {
          co_return error_response(http::status::bad_request, problem->code, problem->message);
        }
        const auto mode =
            dry_run == "true" ? store::ImportMode::dry_run : store::ImportMode::commit;
        auto importing = database.run([text = context.request.body(), mode](pqxx::connection& c) {
          return store::import_archives(
              c,
              [&text](const archive::KnownCodes& known) { return archive::read_json(text, known); },
              mode);
        });
        auto outcome = co_await std::move(importing);
        if (outcome.applied) archives_changed();
        co_return import_response(outcome, mode);
      });

  add_json_query(
      router, database, "/api/v1/cities", {},
      [](QueryReader&, const RequestContext&) -> TextJob { return store::list_cities_json; });

  add_json_query(
      router, database, "/api/v1/halls", {"city", "hall", "status", "q", "limit", "offset"},
      [](QueryReader& query, const RequestContext&) -> TextJob {
        store::HallFilter filter;
        filter.city = query.text("city", 32);
        filter.hall = query.text("hall", 32);
        filter.status = query.text("status", 16);
        filter.search = query.text("q", 100);
        filter.limit = query.integer("limit", 100, 1, 1000);
        filter.offset = query.integer("offset", 0, 0, 10'000'000);
        if (!filter.status.empty() && !records::parse_enum<records::HallStatus>(filter.status)) {
          query.fail(fmt::format("'status' must be one of: {}",
                                 records::enum_names_listed<records::HallStatus>()));
        }
        return [filter](pqxx::connection& c) { return store::list_halls_json(c, filter); };
      });

  add_json_query(router, database, "/api/v1/halls/{code}", {},
                 [](QueryReader&, const RequestContext& context) -> TextJob {
                   return [code = context.path_params.at("code")](pqxx::connection& c) {
                     return store::hall_json(c, code);
                   };
                 });

  add_json_query(router, database, "/api/v1/business-types", {},
                 [](QueryReader&, const RequestContext&) -> TextJob {
                   return store::list_business_types_json;
                 });

  add_json_query(router, database, "/api/v1/customer-classes", {},
                 [](QueryReader&, const RequestContext&) -> TextJob {
                   return store::list_customer_classes_json;
                 });
}

}  // namespace halld::api
