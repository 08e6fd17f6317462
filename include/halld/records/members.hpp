// records/members: each event's members by the names the API, the test vectors and protocol
// descriptions use, and the names of each enumeration's codes. One table for every reader and
// writer of events by name (records/event_json, proto/described). Pure, header only.
// Must not touch: how any protocol lays the members out on the wire.
#pragma once

#include <array>
#include <concepts>
#include <optional>
#include <span>
#include <string_view>
#include <utility>

#include "halld/records/events.hpp"

namespace halld::records {

// The names of an enumeration's codes, indexed by code; "" where a code means nothing.
template <class Enum>
std::span<const std::string_view> enum_names();

#define HALLD_ENUM_NAMES(Enum, ...)                             \
  template <>                                                   \
  inline std::span<const std::string_view> enum_names<Enum>() { \
    static constexpr std::string_view names[] = {__VA_ARGS__};  \
    return names;                                               \
  }
HALLD_ENUM_NAMES(CustomerClassCode, "unknown", "premium", "general", "potential")
HALLD_ENUM_NAMES(TicketSource, "", "kiosk", "appointment", "vip", "pre_booking_95598")
HALLD_ENUM_NAMES(EvaluationResult, "not_evaluated", "very_satisfied", "satisfied", "basic",
                 "dissatisfied")
HALLD_ENUM_NAMES(WindowState, "", "open", "paused", "closed")
HALLD_ENUM_NAMES(AbandonReason, "", "no_show", "left_queue")
HALLD_ENUM_NAMES(TerminalState, "", "in_service", "idle", "busy", "fault", "maintenance", "offline")
HALLD_ENUM_NAMES(TerminalPart, "", "card_reader", "id_card_reader", "receipt_printer",
                 "invoice_printer", "cash_acceptor", "change_dispenser", "pin_pad", "touch_screen",
                 "camera", "network")
HALLD_ENUM_NAMES(PartState, "ok", "paper_low", "paper_out", "jam", "box_full", "fault")
HALLD_ENUM_NAMES(TerminalAlarmKind, "", "door_open", "door_closed", "tamper")
HALLD_ENUM_NAMES(PaymentMethod, "none", "cash", "bank_card", "qr_code", "cheque")
HALLD_ENUM_NAMES(TransactionResult, "success", "failed", "cancelled")
#undef HALLD_ENUM_NAMES

template <class Enum>
std::string_view enum_name(Enum value) {
  const auto names = enum_names<Enum>();
  const auto code = static_cast<std::size_t>(value);
  return code < names.size() ? names[code] : std::string_view();
}
template <class Enum>
std::optional<Enum> enum_of_code(std::int64_t code) {
  const auto names = enum_names<Enum>();
  if (code < 0 || static_cast<std::size_t>(code) >= names.size() || names[code].empty())
    return std::nullopt;
  return static_cast<Enum>(code);
}
template <class Enum>
std::optional<Enum> enum_of_name(std::string_view name) {
  const auto names = enum_names<Enum>();
  for (std::size_t code = 0; code < names.size(); ++code) {
    if (!names[code].empty() && names[code] == name) return static_cast<Enum>(code);
  }
  return std::nullopt;
}

// The event types' names, in the order of EventBody's alternatives.
inline constexpr std::array<std::string_view, std::variant_size_v<EventBody>> event_type_names = {
    "ticket_issued",   "ticket_called",    "ticket_recalled",  "ticket_transferred",
    "service_started", "service_finished", "ticket_abandoned", "evaluation",
    "window_status",   "queue_snapshot",   "terminal_state",   "part_state",
    "terminal_alarm",  "transaction",      "settlement"};

// A default event body of the type at `index` in EventBody (event_type_names' order).
inline EventBody event_body_of(std::size_t index) {
  EventBody out;
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    ((index == I ? (out = std::variant_alternative_t<I, EventBody>{}, 0) : 0), ...);
  }
  (std::make_index_sequence<std::variant_size_v<EventBody>>());
  return out;
}

// members(visit, body) calls visit(name, member) for every member, in declaration order;
// `body` may be const. The items of a list member have members of their own.
template <class Body, class T>
concept body_of = std::same_as<std::remove_const_t<Body>, T>;

template <class V, body_of<TicketIssued> B>
void members(V&& v, B& e) {
  v("ticket", e.ticket);
  v("business", e.business);
  v("customer_class", e.customer_class);
  v("source", e.source);
}
template <class V, class B>
requires body_of<B, TicketCalled> || body_of<B, ServiceStarted>
void members(V&& v, B& e) {
  v("ticket", e.ticket);
  v("window", e.window);
  v("staff_no", e.staff_no);
}
template <class V, body_of<TicketRecalled> B>
void members(V&& v, B& e) {
  v("ticket", e.ticket);
  v("window", e.window);
}
template <class V, body_of<TicketTransferred> B>
void members(V&& v, B& e) {
  v("ticket", e.ticket);
  v("to_business", e.to_business);
}
template <class V, body_of<ServiceFinished> B>
void members(V&& v, B& e) {
  v("ticket", e.ticket);
  v("window", e.window);
  v("staff_no", e.staff_no);
  v("business", e.business);
}
template <class V, body_of<TicketAbandoned> B>
void members(V&& v, B& e) {
  v("ticket", e.ticket);
  v("reason", e.reason);
}
template <class V, body_of<EvaluationGiven> B>
void members(V&& v, B& e) {
  v("ticket", e.ticket);
  v("window", e.window);
  v("staff_no", e.staff_no);
  v("result", e.result);
}
template <class V, body_of<WindowStatusChanged> B>
void members(V&& v, B& e) {
  v("window", e.window);
  v("state", e.state);
  v("staff_no", e.staff_no);
}
template <class V, body_of<QueueLength> B>
void members(V&& v, B& e) {
  v("business", e.business);
  v("waiting", e.waiting);
  v("longest_wait_s", e.longest_wait_s);
}
template <class V, body_of<QueueSnapshot> B>
void members(V&& v, B& e) {
  v("queues", e.queues);
}
template <class V, body_of<TerminalStateChanged> B>
void members(V&& v, B& e) {
  v("terminal", e.terminal);
  v("state", e.state);
}
template <class V, body_of<PartStateChanged> B>
void members(V&& v, B& e) {
  v("terminal", e.terminal);
  v("part", e.part);
  v("state", e.state);
}
template <class V, body_of<TerminalAlarm> B>
void members(V&& v, B& e) {
  v("terminal", e.terminal);
  v("kind", e.kind);
}
template <class V, body_of<Transaction> B>
void members(V&& v, B& e) {
  v("terminal", e.terminal);
  v("transaction_id", e.transaction_id);
  v("business", e.business);
  v("amount_fen", e.amount_fen);
  v("method", e.method);
  v("result", e.result);
  v("duration_s", e.duration_s);
  v("customer_no", e.customer_no);
}
template <class V, body_of<SettlementLine> B>
void members(V&& v, B& e) {
  v("method", e.method);
  v("count", e.count);
  v("total_fen", e.total_fen);
}
template <class V, body_of<Settlement> B>
void members(V&& v, B& e) {
  v("terminal", e.terminal);
  v("period_start", e.period_start);
  v("period_end", e.period_end);
  v("lines", e.lines);
}

}  // namespace halld::records
