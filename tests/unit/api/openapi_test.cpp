// The OpenAPI document must describe exactly the routes halld registers: no undocumented
// route, no documented route that does not exist.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "halld/api/routes.hpp"
#include "halld/core/clock.hpp"

namespace halld::api {
namespace {

std::string method_name(http::verb verb) {
  std::string name(to_std(http::to_string(verb)));
  for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

// Every route halld registers, as the daemon registers them.
class Routes : public ::testing::Test {
 protected:
  Routes() {
    add_system_routes(router, database, metrics);
    add_auth_routes(router, database, guard, AuthConfig{}, false);
    add_archive_routes(router, database, [] {});
    add_acquisition_routes(router, database, {});
    add_facility_routes(router, database, {});
    add_kpi_routes(router, database, engine);
    add_live_routes(router, engine);
    add_recompute_routes(router, database, engine);
    add_alarm_routes(router, database, alarms, []() -> asio::awaitable<void> { co_return; });
    add_emergency_routes(router, database, emergencies);
    add_notice_routes(router, database, notices);
    add_marketing_routes(router, database, nullptr);
  }
  MetricsRegistry metrics;
  store::Database database{"host=invalid.invalid", 1, {}, metrics};  // never asked to connect
  Guard guard{database, AuthConfig{}, metrics};
  ManualClock clock{std::chrono::system_clock::time_point{}};
  live::Engine engine{asio::system_executor(), database, metrics, {}, clock};
  alarm::Engine alarms{asio::system_executor(), database, metrics, engine, {}, clock};
  emergency::Manager emergencies{
      asio::system_executor(), database, metrics, alarms, engine, {}, clock,
      [](emergency::Text) {}};
  notice::Publisher notices{asio::system_executor(), database, metrics, {}, clock};
  Router router;
};

TEST_F(Routes, OpenApiDocumentMatchesRegisteredRoutes) {
  auto document = nlohmann::json::parse(openapi_document());
  EXPECT_EQ(document["openapi"].get<std::string>().substr(0, 2), "3.");
  std::set<std::string> documented, registered;
  for (const auto& [path, operations] : document["paths"].items()) {
    for (const auto& [method, operation] : operations.items()) {
      if (method == "parameters") continue;
      documented.insert(method + " " + path);
      EXPECT_TRUE(operation.contains("responses")) << method << " " << path;
      EXPECT_TRUE(operation.contains("summary")) << method << " " << path;
    }
  }
  for (const auto& route : router.routes())
    registered.insert(method_name(route.method) + " " + route.pattern);
  EXPECT_EQ(documented, registered);
}

// Every route has an access policy, and the document says which need no sign-in
// ("security": []) exactly as the policy does.
TEST_F(Routes, EveryRouteHasAnAccessPolicyTheDocumentStates) {
  auto document = nlohmann::json::parse(openapi_document());
  for (const auto& route : router.routes()) {
    auto access = access_of(route.method, route.pattern);
    ASSERT_TRUE(access.has_value())
        << method_name(route.method) << " " << route.pattern << " has no access policy";
    const auto& operation = document["paths"][route.pattern][method_name(route.method)];
    const bool documented_public = operation.contains("security") && operation["security"].empty();
    EXPECT_EQ(documented_public, access->rule == ScopeRule::public_route)
        << method_name(route.method) << " " << route.pattern;
    if (access->rule != ScopeRule::public_route) {
      EXPECT_TRUE(operation["responses"].contains("401")) << route.pattern;
      EXPECT_TRUE(operation["responses"].contains("403")) << route.pattern;
    }
    // Writes need more than the right to look.
    if (route.method != http::verb::get && access->rule != ScopeRule::public_route &&
        route.pattern != "/api/v1/session" && route.pattern != "/api/v1/session/password") {
      EXPECT_NE(access->permission, auth::Permission::view)
          << method_name(route.method) << " " << route.pattern;
    }
  }
}

}  // namespace
}  // namespace halld::api
