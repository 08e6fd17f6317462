#include "halld/store/command_store.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

namespace halld::store {

std::vector<Statement> command_statements() {
  return {
      {"queue_command",
       "INSERT INTO hall_command (channel_id, address, command, requested_by, expires_at) "
       "SELECT id, $2, $3::jsonb, $4, now() + $5 * interval '1 second' FROM acquisition_channel "
       "WHERE code = $1 "
       "RETURNING id"},
      {"claim_commands",
       "UPDATE hall_command SET state = 'sent', sent_at = now() WHERE id IN ("
       "  SELECT id FROM hall_command WHERE state = 'queued' AND channel_id = ANY($1::integer[]) "
       "  ORDER BY id LIMIT 100 FOR UPDATE SKIP LOCKED) "
       "RETURNING id, channel_id, address, command::text"},
      {"finish_command",
       "UPDATE hall_command SET state = $2, detail = $3, answered_at = now() WHERE id = $1 AND "
       "state IN ('queued', 'sent')"},
      {"expire_commands",
       "UPDATE hall_command SET state = 'expired', answered_at = now(), "
       "  detail = CASE WHEN state = 'queued' THEN 'not sent before it expired: the channel was "
       "down or nobody logged in' "
       "                ELSE 'no answer from the device' END "
       "WHERE (state = 'queued' AND expires_at < now()) OR (state = 'sent' AND sent_at < now() - "
       "$1 * interval '1 second')"},
      {"command_state", "SELECT state, detail FROM hall_command WHERE id = $1"},
      {"channel_protocol", "SELECT protocol FROM acquisition_channel WHERE code = $1"},
      {"channel_devices",
       "SELECT address FROM acquisition_source WHERE channel = $1 ORDER BY address"},
  };
}

std::optional<records::ChannelProtocol> channel_protocol(pqxx::connection& connection,
                                                         const std::string& channel_code) {
  store::ReadTransaction tx(connection);
  auto result = tx.exec_prepared("channel_protocol", channel_code);
  if (result.empty()) return std::nullopt;
  return records::parse_enum<records::ChannelProtocol>(result[0][0].as<std::string>());
}

std::vector<std::uint32_t> channel_devices(pqxx::connection& connection,
                                           const std::string& channel_code) {
  store::ReadTransaction tx(connection);
  std::vector<std::uint32_t> addresses;
  for (const auto& row : tx.exec_prepared("channel_devices", channel_code)) {
    addresses.push_back(static_cast<std::uint32_t>(row[0].as<std::int64_t>()));
  }
  return addresses;
}

std::int64_t queue_command(pqxx::connection& connection, const std::string& channel_code,
                           std::uint32_t address, const nlohmann::json& command,
                           const std::string& requested_by, std::chrono::seconds expires_in) {
  pqxx::work tx(connection);
  auto result = tx.exec_prepared("queue_command", channel_code, static_cast<std::int64_t>(address),
                                 command.dump(), requested_by, expires_in.count());
  if (result.empty()) throw std::invalid_argument(fmt::format("no channel '{}'", channel_code));
  tx.commit();
  return result[0][0].as<std::int64_t>();
}

std::vector<ClaimedCommand> claim_commands(pqxx::connection& connection,
                                           const std::vector<int>& channel_ids) {
  const auto ids =
      fmt::format("{{{}}}", fmt::join(channel_ids, ","));  // a PostgreSQL array literal
  pqxx::work tx(connection);
  std::vector<ClaimedCommand> out;
  for (const auto& row : tx.exec_prepared("claim_commands", ids)) {
    out.push_back({row[0].as<std::int64_t>(), row[1].as<int>(),
                   static_cast<std::uint32_t>(row[2].as<std::int64_t>()),
                   nlohmann::json::parse(row[3].as<std::string>())});
  }
  tx.commit();
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return out;
}

bool finish_command(pqxx::connection& connection, std::int64_t id, const std::string& state,
                    const std::string& detail) {
  pqxx::work tx(connection);
  auto result = tx.exec_prepared0("finish_command", id, state, detail);
  tx.commit();
  return result.affected_rows() == 1;
}

std::size_t expire_commands(pqxx::connection& connection, std::chrono::seconds answer_timeout) {
  pqxx::work tx(connection);
  auto result = tx.exec_prepared0("expire_commands", answer_timeout.count());
  tx.commit();
  return result.affected_rows();
}

std::optional<CommandState> command_state(pqxx::connection& connection, std::int64_t id) {
  store::ReadTransaction tx(connection);
  auto result = tx.exec_prepared("command_state", id);
  if (result.empty()) return std::nullopt;
  return CommandState{result[0][0].as<std::string>(), result[0][1].as<std::string>()};
}

std::variant<FacilityTarget, std::string> facility_command_target(pqxx::transaction_base& tx,
                                                                  int hall_id,
                                                                  const std::string& device) {
  const auto rows = tx.exec_params(
      "SELECT c.id, c.code, (d->>'unit')::bigint, p.text FROM acquisition_channel c "
      "CROSS JOIN LATERAL jsonb_array_elements(c.settings->'devices') d "
      "LEFT JOIN protocol_description p ON p.name = d->>'model' AND p.retired_at IS NULL "
      "WHERE c.hall_id = $1 AND c.protocol = 'modbus' AND c.enabled AND d->>'id' = $2",
      hall_id, device);
  if (rows.empty()) return std::string("营业厅没有这台设施设备");
  if (rows[0][3].is_null()) return std::string("设施设备的型号不在协议登记中");
  return FacilityTarget{{rows[0][0].as<int>(), rows[0][1].as<std::string>(),
                         static_cast<std::uint32_t>(rows[0][2].as<std::int64_t>())},
                        rows[0][3].as<std::string>()};
}

std::variant<CommandTarget, std::string> hall_command_target(pqxx::transaction_base& tx,
                                                             int hall_id,
                                                             records::ChannelProtocol protocol) {
  const bool queue = protocol == records::ChannelProtocol::queue_eval;
  auto rows = tx.exec_params(
      "SELECT c.id, c.code, array_agg(s.address ORDER BY s.address) FILTER (WHERE s.address IS "
      "NOT NULL)::text FROM acquisition_channel c "
      "LEFT JOIN acquisition_source s ON s.channel = c.code "
      "WHERE c.hall_id = $1 AND c.protocol = $2 AND c.enabled AND c.link <> 'rs485' "
      "GROUP BY c.id, c.code ORDER BY c.id",
      hall_id, std::string(records::to_string(protocol)));
  if (rows.empty())
    return std::string(queue ? "营业厅未接入排队叫号系统" : "营业厅未接入自助终端管理系统");
  for (const auto& row : rows) {
    const auto addresses = row[2].is_null() ? std::string() : row[2].as<std::string>();
    // "{1}" — one device; "{1,2}" several, "" none.
    if (addresses.size() < 3 || addresses.find(',') != std::string::npos) continue;
    return CommandTarget{
        row[0].as<int>(), row[1].as<std::string>(),
        static_cast<std::uint32_t>(std::stoul(addresses.substr(1, addresses.size() - 2)))};
  }
  return std::string(queue ? "排队叫号系统尚未登录，无法确定设备"
                           : "终端管理系统尚未登录，无法确定设备");
}

std::int64_t queue_command(pqxx::transaction_base& tx, const CommandTarget& target,
                           const nlohmann::json& command, const std::string& requested_by,
                           std::chrono::seconds expires_in) {
  return tx
      .exec_params1(
          "INSERT INTO hall_command (channel_id, address, command, requested_by, expires_at) "
          "VALUES ($1, $2, $3::jsonb, $4, now() + $5 * interval '1 second') RETURNING id",
          target.channel_id, static_cast<std::int64_t>(target.address), command.dump(),
          requested_by, expires_in.count())[0]
      .as<std::int64_t>();
}

nlohmann::json hall_commands(pqxx::transaction_base& tx, int hall_id, std::size_t limit) {
  return nlohmann::json::parse(
      tx.exec_params1(
            "SELECT coalesce(json_agg(x ORDER BY x.id DESC), '[]') FROM ("
            "  SELECT k.id, c.code AS channel, k.command, k.requested_by, k.state, k.detail, "
            "    to_char(k.requested_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
            "      AS requested_at, "
            "    to_char(k.answered_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
            "      AS answered_at "
            "  FROM hall_command k JOIN acquisition_channel c ON c.id = k.channel_id "
            "  WHERE c.hall_id = $1 ORDER BY k.id DESC LIMIT $2) x",
            hall_id, static_cast<std::int64_t>(limit))[0]
          .as<std::string>());
}

std::map<std::int64_t, CommandState> command_states(pqxx::transaction_base& tx,
                                                    const std::vector<std::int64_t>& ids) {
  std::map<std::int64_t, CommandState> out;
  if (ids.empty()) return out;
  const auto array = fmt::format("{{{}}}", fmt::join(ids, ","));
  for (const auto& row : tx.exec_params(
           "SELECT id, state, detail FROM hall_command WHERE id = ANY($1::bigint[])", array)) {
    out[row[0].as<std::int64_t>()] = {row[1].as<std::string>(), row[2].as<std::string>()};
  }
  return out;
}

}  // namespace halld::store
