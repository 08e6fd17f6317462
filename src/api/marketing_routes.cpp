// The marketing system's records (marketing/store): the feeds and the sync's state for the
// province, what the applications say for a city or hall (channels, classes, handling times
// from linked tickets, the clerks' class-weighted volume), the applications themselves, and the
// archive changes the reconciliation found, with the approval of retirements.
#include <fmt/format.h>

#include "halld/api/routes.hpp"
#include "halld/marketing/store.hpp"
#include "halld/marketing/sync.hpp"
#include "query_reader.hpp"
#include "route_helpers.hpp"

namespace halld::api {
namespace {

using nlohmann::json;
using records::Instant;
constexpr std::chrono::minutes beijing{8 * 60};

// 'from' and 'to' (the last 7 days by default) with the confined 'city' and 'hall'.
marketing::Span read_span(QueryReader& query) {
  marketing::Span span;
  const Instant to{now_seconds() + std::chrono::seconds(1), beijing};
  const Instant from{
      std::chrono::floor<std::chrono::days>(to.at + beijing) - beijing - std::chrono::days(6),
      beijing};
  span.from = from.at, span.until = to.at;
  if (auto range = query.range(from, to, beijing))
    span.from = range->first.at, span.until = range->second.at;
  span.city_code = query.text("city", 32);
  span.hall_code = query.text("hall", 32);
  return span;
}

PreparedWrite decide(const RequestContext& context, bool approve) {
  auto id = id_param(context);
  if (!id) return refuse(http::status::not_found, "not_found", "no such archive change");
  return {[id = *id, approve, actor = actor_of(context)](pqxx::work& tx) {
    auto decided = marketing::decide_change(tx, id, approve, actor, now_seconds());
    if (!decided) {
      if (marketing::change_place(tx, id)) throw Conflict("the change is not pending");
      return std::string();
    }
    return decided->dump();
  }};
}

}  // namespace

void add_marketing_routes(Router& router, store::Database& database, const marketing::Sync* sync) {
  add_read(router, database, "/api/v1/marketing/feeds",
           [sync](const RequestContext& context) -> Prepared {
             QueryReader query(context, {});
             if (query.problem()) return bad_query(*query.problem());
             json connection = nullptr;
             if (sync) {
               connection = acq::to_json(sync->status());
               connection["circuit"] = sync->circuit();
             }
             return {[connection](pqxx::connection& c) {
               store::ReadTransaction tx(c);
               auto answer = marketing::feeds_json(tx);
               answer["configured"] = !connection.is_null();
               answer["connection"] = connection;
               return answer.dump();
             }};
           });
  add_read(router, database, "/api/v1/marketing/summary",
           [](const RequestContext& context) -> Prepared {
             QueryReader query(context, {"city", "hall", "from", "to"});
             const auto span = read_span(query);
             if (query.problem()) return bad_query(*query.problem());
             return {[span](pqxx::connection& c) {
               store::ReadTransaction tx(c);
               return marketing::summary_json(tx, span).dump();
             }};
           });
  add_read(
      router, database, "/api/v1/marketing/applications",
      [](const RequestContext& context) -> Prepared {
        QueryReader query(context, {"city", "hall", "from", "to", "link_state", "limit", "offset"});
        const auto span = read_span(query);
        const auto state = query.text("link_state", 12);
        if (!state.empty() && state != "waiting" && state != "linked" && state != "unmatched" &&
            state != "not_counter")
          query.fail("'link_state' must be waiting, linked, unmatched or not_counter");
        const auto limit = query.integer("limit", 100, 1, 1000);
        const auto offset = query.integer("offset", 0, 0, 10'000'000);
        if (query.problem()) return bad_query(*query.problem());
        return {[span, state, limit, offset](pqxx::connection& c) {
          store::ReadTransaction tx(c);
          return marketing::applications_json(tx, span, state, limit, offset).dump();
        }};
      });
  add_read(
      router, database, "/api/v1/marketing/archive-changes",
      [](const RequestContext& context) -> Prepared {
        QueryReader query(context, {"city", "hall", "state", "limit", "offset"});
        const auto city = query.text("city", 32), hall = query.text("hall", 32);
        const auto state = query.text("state", 12);
        if (!state.empty() && state != "applied" && state != "pending" && state != "deleted" &&
            state != "deactivated" && state != "rejected" && state != "refused")
          query.fail("'state' must be applied, pending, deleted, deactivated, rejected or refused");
        const auto limit = query.integer("limit", 100, 1, 1000);
        const auto offset = query.integer("offset", 0, 0, 10'000'000);
        if (query.problem()) return bad_query(*query.problem());
        return {[=](pqxx::connection& c) {
          store::ReadTransaction tx(c);
          return marketing::archive_changes_json(tx, state, city, hall, limit, offset).dump();
        }};
      });
  add_write(router, database, http::verb::post, "/api/v1/marketing/archive-changes/{id}/approve",
            [](const RequestContext& context) { return decide(context, true); });
  add_write(router, database, http::verb::post, "/api/v1/marketing/archive-changes/{id}/reject",
            [](const RequestContext& context) { return decide(context, false); });
}

}  // namespace halld::api
