#include "modem.hpp"

#include <fmt/format.h>

#include <charconv>
#include <utility>

namespace halld::tools {

namespace {

std::string final_ok(std::string info = {}) {
  return (info.empty() ? "" : "\r\n" + info + "\r\n") + "\r\nOK\r\n";
}
const std::string error = "\r\nERROR\r\n";
std::string cms_error(int code) {
  return fmt::format("\r\n+CMS ERROR: {}\r\n", code);
}

}  // namespace

std::string SimulatedModem::feed(std::string_view bytes) {
  std::string out;
  for (char c : bytes) {
    if (expected_octets_ >= 0) {  // a PDU in hex, ended by Ctrl-Z (or abandoned by Esc)
      if (c == '\x1A') {
        out += submit(std::exchange(line_, {}));
        expected_octets_ = -1;
      } else if (c == '\x1B') {
        line_.clear();
        expected_octets_ = -1;
        out += final_ok();
      } else if (line_.size() < 1024) {
        line_ += c;
      }
      continue;
    }
    if (c == '\r') {
      const std::string line = std::exchange(line_, {});
      if (echo_) out += line + "\r";
      out += command(line);
    } else if (c != '\n' && line_.size() < 1024) {
      line_ += c;
    }
  }
  return out;
}

std::string SimulatedModem::command(const std::string& line) {
  const bool pin_needed = !options_.pin.empty() && !pin_ok_;
  if (line == "AT") return final_ok();
  if (line == "ATE0") {
    echo_ = false;
    return final_ok();
  }
  if (line == "AT+CPIN?") return final_ok(pin_needed ? "+CPIN: SIM PIN" : "+CPIN: READY");
  if (line.starts_with("AT+CPIN=")) {
    if (line == fmt::format("AT+CPIN=\"{}\"", options_.pin)) {
      pin_ok_ = true;
      return final_ok();
    }
    return "\r\n+CME ERROR: 16\r\n";  // incorrect password
  }
  if (line == "AT+CREG?") return final_ok(fmt::format("+CREG: 0,{}", options_.registration));
  if (line == "AT+CMGF=0") {
    pdu_mode_ = true;
    return final_ok();
  }
  if (line.starts_with("AT+CMGS=")) {
    if (pin_needed) return cms_error(311);  // SIM PIN required
    if (!pdu_mode_) return cms_error(302);  // operation not allowed
    if (options_.registration != 1 && options_.registration != 5)
      return cms_error(331);  // no network service
    long n = -1;
    const auto digits = std::string_view(line).substr(8);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (ec != std::errc() || end != digits.data() + digits.size() || n < 7 || n > 164)
      return cms_error(304);
    expected_octets_ = n;
    return "\r\n> ";
  }
  return error;
}

std::string SimulatedModem::submit(const std::string& hex) {
  auto decoded = sms::decode_submit(hex);
  if (auto* e = std::get_if<sms::PduError>(&decoded)) {
    refused_.push_back(e->message);
    return cms_error(304);  // invalid PDU mode parameter
  }
  // The length given with AT+CMGS counts the PDU without its SMSC field.
  const long smsc_octets = 1 + std::stol(hex.substr(0, 2), nullptr, 16);
  if (static_cast<long>(hex.size() / 2) - smsc_octets != expected_octets_) {
    refused_.push_back(fmt::format("AT+CMGS={} but the PDU has {} octets after its SMSC field",
                                   expected_octets_,
                                   static_cast<long>(hex.size() / 2) - smsc_octets));
    return cms_error(304);
  }
  if (options_.fail_with_cms_error >= 0) return cms_error(options_.fail_with_cms_error);
  const auto& s = std::get<sms::Submit>(decoded);
  const int reference = next_reference_++ % 256;
  if (!s.concatenation) {
    messages_.push_back({s.destination, sms::utf8_of(s.text), 1});
  } else {
    auto& pending = concatenating_[s.concatenation->reference];
    pending.destination = s.destination;
    pending.total = s.concatenation->total;
    pending.parts[s.concatenation->sequence] = s.text;
    if (static_cast<int>(pending.parts.size()) == pending.total) {
      std::u16string joined;
      for (const auto& [sequence, text] : pending.parts) joined += text;
      messages_.push_back({pending.destination, sms::utf8_of(joined), pending.parts.size()});
      concatenating_.erase(s.concatenation->reference);
    }
  }
  return final_ok(fmt::format("+CMGS: {}", reference));
}

}  // namespace halld::tools
