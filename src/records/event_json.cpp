#include "halld/records/event_json.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

namespace halld::records {
namespace {

using nlohmann::json;

std::string_view name(CustomerClassCode v) {
  static constexpr std::string_view n[] = {"unknown", "premium", "general", "potential"};
  return n[static_cast<int>(v)];
}
std::string_view name(TicketSource v) {
  static constexpr std::string_view n[] = {"", "kiosk", "appointment", "vip", "pre_booking_95598"};
  return n[static_cast<int>(v)];
}
std::string_view name(EvaluationResult v) {
  static constexpr std::string_view n[] = {"not_evaluated", "very_satisfied", "satisfied", "basic",
                                           "dissatisfied"};
  return n[static_cast<int>(v)];
}
std::string_view name(WindowState v) {
  static constexpr std::string_view n[] = {"", "open", "paused", "closed"};
  return n[static_cast<int>(v)];
}
std::string_view name(AbandonReason v) {
  static constexpr std::string_view n[] = {"", "no_show", "left_queue"};
  return n[static_cast<int>(v)];
}
std::string_view name(TerminalState v) {
  static constexpr std::string_view n[] = {"",      "in_service",  "idle",   "busy",
                                           "fault", "maintenance", "offline"};
  return n[static_cast<int>(v)];
}
constexpr std::string_view part_names[] = {"",
                                           "card_reader",
                                           "id_card_reader",
                                           "receipt_printer",
                                           "invoice_printer",
                                           "cash_acceptor",
                                           "change_dispenser",
                                           "pin_pad",
                                           "touch_screen",
                                           "camera",
                                           "network"};
std::string_view name(TerminalPart v) {
  return part_names[static_cast<int>(v)];
}
std::string_view name(PartState v) {
  static constexpr std::string_view n[] = {"ok",  "paper_low", "paper_out",
                                           "jam", "box_full",  "fault"};
  return n[static_cast<int>(v)];
}
std::string_view name(TerminalAlarmKind v) {
  static constexpr std::string_view n[] = {"", "door_open", "door_closed", "tamper"};
  return n[static_cast<int>(v)];
}
std::string_view name(PaymentMethod v) {
  static constexpr std::string_view n[] = {"none", "cash", "bank_card", "qr_code", "cheque"};
  return n[static_cast<int>(v)];
}
std::string_view name(TransactionResult v) {
  static constexpr std::string_view n[] = {"success", "failed", "cancelled"};
  return n[static_cast<int>(v)];
}

json fields(const TicketIssued& e) {
  return {{"ticket", e.ticket},
          {"business", e.business},
          {"customer_class", name(e.customer_class)},
          {"source", name(e.source)}};
}
json fields(const TicketCalled& e) {
  return {{"ticket", e.ticket}, {"window", e.window}, {"staff_no", e.staff_no}};
}
json fields(const TicketRecalled& e) {
  return {{"ticket", e.ticket}, {"window", e.window}};
}
json fields(const TicketTransferred& e) {
  return {{"ticket", e.ticket}, {"to_business", e.to_business}};
}
json fields(const ServiceStarted& e) {
  return {{"ticket", e.ticket}, {"window", e.window}, {"staff_no", e.staff_no}};
}
json fields(const ServiceFinished& e) {
  return {{"ticket", e.ticket},
          {"window", e.window},
          {"staff_no", e.staff_no},
          {"business", e.business}};
}
json fields(const TicketAbandoned& e) {
  return {{"ticket", e.ticket}, {"reason", name(e.reason)}};
}
json fields(const EvaluationGiven& e) {
  return {{"ticket", e.ticket},
          {"window", e.window},
          {"staff_no", e.staff_no},
          {"result", name(e.result)}};
}
json fields(const WindowStatusChanged& e) {
  return {{"window", e.window}, {"state", name(e.state)}, {"staff_no", e.staff_no}};
}
json fields(const QueueSnapshot& e) {
  json queues = json::array();
  for (const auto& q : e.queues) {
    queues.push_back(
        {{"business", q.business}, {"waiting", q.waiting}, {"longest_wait_s", q.longest_wait_s}});
  }
  return {{"queues", queues}};
}
json fields(const TerminalStateChanged& e) {
  return {{"terminal", e.terminal}, {"state", name(e.state)}};
}
json fields(const PartStateChanged& e) {
  return {{"terminal", e.terminal}, {"part", name(e.part)}, {"state", name(e.state)}};
}
json fields(const TerminalAlarm& e) {
  return {{"terminal", e.terminal}, {"kind", name(e.kind)}};
}
json fields(const Transaction& e) {
  return {{"terminal", e.terminal},     {"transaction_id", e.transaction_id},
          {"business", e.business},     {"amount_fen", e.amount_fen},
          {"method", name(e.method)},   {"result", name(e.result)},
          {"duration_s", e.duration_s}, {"customer_no", e.customer_no}};
}
json fields(const Settlement& e) {
  json lines = json::array();
  for (const auto& l : e.lines)
    lines.push_back({{"method", name(l.method)}, {"count", l.count}, {"total_fen", l.total_fen}});
  return {{"terminal", e.terminal},
          {"period_start", iso8601(e.period_start)},
          {"period_end", iso8601(e.period_end)},
          {"lines", lines}};
}

}  // namespace

std::string_view part_name(TerminalPart part) {
  return name(part);
}
std::string_view part_state_name(PartState state) {
  return name(state);
}

std::optional<TerminalPart> parse_part(std::string_view text) {
  for (std::size_t i = 1; i < std::size(part_names); ++i) {
    if (part_names[i] == text) return static_cast<TerminalPart>(i);
  }
  return std::nullopt;
}

std::string_view type_name(const EventBody& body) {
  static constexpr std::string_view names[] = {
      "ticket_issued",   "ticket_called",    "ticket_recalled",  "ticket_transferred",
      "service_started", "service_finished", "ticket_abandoned", "evaluation",
      "window_status",   "queue_snapshot",   "terminal_state",   "part_state",
      "terminal_alarm",  "transaction",      "settlement"};
  static_assert(std::size(names) == std::variant_size_v<EventBody>);
  return names[body.index()];
}

std::string iso8601(Timestamp t) {
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}Z", t);
}

