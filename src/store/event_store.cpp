#include "halld/store/event_store.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <map>

#include "halld/records/event_json.hpp"

namespace halld::store {
namespace {

using namespace halld::records;
template <class T>
using Opt = std::optional<T>;

const std::vector<std::string> columns = {
    "hall_id",        "occurred_at",    "received_at",    "source_id",      "sequence",
    "kind",           "ticket",         "window_no",      "staff_no",       "business",
    "to_business",    "customer_class", "ticket_source",  "evaluation",     "window_state",
    "abandon_reason", "terminal",       "terminal_state", "part",           "part_state",
    "alarm_kind",     "transaction_id", "amount_fen",     "payment_method", "transaction_result",
    "duration_s",     "customer_no",    "detail",         "device_at"};

// One hall_event row; the members follow `columns`.
struct Row {
  Opt<int> hall_id;
  std::string occurred_at, received_at;
  int source_id = 0;
  std::int64_t sequence = 0;
  short kind = 0;
  Opt<std::string> ticket;
  Opt<int> window_no;
  Opt<std::string> staff_no, business, to_business;
  Opt<short> customer_class, ticket_source, evaluation, window_state, abandon_reason;
  Opt<std::string> terminal;
  Opt<short> terminal_state, part, part_state, alarm_kind;
  Opt<std::string> transaction_id;
  Opt<std::int64_t> amount_fen;
  Opt<short> payment_method, transaction_result;
  Opt<int> duration_s;
  Opt<std::string> customer_no, detail, device_at;

