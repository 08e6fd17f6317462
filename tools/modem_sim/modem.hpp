// A GSM modem (短信猫) as halld meets it, pure: AT commands in, answers out. It keeps echo, SIM
// PIN, network registration and PDU mode like a real modem, takes AT+CMGS=<n> with the "> "
// prompt, and checks every PDU it is given (sms::decode_submit; its length against <n>),
// answering +CMS ERROR as a modem does when something is wrong; complete messages are
// reassembled from their parts. The pseudo-terminal around it is main.cpp.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "halld/sms/pdu.hpp"

namespace halld::tools {

struct ModemOptions {
  std::string pin;               // empty: no PIN asked
  int registration = 1;          // +CREG stat: 1 home, 5 roaming, 2 searching, 3 denied
  int fail_with_cms_error = -1;  // answer every submission with this +CMS ERROR (e.g. 500), or -1
};

struct ReceivedMessage {
  std::string destination;
  std::string text;  // UTF-8, parts joined
  std::size_t parts = 1;
};

class SimulatedModem {
 public:
  explicit SimulatedModem(ModemOptions options) : options_(std::move(options)) {}
  // Bytes from the host; returns the modem's answer.
  std::string feed(std::string_view bytes);

  const std::vector<ReceivedMessage>& messages() const { return messages_; }
  // PDUs refused (decoding errors, wrong lengths), in words.
  const std::vector<std::string>& refused() const { return refused_; }

 private:
  std::string command(const std::string& line);
  std::string submit(const std::string& hex);

  ModemOptions options_;
  bool echo_ = true;
  bool pin_ok_ = false;
  bool pdu_mode_ = false;
  std::string line_;
  long expected_octets_ = -1;  // after AT+CMGS=<n>: collecting the PDU until Ctrl-Z
  int next_reference_ = 1;
  struct Pending {
    std::string destination;
    std::map<int, std::u16string> parts;
    int total = 0;
  };
  std::map<int, Pending> concatenating_;  // by reference
  std::vector<ReceivedMessage> messages_;
  std::vector<std::string> refused_;
};

}  // namespace halld::tools
