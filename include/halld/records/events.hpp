// records/events: what halls report, in the one internal form every protocol decodes into and
// the store, the real-time model and the KPI engine consume. Plain values, no I/O.
// Wire codes of the enums are fixed by docs/protocols/ (they are the enum values).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace halld::records {

using Timestamp = std::chrono::sys_seconds;  // UTC

// ---- queue-ticketing and evaluation (排队评价) ----
enum class CustomerClassCode : std::uint8_t {
  unknown = 0,
  premium = 1,
  general = 2,
  potential = 3
};
enum class TicketSource : std::uint8_t {
  kiosk = 1,
  appointment = 2,
  vip = 3,
  pre_booking_95598 = 4
};
enum class EvaluationResult : std::uint8_t {
  not_evaluated = 0,
  very_satisfied = 1,
  satisfied = 2,
  basic = 3,
  dissatisfied = 4
};
enum class WindowState : std::uint8_t { open = 1, paused = 2, closed = 3 };
enum class AbandonReason : std::uint8_t { no_show = 1, left_queue = 2 };

struct TicketIssued {
  std::string ticket;
  std::string business;  // business-type code
  CustomerClassCode customer_class = CustomerClassCode::unknown;
  TicketSource source = TicketSource::kiosk;
  bool operator==(const TicketIssued&) const = default;
};
struct TicketCalled {
  std::string ticket;
  std::uint16_t window = 0;
  std::string staff_no;
  bool operator==(const TicketCalled&) const = default;
};
struct TicketRecalled {
  std::string ticket;
  std::uint16_t window = 0;
  bool operator==(const TicketRecalled&) const = default;
};
struct TicketTransferred {
  std::string ticket;
  std::string to_business;
  bool operator==(const TicketTransferred&) const = default;
};
struct ServiceStarted {
  std::string ticket;
  std::uint16_t window = 0;
  std::string staff_no;
  bool operator==(const ServiceStarted&) const = default;
};
struct ServiceFinished {
  std::string ticket;
  std::uint16_t window = 0;
  std::string staff_no;
  std::string business;  // what was actually handled
  bool operator==(const ServiceFinished&) const = default;
};
struct TicketAbandoned {
  std::string ticket;
  AbandonReason reason = AbandonReason::no_show;
  bool operator==(const TicketAbandoned&) const = default;
};
struct EvaluationGiven {
  std::string ticket;
  std::uint16_t window = 0;
  std::string staff_no;
  EvaluationResult result = EvaluationResult::not_evaluated;
  bool operator==(const EvaluationGiven&) const = default;
};
struct WindowStatusChanged {
  std::uint16_t window = 0;
  WindowState state = WindowState::closed;
  std::string staff_no;  // the clerk logged on; empty: nobody
  bool operator==(const WindowStatusChanged&) const = default;
};
struct QueueLength {
  std::string business;
  std::uint16_t waiting = 0;
  std::uint32_t longest_wait_s = 0;
  bool operator==(const QueueLength&) const = default;
};
struct QueueSnapshot {
  std::vector<QueueLength> queues;
  bool operator==(const QueueSnapshot&) const = default;
};

// ---- self-service terminals (自助终端) ----
enum class TerminalState : std::uint8_t {
  in_service = 1,
  idle = 2,
  busy = 3,
  fault = 4,
  maintenance = 5,
  offline = 6
};
// Numbered like records::TerminalComponent + 1, plus the terminal's network link.
enum class TerminalPart : std::uint8_t {
  card_reader = 1,
  id_card_reader = 2,
  receipt_printer = 3,
  invoice_printer = 4,
  cash_acceptor = 5,
  change_dispenser = 6,
  pin_pad = 7,
  touch_screen = 8,
  camera = 9,
  network = 10
};
enum class PartState : std::uint8_t {
  ok = 0,
  paper_low = 1,
  paper_out = 2,
  jam = 3,
  box_full = 4,
  fault = 5
};
enum class TerminalAlarmKind : std::uint8_t { door_open = 1, door_closed = 2, tamper = 3 };
enum class PaymentMethod : std::uint8_t {
  none = 0,
  cash = 1,
  bank_card = 2,
  qr_code = 3,
  cheque = 4
};
enum class TransactionResult : std::uint8_t { success = 0, failed = 1, cancelled = 2 };

struct TerminalStateChanged {
  std::string terminal;
  TerminalState state = TerminalState::offline;
  bool operator==(const TerminalStateChanged&) const = default;
};
struct PartStateChanged {
  std::string terminal;
  TerminalPart part = TerminalPart::network;
  PartState state = PartState::ok;
  bool operator==(const PartStateChanged&) const = default;
};
struct TerminalAlarm {
  std::string terminal;
  TerminalAlarmKind kind = TerminalAlarmKind::door_open;
  bool operator==(const TerminalAlarm&) const = default;
};
struct Transaction {
  std::string terminal;
  std::string transaction_id;
  std::string business;
  std::int64_t amount_fen = 0;  // 分, exact
  PaymentMethod method = PaymentMethod::none;
  TransactionResult result = TransactionResult::success;
  std::uint16_t duration_s = 0;
  std::string customer_no;
  bool operator==(const Transaction&) const = default;
};
struct SettlementLine {
  PaymentMethod method = PaymentMethod::none;
  std::uint32_t count = 0;
  std::int64_t total_fen = 0;
  bool operator==(const SettlementLine&) const = default;
};
struct Settlement {
  std::string terminal;
  Timestamp period_start{};
  Timestamp period_end{};
  std::vector<SettlementLine> lines;
  bool operator==(const Settlement&) const = default;
};

using EventBody = std::variant<TicketIssued, TicketCalled, TicketRecalled, TicketTransferred,
                               ServiceStarted, ServiceFinished, TicketAbandoned, EvaluationGiven,
                               WindowStatusChanged, QueueSnapshot, TerminalStateChanged,
                               PartStateChanged, TerminalAlarm, Transaction, Settlement>;

// One event as a device reported it: when it happened (device clock) and what.
struct Event {
  Timestamp at{};
  EventBody body;
  bool operator==(const Event&) const = default;
};

// The self-service terminal an event is about; empty for queue events.
inline std::string_view terminal_of(const Event& event) {
  return std::visit(
      [](const auto& body) -> std::string_view {
        if constexpr (requires { body.terminal; }) {
          return body.terminal;
        } else {
          return {};
        }
      },
      event.body);
}

}  // namespace halld::records
