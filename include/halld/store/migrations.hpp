// store/migrations: the numbered SQL files of sql/ (compiled into the binary) and the
// schema_migrations table that records which are applied. Owns: schema versioning.
// Each migration runs in its own transaction under an advisory lock, so two halld processes
// starting at once cannot both apply it. Each applied migration's SHA-256 is recorded: a
// database whose applied migrations differ from this binary's (another build, a hand edit) is
// refused, never run against.
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

  std::string checksum() const;  // SHA-256 of the SQL text, lower-case hex
};

// Migrations known to this binary, ordered by version; throws if a file name is malformed or
// versions repeat or leave a gap.
std::vector<Migration> known_migrations();
std::vector<Migration> parse_migrations(std::span<const EmbeddedFile> files);

struct SchemaState {
  int current = 0;  // highest applied version, 0 for an empty database
  int latest_known = 0;
  std::vector<int> pending;
  // Applied migrations whose recorded checksum or name is not this binary's, one line each.
  std::vector<std::string> differing;
};

class SchemaTooNew : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The database's applied migrations are not this binary's (SchemaState::differing).
class SchemaDiffers : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

SchemaState inspect_schema(pqxx::connection& connection, const std::vector<Migration>& known);

// Applies every pending migration in order; returns the versions applied. Throws SchemaTooNew
// when the database is ahead of this binary and SchemaDiffers when an applied migration is not
// this binary's. Rows recorded before checksums were (no checksum) are given this binary's.
std::vector<int> migrate(pqxx::connection& connection, const std::vector<Migration>& known);

}  // namespace halld::store
