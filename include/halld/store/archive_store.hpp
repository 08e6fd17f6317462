// store/archive_store: the archive tables in PostgreSQL. Owns: applying an import all or
// nothing, and the read queries behind /api/v1's archive endpoints (which return JSON built by
// PostgreSQL, passed through untouched). Must not touch: file formats (archive/import).
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <string>
#include <unordered_map>
#include <vector>

#include "halld/archive/import.hpp"
#include "halld/store/database.hpp"

namespace halld::store {

std::vector<Statement> archive_statements();

struct ImportCounts {
  std::size_t cities = 0, business_types = 0, customer_classes = 0, halls = 0, windows = 0,
              clerks = 0, terminals = 0, devices = 0, channels = 0;
};

struct ImportOutcome {
  bool valid = false;        // no problems, and every row went into the database
  bool applied = false;      // valid and committed
  archive::ReadResult read;  // read.problems explain why nothing was applied
  ImportCounts counts;
};

enum class ImportMode { commit, dry_run };

// In one transaction: learns the codes already stored, lets `read` parse and validate the file
// against them, and applies the result only if there were no problems at all. A dry run
// applies it too (so database constraints are checked) and then rolls back.
ImportOutcome import_archives(
    pqxx::connection& connection,
    const std::function<archive::ReadResult(const archive::KnownCodes&)>& read, ImportMode mode);

struct HallFilter {
  std::string city{};    // city code; empty: all
  std::string status{};  // empty: all
  std::string search{};  // substring of name, code or county; empty: all
  std::string hall{};    // one hall's code; empty: all
  int limit = 100;
  int offset = 0;
};

// The channels halld should run, with the id of the hall each covers.
struct ChannelRow {
  records::AcquisitionChannel channel;
  int channel_id = 0;
  std::optional<int> hall_id;
};
std::vector<ChannelRow> enabled_channels(pqxx::connection& connection);
// Retires a channel (it stays, disabled, for its history); {"code": …, "enabled": false}, or ""
// when there is no such channel.
std::string disable_channel(pqxx::transaction_base& tx, const std::string& code);

// Which hall each active terminal stands in, by terminal code: how a terminal-management
// server that speaks for many halls has its events attributed.
std::unordered_map<std::string, int> terminal_halls(pqxx::connection& connection);

// What acquisition needs of the database to start without it: the channels, the sources
// registered on them (channel code → device address → source id) and where terminals stand.
// Kept as a file beside the spool from each start with the database, so that a halld
// started while PostgreSQL is away can still take events in and spool them.
struct AcquisitionSnapshot {
  std::vector<ChannelRow> channels;
  std::map<std::string, std::map<std::uint32_t, int>> sources;
  std::unordered_map<std::string, int> terminal_halls;
  std::map<std::string, std::string> described_protocols;  // name → text, of those channels speak
};
AcquisitionSnapshot acquisition_snapshot(pqxx::connection& connection);
nlohmann::json to_json(const ChannelRow& row);  // every setting the channel runs with
nlohmann::json to_json(const AcquisitionSnapshot& snapshot);
// Throws std::exception for a document that is not a snapshot.
AcquisitionSnapshot snapshot_from_json(const nlohmann::json& document);

// One change of a channel's comm status ("up", "logged_in", "down", and for a device on a polled
// bus "device_up", "device_down"); `at` is ISO 8601.
void record_comm_event(pqxx::connection& connection, int channel_id, const std::string& at,
                       const std::string& state, const std::string& detail);

// JSON texts: {"items":[…],"total":N} for lists, a hall object or "" when not found.
std::string list_cities_json(pqxx::connection& connection);
std::string list_halls_json(pqxx::connection& connection, const HallFilter& filter);
std::string hall_json(pqxx::connection& connection, const std::string& code);
std::string list_business_types_json(pqxx::connection& connection);
std::string list_customer_classes_json(pqxx::connection& connection);

// Every hall's code with its city company's code.
std::map<std::string, std::string, std::less<>> hall_cities(pqxx::transaction_base& tx);

}  // namespace halld::store
