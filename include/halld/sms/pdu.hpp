// sms/pdu: text messages as a GSM modem takes them in PDU mode (AT+CMGF=0): SMS-SUBMIT TPDUs
// (3GPP TS 23.040 §9.2.2.2) with UCS-2 text (TS 23.038), so that Chinese goes through, split
// into concatenated parts (UDH information element 00, TS 23.040 §9.2.3.24.1) when longer than
// one message. Owns: the byte layout, both directions (halld encodes; the modem simulator and
// the fuzz target decode), UTF-8 ⇄ UTF-16. Pure: bytes and text in, PDUs or a named error out.
// Must not touch: serial lines, AT command flow, alarms. docs/protocols/sms_pdu.md gives every
// byte.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace halld::sms {

// UCS-2 capacity: 140 octets of user data; a part of a concatenated message loses 6 to its header.
constexpr std::size_t single_units = 70;
constexpr std::size_t part_units = 67;
constexpr std::size_t max_parts = 255;

struct PduError {
  std::string message;
};

// Text as UTF-16 code units, or why it is not UTF-8.
std::variant<std::u16string, PduError> utf16_of(std::string_view utf8);
// UTF-8 of UTF-16 code units; an unpaired surrogate becomes U+FFFD.
std::string utf8_of(std::u16string_view utf16);

struct EncodedPdu {
  std::string hex;          // what follows AT+CMGS=<tpdu_octets> and the "> " prompt, before Ctrl-Z
  std::size_t tpdu_octets;  // the PDU's length without its leading SMSC field
};

struct SubmitOptions {
  bool status_report = true;              // ask the network for a delivery report (TP-SRR)
  std::uint8_t concat_reference = 0;      // the same in every part of one message
  std::uint8_t validity_relative = 0xA7;  // TP-VP, relative format: 0xA7 is 24 hours
};

// One SMS-SUBMIT per part, in order. Destinations are digits with an optional leading '+'
// (international), at most 20 digits. Errors: a bad number, text that is not UTF-8, empty text,
// or more than max_parts parts.
std::variant<std::vector<EncodedPdu>, PduError> encode_submit(std::string_view destination,
                                                              std::string_view utf8_text,
                                                              const SubmitOptions& options);

struct Concatenation {
  std::uint16_t reference = 0;
  std::uint8_t total = 1;
  std::uint8_t sequence = 1;  // from 1
};

// An SMS-SUBMIT as a modem (or the network) reads it.
struct Submit {
  std::string destination;  // with '+' when the number is international
  bool status_report = false;
  std::uint8_t message_reference = 0;
  std::uint8_t data_coding = 0;
  std::optional<Concatenation> concatenation;
  std::u16string text;  // this part's UTF-16 code units
};

// Decodes the hex of an SMS-SUBMIT PDU with its leading SMSC field. Only UCS-2 (DCS 0x08) and
// 8-bit data (0x04, read as Latin-1) are accepted; the GSM 7-bit alphabet is not (halld never
// sends it). Every length is checked against what is there.
std::variant<Submit, PduError> decode_submit(std::string_view hex);

}  // namespace halld::sms
