// The device end of a pseudo-terminal for the simulators, in raw mode from the start so that
// nothing written before halld opens the line is echoed or edited. The line end stays open here
// too, so halld closing and reopening it is no hang-up for the device.
#pragma once

#include <pty.h>
#include <termios.h>
#include <unistd.h>

#include <stdexcept>
#include <string>

namespace halld::tools {

struct Pty {
  int device_end = -1, line_end = -1;
  std::string name;  // what halld opens
  Pty() {
    termios raw{};
    ::cfmakeraw(&raw);
    char buffer[256] = {};
    if (::openpty(&device_end, &line_end, buffer, &raw, nullptr) != 0)
      throw std::runtime_error("openpty failed");
    name = buffer;
  }
  Pty(const Pty&) = delete;
  Pty& operator=(const Pty&) = delete;
  ~Pty() {
    ::close(device_end);
    ::close(line_end);
  }
};

}  // namespace halld::tools
