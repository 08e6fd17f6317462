// notify/sms_store: the record of every alarm text (sms_message): queued when the dispatcher
// hands it over, then sent (by which channel, after how many attempts), delivered or failed.
// Owns: the sms_message table's SQL. Must not touch: sending.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "halld/notify/channel.hpp"
#include "halld/notify/dispatch.hpp"

namespace halld::notify {

using records::Timestamp;

struct QueuedText {
  TextMessage message;
  int attempts = 0;
};

// Stores the text as queued, with a fresh delivery-report token; returns it with its id.
QueuedText insert_text(pqxx::transaction_base& tx, const Outgoing& outgoing, std::string dlr_token);
// Texts left queued by an earlier run, newer than `since`, oldest first.
std::vector<QueuedText> load_queued(pqxx::transaction_base& tx, Timestamp since);

enum class TextState : std::uint8_t { queued, sent, delivered, failed };
std::string_view to_string(TextState state);

// A text's state moves only forward: queued → sent → delivered | failed; the last two are final.
bool moves_forward(TextState from, TextState to);

// One attempt's outcome: the state after it, the channel that took it, the error if none did.
// A state that would not move forward (a report came first) is left as it is.
void record_attempt(pqxx::transaction_base& tx, std::int64_t id, TextState state, int attempts,
                    const std::string& channel, const std::string& error);

// Kannel's report types (dlr-mask bits): 1 delivered to the phone, 2 not delivered, 4 buffered
// at the SMSC, 8 accepted by the SMSC, 16 rejected by the SMSC.
// Every report is kept in the text's history; it moves the state only forward, so a duplicate,
// late or contradicting report (a "delivered" after "failed") is recorded as not applied.
enum class ReportResult : std::uint8_t { recorded, unknown_text, bad_status };
ReportResult record_report(pqxx::transaction_base& tx, std::int64_t id, const std::string& token,
                           int status);

struct TextFilter {
  std::optional<std::string> state;
  std::optional<std::string> phone;
  std::optional<std::int64_t> alarm_id;
  std::size_t limit = 100;
  std::size_t offset = 0;
};
nlohmann::json list_texts(pqxx::transaction_base& tx, const TextFilter& filter);

}  // namespace halld::notify
