// A hall's facility devices: GET /api/v1/halls/{code}/facility (each device with its comm state
// and its points' latest values, from the running pollers) and
// GET /api/v1/halls/{code}/facility/history (one point's readings in buckets, from the store).
// Writes go through POST /api/v1/halls/{code}/commands (object "facility").
#include "halld/api/routes.hpp"
#include "halld/emergency/store.hpp"
#include "halld/store/facility_store.hpp"
#include "route_helpers.hpp"

namespace halld::api {

void add_facility_routes(Router& router, store::Database& database, FacilityHooks hooks) {
  router.add(http::verb::get, "/api/v1/halls/{code}/facility",
             [hooks](RequestContext& context) -> asio::awaitable<Response> {
               QueryReader query(context, {});
               if (query.problem()) co_return bad_query(*query.problem());
               auto devices = hooks.devices(context.path_params.at("code"));
               if (!devices)
                 co_return error_response(http::status::not_found, "not_found", "no such hall");
               co_return json_response(http::status::ok, devices->dump());
             });
  add_read(router, database, "/api/v1/halls/{code}/facility/history",
           [](const RequestContext& context) -> Prepared {
             QueryReader query(context, {"device", "point", "hours"});
             const auto device = query.text("device", 64);
             const auto point = query.text("point", 40);
             const int hours = query.integer("hours", 24, 1, 24 * 31);
             if (query.problem()) return bad_query(*query.problem());
             if (device.empty() || point.empty())
               return bad_query("'device' and 'point' name the point whose history is wanted");
             // About 240 buckets whatever the span, none shorter than a minute.
             const int bucket_s = std::max(60, hours * 3600 / 240);
             return {[code = context.path_params.at("code"), device, point, hours,
                      bucket_s](pqxx::connection& c) {
               store::ReadTransaction tx(c);
               auto hall = emergency::hall_by_code(tx, code);
               if (!hall) return std::string();
               const auto to = std::chrono::system_clock::now();
               const auto from = to - std::chrono::hours(hours);
               return nlohmann::json{{"hall", code},
                                     {"device", device},
                                     {"point", point},
                                     {"bucket_s", bucket_s},
                                     {"items", store::facility_history(tx, hall->id, device, point,
                                                                       from, to, bucket_s)}}
                   .dump();
             }};
           });
}

}  // namespace halld::api
