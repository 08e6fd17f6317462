// modem_sim: a GSM modem (短信猫) on a pseudo-terminal, for halld's SMS tests and the demo.
//
//   modem_sim --port-file F [--messages-file F] [--pin 1234] [--registration 1] [--cms-error N]
//
// Writes the pty's device name to the port file once it listens; appends each complete
// message it receives to the messages file as a JSON line {"to": …, "text": …, "parts": n};
// exits on SIGTERM or SIGINT.
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "modem.hpp"
#include "pty.hpp"

namespace {

volatile sig_atomic_t stopping = 0;
void stop(int) {
  stopping = 1;
}

bool parse_int(const std::string& text, int& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

int main(int argc, char** argv) {
  halld::tools::ModemOptions options;
  std::string port_file, messages_file;
  bool ok = true;
  for (int i = 1; i < argc && ok; ++i) {
    const std::string arg = argv[i];
    const std::string value = i + 1 < argc ? argv[++i] : "";
    if (arg == "--port-file")
      port_file = value;
    else if (arg == "--messages-file")
      messages_file = value;
    else if (arg == "--pin")
      options.pin = value;
    else if (arg == "--registration")
      ok = parse_int(value, options.registration);
    else if (arg == "--cms-error")
      ok = parse_int(value, options.fail_with_cms_error);
    else
      ok = false;
  }
  if (!ok || port_file.empty()) {
    std::fprintf(
        stderr,
        "usage: modem_sim --port-file F [--messages-file F] [--pin P] [--registration STAT] "
        "[--cms-error N]\n");
    return 2;
  }
  ::signal(SIGTERM, stop);
  ::signal(SIGINT, stop);
  halld::tools::Pty pty;
  halld::tools::SimulatedModem modem(options);
  std::ofstream(port_file + ".tmp") << pty.name << '\n';
  std::rename((port_file + ".tmp").c_str(), port_file.c_str());
  std::size_t recorded = 0;
  char buffer[4096];
  while (!stopping) {
    pollfd p{pty.device_end, POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0) continue;
    const auto n = ::read(pty.device_end, buffer, sizeof buffer);
    if (n <= 0) continue;
    const std::string answer = modem.feed(std::string_view(buffer, static_cast<std::size_t>(n)));
    for (std::size_t written = 0; written < answer.size();) {
      const auto w = ::write(pty.device_end, answer.data() + written, answer.size() - written);
      if (w <= 0) break;
      written += static_cast<std::size_t>(w);
    }
    for (; recorded < modem.messages().size(); ++recorded) {
      const auto& m = modem.messages()[recorded];
      if (!messages_file.empty()) {
        std::ofstream(messages_file, std::ios::app)
            << nlohmann::json{{"to", m.destination}, {"text", m.text}, {"parts", m.parts}}.dump()
            << '\n';
      }
    }
  }
  return 0;
}
