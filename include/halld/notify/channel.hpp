// notify/channel: the ways a text leaves halld — Kannel's HTTP sendsms, a pool of GSM modems on
// serial ports, a log file for the demo — behind one interface, so the notifier can fail over
// from one to the next. Owns: each channel's connection and protocol. Must not touch: alarms,
// recipients, the database (the notifier records what a channel reports).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "halld/core/asio.hpp"
#include "halld/core/metrics.hpp"

namespace halld::notify {

struct TextMessage {
  std::int64_t id = 0;  // sms_message.id
  std::string phone;
  std::string text;       // UTF-8
  std::string dlr_token;  // a delivery report must quote it
};

struct SendOutcome {
  bool accepted = false;
  std::string detail;  // the gateway's answer, or why not
  // Whether the text is known to have arrived: a file written is; a text a modem or Kannel took
  // is only sent (Kannel's delivery reports come later through the API; the modem's are not read).
  bool delivered = false;
};

class Channel {
 public:
  virtual ~Channel() = default;
  virtual std::string_view name() const = 0;
  virtual asio::awaitable<SendOutcome> send(const TextMessage& message) = 0;
  virtual void stop() {}
};

// Appends one JSON line per text to a file: what the demo "sends".
std::unique_ptr<Channel> make_log_channel(std::filesystem::path file);

struct KannelOptions {
  std::string sendsms_url;  // http://host:port/cgi-bin/sendsms
  std::string username;
  std::string password;
  std::string from;
  // halld's base URL, for the dlr-url; asked at each text, as halld may bind its port after
  // the channel is made.
  std::function<std::string()> callback_url;
  std::chrono::seconds timeout{10};
};
// Kannel's smsbox over HTTP: UCS-2 (coding=2) with a dlr-url into /api/v1/sms/dlr.
std::unique_ptr<Channel> make_kannel_channel(asio::any_io_executor executor, KannelOptions options);

struct ModemOptions {
  std::vector<std::string> devices;
  unsigned baud = 115200;
  std::string pin;
  std::chrono::seconds timeout{30};
};
// A pool of GSM modems, each on its serial port in PDU mode; a text goes to the first idle one
// that is ready, and waits (up to the timeout) when all are busy.
std::unique_ptr<Channel> make_modem_channel(asio::any_io_executor executor, ModemOptions options,
                                            MetricsRegistry& metrics);

}  // namespace halld::notify
