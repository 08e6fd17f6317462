// A file compiled into the binary by cmake/embed.cmake (SQL migrations, the OpenAPI document).
#pragma once

#include <span>
#include <string_view>

namespace halld {

struct EmbeddedFile {
  std::string_view name;  // file name without directory, e.g. "0001_archives.sql"
  std::string_view content;
};

}  // namespace halld
