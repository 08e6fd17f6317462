#include "halld/api/router.hpp"

#include <stdexcept>

namespace halld::api {
namespace {

std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t start = 1;
  while (start <= path.size()) {
    auto slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    out.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

bool is_param(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

}  // namespace

void Router::add(http::verb method, std::string pattern, Handler handler, AuditMode audit) {
  if (pattern.empty() || pattern.front() != '/')
    throw std::logic_error("route pattern must start with /");
  routes_.push_back({method, std::move(pattern), std::move(handler), {}, audit});
}

void Router::add_websocket(std::string pattern, WebSocketHandler handler) {
  add(http::verb::get, std::move(pattern), [](RequestContext&) -> asio::awaitable<Response> {
    auto response = error_response(http::status::upgrade_required, "upgrade_required",
                                   "this endpoint speaks WebSocket: send an Upgrade request");
    response.set(http::field::upgrade, "websocket");
    co_return response;
  });
  routes_.back().websocket = std::move(handler);
}

Router::Match Router::match(http::verb method, std::string_view path) const {
  Match result;
  const auto wanted = segments(path);
  for (const auto& route : routes_) {
    const auto pattern = segments(route.pattern);
    if (pattern.size() != wanted.size()) continue;
    std::map<std::string, std::string, std::less<>> params;
    bool same = true;
    for (std::size_t i = 0; i < pattern.size() && same; ++i) {
      if (is_param(pattern[i])) {
        if (wanted[i].empty())
          same = false;
        else
          params.emplace(std::string(pattern[i].substr(1, pattern[i].size() - 2)),
                         std::string(wanted[i]));
      } else {
        same = pattern[i] == wanted[i];
      }
    }
    if (!same) continue;
    result.path_known = true;
    if (route.method == method || (method == http::verb::head && route.method == http::verb::get)) {
      result.route = &route;
      result.params = std::move(params);
      return result;
    }
  }
  return result;
}

}  // namespace halld::api
