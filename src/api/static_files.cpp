#include "halld/api/static_files.hpp"

#include <fmt/format.h>

#include <chrono>
#include <fstream>
#include <sstream>

namespace halld::api {
namespace {

// Files larger than this are not web assets; refusing them keeps one request from pinning memory.
constexpr std::uintmax_t max_asset_bytes = 32u << 20;

bool path_is_safe(std::string_view path) {
  if (path.empty() || path.front() != '/') return false;
  if (path.find('\\') != std::string_view::npos || path.find('\0') != std::string_view::npos)
    return false;
  std::size_t start = 1;
  while (start <= path.size()) {
    auto slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    auto segment = path.substr(start, slash - start);
    if (segment == ".." || segment == "." || (segment.size() > 0 && segment.front() == '.'))
      return false;
    start = slash + 1;
  }
  return true;
}

}  // namespace

StaticFiles::StaticFiles(std::filesystem::path root) {
  std::error_code ec;
  root_ = std::filesystem::weakly_canonical(root, ec);
  if (ec) root_ = std::move(root);
}

std::string_view mime_type(const std::filesystem::path& file) {
  static const std::pair<std::string_view, std::string_view> types[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json; charset=utf-8"},
      {".map", "application/json; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},
      {".ico", "image/x-icon"},
      {".webp", "image/webp"},
      {".woff", "font/woff"},
      {".woff2", "font/woff2"},
      {".ttf", "font/ttf"},
      {".txt", "text/plain; charset=utf-8"},
      {".mp3", "audio/mpeg"},
      {".wav", "audio/wav"},
      {".csv", "text/csv; charset=utf-8"},
  };
  auto ext = file.extension().string();
  for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const auto& [suffix, type] : types) {
    if (ext == suffix) return type;
  }
  return "application/octet-stream";
}

std::optional<std::filesystem::path> StaticFiles::resolve(std::string_view path) const {
  if (!path_is_safe(path)) return std::nullopt;
  std::filesystem::path relative = path == "/" ? std::filesystem::path("index.html")
                                               : std::filesystem::path(std::string(path.substr(1)));
  std::error_code ec;
  auto candidate = std::filesystem::weakly_canonical(root_ / relative, ec);
  if (ec) return std::nullopt;
  if (std::filesystem::is_directory(candidate, ec)) candidate /= "index.html";
  // A symlink may point anywhere: what counts is where the canonical path lands.
  auto [root_end, candidate_it] =
      std::mismatch(root_.begin(), root_.end(), candidate.begin(), candidate.end());
  if (root_end != root_.end()) return std::nullopt;
  if (!std::filesystem::is_regular_file(candidate, ec)) return std::nullopt;
  return candidate;
}

Response StaticFiles::serve(const Request& request, std::string_view path) const {
  if (request.method() != http::verb::get && request.method() != http::verb::head) {
    auto response = error_response(http::status::method_not_allowed, "method_not_allowed",
                                   "static files answer GET and HEAD only");
    response.set(http::field::allow, "GET, HEAD");
    return response;
  }
  auto file = resolve(path);
  if (!file) return error_response(http::status::not_found, "not_found", "no such file");
  std::error_code ec;
  auto size = std::filesystem::file_size(*file, ec);
  auto modified = std::filesystem::last_write_time(*file, ec);
  if (ec || size > max_asset_bytes)
    return error_response(http::status::not_found, "not_found", "no such file");
  // The file clock's epoch is implementation-defined (counts may be negative): print it unsigned.
  auto etag = fmt::format("\"{:x}-{:x}\"", size,
                          static_cast<std::uint64_t>(modified.time_since_epoch().count()));

  Response response{http::status::ok, request.version()};
  response.set(http::field::content_type, std::string(mime_type(*file)));
  response.set(http::field::etag, etag);
  // Pages and their code are revalidated on every load (a 304 when unchanged), so an upgraded
  // halld never runs yesterday's page against today's API; only content-hashed names are kept.
  if (path.starts_with("/assets/"))
    response.set(http::field::cache_control, "public, max-age=31536000, immutable");
  else
    response.set(http::field::cache_control, "no-cache");

  if (to_std(request[http::field::if_none_match]) == etag) {
    response.result(http::status::not_modified);
    return response;
  }
  if (request.method() == http::verb::head) {
    response.content_length(size);
    return response;
  }
  std::ifstream in(*file, std::ios::binary);
  std::ostringstream body;
  body << in.rdbuf();
  response.body() = body.str();
  return response;
}

}  // namespace halld::api
