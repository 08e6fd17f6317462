// proto/terminal: the self-service terminal management protocol (自助终端管理), spoken by a
// terminal-management server for all terminals it manages (a hall's, or a whole city's)
// (docs/protocols/terminal.md). Owns: its function codes and field lists. Pure.
#pragma once

#include "halld/proto/frame/messages.hpp"

namespace halld::proto::terminal {

namespace function {
inline constexpr std::uint8_t terminal_state = 0x20;
inline constexpr std::uint8_t part_state = 0x21;
inline constexpr std::uint8_t alarm = 0x22;
inline constexpr std::uint8_t transaction = 0x23;
inline constexpr std::uint8_t settlement = 0x24;
inline constexpr std::uint8_t publish_notice = 0xD0;
inline constexpr std::uint8_t set_in_service = 0xD1;
inline constexpr std::uint8_t reboot = 0xD2;
}  // namespace function

// Downlink commands; `terminal` empty means every terminal behind the server.
struct PublishNotice {
  std::string terminal;
  std::uint16_t seconds = 0;  // 0: until replaced
  std::string text;
  bool operator==(const PublishNotice&) const = default;
};
enum class ServiceMode : std::uint8_t { out_of_service = 0, in_service = 1 };
struct SetInService {
  std::string terminal;
  ServiceMode mode = ServiceMode::in_service;
  bool operator==(const SetInService&) const = default;
};
struct Reboot {
  std::string terminal;
  bool operator==(const Reboot&) const = default;
};
using Command = std::variant<PublishNotice, SetInService, Reboot>;

// What the generic codecs of proto/frame/messages.hpp need: decode_uplink<Protocol>,
// EventCodec<Protocol>, encode_command<Protocol> and decode_command<Protocol, Command>.
struct Protocol {
  template <class T>
  static constexpr std::uint8_t function_of();
  template <class V, class T>
  static void fields(V& v, T& message);
};

template <class T>
constexpr std::uint8_t Protocol::function_of() {
  using namespace records;
  if constexpr (std::is_same_v<T, TerminalStateChanged>)
    return function::terminal_state;
  else if constexpr (std::is_same_v<T, PartStateChanged>)
    return function::part_state;
  else if constexpr (std::is_same_v<T, TerminalAlarm>)
    return function::alarm;
  else if constexpr (std::is_same_v<T, Transaction>)
    return function::transaction;
  else if constexpr (std::is_same_v<T, Settlement>)
    return function::settlement;
  else if constexpr (std::is_same_v<T, PublishNotice>)
    return function::publish_notice;
  else if constexpr (std::is_same_v<T, SetInService>)
    return function::set_in_service;
  else if constexpr (std::is_same_v<T, Reboot>)
    return function::reboot;
  else
    return 0;
}

template <class V, class T>
void Protocol::fields(V& v, T& m) {
  using namespace records;
  using M = std::remove_const_t<T>;
  if constexpr (std::is_same_v<M, TerminalStateChanged>) {
    v.text(m.terminal);
    v.code(m.state, TerminalState::in_service, TerminalState::offline);
  } else if constexpr (std::is_same_v<M, PartStateChanged>) {
    v.text(m.terminal);
    v.code(m.part, TerminalPart::card_reader, TerminalPart::network);
    v.code(m.state, PartState::ok, PartState::fault);
  } else if constexpr (std::is_same_v<M, TerminalAlarm>) {
    v.text(m.terminal);
    v.code(m.kind, TerminalAlarmKind::door_open, TerminalAlarmKind::tamper);
  } else if constexpr (std::is_same_v<M, Transaction>) {
    v.text(m.terminal);
    v.text(m.transaction_id);
    v.text(m.business);
    v.i64(m.amount_fen);
    v.code(m.method, PaymentMethod::none, PaymentMethod::cheque);
    v.code(m.result, TransactionResult::success, TransactionResult::cancelled);
    v.u16(m.duration_s);
    v.text(m.customer_no);
  } else if constexpr (std::is_same_v<M, Settlement>) {
    v.text(m.terminal);
    v.time(m.period_start);
    v.time(m.period_end);
    v.list(m.lines, [](auto& each, auto& line) {
      each.code(line.method, PaymentMethod::none, PaymentMethod::cheque);
      each.u32(line.count);
      each.i64(line.total_fen);
    });
  } else if constexpr (std::is_same_v<M, PublishNotice>) {
    v.text(m.terminal);
    v.u16(m.seconds);
    v.text(m.text);
  } else if constexpr (std::is_same_v<M, SetInService>) {
    v.text(m.terminal);
    v.code(m.mode, ServiceMode::out_of_service, ServiceMode::in_service);
  } else if constexpr (std::is_same_v<M, Reboot>) {
    v.text(m.terminal);
  }
}

}  // namespace halld::proto::terminal
