// Notices on the halls' screens (notice/store): the reach of a publication is named by the
// query ('hall', 'city', neither: the province), which the guard confines like any query, so a
// city publishes only to its own halls and a hall only to itself.
#include <fmt/format.h>

#include "halld/api/routes.hpp"
#include "halld/notice/store.hpp"
#include "query_reader.hpp"
#include "route_helpers.hpp"

namespace halld::api {
namespace {

using nlohmann::json;

// The filter of the query's (confined) city and hall.
notice::Filter reach_filter(QueryReader& query) {
  notice::Filter f;
  f.city_code = query.text("city", 32);
  f.hall_code = query.text("hall", 32);
  return f;
}

}  // namespace

void add_notice_routes(Router& router, store::Database& database, notice::Publisher& publisher) {
  add_read(router, database, "/api/v1/notices", [](const RequestContext& context) -> Prepared {
    QueryReader query(context, {"city", "hall", "state", "limit", "offset"});
    auto f = reach_filter(query);
    f.state = query.text("state", 10);
    if (!f.state.empty() && f.state != "scheduled" && f.state != "current" &&
        f.state != "expired" && f.state != "withdrawn")
      query.fail("'state' must be scheduled, current, expired or withdrawn");
    f.limit = query.integer("limit", 100, 1, 1000);
    f.offset = query.integer("offset", 0, 0, 10'000'000);
    if (query.problem()) return bad_query(*query.problem());
    return {[f](pqxx::connection& c) {
      store::ReadTransaction tx(c);
      return notice::list_notices(tx, f, now_seconds()).dump();
    }};
  });
  add_read(router, database, "/api/v1/notices/{id}", [](const RequestContext& context) -> Prepared {
    auto id = id_param(context);
    if (!id) return refuse(http::status::not_found, "not_found", "no such notice");
    QueryReader query(context, {"city", "hall"});
    const auto f = reach_filter(query);
    if (query.problem()) return bad_query(*query.problem());
    return {[f, id = *id](pqxx::connection& c) {
      store::ReadTransaction tx(c);
      const auto now = now_seconds();
      if (!notice::reaches(tx, id, f)) return std::string();
      return notice::notice_record(tx, id, f, now).dump();
    }};
  });
  add_write(router, database, http::verb::post, "/api/v1/notices",
            [&publisher](const RequestContext& context) -> PreparedWrite {
              QueryReader query(context, {"city", "hall"});
              const auto f = reach_filter(query);
              if (query.problem()) return bad_query(*query.problem());
              const notice::Reach reach =
                  !f.hall_code.empty()   ? notice::Reach{notice::Level::hall, f.hall_code}
                  : !f.city_code.empty() ? notice::Reach{notice::Level::city, f.city_code}
                                         : notice::Reach{notice::Level::province, ""};
              auto parsed = json_body(context.request);
              if (auto* refusal = std::get_if<Response>(&parsed)) return std::move(*refusal);
              const auto now = now_seconds();
              auto draft = notice::draft_from_json(std::get<json>(parsed), now);
              if (auto* problem = std::get_if<std::string>(&draft))
                return refuse(http::status::unprocessable_entity, "invalid", *problem);
              return {[&publisher, reach, now, actor = actor_of(context),
                       draft = std::get<notice::Draft>(std::move(draft))](pqxx::work& tx) {
                        std::int64_t id = 0;
                        try {
                          id = notice::publish(tx, draft, reach, actor, now);
                        } catch (const std::invalid_argument&) {
                          return std::string();  // no such hall or city: 404
                        }
                        publisher.count(notice::sync_boards(tx, now, notice::halls_reached(tx, id),
                                                            publisher.sync_options()));
                        return notice::notice_record(tx, id, {}, now).dump();
                      },
                      http::status::created};
            });
  add_write(router, database, http::verb::post, "/api/v1/notices/{id}/withdraw",
            [&publisher](const RequestContext& context) -> PreparedWrite {
              auto id = id_param(context);
              if (!id) return refuse(http::status::not_found, "not_found", "no such notice");
              auto parsed = json_body(context.request);
              if (auto* refusal = std::get_if<Response>(&parsed)) return std::move(*refusal);
              const auto& body = std::get<json>(parsed);
              auto reason = body.is_object() ? text_field(body, "reason", 500) : std::nullopt;
              if (!reason)
                return refuse(http::status::bad_request, "bad_body",
                              "'reason' is text of at most 500 bytes");
              return {[&publisher, id = *id, reason = *reason,
                       actor = actor_of(context)](pqxx::work& tx) {
                const auto now = now_seconds();
                auto why = notice::withdraw(tx, id, actor, reason, now);
                if (why == "not_found") return std::string();
                if (!why.empty()) throw Conflict(why);
                publisher.count(notice::sync_boards(tx, now, notice::halls_reached(tx, id),
                                                    publisher.sync_options()));
                return notice::notice_record(tx, id, {}, now).dump();
              }};
            });
}

}  // namespace halld::api
