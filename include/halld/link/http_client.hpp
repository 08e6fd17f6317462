// link/http_client: one HTTP/1.1 exchange with a server halld calls (Kannel's sendsms, the
// marketing system's WebService): resolve, connect within the connect timeout, write the request,
// read the answer within the read timeout and up to a size limit, close. Owns: the socket of
// the exchange and nothing after it. Must not touch: what the bodies mean (the caller's
// protocol) or what to do when the exchange fails (the caller's retries).
#pragma once

#include <chrono>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "halld/core/asio.hpp"

namespace halld::link {

struct HttpEndpoint {
  std::string host;
  std::string port;  // "80" unless the URL names one
  std::string path;  // "/" unless the URL names one
};
// "http://host[:port]/path"; throws std::invalid_argument for anything else (https:// too: the
// servers halld calls this way sit on the intranet beside it).
HttpEndpoint parse_http_url(std::string_view url);

struct HttpRequest {
  std::string method = "GET";  // GET or POST
  std::string target;          // path and query
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct HttpLimits {
  std::chrono::milliseconds connect_timeout{5000};
  // From the request written to the answer read whole: a server that trickles is cut off.
  std::chrono::milliseconds read_timeout{30000};
  std::size_t max_body_bytes = 1 << 20;
};

struct HttpResponse {
  unsigned status = 0;
  std::string content_type;
  std::string body;
};

// Why an exchange brought no answer; what() names the server and the cause.
struct HttpFailure : std::runtime_error {
  enum class Kind { connect, timeout, too_large, broken };
  HttpFailure(Kind kind, const std::string& what) : std::runtime_error(what), kind(kind) {}
  Kind kind;
};

// Throws HttpFailure; any answer the server gives (4xx and 5xx too) is returned.
asio::awaitable<HttpResponse> http_exchange(asio::any_io_executor executor,
                                            const HttpEndpoint& endpoint, HttpRequest request,
                                            HttpLimits limits);

}  // namespace halld::link
