#include "halld/api/http.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "halld/api/body.hpp"
#include "halld/core/text.hpp"

namespace halld::api {

Response text_response(http::status status, std::string body, std::string_view content_type) {
  Response response{status, 11};
  response.set(http::field::content_type, std::string(content_type));
  response.set(http::field::cache_control, "no-store");
  response.body() = std::move(body);
  return response;
}

Response json_response(http::status status, std::string body) {
  return text_response(status, std::move(body), "application/json; charset=utf-8");
}

Response error_response(http::status status, std::string_view code, std::string_view message,
                        nlohmann::json details) {
  nlohmann::json body = {{"error", {{"code", code}, {"message", message}}}};
  if (!details.is_null()) body["error"]["details"] = std::move(details);
  return json_response(status, body.dump());
}

std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      int high = hex(text[i + 1]), low = hex(text[i + 2]);
      if (high < 0 || low < 0) return std::nullopt;
      c = static_cast<char>(high * 16 + low);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      c = ' ';
    }
    if (c == '\0') return std::nullopt;
    out += c;
  }
  if (!is_valid_utf8(out)) return std::nullopt;
  return out;
}

std::variant<Target, std::string> parse_target(std::string_view target) {
  Target out;
  auto question = target.find('?');
  auto path = percent_decode(target.substr(0, question), false);
  if (!path || path->empty() || path->front() != '/') {
    return std::string("the path is malformed (a bad %-escape, a NUL or bytes that are not UTF-8)");
  }
  out.path = std::move(*path);
  if (question == std::string_view::npos) return out;
  std::string_view query = target.substr(question + 1);
  while (!query.empty()) {
    auto amp = query.find('&');
    auto pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    auto key = percent_decode(pair.substr(0, eq), true);
    if (!key || key->empty()) return std::string("a query parameter's name is malformed or empty");
    auto value = percent_decode(
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1), true);
    if (!value) {
      return fmt::format(
          "query parameter '{}' is malformed (a bad %-escape, a NUL or bytes that are not UTF-8)",
          *key);
    }
    out.query[std::move(*key)] = std::move(*value);
  }
  return out;
}

std::variant<nlohmann::json, Response> json_body(const Request& request) {
  const auto type = to_std(request[http::field::content_type]);
  if (!type.starts_with("application/json")) {
    return error_response(http::status::unsupported_media_type, "unsupported_media_type",
                          "send the body as application/json");
  }
  auto parsed = parse_body_json(request.body());
  if (auto* problem = std::get_if<BodyProblem>(&parsed)) {
    return error_response(http::status::bad_request, problem->code, problem->message);
  }
  auto& body = std::get<nlohmann::json>(parsed);
  if (!body.is_object())
    return error_response(http::status::bad_request, "bad_json", "the body must be a JSON object");
  return std::move(body);
}

}  // namespace halld::api
