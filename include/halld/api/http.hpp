// api/http: the request and response types every route works with, and the helpers that build
// halld's responses (JSON bodies, the one error body shape, security headers).
#pragma once

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "halld/auth/principal.hpp"
#include "halld/core/asio.hpp"

namespace halld::api {

namespace beast = boost::beast;
namespace http = beast::http;

using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

class AuditRecord;  // api/guard.hpp

// What a route handler sees: the request, decoded path parameters ({code}) and query parameters
// (after the guard has confined them to the caller's scope), and who is asking (null only on
// public routes).
struct RequestContext {
  const Request& request;
  std::map<std::string, std::string, std::less<>> path_params;
  std::map<std::string, std::string, std::less<>> query;
  std::optional<auth::Principal> principal;
  std::string remote;  // the peer's address
  // The audit row of a change (null for a read): a handler whose change is a database write
  // writes it in that transaction (api/guard.hpp).
  std::shared_ptr<AuditRecord> audit;
};

// Beast 1.74 speaks boost::string_view; halld speaks std::string_view.
inline std::string_view to_std(beast::string_view s) {
  return {s.data(), s.size()};
}

Response json_response(http::status status, std::string body);
// {"error":{"code":"not_found","message":"…"}}: the one shape of every error halld returns;
// `details` (when not null) lists what a client needs to mend, e.g. every problem of an import.
Response error_response(http::status status, std::string_view code, std::string_view message,
                        nlohmann::json details = nullptr);
Response text_response(http::status status, std::string body, std::string_view content_type);

// The request body as a JSON object, or the response refusing it (415 for another content
// type, 400 for malformed or too deeply nested JSON, text holding U+0000, or another JSON type).
std::variant<nlohmann::json, Response> json_body(const Request& request);

// Percent-decoding of a URL path or query component; nullopt for a malformed escape, a NUL or
// bytes that are not UTF-8.
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space);

// Splits "/a/b?x=1&y=2" into a decoded path and query map, or says what is malformed, naming
// the query parameter (every decoded part is UTF-8 without U+0000).
struct Target {
  std::string path;
  std::map<std::string, std::string, std::less<>> query;
};
std::variant<Target, std::string> parse_target(std::string_view target);

}  // namespace halld::api
