// Whatever a modem (or line noise on its serial port) says: halld's side of the AT conversation
// never crashes, answers with bounded bytes, and its line reader keeps lines bounded.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "halld/sms/modem.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace halld::sms;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  ModemSession session("1234");
  std::string to_write = session.start();
  const auto parts =
      std::get<std::vector<EncodedPdu>>(encode_submit("+8613800138000", "告警：排队人数 35", {}));
  for (std::size_t at = 0; at < bytes.size();
       at += 7) {  // in chunks, as a serial port delivers them
    to_write.clear();
    session.feed(bytes.substr(at, 7), to_write);
    if (session.ready()) session.send(parts, to_write);
    if (to_write.size() > 2 * 512) __builtin_trap();
  }
  AtReader reader;
  for (const auto& line : reader.feed(bytes)) {
    if (line.text.size() > AtReader::max_line) __builtin_trap();
  }
  return 0;
}
