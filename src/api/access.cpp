// The access policy: one line per route. A route missing here is refused to everyone (and
// fails the policy test), so a new endpoint cannot ship open by accident.
#include <array>

#include "halld/api/guard.hpp"

namespace halld::api {
namespace {

using auth::Permission;
using V = http::verb;

struct Entry {
  V method;
  std::string_view pattern;
  Access access;
};

constexpr Access open{Permission::view, ScopeRule::public_route};
constexpr Access anyone{Permission::view, ScopeRule::any_hall};
constexpr Access province_view{Permission::view, ScopeRule::province};
constexpr Access configure{Permission::configure, ScopeRule::province};
constexpr Access administer{Permission::administer, ScopeRule::province};

constexpr std::array table{
    Entry{V::get, "/healthz", open},
    Entry{V::get, "/readyz", open},
    Entry{V::get, "/metrics", open},  // Prometheus scrapes it; it carries counts, not hall data
    Entry{V::get, "/api/v1/openapi.json", open},
    Entry{V::get, "/api/v1/sms/dlr",
          open},  // Kannel's reports: each carries its text's random token
    Entry{V::post, "/api/v1/session", open},
    Entry{V::get, "/api/v1/session", anyone},
    Entry{V::delete_, "/api/v1/session", anyone},
    Entry{V::post, "/api/v1/session/password", anyone},

    Entry{V::get, "/api/v1/cities", anyone},
    Entry{V::get, "/api/v1/business-types", anyone},
    Entry{V::get, "/api/v1/customer-classes", anyone},
    Entry{V::get, "/api/v1/halls", {Permission::view, ScopeRule::city_hall_query}},
    Entry{V::get, "/api/v1/halls/{code}", {Permission::view, ScopeRule::hall_path}},
    Entry{V::get, "/api/v1/halls/{code}/live", {Permission::view, ScopeRule::hall_path}},
    Entry{V::get, "/api/v1/halls/{code}/best-hours", {Permission::view, ScopeRule::hall_path}},
    Entry{V::get, "/api/v1/live", {Permission::view, ScopeRule::city_hall_query}},
    Entry{V::get, "/api/v1/live/stream", {Permission::view, ScopeRule::city_hall_query}},
    Entry{V::get, "/api/v1/kpi", {Permission::view, ScopeRule::level_code_query}},
    Entry{V::get, "/api/v1/kpi/halls", {Permission::view, ScopeRule::level_code_query}},
    Entry{V::get, "/api/v1/kpi/breakdown", {Permission::view, ScopeRule::level_code_query}},
    Entry{V::get, "/api/v1/saturation", {Permission::view, ScopeRule::level_code_query}},
    Entry{V::get, "/api/v1/channels", province_view},
    Entry{V::put, "/api/v1/channels/{code}", administer},
    Entry{V::delete_, "/api/v1/channels/{code}", administer},
    Entry{V::post, "/api/v1/channels/{code}/test", administer},
    Entry{V::get, "/api/v1/protocols", province_view},
    Entry{V::get, "/api/v1/protocols/{name}", province_view},
    Entry{V::put, "/api/v1/protocols/{name}", administer},
    Entry{V::delete_, "/api/v1/protocols/{name}", administer},
    Entry{V::get, "/api/v1/recomputations", province_view},
    Entry{V::get, "/api/v1/recomputations/{id}", province_view},
    Entry{V::post, "/api/v1/recomputations", configure},
    Entry{V::delete_, "/api/v1/recomputations/{id}", configure},
    Entry{V::post, "/api/v1/archives/import", {Permission::edit_archives, ScopeRule::province}},

    Entry{V::get, "/api/v1/alarms/stream", {Permission::view, ScopeRule::city_hall_query}},
    Entry{V::get, "/api/v1/alarms", {Permission::view, ScopeRule::city_hall_query}},
    Entry{V::get, "/api/v1/alarms/{id}", {Permission::view, ScopeRule::alarm_path}},
    Entry{V::post,
          "/api/v1/alarms/{id}/acknowledge",
          {Permission::handle_alarms, ScopeRule::alarm_path}},
    Entry{V::post, "/api/v1/alarms/{id}/clear", {Permission::handle_alarms, ScopeRule::alarm_path}},
    Entry{V::get, "/api/v1/alarm-statistics", {Permission::view, ScopeRule::city_hall_query}},
    Entry{V::get, "/api/v1/terminal-reliability", {Permission::view, ScopeRule::city_hall_query}},
    Entry{V::get, "/api/v1/alarm-rules", province_view},
    Entry{V::get, "/api/v1/alarm-rules/{id}", province_view},
    Entry{V::post, "/api/v1/alarm-rules", configure},
    Entry{V::put, "/api/v1/alarm-rules/{id}", configure},
    Entry{V::delete_, "/api/v1/alarm-rules/{id}", configure},
    Entry{V::get, "/api/v1/contacts", province_view},
    Entry{V::post, "/api/v1/contacts", configure},
    Entry{V::put, "/api/v1/contacts/{id}", configure},
    Entry{V::delete_, "/api/v1/contacts/{id}", configure},
    Entry{V::get, "/api/v1/maintenance-windows", province_view},
    Entry{V::post, "/api/v1/maintenance-windows", configure},
    Entry{V::delete_, "/api/v1/maintenance-windows/{id}", configure},
    Entry{V::get, "/api/v1/sms", province_view},

    Entry{V::get, "/api/v1/emergency-plans", {Permission::view, ScopeRule::city_hall_query}},
    Entry{V::post, "/api/v1/emergency-plans", configure},
    Entry{V::put, "/api/v1/emergency-plans/{id}", configure},
    Entry{V::get,
          "/api/v1/emergency-plan-statistics",
          {Permission::view, ScopeRule::city_hall_query}},
    Entry{V::get, "/api/v1/emergencies", {Permission::view, ScopeRule::city_hall_query}},
    Entry{V::get, "/api/v1/emergencies/{id}", {Permission::view, ScopeRule::emergency_path}},
    Entry{V::post,
          "/api/v1/halls/{code}/emergencies",
          {Permission::handle_alarms, ScopeRule::hall_path}},
    Entry{V::post,
          "/api/v1/emergencies/{id}/start",
          {Permission::handle_alarms, ScopeRule::emergency_path}},
    Entry{V::post,
          "/api/v1/emergencies/{id}/steps/{position}",
          {Permission::handle_alarms, ScopeRule::emergency_path}},
    Entry{V::post,
          "/api/v1/emergencies/{id}/close",
          {Permission::handle_alarms, ScopeRule::emergency_path}},
    Entry{V::post,
          "/api/v1/emergencies/{id}/dismiss",
          {Permission::handle_alarms, ScopeRule::emergency_path}},
    Entry{V::get, "/api/v1/halls/{code}/commands", {Permission::view, ScopeRule::hall_path}},
    Entry{V::get, "/api/v1/halls/{code}/facility", {Permission::view, ScopeRule::hall_path}},
    Entry{
        V::get, "/api/v1/halls/{code}/facility/history", {Permission::view, ScopeRule::hall_path}},
    Entry{V::post,
          "/api/v1/halls/{code}/commands",
          {Permission::handle_alarms, ScopeRule::hall_path}},
    Entry{V::get, "/api/v1/marketing/feeds", province_view},
    Entry{V::get, "/api/v1/marketing/summary", {Permission::view, ScopeRule::city_hall_query}},
    Entry{V::get, "/api/v1/marketing/applications", {Permission::view, ScopeRule::city_hall_query}},
    Entry{V::get,
          "/api/v1/marketing/archive-changes",
          {Permission::view, ScopeRule::city_hall_query}},
    Entry{V::post,
          "/api/v1/marketing/archive-changes/{id}/approve",
          {Permission::edit_archives, ScopeRule::province}},
    Entry{V::post,
          "/api/v1/marketing/archive-changes/{id}/reject",
          {Permission::edit_archives, ScopeRule::province}},
    Entry{V::get, "/api/v1/notices", {Permission::view, ScopeRule::city_hall_query}},
    Entry{V::get, "/api/v1/notices/{id}", {Permission::view, ScopeRule::city_hall_query}},
    Entry{V::post, "/api/v1/notices", {Permission::handle_alarms, ScopeRule::city_hall_query}},
    Entry{V::post,
          "/api/v1/notices/{id}/withdraw",
          {Permission::handle_alarms, ScopeRule::notice_path}},
    Entry{V::get, "/api/v1/work-orders", {Permission::view, ScopeRule::city_hall_query}},
    Entry{V::get, "/api/v1/work-orders/{id}", {Permission::view, ScopeRule::work_order_path}},
    Entry{V::post,
          "/api/v1/work-orders/{id}/answer",
          {Permission::handle_alarms, ScopeRule::work_order_path}},
    Entry{V::post,
          "/api/v1/work-orders/{id}/review",
          {Permission::handle_alarms, ScopeRule::work_order_path}},
    Entry{V::get, "/api/v1/work-order-statistics", {Permission::view, ScopeRule::city_hall_query}},
    Entry{V::get, "/api/v1/dissatisfaction", {Permission::view, ScopeRule::city_hall_query}},
    Entry{V::get, "/api/v1/work-order-rules", province_view},
    Entry{V::post, "/api/v1/work-order-rules", configure},
    Entry{V::put, "/api/v1/work-order-rules/{id}", configure},

    Entry{V::get, "/api/v1/users", administer},
    Entry{V::post, "/api/v1/users", administer},
    Entry{V::get, "/api/v1/users/{id}", administer},
    Entry{V::put, "/api/v1/users/{id}", administer},
    Entry{V::delete_, "/api/v1/users/{id}", administer},
    Entry{V::post, "/api/v1/users/{id}/unlock", administer},
    Entry{V::get, "/api/v1/tokens", administer},
    Entry{V::post, "/api/v1/tokens", administer},
    Entry{V::get, "/api/v1/tokens/{id}", administer},
    Entry{V::delete_, "/api/v1/tokens/{id}", administer},
    Entry{V::get, "/api/v1/audit", administer},
};

}  // namespace

std::optional<Access> access_of(http::verb method, std::string_view pattern) {
  for (const auto& entry : table) {
    if (entry.method == method && entry.pattern == pattern) return entry.access;
  }
  return std::nullopt;
}

}  // namespace halld::api
