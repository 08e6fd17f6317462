// Internal to api: reading and validating a request's query string.
#pragma once

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>
#include <optional>
#include <string>
#include <vector>

#include "halld/api/http.hpp"

namespace halld::api {

// Validates a query string against the parameters an endpoint accepts; the first problem
// becomes a 400 with a message naming the parameter.
class QueryReader {
 public:
  QueryReader(const RequestContext& context, const std::vector<std::string_view>& allowed) : query_(context.query) {
    for (const auto& [key, value] : query_) {
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        fail(fmt::format("unknown query parameter '{}'; this endpoint accepts: {}", key, fmt::join(allowed, ", ")));
      }
    }
  }

  std::string text(std::string_view key, std::size_t max_size = 100) {
    auto it = query_.find(key);
    if (it == query_.end()) return {};
    if (it->second.size() > max_size) fail(fmt::format("'{}' is longer than {} bytes", key, max_size));
    return it->second;
  }

  int integer(std::string_view key, int fallback, int min, int max) {
    auto it = query_.find(key);
    if (it == query_.end()) return fallback;
    int value = 0;
    auto [end, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), value);
    if (ec != std::errc() || end != it->second.data() + it->second.size() || value < min || value > max) {
      fail(fmt::format("'{}' must be a whole number from {} to {}", key, min, max));
      return fallback;
    }
    return value;
  }

  const std::optional<std::string>& problem() const { return problem_; }

  void fail(std::string message) {
    if (!problem_) problem_ = std::move(message);
  }

 private:
  const std::map<std::string, std::string, std::less<>>& query_;
  std::optional<std::string> problem_;
};

inline Response bad_query(const std::string& message) {
  return error_response(http::status::bad_request, "bad_query", message);
}

}  // namespace halld::api
