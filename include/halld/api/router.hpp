// api/router: maps (method, path) to a handler. Patterns are literal segments and {name}
// parameters: "/api/v1/halls/{code}". Owns: the table of routes, which the OpenAPI test reads
// so that no route goes undocumented.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "halld/api/http.hpp"

namespace halld::api {

using Handler = std::function<asio::awaitable<Response>(RequestContext&)>;

struct Route {
  http::verb method;
  std::string pattern;
  Handler handler;
};

class Router {
 public:
  void add(http::verb method, std::string pattern, Handler handler);

  struct Match {
    const Route* route = nullptr;        // set when method and path match
    bool path_known = false;             // the path matched some route, perhaps another method
    std::map<std::string, std::string, std::less<>> params;
  };
  Match match(http::verb method, std::string_view path) const;

  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

}  // namespace halld::api
