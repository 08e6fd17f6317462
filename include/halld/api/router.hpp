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

// An upgraded connection as a WebSocket route sees it, over plain TCP or TLS alike. The server
// owns it for the session; a route uses it only from its executor. Each operation answers the
// error that ended it (none when it worked).
class WebSocket {
 public:
  virtual ~WebSocket() = default;
  virtual asio::any_io_executor get_executor() = 0;
  virtual asio::awaitable<boost::system::error_code> write_text(asio::const_buffer text) = 0;
  // Reads one whole message into `buffer`.
  virtual asio::awaitable<boost::system::error_code> read(beast::flat_buffer& buffer) = 0;
  virtual asio::awaitable<boost::system::error_code> close(
      const beast::websocket::close_reason& reason) = 0;
  // Ends the connection in both directions at once: an operation waiting on it ends too.
  virtual void shut_down() = 0;
};
// Runs a WebSocket session on an upgraded connection, until either side closes it.
using WebSocketHandler = std::function<asio::awaitable<void>(WebSocket&, RequestContext&)>;

// How a change's audit row is kept all-or-nothing with the change (api/guard.hpp, AuditRecord).
enum class AuditMode {
  ahead,           // committed before the handler runs; a handler that changes memory, not tables
  in_transaction,  // the handler writes it inside the transaction of its change
};

struct Route {
  http::verb method;
  std::string pattern;
  Handler handler;                     // a WebSocket route's answers a plain GET with 426
  WebSocketHandler websocket;          // set for a WebSocket route
  AuditMode audit = AuditMode::ahead;  // for a change (any method but GET/HEAD)
};

class Router {
 public:
  void add(http::verb method, std::string pattern, Handler handler,
           AuditMode audit = AuditMode::ahead);
  // A GET that upgrades to a WebSocket. Register it before a {parameter} pattern it would match.
  void add_websocket(std::string pattern, WebSocketHandler handler);

  struct Match {
    const Route* route = nullptr;  // set when method and path match
    bool path_known = false;       // the path matched some route, perhaps another method
    std::map<std::string, std::string, std::less<>> params;
  };
  Match match(http::verb method, std::string_view path) const;

  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

}  // namespace halld::api
