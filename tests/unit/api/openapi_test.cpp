// The OpenAPI document must describe exactly the routes halld registers: no undocumented
// route, no documented route that does not exist.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "halld/api/routes.hpp"

namespace halld::api {
namespace {

std::string method_name(http::verb verb) {
  std::string name(to_std(http::to_string(verb)));
  for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

TEST(OpenApi, DocumentMatchesRegisteredRoutes) {
  MetricsRegistry metrics;
  store::Database database("host=invalid.invalid", 1, {}, metrics);  // never asked to connect
  Router router;
  add_system_routes(router, database, metrics);
  add_archive_routes(router, database);
  add_acquisition_routes(router, [] { return std::vector<nlohmann::json>{}; });
  live::Engine engine(asio::system_executor(), database, metrics, {}, [] { return records::Timestamp{}; });
  add_kpi_routes(router, database, engine);
  alarm::Engine alarms(asio::system_executor(), database, metrics, engine, {}, [] { return records::Timestamp{}; });
  add_alarm_routes(router, database, alarms, []() -> asio::awaitable<void> { co_return; });

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
  for (const auto& route : router.routes()) registered.insert(method_name(route.method) + " " + route.pattern);
  EXPECT_EQ(documented, registered);
}

}  // namespace
}  // namespace halld::api