  auto tuple() const {
    return std::tie(hall_id, occurred_at, received_at, source_id, sequence, kind, ticket, window_no,
                    staff_no, business, to_business, customer_class, ticket_source, evaluation,
                    window_state, abandon_reason, terminal, terminal_state, part, part_state,
                    alarm_kind, transaction_id, amount_fen, payment_method, transaction_result,
                    duration_s, customer_no, detail, device_at);
  }
};

template <class Enum>
short code(Enum e) {
  return static_cast<short>(e);
}

// The event's own fields into the row's columns (the common ones are set by the caller).
void fill(Row& r, const Event& event) {
  std::visit(
      [&](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (requires { e.ticket; }) r.ticket = e.ticket;
        if constexpr (requires { e.window; }) r.window_no = e.window;
        if constexpr (requires { e.staff_no; }) r.staff_no = e.staff_no;
        if constexpr (requires { e.business; }) r.business = e.business;
        if constexpr (requires { e.terminal; }) r.terminal = e.terminal;
        if constexpr (std::is_same_v<T, TicketIssued>) {
          r.customer_class = code(e.customer_class);
          r.ticket_source = code(e.source);
        } else if constexpr (std::is_same_v<T, TicketTransferred>) {
          r.to_business = e.to_business;
        } else if constexpr (std::is_same_v<T, TicketAbandoned>) {
          r.abandon_reason = code(e.reason);
        } else if constexpr (std::is_same_v<T, EvaluationGiven>) {
          r.evaluation = code(e.result);
        } else if constexpr (std::is_same_v<T, WindowStatusChanged>) {
          r.window_state = code(e.state);
        } else if constexpr (std::is_same_v<T, TerminalStateChanged>) {
          r.terminal_state = code(e.state);
        } else if constexpr (std::is_same_v<T, PartStateChanged>) {
          r.part = code(e.part);
          r.part_state = code(e.state);
        } else if constexpr (std::is_same_v<T, TerminalAlarm>) {
          r.alarm_kind = code(e.kind);
        } else if constexpr (std::is_same_v<T, Transaction>) {
          r.transaction_id = e.transaction_id;
          r.amount_fen = e.amount_fen;
          r.payment_method = code(e.method);
          r.transaction_result = code(e.result);
          r.duration_s = e.duration_s;
          r.customer_no = e.customer_no;
        } else if constexpr (std::is_same_v<T, QueueSnapshot> || std::is_same_v<T, Settlement>) {
          auto detail = to_json(event);
          for (const char* common : {"type", "at", "terminal"}) detail.erase(common);
          r.detail = detail.dump();
        }
      },
      event.body);
}

// The time the row is stored under: the device's, unless its clock is out of bounds.
Timestamp stored_at(const IngestRecord& record) {
  if (!record.clock_skewed) return record.event.at;
  return std::chrono::floor<std::chrono::seconds>(record.received_at);
}

Row row_of(const IngestRecord& record) {
  Row r;
  if (record.hall_id != 0) r.hall_id = record.hall_id;
  r.occurred_at = iso8601(stored_at(record));
  if (record.clock_skewed) r.device_at = iso8601(record.event.at);
  r.received_at = iso8601_micros(record.received_at);
  r.source_id = record.source_id;
  r.sequence = record.sequence;
  r.kind = static_cast<short>(record.event.body.index());
  fill(r, record.event);
  return r;
}

std::int64_t month_of(Timestamp t) {
  auto ymd = std::chrono::year_month_day(std::chrono::floor<std::chrono::days>(t));
  return static_cast<int>(ymd.year()) * 12LL + static_cast<unsigned>(ymd.month()) - 1;
}

// The columns event_of reads, in its order.
const std::string read_columns =
    "extract(epoch FROM occurred_at)::bigint, kind, ticket, window_no, staff_no, business, "
    "to_business, "
    "customer_class, ticket_source, evaluation, window_state, abandon_reason, terminal, "
    "terminal_state, part, "
    "part_state, alarm_kind, transaction_id, amount_fen, payment_method, transaction_result, "
    "duration_s, "
    "customer_no, detail::text";

// A hall_event row back into the event it stored (the inverse of fill).
Event event_of(const pqxx::row& row) {
  auto text = [&](int i) { return row[i].is_null() ? std::string() : row[i].as<std::string>(); };
  auto number = [&](int i) { return row[i].is_null() ? 0 : row[i].as<int>(); };
  auto big = [&](int i) { return row[i].is_null() ? std::int64_t{0} : row[i].as<std::int64_t>(); };
  auto window = [&] { return static_cast<std::uint16_t>(number(3)); };
  Event e;
  e.at = Timestamp(std::chrono::seconds(row[0].as<std::int64_t>()));
  switch (row[1].as<int>()) {
    case 0:
      e.body = TicketIssued{text(2), text(5), static_cast<CustomerClassCode>(number(7)),
                            static_cast<TicketSource>(number(8))};
      break;
    case 1:
      e.body = TicketCalled{text(2), window(), text(4)};
      break;
    case 2:
      e.body = TicketRecalled{text(2), window()};
      break;
    case 3:
      e.body = TicketTransferred{text(2), text(6)};
      break;
    case 4:
      e.body = ServiceStarted{text(2), window(), text(4)};
      break;
    case 5:
      e.body = ServiceFinished{text(2), window(), text(4), text(5)};
      break;
    case 6:
      e.body = TicketAbandoned{text(2), static_cast<AbandonReason>(number(11))};
      break;
    case 7:
      e.body =
          EvaluationGiven{text(2), window(), text(4), static_cast<EvaluationResult>(number(9))};
      break;
    case 8:
      e.body = WindowStatusChanged{window(), static_cast<WindowState>(number(10)), text(4)};
      break;
    case 9: {
      QueueSnapshot snapshot;
      const auto detail = nlohmann::json::parse(text(23), nullptr, false);
      if (detail.is_object() && detail.contains("queues") && detail["queues"].is_array()) {
        for (const auto& q : detail["queues"]) {
          snapshot.queues.push_back(QueueLength{q.value("business", ""),
                                                q.value<std::uint16_t>("waiting", 0),
                                                q.value<std::uint32_t>("longest_wait_s", 0)});
        }
      }
      e.body = std::move(snapshot);
      break;
    }
    case 10:
      e.body = TerminalStateChanged{text(12), static_cast<TerminalState>(number(13))};
      break;
    case 11:
      e.body = PartStateChanged{text(12), static_cast<TerminalPart>(number(14)),
                                static_cast<PartState>(number(15))};
      break;
    case 12:
      e.body = TerminalAlarm{text(12), static_cast<TerminalAlarmKind>(number(16))};
      break;
    case 13:
      e.body = Transaction{text(12),
                           text(17),
                           text(5),
                           big(18),
                           static_cast<PaymentMethod>(number(19)),
                           static_cast<TransactionResult>(number(20)),
                           static_cast<std::uint16_t>(number(21)),
                           text(22)};
      break;
    default:
      throw std::runtime_error(
          fmt::format("hall_event: kind {} cannot be read back", row[1].as<int>()));
  }
  return e;
}

const std::string read_events_sql =
    "SELECT " + read_columns +
    " FROM hall_event WHERE hall_id = $1 AND occurred_at >= to_timestamp($2) AND occurred_at < "
    "to_timestamp($3) "
    "AND kind <> 14 AND device_at IS NULL ORDER BY occurred_at, source_id, sequence";
// window_status, terminal_state, part_state: the latest of each window, terminal and part.
const std::string read_states_sql =
    "SELECT * FROM (SELECT DISTINCT ON (kind, window_no, terminal, part) " + read_columns +
    " FROM hall_event WHERE hall_id = $1 AND kind IN (8, 10, 11) AND occurred_at >= "
    "to_timestamp($2) "
    "AND occurred_at < to_timestamp($3) AND device_at IS NULL ORDER BY kind, window_no, terminal, "
    "part, occurred_at DESC, source_id DESC, "
    "sequence DESC) AS last ORDER BY 1";

// µs since 1970 both ways, exactly (timestamptz holds microseconds).
const std::string received_since_sql =
    "SELECT " + read_columns +
    ", hall_id, source_id, (extract(epoch FROM received_at) * 1000000)::bigint FROM hall_event "
    "WHERE received_at >= timestamptz 'epoch' + $1::bigint * interval '1 microsecond' AND hall_id "
    "IS NOT NULL AND kind <> 14 AND device_at IS NULL ORDER BY received_at, source_id, sequence";

std::int64_t epoch(Timestamp t) {
  return t.time_since_epoch().count();
}

const std::vector<Statement> statements = {
    {"register_source",
     "INSERT INTO acquisition_source (channel, address, hall_id) VALUES ($1, $2, $3) "
     "ON CONFLICT (channel, address) DO UPDATE SET hall_id = coalesce(EXCLUDED.hall_id, "
     "acquisition_source.hall_id) "
     "RETURNING id, last_sequence"},
    {"lock_sources",
     "SELECT id, last_sequence, epoch FROM acquisition_source WHERE id = ANY($1::integer[]) ORDER "
     "BY id FOR UPDATE"},
    {"advance_source",
     "UPDATE acquisition_source SET last_sequence = $2, epoch = $3, last_received_at = "
     "greatest(last_received_at, timestamptz 'epoch' + $4::bigint * interval '1 microsecond') "
     "WHERE id = $1"},
    {"restart_source",
     "UPDATE acquisition_source SET restarts = restarts + $2, last_restart_at = now() WHERE id = "
     "$1"},
    {"event_partition", "SELECT halld_event_partition($1::timestamptz)"},
    {"read_hall_events", read_events_sql.c_str()},
    {"read_states_before", read_states_sql.c_str()},
    {"read_events_received_since", received_since_sql.c_str()},
};

}  // namespace

std::vector<Statement> event_statements() {
  return statements;
}

SourceRegistration register_source(pqxx::connection& connection, const std::string& channel,
                                   std::uint32_t address, std::optional<int> hall_id) {
  pqxx::work tx(connection);
  auto row = hall_id ? tx.exec_prepared1("register_source", channel,
                                         static_cast<std::int64_t>(address), *hall_id)
                     : tx.exec_prepared1("register_source", channel,
                                         static_cast<std::int64_t>(address), nullptr);
  tx.commit();
  return {row[0].as<int>(), static_cast<std::uint32_t>(row[1].as<std::int64_t>())};
}

BatchOutcome write_events(pqxx::connection& connection, std::span<const IngestRecord> batch,
                          PartitionCache& partitions) {
  BatchOutcome outcome;
  if (batch.empty()) return outcome;
  pqxx::work tx(connection);

  std::set<int> source_ids;
  for (const auto& r : batch) source_ids.insert(r.source_id);
  // Source ids are integers, so the array literal needs no quoting.
  std::map<int, SequenceMark> marks;
  for (const auto& row :
       tx.exec_prepared("lock_sources", fmt::format("{{{}}}", fmt::join(source_ids, ",")))) {
    auto& mark = marks[row[0].as<int>()];
    mark.last = static_cast<std::uint32_t>(row[1].as<std::int64_t>());
    if (!row[2].is_null()) mark.epoch = static_cast<std::uint32_t>(row[2].as<std::int64_t>());
  }
  if (marks.size() != source_ids.size())
    throw std::invalid_argument("batch names a source that is not registered");

  std::vector<const IngestRecord*> fresh;
  std::set<int> advanced;
  std::map<int, int> restarts;                // source → restarts in this batch
  std::map<int, std::int64_t> last_received;  // source → its latest fresh event's reception, µs
  for (const auto& r : batch) {
    auto& mark = marks[r.source_id];
    const auto before = mark;
    switch (arrive(mark, r.epoch, r.sequence)) {
      case Arrival::resend:
        ++outcome.duplicates;
        if (mark != before) advanced.insert(r.source_id);  // a first declared epoch
        continue;
      case Arrival::restart:
        ++restarts[r.source_id];
        outcome.restarts.push_back({r.source_id, before.last, r.sequence, before.epoch, r.epoch});
        break;
      case Arrival::fresh:
        break;
    }
    advanced.insert(r.source_id);
    fresh.push_back(&r);
    auto& received = last_received[r.source_id];
    received = std::max(received, std::chrono::duration_cast<std::chrono::microseconds>(
                                      r.received_at.time_since_epoch())
                                      .count());
  }

  std::set<std::int64_t> new_months;
  for (const auto* r : fresh) {
    if (auto month = month_of(stored_at(*r)); !partitions.known(month)) new_months.insert(month);
  }
  for (const auto* r : fresh) {
    auto month = month_of(stored_at(*r));
    if (new_months.erase(month)) tx.exec_prepared("event_partition", iso8601(stored_at(*r)));
  }

  if (!fresh.empty()) {
    pqxx::stream_to stream(tx, "hall_event", columns);
    for (const auto* r : fresh) stream << row_of(*r).tuple();
    stream.complete();
  }
  for (int source : advanced) {
    const auto& mark = marks[source];
    const auto last = static_cast<std::int64_t>(mark.last);
    // Either may be NULL; a null const char* is one (greatest() passes over it).
    const auto epoch = mark.epoch ? std::to_string(*mark.epoch) : std::string();
    const auto received =
        last_received.contains(source) ? std::to_string(last_received[source]) : std::string();
    tx.exec_prepared("advance_source", source, last, mark.epoch ? epoch.c_str() : nullptr,
                     last_received.contains(source) ? received.c_str() : nullptr);
  }
  for (const auto& [source, count] : restarts) tx.exec_prepared("restart_source", source, count);
  tx.commit();
  for (const auto* r : fresh) partitions.add(month_of(stored_at(*r)));
  outcome.stored = fresh.size();
  return outcome;
}

}  // namespace halld::store

