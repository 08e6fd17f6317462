// proto/queue_eval: the queue-ticketing and evaluation protocol (排队评价系统), spoken by a
// hall's queue server for all its windows and keypads (docs/protocols/queue_eval.md).
// Owns: its function codes, the field list of each event and command. Pure.
#pragma once

#include "halld/proto/frame/messages.hpp"

namespace halld::proto::queue_eval {

namespace function {
inline constexpr std::uint8_t ticket_issued = 0x10;
inline constexpr std::uint8_t ticket_called = 0x11;
inline constexpr std::uint8_t ticket_recalled = 0x12;
inline constexpr std::uint8_t ticket_transferred = 0x13;
inline constexpr std::uint8_t service_started = 0x14;
inline constexpr std::uint8_t service_finished = 0x15;
inline constexpr std::uint8_t ticket_abandoned = 0x16;
inline constexpr std::uint8_t evaluation = 0x17;
inline constexpr std::uint8_t window_status = 0x18;
inline constexpr std::uint8_t queue_snapshot = 0x19;
inline constexpr std::uint8_t open_window = 0xC0;
inline constexpr std::uint8_t close_window = 0xC1;
inline constexpr std::uint8_t show_message = 0xC2;
inline constexpr std::uint8_t set_queue_parameter = 0xC3;
}  // namespace function

// Downlink commands.
struct OpenWindow {
  std::uint16_t window = 0;
  bool operator==(const OpenWindow&) const = default;
};
struct CloseWindow {
  std::uint16_t window = 0;
  bool operator==(const CloseWindow&) const = default;
};
enum class Display : std::uint8_t { led_boards = 1, screens = 2, all = 3 };
struct ShowMessage {
  Display display = Display::all;
  std::uint16_t seconds = 60;  // 0: until replaced
  std::string text;
  bool operator==(const ShowMessage&) const = default;
};
enum class QueueParameter : std::uint8_t {
  max_waiting = 1,
  call_repeat_s = 2,
  no_show_after_calls = 3
};
struct SetQueueParameter {
  std::string business;  // business-type code; empty: all
  QueueParameter parameter = QueueParameter::max_waiting;
  std::uint32_t value = 0;
  bool operator==(const SetQueueParameter&) const = default;
};
using Command = std::variant<OpenWindow, CloseWindow, ShowMessage, SetQueueParameter>;

// What the generic codecs of proto/frame/messages.hpp need: decode_uplink<Protocol>,
// EventCodec<Protocol>, encode_command<Protocol> and decode_command<Protocol, Command>.
struct Protocol {
  template <class T>
  static constexpr std::uint8_t function_of();
  template <class V, class T>
  static void fields(V& v, T& message);
};

// ---- field lists (the wire layout; docs/protocols/queue_eval.md mirrors these) ----

template <class T>
constexpr std::uint8_t Protocol::function_of() {
  using namespace records;
  if constexpr (std::is_same_v<T, TicketIssued>)
    return function::ticket_issued;
  else if constexpr (std::is_same_v<T, TicketCalled>)
    return function::ticket_called;
  else if constexpr (std::is_same_v<T, TicketRecalled>)
    return function::ticket_recalled;
  else if constexpr (std::is_same_v<T, TicketTransferred>)
    return function::ticket_transferred;
  else if constexpr (std::is_same_v<T, ServiceStarted>)
    return function::service_started;
  else if constexpr (std::is_same_v<T, ServiceFinished>)
    return function::service_finished;
  else if constexpr (std::is_same_v<T, TicketAbandoned>)
    return function::ticket_abandoned;
  else if constexpr (std::is_same_v<T, EvaluationGiven>)
    return function::evaluation;
  else if constexpr (std::is_same_v<T, WindowStatusChanged>)
    return function::window_status;
  else if constexpr (std::is_same_v<T, QueueSnapshot>)
    return function::queue_snapshot;
  else if constexpr (std::is_same_v<T, OpenWindow>)
    return function::open_window;
  else if constexpr (std::is_same_v<T, CloseWindow>)
    return function::close_window;
  else if constexpr (std::is_same_v<T, ShowMessage>)
    return function::show_message;
  else if constexpr (std::is_same_v<T, SetQueueParameter>)
    return function::set_queue_parameter;
  else
    return 0;
}

template <class V, class T>
void Protocol::fields(V& v, T& m) {
  using namespace records;
  using M = std::remove_const_t<T>;
  if constexpr (std::is_same_v<M, TicketIssued>) {
    v.text(m.ticket);
    v.text(m.business);
    v.code(m.customer_class, CustomerClassCode::unknown, CustomerClassCode::potential);
    v.code(m.source, TicketSource::kiosk, TicketSource::pre_booking_95598);
  } else if constexpr (std::is_same_v<M, TicketCalled> || std::is_same_v<M, ServiceStarted>) {
    v.text(m.ticket);
    v.u16(m.window);
    v.text(m.staff_no);
  } else if constexpr (std::is_same_v<M, TicketRecalled>) {
    v.text(m.ticket);
    v.u16(m.window);
  } else if constexpr (std::is_same_v<M, TicketTransferred>) {
    v.text(m.ticket);
    v.text(m.to_business);
  } else if constexpr (std::is_same_v<M, ServiceFinished>) {
    v.text(m.ticket);
    v.u16(m.window);
    v.text(m.staff_no);
    v.text(m.business);
  } else if constexpr (std::is_same_v<M, TicketAbandoned>) {
    v.text(m.ticket);
    v.code(m.reason, AbandonReason::no_show, AbandonReason::left_queue);
  } else if constexpr (std::is_same_v<M, EvaluationGiven>) {
    v.text(m.ticket);
    v.u16(m.window);
    v.text(m.staff_no);
    v.code(m.result, EvaluationResult::not_evaluated, EvaluationResult::dissatisfied);
  } else if constexpr (std::is_same_v<M, WindowStatusChanged>) {
    v.u16(m.window);
    v.code(m.state, WindowState::open, WindowState::closed);
    v.text(m.staff_no);
  } else if constexpr (std::is_same_v<M, QueueSnapshot>) {
    v.list(m.queues, [](auto& each, auto& q) {
      each.text(q.business);
      each.u16(q.waiting);
      each.u32(q.longest_wait_s);
    });
  } else if constexpr (std::is_same_v<M, OpenWindow> || std::is_same_v<M, CloseWindow>) {
    v.u16(m.window);
  } else if constexpr (std::is_same_v<M, ShowMessage>) {
    v.code(m.display, Display::led_boards, Display::all);
    v.u16(m.seconds);
    v.text(m.text);
  } else if constexpr (std::is_same_v<M, SetQueueParameter>) {
    v.text(m.business);
    v.code(m.parameter, QueueParameter::max_waiting, QueueParameter::no_show_after_calls);
    v.u32(m.value);
  }
}

}  // namespace halld::proto::queue_eval
