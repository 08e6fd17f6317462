#include "halld/notify/sms_store.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "halld/records/event_json.hpp"
#include "halld/store/sql_text.hpp"

namespace halld::notify {
namespace {

using store::array_literal;

nlohmann::json iso_or_null(const pqxx::field& f) {
  if (f.is_null()) return nullptr;
  return records::iso8601(Timestamp(std::chrono::seconds(f.as<std::int64_t>())));
}

}  // namespace

std::string_view to_string(TextState state) {
  switch (state) {
    case TextState::queued:
      return "queued";
    case TextState::sent:
      return "sent";
    case TextState::delivered:
      return "delivered";
    case TextState::failed:
      return "failed";
  }
  return "queued";
}

QueuedText insert_text(pqxx::transaction_base& tx, const Outgoing& outgoing,
                       std::string dlr_token) {
  // A contact deleted since the text was made leaves it without one.
  auto row = tx.exec_params1(
      "INSERT INTO sms_message (contact_id, phone, body, alarm_ids, state, dlr_token) "
      "VALUES ((SELECT id FROM contact WHERE id = $1), $2, $3, $4::bigint[], 'queued', $5) "
      "RETURNING id",
      outgoing.contact_id, outgoing.phone, outgoing.text, array_literal(outgoing.alarm_ids),
      dlr_token);
  return {{row[0].as<std::int64_t>(), outgoing.phone, outgoing.text, std::move(dlr_token)}, 0};
}

std::vector<QueuedText> load_queued(pqxx::transaction_base& tx, Timestamp since) {
  std::vector<QueuedText> texts;
  for (const auto& row : tx.exec_params(
           "SELECT id, phone, body, dlr_token, attempts FROM sms_message "
           "WHERE state = 'queued' AND created_at >= to_timestamp($1) ORDER BY id",
           std::chrono::duration_cast<std::chrono::seconds>(since.time_since_epoch()).count())) {
    texts.push_back({{row[0].as<std::int64_t>(), row[1].as<std::string>(), row[2].as<std::string>(),
                      row[3].as<std::string>()},
                     row[4].as<int>()});
  }
  return texts;
}

namespace {

std::optional<TextState> parse_state(std::string_view text) {
  for (auto state : {TextState::queued, TextState::sent, TextState::delivered, TextState::failed}) {
    if (to_string(state) == text) return state;
  }
  return std::nullopt;
}

// The text's state, its row locked until the transaction ends, so that what is decided from it
// still holds when written; nullopt when no text has this id (and token, when one is given).
std::optional<TextState> lock_state(pqxx::transaction_base& tx, std::int64_t id,
                                    const std::optional<std::string>& token) {
  auto rows = tx.exec_params(
      "SELECT state FROM sms_message WHERE id = $1 AND ($2::text IS NULL OR dlr_token = $2) FOR "
      "UPDATE",
      id, token);
  if (rows.empty()) return std::nullopt;
  return parse_state(rows[0][0].as<std::string>());
}

// Moves the text to `next` with the matching time stamp; `error` for a failure.
void move_state(pqxx::transaction_base& tx, std::int64_t id, TextState next,
                const std::string& error) {
  tx.exec_params(
      "UPDATE sms_message SET state = $2, error = NULLIF($3, ''), "
      "sent_at = CASE WHEN $2 IN ('sent', 'delivered') THEN coalesce(sent_at, now()) ELSE sent_at "
      "END, "
      "delivered_at = CASE WHEN $2 = 'delivered' THEN now() ELSE delivered_at END, "
      "failed_at = CASE WHEN $2 = 'failed' THEN now() ELSE failed_at END WHERE id = $1",
      id, std::string(to_string(next)), error);
}

}  // namespace

bool moves_forward(TextState from, TextState to) {
  const auto rank = [](TextState s) {
    return s == TextState::queued ? 0 : s == TextState::sent ? 1 : 2;
  };
  return rank(from) < 2 && rank(to) > rank(from);
}

void record_attempt(pqxx::transaction_base& tx, std::int64_t id, TextState state, int attempts,
                    const std::string& channel, const std::string& error) {
  const auto current = lock_state(tx, id, std::nullopt);
  if (!current) return;
  tx.exec_params("UPDATE sms_message SET attempts = $2, channel = NULLIF($3, '') WHERE id = $1", id,
                 attempts, channel);
  // A report that came before this record is newer news than the attempt: it stands.
  if (moves_forward(*current, state))
    move_state(tx, id, state, error);
  else if (*current == TextState::queued)
    tx.exec_params("UPDATE sms_message SET error = NULLIF($2, '') WHERE id = $1", id, error);
}

ReportResult record_report(pqxx::transaction_base& tx, std::int64_t id, const std::string& token,
                           int status) {
  TextState next = TextState::sent;  // 4 and 8: with the SMSC
  if (status == 1)
    next = TextState::delivered;
  else if (status == 2 || status == 16)
    next = TextState::failed;
  else if (status != 4 && status != 8)
    return ReportResult::bad_status;
  const auto current = lock_state(tx, id, token);
  if (!current) return ReportResult::unknown_text;
  // A duplicate, a late report or one contradicting a final state is kept in the history only.
  const bool applied = moves_forward(*current, next);
  if (applied) {
    move_state(tx, id, next,
               next != TextState::failed ? ""
               : status == 2             ? "not delivered to the phone (report 2)"
                                         : "rejected by the SMSC (report 16)");
  }
  tx.exec_params("INSERT INTO sms_report (message_id, status, applied) VALUES ($1, $2, $3)", id,
                 status, applied);
  return ReportResult::recorded;
}

nlohmann::json list_texts(pqxx::transaction_base& tx, const TextFilter& filter) {
  auto rows = tx.exec_params(
      "SELECT m.id, m.contact_id, c.name, m.phone, m.body, m.alarm_ids::text, m.state, m.channel, "
      "m.attempts, m.error, "
      "extract(epoch FROM m.created_at)::bigint, extract(epoch FROM m.sent_at)::bigint, "
      "extract(epoch FROM m.delivered_at)::bigint, extract(epoch FROM m.failed_at)::bigint, "
      "coalesce((SELECT array_agg(r.status ORDER BY r.id)::text FROM sms_report r WHERE "
      "r.message_id = m.id), '{}'), "
      "coalesce((SELECT array_agg(r.status ORDER BY r.id)::text FROM sms_report r WHERE "
      "r.message_id = m.id AND NOT r.applied), '{}'), "
      "count(*) OVER () "
      "FROM sms_message m LEFT JOIN contact c ON c.id = m.contact_id "
      "WHERE ($1::text IS NULL OR m.state = $1) AND ($2::text IS NULL OR m.phone = $2) "
      "AND ($3::bigint IS NULL OR $3 = ANY (m.alarm_ids)) ORDER BY m.id DESC LIMIT $4 OFFSET $5",
      filter.state, filter.phone, filter.alarm_id, filter.limit, filter.offset);
  auto ids_of = [](std::string text) {
    std::vector<std::int64_t> ids;
    std::size_t at = 1;
    while (at < text.size() - 1) {
      auto comma = text.find(',', at);
      if (comma == std::string::npos) comma = text.size() - 1;
      ids.push_back(std::stoll(text.substr(at, comma - at)));
      at = comma + 1;
    }
    return ids;
  };
  nlohmann::json items = nlohmann::json::array();
  for (const auto& r : rows) {
    items.push_back(
        {{"id", r[0].as<std::int64_t>()},
         {"contact_id", r[1].is_null() ? nlohmann::json() : nlohmann::json(r[1].as<int>())},
         {"contact_name",
          r[2].is_null() ? nlohmann::json() : nlohmann::json(r[2].as<std::string>())},
         {"phone", r[3].as<std::string>()},
         {"text", r[4].as<std::string>()},
         {"alarm_ids", ids_of(r[5].as<std::string>())},
         {"state", r[6].as<std::string>()},
         {"channel", r[7].is_null() ? nlohmann::json() : nlohmann::json(r[7].as<std::string>())},
         {"attempts", r[8].as<int>()},
         {"error", r[9].is_null() ? nlohmann::json() : nlohmann::json(r[9].as<std::string>())},
         {"created_at", iso_or_null(r[10])},
         {"sent_at", iso_or_null(r[11])},
         {"delivered_at", iso_or_null(r[12])},
         {"failed_at", iso_or_null(r[13])},
         {"reports", ids_of(r[14].as<std::string>())},
         {"reports_not_applied", ids_of(r[15].as<std::string>())}});
  }
  const auto total = rows.empty() ? 0 : rows[0][16].as<std::int64_t>();
  return {{"items", std::move(items)},
          {"total", total},
          {"limit", filter.limit},
          {"offset", filter.offset}};
}

}  // namespace halld::notify
