// sms/modem: the AT conversation with one GSM modem (3GPP TS 27.005 / 27.007), sans I/O: the
// bytes it answers go in, the bytes to write and what happened come out. Owns: splitting the
// modem's output into result lines and the "> " prompt, the readiness check (AT, echo off, SIM
// PIN, network registration, PDU mode) and sending a message part by part, one at a time.
// Must not touch: the serial line, timers (the caller calls timed_out()), alarms, PDU bytes
// (sms/pdu makes them).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "halld/sms/pdu.hpp"

namespace halld::sms {

// One thing the modem said.
struct AtLine {
  enum class Kind : std::uint8_t { info, ok, error, cms_error, cme_error, prompt };
  Kind kind = Kind::info;
  std::string text;  // the whole line (info), or the error's text
  int code = -1;     // +CMS / +CME ERROR number
};

// Splits the modem's output; bounded: a line longer than max_line is cut and counted.
class AtReader {
 public:
  static constexpr std::size_t max_line = 512;
  std::vector<AtLine> feed(std::string_view bytes);
  std::uint64_t overlong_lines() const { return overlong_; }

 private:
  std::string line_;
  bool cutting_ = false;  // dropping the rest of an overlong line
  std::uint64_t overlong_ = 0;
};

// What the conversation came to.
struct ModemReady {};
struct ModemNotReady {
  std::string reason;  // e.g. "SIM PIN required and none configured", "not registered (+CREG: 0,2)"
};
struct PartSent {
  std::size_t part = 0;  // from 0
  int message_reference = 0;
};
struct MessageSent {
  std::vector<int> message_references;  // one per part, to match delivery reports
};
struct MessageFailed {
  std::string reason;  // with the +CMS ERROR code when there is one
  int cms_error = -1;
};
using ModemOutcome = std::variant<ModemReady, ModemNotReady, PartSent, MessageSent, MessageFailed>;

class ModemSession {
 public:
  explicit ModemSession(std::string pin = {}) : pin_(std::move(pin)) {}

  // Begins (again) the readiness check; returns what to write.
  std::string start();
  // A message (its parts, in order) to send once ready; returns what to write now, if anything.
  // One message at a time: false when one is already in flight or the modem is not ready.
  bool send(std::vector<EncodedPdu> parts, std::string& to_write);
  // The modem's bytes; `to_write` gets what to answer.
  std::vector<ModemOutcome> feed(std::string_view bytes, std::string& to_write);
  // No answer in time: the step in progress fails (a message in flight fails) and the session
  // must be started again.
  std::vector<ModemOutcome> timed_out();

  bool ready() const { return step_ == Step::ready; }
  bool busy() const { return step_ == Step::prompt || step_ == Step::submitted; }

 private:
  enum class Step : std::uint8_t {
    idle,
    at,
    echo_off,
    pin_query,
    pin_entry,
    registration,
    pdu_mode,
    ready,
    prompt,
    submitted
  };
  void on_line(const AtLine& line, std::string& to_write, std::vector<ModemOutcome>& outcomes);
  std::string command_for(Step step) const;

  std::string pin_;
  AtReader reader_;
  Step step_ = Step::idle;
  std::string last_info_;  // the information line of the command in progress
  std::vector<EncodedPdu> parts_;
  std::size_t part_ = 0;
  std::vector<int> references_;
  int pending_reference_ = -1;
};

}  // namespace halld::sms
