// marketing/store: the marketing system's records in PostgreSQL (sql/0017_marketing.sql) — the
// feeds' watermarks, each page stored with its watermark in one transaction (so a page is taken
// exactly once, whatever fails between), the archive reconciliation and its approvals, the
// linking of applications to tickets, and the queries behind /api/v1/marketing. Owns: those
// tables. Must not touch: halld's archive except through reconcile() and decide_change().
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "halld/marketing/rules.hpp"
#include "halld/proto/marketing/soap.hpp"

namespace halld::marketing {

namespace wire = proto::marketing;

// Where a feed stands; an incremental feed's next page starts after it.
wire::Watermark feed_position(pqxx::transaction_base& tx, wire::Entity entity);

// Stores a page: upserts its records by key (a record read twice is the same row), keeps the
// rejected ones, classifies customers, and moves the feed's watermark to the page's end.
// `pass_started` marks the archive records seen by this full pass.
void store_page(pqxx::work& tx, const wire::Page& page, const ClassThresholds& thresholds,
                records::Timestamp now, records::Timestamp pass_started);

// After a full pass of halls or clerks (every page read): what the marketing system no longer
// lists is forgotten, and its archive is compared with halld's; new and changed records are
// applied, retirements wait for approval. Returns the changes found.
std::vector<nlohmann::json> finish_archive_pass(pqxx::work& tx, wire::Entity entity,
                                                records::Timestamp pass_started,
                                                records::Timestamp now);

struct LinkCounts {
  std::size_t linked = 0, unmatched = 0, still_waiting = 0;
};
struct LinkRound {
  std::chrono::seconds settle{1800};    // an application is judged this long after acceptance
  std::chrono::seconds give_up{21600};  // and counted unmatched when still alone after this
  std::size_t max_applications = 5000;
  LinkOptions options;
};
// Links the waiting counter applications whose hall's events should be in by now.
LinkCounts link_waiting(pqxx::work& tx, records::Timestamp now, const LinkRound& round);

// An operator's decision on a pending retirement. Approved: deleted, or — when events or other
// records refer to it — closed (hall) or made inactive (clerk). Returns the change as it ends,
// or nullopt when there is no such pending change.
std::optional<nlohmann::json> decide_change(pqxx::work& tx, long long id, bool approve,
                                            const std::string& actor, records::Timestamp now);

// ---- queries (JSON), over [from, until) and the confined query's city and hall (empty: all;
// online and mobile applications count for their city) ----
struct Span {
  records::Timestamp from{}, until{};
  std::string city_code, hall_code;
};
// {"feeds": where each stands, "rejected": the last records refused, "comm_events": the last
// changes of the comm status}.
nlohmann::json feeds_json(pqxx::transaction_base& tx);
nlohmann::json summary_json(pqxx::transaction_base& tx, const Span& span);
nlohmann::json applications_json(pqxx::transaction_base& tx, const Span& span,
                                 const std::string& link_state, int limit, int offset);
nlohmann::json archive_changes_json(pqxx::transaction_base& tx, const std::string& state,
                                    const std::string& city_code, const std::string& hall_code,
                                    int limit, int offset);
// The change's city and hall codes, for the guard (nullopt: no such change).
std::optional<std::pair<std::string, std::string>> change_place(pqxx::transaction_base& tx,
                                                                long long id);

}  // namespace halld::marketing