namespace halld::store {

std::optional<std::string> events_removed(pqxx::transaction_base& tx, Timestamp from,
                                          Timestamp until) {
  const auto rows = tx.exec_params(
      "SELECT DISTINCT ON (relation) relation, action, to_char(at AT TIME ZONE 'UTC', "
      "'YYYY-MM-DD') FROM retention_log WHERE action IN ('dropped', 'loaded') AND relation LIKE "
      "'hall\\_event\\_%' AND range_from < $2::timestamptz AND range_to > $1::timestamptz "
      "ORDER BY relation, id DESC",
      iso8601(from), iso8601(until));
  for (const auto& row : rows) {
    if (std::string_view(row[1].c_str()) == "dropped")
      return fmt::format(
          "the events of {} were removed by retention on {}: load its archive back first "
          "(halld archive-load)",
          row[0].c_str(), row[2].c_str());
  }
  return std::nullopt;
}

std::vector<records::Event> read_hall_events(pqxx::transaction_base& tx, int hall_id,
                                             Timestamp from, Timestamp until) {
  std::vector<records::Event> events;
  for (const auto& row : tx.exec_prepared("read_hall_events", hall_id, epoch(from), epoch(until))) {
    events.push_back(event_of(row));
  }
  return events;
}

std::vector<records::Event> read_states_before(pqxx::transaction_base& tx, int hall_id,
                                               Timestamp at, std::chrono::days lookback) {
  std::vector<records::Event> events;
  for (const auto& row :
       tx.exec_prepared("read_states_before", hall_id, epoch(at - lookback), epoch(at))) {
    events.push_back(event_of(row));
  }
  return events;
}

std::vector<LoggedEvent> read_events_received_since(pqxx::transaction_base& tx,
                                                    std::chrono::system_clock::time_point from) {
  const auto from_us =
      std::chrono::duration_cast<std::chrono::microseconds>(from.time_since_epoch()).count();
  std::vector<LoggedEvent> events;
  for (const auto& row : tx.exec_prepared("read_events_received_since", from_us)) {
    events.push_back({row[24].as<int>(), row[25].as<int>(),
                      std::chrono::system_clock::time_point(
                          std::chrono::microseconds(row[26].as<std::int64_t>())),
                      event_of(row)});
  }
  return events;
}

}  // namespace halld::store
