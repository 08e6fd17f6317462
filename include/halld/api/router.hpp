// api/router: maps (method, path) to a handler. Patterns are literal segments and {name}
// parameters: "/api/v1/halls/{code}". Owns: the table of routes, which the OpenAPI test reads
// so that no route goes undocumented.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <boost/beast/websocket.hpp>

#include "halld/api/http.hpp"

namespace halld::api {

using Handler = std::function<asio::awaitable<Response>(RequestContext&)>;
using WebSocket = beast::websocket::stream<beast::tcp_stream>;
// Runs a WebSocket session on an upgraded connection, until either side closes it.
using WebSocketHandler = std::function<asio::awaitable<void>(WebSocket&, RequestContext&)>;

struct Route {
  http::verb method;
  std::string pattern;
  Handler handler;            // a WebSocket route's answers a plain GET with 426
  WebSocketHandler websocket;  // set for a WebSocket route
};

class Router {
 public:
  void add(http::verb method, std::string pattern, Handler handler);
  // A GET that upgrades to a WebSocket. Register it before a {parameter} pattern it would match.
  void add_websocket(std::string pattern, WebSocketHandler handler);

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
