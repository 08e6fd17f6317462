// store/protocol_store: the protocol registry in PostgreSQL (sql/0018_protocol_registry.sql) —
// the descriptions halld may run, where each came from, and which channels speak it. Owns: the
// rows and their rules (a file's description is written from its file only; a description in use
// cannot be retired). Must not touch: what a description says (proto/described reads it; this
// module keeps its text, name, family, version and checksum as given).
#pragma once

#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

namespace halld::store {

struct ProtocolEntry {
  std::string name;
  std::string family;  // queue_eval or terminal
  std::uint32_t version = 1;
  std::string title;
  std::string checksum;  // SHA-256 of the text, hex
  std::string text;
  std::string origin;  // "file" or "api"
};

// The descriptions not retired, with their texts: what channels may speak.
std::vector<ProtocolEntry> active_protocols(pqxx::connection& connection);

enum class SaveOutcome : std::uint8_t {
  created,
  changed,
  unchanged,       // the same text was stored already
  owned_by_file,   // an administrator cannot overwrite a description its file provides
  owned_by_api,    // a file cannot overwrite a description an administrator added
  family_changed,  // channels of one family cannot change family under their feet
};
// Stores (or brings back from retirement) a description; `who` is the operator or the file's
// directory. In the caller's transaction, which it does not commit.
SaveOutcome save_protocol(pqxx::transaction_base& tx, const ProtocolEntry& entry,
                          const std::string& who);

enum class RetireOutcome : std::uint8_t { retired, not_found, in_use, owned_by_file };
struct Retirement {
  RetireOutcome outcome;
  std::vector<std::string> channels;  // the enabled channels that still speak it (in_use)
};
// `origin`: which kind of caller retires it ("api" may not retire a file's description). In the
// caller's transaction, which it does not commit.
Retirement retire_protocol(pqxx::transaction_base& tx, const std::string& name,
                           const std::string& origin, const std::string& who);

// JSON texts: {"items": [...], "total": N} without the texts, each with the codes of the channels
// that speak it; one description with its text, or "" when there is none of that name.
std::string list_protocols_json(pqxx::connection& connection);
std::string protocol_json(pqxx::transaction_base& tx, const std::string& name);

}  // namespace halld::store
