// store/command_store: the hall_command table, queue and record of downlink commands. Owns:
// queueing, claiming for sending (each command is sent at most once: a command such as a
// reboot must not run twice because halld restarted), answers and expiry. Must not touch:
// what a command means (proto/commands).
#pragma once

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <pqxx/pqxx>
#include <variant>
#include <vector>

#include "halld/records/archive.hpp"
#include "halld/store/database.hpp"

namespace halld::store {

std::vector<Statement> command_statements();

// The protocol of a channel, which says what commands it takes; nullopt: no such channel.
std::optional<records::ChannelProtocol> channel_protocol(pqxx::connection& connection,
                                                         const std::string& channel_code);

// Queues a command for the device at `address` of the channel; returns its id. Throws
// std::invalid_argument when the channel does not exist.
// The device addresses that have reported on the channel, ascending.
std::vector<std::uint32_t> channel_devices(pqxx::connection& connection,
                                           const std::string& channel_code);
std::int64_t queue_command(pqxx::connection& connection, const std::string& channel_code,
                           std::uint32_t address, const nlohmann::json& command,
                           const std::string& requested_by, std::chrono::seconds expires_in);

struct CommandState {
  std::string state;
  std::string detail;
};

// Where a hall's commands of one protocol go: its enabled channel of that protocol (not a bus of
// keypads) on which exactly one device has reported. A hall is addressed by what it has (its
// queue system, its terminal server), never by a device address a person would have to know.
struct CommandTarget {
  int channel_id = 0;
  std::string channel_code;
  std::uint32_t address = 0;
};
// The target, or why there is none (in zh-CN, for the person who asked).
std::variant<CommandTarget, std::string> hall_command_target(pqxx::transaction_base& tx,
                                                             int hall_id,
                                                             records::ChannelProtocol protocol);
// Where a write to a hall's facility device goes: its enabled Modbus channel, at the device's
// unit, with the text of the device's model (which says what may be written).
struct FacilityTarget {
  CommandTarget target;
  std::string model_text;
};
// The target, or why there is none (in zh-CN).
std::variant<FacilityTarget, std::string> facility_command_target(pqxx::transaction_base& tx,
                                                                  int hall_id,
                                                                  const std::string& device);
// Queues a command inside the caller's transaction; returns its id.
std::int64_t queue_command(pqxx::transaction_base& tx, const CommandTarget& target,
                           const nlohmann::json& command, const std::string& requested_by,
                           std::chrono::seconds expires_in);
// A hall's commands, newest first, as JSON items (id, channel, command, who, state, times).
nlohmann::json hall_commands(pqxx::transaction_base& tx, int hall_id, std::size_t limit);
// The state of several commands, by id.
std::map<std::int64_t, CommandState> command_states(pqxx::transaction_base& tx,
                                                    const std::vector<std::int64_t>& ids);

struct ClaimedCommand {
  std::int64_t id = 0;
  int channel_id = 0;
  std::uint32_t address = 0;
  nlohmann::json command;
};
// Marks the oldest queued commands of these channels as sent and returns them, in order.
std::vector<ClaimedCommand> claim_commands(pqxx::connection& connection,
                                           const std::vector<int>& channel_ids);

// The device's answer (state: done, refused, unsupported, failed) or halld's own verdict; false
// when the command had already ended (e.g. it expired before a late answer came).
bool finish_command(pqxx::connection& connection, std::int64_t id, const std::string& state,
                    const std::string& detail);

// Queued past their expiry, or sent and unanswered for `answer_timeout`: expired. Returns how many.
std::size_t expire_commands(pqxx::connection& connection, std::chrono::seconds answer_timeout);

std::optional<CommandState> command_state(pqxx::connection& connection, std::int64_t id);

}  // namespace halld::store
