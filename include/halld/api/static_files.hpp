// api/static_files: serves the browser UI from web_root. Owns: path resolution (nothing outside
// web_root is ever served, whatever the URL or symlinks say), MIME types and caching headers.
#pragma once

#include <filesystem>

#include "halld/api/http.hpp"

namespace halld::api {

class StaticFiles {
 public:
  explicit StaticFiles(std::filesystem::path root);

  // `path` is the already percent-decoded URL path. Answers GET and HEAD only.
  Response serve(const Request& request, std::string_view path) const;

  // The file under root that `path` names, or nullopt when the path is refused or missing.
  std::optional<std::filesystem::path> resolve(std::string_view path) const;

 private:
  std::filesystem::path root_;  // canonical
};

std::string_view mime_type(const std::filesystem::path& file);

}  // namespace halld::api
