#include "halld/link/http_client.hpp"

#include <fmt/format.h>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace halld::link {
namespace {
namespace beast = boost::beast;
namespace http = beast::http;
}  // namespace

HttpEndpoint parse_http_url(std::string_view url) {
  constexpr std::string_view scheme = "http://";
  if (!url.starts_with(scheme))
    throw std::invalid_argument(fmt::format("not an http:// URL: {}", url));
  url.remove_prefix(scheme.size());
  const auto slash = url.find('/');
  const auto authority = url.substr(0, slash);
  HttpEndpoint endpoint;
  endpoint.path = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
  const auto colon = authority.rfind(':');
  endpoint.host = std::string(authority.substr(0, colon));
  endpoint.port = colon == std::string_view::npos ? "80" : std::string(authority.substr(colon + 1));
  if (endpoint.host.empty()) throw std::invalid_argument(fmt::format("no host in {}", url));
  if (endpoint.port.empty() || endpoint.port.size() > 5 ||
      endpoint.port.find_first_not_of("0123456789") != std::string::npos)
    throw std::invalid_argument(fmt::format("not a port: {}", endpoint.port));
  return endpoint;
}

asio::awaitable<HttpResponse> http_exchange(asio::any_io_executor executor,
                                            const HttpEndpoint& endpoint, HttpRequest request,
                                            HttpLimits limits) {
  const auto where = fmt::format("{}:{}", endpoint.host, endpoint.port);
  beast::tcp_stream stream(executor);
  asio::ip::tcp::resolver resolver(executor);
  bool connected = false;
  try {
    stream.expires_after(limits.connect_timeout);
    auto resolving = resolver.async_resolve(endpoint.host, endpoint.port, asio::use_awaitable);
    auto addresses = co_await std::move(resolving);
    auto connecting = stream.async_connect(addresses, asio::use_awaitable);
    co_await std::move(connecting);
    connected = true;

    stream.expires_after(limits.read_timeout);
    http::request<http::string_body> message{
        request.method == "POST" ? http::verb::post : http::verb::get, request.target, 11};
    message.set(http::field::host, endpoint.host);
    message.set(http::field::user_agent, "halld");
    for (const auto& [name, value] : request.headers) message.set(name, value);
    message.body() = std::move(request.body);
    message.prepare_payload();
    auto writing = http::async_write(stream, message, asio::use_awaitable);
    co_await std::move(writing);

    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(limits.max_body_bytes);
    auto reading = http::async_read(stream, buffer, parser, asio::use_awaitable);
    co_await std::move(reading);
    auto response = parser.release();
    beast::error_code ignored;
    stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    co_return HttpResponse{response.result_int(), std::string(response[http::field::content_type]),
                           std::move(response.body())};
  } catch (const boost::system::system_error& e) {
    using Kind = HttpFailure::Kind;
    if (e.code() == beast::error::timeout) {
      throw HttpFailure(
          Kind::timeout,
          fmt::format("{}: no {} within {} ms", where, connected ? "answer" : "connection",
                      (connected ? limits.read_timeout : limits.connect_timeout).count()));
    }
    if (e.code() == http::error::body_limit) {
      throw HttpFailure(Kind::too_large, fmt::format("{}: the answer is larger than {} bytes",
                                                     where, limits.max_body_bytes));
    }
    throw HttpFailure(connected ? Kind::broken : Kind::connect,
                      fmt::format("{}: {}", where, e.code().message()));
  }
}

}  // namespace halld::link
