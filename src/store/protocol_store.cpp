#include "halld/store/protocol_store.hpp"

#include "halld/store/database.hpp"

namespace halld::store {
namespace {

// The channels that speak description `name`: as their protocol, or (a Modbus device model) as
// the model of one of their devices.
#define HALLD_SPEAKS(name)                                   \
  "(c.described_protocol = " name                            \
  " OR (c.protocol = 'modbus' AND c.settings->'devices' @> " \
  "jsonb_build_array(jsonb_build_object('model', " name "::text))))"

}  // namespace

std::vector<ProtocolEntry> active_protocols(pqxx::connection& connection) {
  ReadTransaction tx(connection);
  std::vector<ProtocolEntry> out;
  for (const auto& row : tx.exec("SELECT name, family, version, title, checksum, text, origin FROM "
                                 "protocol_description WHERE retired_at IS NULL ORDER BY name")) {
    out.push_back({row[0].as<std::string>(), row[1].as<std::string>(), row[2].as<std::uint32_t>(),
                   row[3].as<std::string>(), row[4].as<std::string>(), row[5].as<std::string>(),
                   row[6].as<std::string>()});
  }
  return out;
}

SaveOutcome save_protocol(pqxx::transaction_base& tx, const ProtocolEntry& entry,
                          const std::string& who) {
  const auto found = tx.exec_params(
      "SELECT origin, family, checksum, retired_at IS NOT NULL FROM "
      "protocol_description WHERE name = $1 FOR UPDATE",
      entry.name);
  auto outcome = SaveOutcome::created;
  if (!found.empty()) {
    const auto origin = found[0][0].as<std::string>();
    const bool retired = found[0][3].as<bool>();
    // A retired description may come back from either side: nothing speaks it any more.
    if (!retired && origin != entry.origin)
      return origin == "file" ? SaveOutcome::owned_by_file : SaveOutcome::owned_by_api;
    if (!retired && found[0][2].as<std::string>() == entry.checksum) return SaveOutcome::unchanged;
    const auto speakers = tx.exec_params(
        "SELECT 1 FROM acquisition_channel c WHERE " HALLD_SPEAKS("$1") " LIMIT 1", entry.name);
    if (found[0][1].as<std::string>() != entry.family && !speakers.empty())
      return SaveOutcome::family_changed;
    outcome = SaveOutcome::changed;
  }
  tx.exec_params(
      "INSERT INTO protocol_description (name, family, version, title, checksum, text, origin, "
      "changed_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
      "ON CONFLICT (name) DO UPDATE SET family = EXCLUDED.family, version = EXCLUDED.version, "
      "title = EXCLUDED.title, checksum = EXCLUDED.checksum, text = EXCLUDED.text, "
      "origin = EXCLUDED.origin, changed_at = now(), changed_by = EXCLUDED.changed_by, "
      "retired_at = NULL",
      entry.name, entry.family, static_cast<std::int64_t>(entry.version), entry.title,
      entry.checksum, entry.text, entry.origin, who);
  return outcome;
}

Retirement retire_protocol(pqxx::transaction_base& tx, const std::string& name,
                           const std::string& origin, const std::string& who) {
  const auto found = tx.exec_params(
      "SELECT origin FROM protocol_description WHERE name = $1 AND retired_at IS NULL FOR UPDATE",
      name);
  if (found.empty()) return {RetireOutcome::not_found, {}};
  if (found[0][0].as<std::string>() == "file" && origin != "file")
    return {RetireOutcome::owned_by_file, {}};
  Retirement retirement{RetireOutcome::retired, {}};
  for (const auto& row :
       tx.exec_params("SELECT code FROM acquisition_channel c WHERE " HALLD_SPEAKS(
                          "$1") " AND enabled ORDER BY code",
                      name))
    retirement.channels.push_back(row[0].as<std::string>());
  if (!retirement.channels.empty()) {
    retirement.outcome = RetireOutcome::in_use;
    return retirement;
  }
  tx.exec_params(
      "UPDATE protocol_description SET retired_at = now(), changed_at = now(), changed_by = $2 "
      "WHERE name = $1",
      name, who);
  return retirement;
}

std::string list_protocols_json(pqxx::connection& connection) {
  ReadTransaction tx(connection);
  return tx
      .exec(
          "SELECT json_build_object('total', count(*), 'items', "
          "coalesce(json_agg(json_build_object("
          "'name', p.name, 'family', p.family, 'version', p.version, 'title', p.title, "
          "'checksum', p.checksum, 'origin', p.origin, 'changed_at', p.changed_at, "
          "'changed_by', p.changed_by, 'retired_at', p.retired_at, "
          "'channels', (SELECT coalesce(json_agg(c.code ORDER BY c.code), '[]') FROM "
          "acquisition_channel c WHERE " HALLD_SPEAKS("p.name") " AND c.enabled)) "
          "ORDER BY p.retired_at IS NOT NULL, p.name), '[]'))::text FROM protocol_description p")[0]
                                                                                                 [0]
      .as<std::string>();
}

std::string protocol_json(pqxx::transaction_base& tx, const std::string& name) {
  const auto found = tx.exec_params(
      "SELECT json_build_object('name', p.name, 'family', p.family, 'version', p.version, "
      "'title', p.title, 'checksum', p.checksum, 'origin', p.origin, 'changed_at', p.changed_at, "
      "'changed_by', p.changed_by, 'retired_at', p.retired_at, 'text', p.text, "
      "'channels', (SELECT coalesce(json_agg(c.code ORDER BY c.code), '[]') FROM "
      "acquisition_channel c WHERE " HALLD_SPEAKS("p.name") " AND c.enabled))::text "
      "FROM protocol_description p WHERE p.name = $1",
      name);
  return found.empty() ? "" : found[0][0].as<std::string>();
}

#undef HALLD_SPEAKS

}  // namespace halld::store
