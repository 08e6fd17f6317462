// store/migrations: the numbered SQL files of sql/ (compiled into the binary) and the
// schema_migrations table that records which are applied. Owns: schema versioning.
// Each migration runs in its own transaction under an advisory lock, so two halld processes
// starting at once cannot both apply it.
#pragma once

#include <pqxx/pqxx>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "halld/core/embedded.hpp"

namespace halld::store {

struct Migration {
  int version = 0;   // from the file name: 0001_archives.sql → 1
  std::string name;  // "archives"
  std::string_view sql;
};

// Migrations known to this binary, ordered by version; throws if a file name is malformed or
// versions repeat or leave a gap.
std::vector<Migration> known_migrations();
std::vector<Migration> parse_migrations(std::span<const EmbeddedFile> files);

struct SchemaState {
  int current = 0;  // highest applied version, 0 for an empty database
  int latest_known = 0;
  std::vector<int> pending;
};

class SchemaTooNew : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

SchemaState inspect_schema(pqxx::connection& connection, const std::vector<Migration>& known);

// Applies every pending migration in order; returns the versions applied. Throws SchemaTooNew
// when the database is ahead of this binary.
std::vector<int> migrate(pqxx::connection& connection, const std::vector<Migration>& known);

}  // namespace halld::store
