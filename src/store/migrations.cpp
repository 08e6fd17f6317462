#include "halld/store/migrations.hpp"

#include <fmt/format.h>
#include <openssl/sha.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <map>

namespace halld::sql_files {
std::span<const EmbeddedFile> files();
}  // namespace halld::sql_files

namespace halld::store {
namespace {

// Arbitrary but fixed: the advisory lock that serialises migrators.
constexpr long long migration_lock_key = 0x68616c6c64;  // "halld"

constexpr const char* create_table_sql = R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
  version integer PRIMARY KEY,
  name text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE schema_migrations ADD COLUMN IF NOT EXISTS checksum text)sql";

int current_version(pqxx::transaction_base& tx) {
  auto exists = tx.exec1("SELECT to_regclass('schema_migrations') IS NOT NULL");
  if (!exists[0].as<bool>()) return 0;
  return tx.exec1("SELECT coalesce(max(version), 0) FROM schema_migrations")[0].as<int>();
}

// What the database records of its applied migrations, by version: name and checksum (empty
// when recorded before checksums were).
std::map<int, std::pair<std::string, std::string>> applied_migrations(pqxx::transaction_base& tx) {
  std::map<int, std::pair<std::string, std::string>> applied;
  if (!tx.exec1("SELECT to_regclass('schema_migrations') IS NOT NULL")[0].as<bool>())
    return applied;
  const bool has_checksums =
      tx.exec1(
            "SELECT count(*) FROM information_schema.columns WHERE table_schema = "
            "current_schema() AND table_name = 'schema_migrations' AND column_name = "
            "'checksum'")[0]
          .as<int>() > 0;
  for (const auto& row :
       tx.exec(has_checksums ? "SELECT version, name, coalesce(checksum, '') FROM schema_migrations"
                             : "SELECT version, name, '' FROM schema_migrations"))
    applied[row[0].as<int>()] = {row[1].as<std::string>(), row[2].as<std::string>()};
  return applied;
}

std::vector<std::string> differing(pqxx::transaction_base& tx,
                                   const std::vector<Migration>& known) {
  std::vector<std::string> lines;
  const auto applied = applied_migrations(tx);
  for (const auto& m : known) {
    const auto found = applied.find(m.version);
    if (found == applied.end()) continue;
    const auto& [name, checksum] = found->second;
    if (name != m.name) {
      lines.push_back(fmt::format("migration {:04} was applied as '{}', this halld has '{}'",
                                  m.version, name, m.name));
    } else if (!checksum.empty() && checksum != m.checksum()) {
      lines.push_back(
          fmt::format("migration {:04}_{} was applied with checksum {}, this halld's is {}",
                      m.version, m.name, checksum.substr(0, 12), m.checksum().substr(0, 12)));
    }
  }
  return lines;
}

void refuse_if_differing(pqxx::transaction_base& tx, const std::vector<Migration>& known) {
  const auto lines = differing(tx, known);
  if (!lines.empty()) {
    throw SchemaDiffers(fmt::format(
        "the database's migrations are not this halld's ({}); it was made by another build",
        fmt::join(lines, "; ")));
  }
}

void refuse_if_newer(int current, int latest) {
  if (current > latest) {
    throw SchemaTooNew(fmt::format(
        "the database schema is at version {}, newer than this halld knows ({}); upgrade halld",
        current, latest));
  }
}

}  // namespace

std::vector<Migration> parse_migrations(std::span<const EmbeddedFile> files) {
  std::vector<Migration> out;
  for (const auto& file : files) {
    int version = 0;
    auto name = file.name;
    auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), version);
    auto digits = static_cast<std::size_t>(end - name.data());
    if (ec != std::errc() || digits != 4 || name.size() < 10 || name[4] != '_' ||
        !name.ends_with(".sql")) {
      throw std::logic_error(fmt::format("migration file '{}' is not named NNNN_name.sql", name));
    }
    out.push_back({version, std::string(name.substr(5, name.size() - 9)), file.content});
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.version < b.version; });
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (out[i].version != static_cast<int>(i) + 1) {
      throw std::logic_error(
          fmt::format("migration versions must run 1, 2, 3 … without gaps; found {} at position {}",
                      out[i].version, i + 1));
    }
  }
  return out;
}

std::string Migration::checksum() const {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(sql.data()), sql.size(), digest);
  std::string hex;
  for (auto b : digest) hex += fmt::format("{:02x}", b);
  return hex;
}

std::vector<Migration> known_migrations() {
  return parse_migrations(sql_files::files());
}

SchemaState inspect_schema(pqxx::connection& connection, const std::vector<Migration>& known) {
  pqxx::read_transaction tx(connection);
  SchemaState state;
  state.current = current_version(tx);
  state.latest_known = known.empty() ? 0 : known.back().version;
  state.differing = differing(tx, known);
  for (const auto& m : known) {
    if (m.version > state.current) state.pending.push_back(m.version);
  }
  return state;
}

std::vector<int> migrate(pqxx::connection& connection, const std::vector<Migration>& known) {
  {
    pqxx::work tx(connection);
    tx.exec(create_table_sql);
    tx.commit();
  }
  const int latest = known.empty() ? 0 : known.back().version;
  {
    pqxx::work tx(connection);
    tx.exec_params("SELECT pg_advisory_xact_lock($1)", migration_lock_key);
    refuse_if_differing(tx, known);
    for (const auto& m : known) {
      tx.exec_params(
          "UPDATE schema_migrations SET checksum = $2 WHERE version = $1 AND checksum IS NULL",
          m.version, m.checksum());
    }
    tx.commit();
  }
  std::vector<int> applied;
  for (const auto& m : known) {
    pqxx::work tx(connection);
    tx.exec_params("SELECT pg_advisory_xact_lock($1)", migration_lock_key);
    int current = current_version(tx);
    refuse_if_newer(current, latest);
    if (m.version <= current) continue;  // applied, perhaps by another process meanwhile
    tx.exec(std::string(m.sql));
    tx.exec_params("INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                   m.version, m.name, m.checksum());
    tx.commit();
    spdlog::info("applied migration {:04}_{}", m.version, m.name);
    applied.push_back(m.version);
  }
  if (applied.empty()) {
    pqxx::read_transaction tx(connection);
    refuse_if_newer(current_version(tx), latest);
  }
  return applied;
}

}  // namespace halld::store