std::string iso8601_micros(std::chrono::system_clock::time_point t) {
  const auto seconds = std::chrono::floor<std::chrono::seconds>(t);
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(t - seconds).count();
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:06}Z", seconds, micros);
}

namespace {

std::optional<int> digits(std::string_view text, std::size_t from, std::size_t count) {
  if (from + count > text.size()) return std::nullopt;
  int value = 0;
  for (std::size_t i = from; i < from + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

std::optional<std::chrono::sys_days> leading_date(std::string_view text) {
  auto y = digits(text, 0, 4), mo = digits(text, 5, 2), d = digits(text, 8, 2);
  if (!y || !mo || !d || text[4] != '-' || text[7] != '-') return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year(*y),
                                        std::chrono::month(static_cast<unsigned>(*mo)),
                                        std::chrono::day(static_cast<unsigned>(*d))};
  if (!ymd.ok()) return std::nullopt;
  return std::chrono::sys_days(ymd);
}

}  // namespace

std::optional<std::chrono::sys_days> parse_date(std::string_view text) {
  return text.size() == 10 ? leading_date(text) : std::nullopt;
}

std::string date_text(std::chrono::sys_days day) {
  const std::chrono::year_month_day ymd(day);
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
}

std::optional<Instant> parse_instant(std::string_view text, std::chrono::minutes date_offset) {
  using std::chrono::minutes;
  const auto date = leading_date(text);
  if (!date) return std::nullopt;
  if (text.size() == 10) return Instant{Timestamp(*date) - date_offset, date_offset};
  auto h = digits(text, 11, 2), mi = digits(text, 14, 2);
  if (text[10] != 'T' || !h || !mi || text[13] != ':' || *h > 23 || *mi > 59) return std::nullopt;
  std::size_t at = 16;
  int s = 0;
  if (at < text.size() && text[at] == ':') {
    auto sec = digits(text, at + 1, 2);
    if (!sec || *sec > 59) return std::nullopt;
    s = *sec;
    at += 3;
  }
  minutes offset{0};
  if (text.substr(at) == "Z") {
    at += 1;
  } else if (at < text.size() && (text[at] == '+' || text[at] == '-')) {
    auto oh = digits(text, at + 1, 2), om = digits(text, at + 4, 2);
    if (!oh || !om || text.size() != at + 6 || text[at + 3] != ':' || *oh > 14 || *om > 59)
      return std::nullopt;
    offset = minutes(*oh * 60 + *om) * (text[at] == '-' ? -1 : 1);
    at += 6;
  } else {
    return std::nullopt;
  }
  if (at != text.size()) return std::nullopt;
  const auto local =
      Timestamp(*date) + std::chrono::hours(*h) + minutes(*mi) + std::chrono::seconds(s);
  return Instant{local - offset, offset};
}

json to_json(const Event& event) {
  json out = std::visit([](const auto& body) { return fields(body); }, event.body);
  out["type"] = type_name(event.body);
  out["at"] = iso8601(event.at);
  return out;
}

}  // namespace halld::records
